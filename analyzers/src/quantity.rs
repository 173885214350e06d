//! Resource quantities (`500m`, `1Gi`, `2`, `1e3`) as the API server reads them, exactly enough to compare usage
//! with a limit: each is held as a whole number of nano-units, so `1000m == 1` and `1Gi == 1073741824`.

/// A parsed quantity, in nano-units (10^-9 of the base unit: cores, bytes, objects).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Quantity(i128);

const NANO: i128 = 1_000_000_000;

impl Quantity {
    /// Parses the Kubernetes quantity syntax: a signed decimal number, then a binary suffix (`Ki` … `Ei`), a
    /// decimal one (`n`, `u`, `m`, `k`, `M`, `G`, `T`, `P`, `E`) or an exponent (`e3`, `E-2`). None if it does not
    /// parse or is out of range.
    pub(crate) fn parse(text: &str) -> Option<Quantity> {
        let text = text.trim();
        let split = text.find(|c: char| !(c.is_ascii_digit() || matches!(c, '.' | '+' | '-'))).unwrap_or(text.len());
        let (number, suffix) = text.split_at(split);
        let (negative, number) = match number.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, number.strip_prefix('+').unwrap_or(number)),
        };
        let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
        if whole.is_empty() && fraction.is_empty()
            || !whole.chars().chain(fraction.chars()).all(|c| c.is_ascii_digit())
            || fraction.len() > 18
        {
            return None;
        }
        // digits as an integer, and the power of ten that scales it back
        let digits: i128 = format!("{whole}{fraction}").parse().ok()?;
        let mut ten_power: i32 = -(fraction.len() as i32);
        let mut binary: u32 = 0;
        match suffix {
            "" => {}
            "Ki" => binary = 10,
            "Mi" => binary = 20,
            "Gi" => binary = 30,
            "Ti" => binary = 40,
            "Pi" => binary = 50,
            "Ei" => binary = 60,
            "n" => ten_power -= 9,
            "u" => ten_power -= 6,
            "m" => ten_power -= 3,
            "k" => ten_power += 3,
            "M" => ten_power += 6,
            "G" => ten_power += 9,
            "T" => ten_power += 12,
            "P" => ten_power += 15,
            "E" => ten_power += 18,
            exponent => ten_power += exponent.strip_prefix(['e', 'E'])?.parse::<i32>().ok()?,
        }
        // nano-units: digits * 2^binary * 10^(ten_power + 9), with a fraction of a nano-unit rounded up as the
        // API server rounds quantities up
        let mut value = digits.checked_mul(1i128.checked_shl(binary)?)?;
        let scale = ten_power + 9;
        if scale >= 0 {
            value = value.checked_mul(10i128.checked_pow(scale as u32)?)?;
        } else {
            let divisor = 10i128.checked_pow(scale.unsigned_abs())?;
            value = (value + divisor - 1) / divisor;
        }
        Some(Quantity(if negative { -value } else { value }))
    }

    /// `self / other` as a percentage, rounded down; None when `other` is zero.
    pub(crate) fn percent_of(self, other: Quantity) -> Option<i128> {
        (other.0 != 0).then(|| self.0.saturating_mul(100) / other.0)
    }

    /// `self / other` as a ratio (for limit/request ratios); None when `other` is zero.
    pub(crate) fn ratio_to(self, other: Quantity) -> Option<f64> {
        (other.0 != 0).then(|| self.0 as f64 / other.0 as f64)
    }

    /// The sum (for a pod's containers), saturating.
    pub(crate) fn plus(self, other: Quantity) -> Quantity {
        Quantity(self.0.saturating_add(other.0))
    }

    /// The shortest exact text of the usual suffixes (`3Gi`, `1500m`, `2`), for messages about computed sums.
    pub(crate) fn text(self) -> String {
        for (suffix, bits) in [("Ei", 60), ("Pi", 50), ("Ti", 40), ("Gi", 30), ("Mi", 20), ("Ki", 10)] {
            let unit = NANO << bits;
            if self.0 != 0 && self.0 % unit == 0 {
                return format!("{}{suffix}", self.0 / unit);
            }
        }
        for (suffix, unit) in [("", NANO), ("m", NANO / 1_000), ("u", NANO / 1_000_000)] {
            if self.0 % unit == 0 {
                return format!("{}{suffix}", self.0 / unit);
            }
        }
        format!("{}n", self.0)
    }

    /// In base units, as a float (for ratios, which are plain numbers).
    pub(crate) fn to_f64(self) -> f64 {
        self.0 as f64 / NANO as f64
    }

    /// Whole base units, for messages.
    #[cfg(test)]
    pub(crate) fn units(self) -> i128 {
        self.0 / NANO
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_print_with_the_shortest_exact_suffix() {
        let q = |t: &str| Quantity::parse(t).unwrap();
        assert_eq!(q("1Gi").plus(q("2Gi")).text(), "3Gi");
        assert_eq!(q("512Mi").plus(q("1Gi")).text(), "1536Mi");
        assert_eq!(q("500m").plus(q("1")).text(), "1500m");
        assert_eq!(q("1").plus(q("1")).text(), "2");
        assert_eq!(q("0").text(), "0");
        assert_eq!(q("1000").text(), "1000");
    }

    fn q(text: &str) -> Quantity {
        Quantity::parse(text).unwrap_or_else(|| panic!("{text} should parse"))
    }

    #[test]
    fn suffixes_and_fractions_mean_what_the_api_server_means() {
        assert_eq!(q("500m"), q("0.5"));
        assert_eq!(q("1"), q("1000m"));
        assert_eq!(q("1Gi").units(), 1 << 30);
        assert_eq!(q("1.5Gi").units(), 3 << 29);
        assert_eq!(q("2k"), q("2000"));
        assert_eq!(q("1e3"), q("1k"));
        assert_eq!(q("1E-3"), q("1m"));
        assert_eq!(q("100M").units(), 100_000_000);
        assert_eq!(q("129e6"), q("129M"));
        assert_eq!(q("10"), q("+10"));
        assert!(q("-1") < q("0"));
        assert!(q("1Mi") > q("1M"));
        assert_eq!(q("1n"), Quantity(1));
        assert_eq!(q("1.5n"), Quantity(2), "a fraction of the smallest unit rounds up");
        assert_eq!(q("0"), Quantity(0));
    }

    #[test]
    fn junk_does_not_parse() {
        for text in ["", "Gi", "1.2.3", "1Qi", "abc", "1e", "1 Gi", "."] {
            assert_eq!(Quantity::parse(text), None, "{text}");
        }
    }

    #[test]
    fn percentages_and_ratios() {
        assert_eq!(q("900m").percent_of(q("1")), Some(90));
        assert_eq!(q("4Gi").percent_of(q("4Gi")), Some(100));
        assert_eq!(q("1").percent_of(q("0")), None);
        assert_eq!(q("2").ratio_to(q("500m")), Some(4.0));
        assert_eq!(q("1500m").to_f64(), 1.5);
    }
}
