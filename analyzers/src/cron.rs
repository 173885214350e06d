//! Kubernetes CronJob schedules as the controller parses them (robfig/cron v3 `ParseStandard`: five fields, names,
//! ranges, steps, `@hourly`-style descriptors and `@every <Go duration>`), and whether a valid one can ever fire.
//! Its own module so that the parser is tested (and fuzzed) apart from the analyzer that uses it.

use croner::CronComponent;

/// One of the five fields: its name, its bounds, and the names it accepts (lower case).
struct Field {
    name: &'static str,
    min: u32,
    max: u32,
    names: &'static [&'static str],
}

const MONTH_NAMES: &[&str] = &["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
const DAY_NAMES: &[&str] = &["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

const FIELDS: [Field; 5] = [
    Field { name: "minute", min: 0, max: 59, names: &[] },
    Field { name: "hour", min: 0, max: 23, names: &[] },
    Field { name: "day-of-month", min: 1, max: 31, names: &[] },
    Field { name: "month", min: 1, max: 12, names: MONTH_NAMES },
    // robfig/cron caps the day of week at 6; 7 for Sunday is accepted here, as most crons do, because reporting
    // a schedule that works elsewhere is worse than missing one the API server would refuse anyway.
    Field { name: "day-of-week", min: 0, max: 7, names: DAY_NAMES },
];

/// A five-field schedule rewritten into plain `*`, `N`, `A-B` and `A-B/S` terms that croner reads the same way
/// robfig does; `star` is robfig's "star bit" (the field started with `*` or `?` without a step), which decides
/// whether day of month and day of week are combined with AND (either starred) or OR (neither).
#[derive(Debug)]
pub(crate) struct CanonicalField {
    terms: Vec<String>,
    star: bool,
}

/// The schedule check alone, for the fuzz target in fuzz/ (not part of the API): `Err` with the reason when the
/// schedule does not parse, `Ok(Some)` with the reason when it never fires, `Ok(None)` when it fires.
#[doc(hidden)]
pub fn check_schedule(schedule: &str) -> Result<Option<String>, String> {
    Ok(parse_schedule(schedule)?.and_then(|fields| never_fires(&fields)))
}

/// Checks a schedule as Kubernetes' parser does. `Ok(None)` for descriptors (they always fire), `Ok(Some)` with
/// the canonical fields otherwise, `Err` with the reason it does not parse.
pub(crate) fn parse_schedule(schedule: &str) -> Result<Option<Vec<CanonicalField>>, String> {
    if schedule.is_empty() {
        return Err("the schedule is empty".into());
    }
    let mut spec = schedule;
    // `TZ=zone ` / `CRON_TZ=zone ` prefixes: refused by API validation on new objects since Kubernetes 1.27 but
    // kept on objects that already had them, and still honoured by the controller. The zone name is not checked:
    // the time zone database is not available here.
    if spec.starts_with("TZ=") || spec.starts_with("CRON_TZ=") {
        let Some(space) = spec.find(' ') else {
            return Err("the time zone prefix is not followed by a schedule".into());
        };
        spec = spec[space..].trim();
    }
    if spec.starts_with('@') {
        return parse_descriptor(spec).map(|()| None);
    }
    let fields: Vec<&str> = spec.split_whitespace().collect();
    if fields.len() != 5 {
        return Err(format!("expected 5 fields (minute hour day-of-month month day-of-week), found {}", fields.len()));
    }
    fields
        .iter()
        .zip(FIELDS.iter())
        .map(|(text, field)| canonical_field(text, field))
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

fn parse_descriptor(spec: &str) -> Result<(), String> {
    // Exact and case-sensitive, as robfig matches them.
    if matches!(spec, "@yearly" | "@annually" | "@monthly" | "@weekly" | "@daily" | "@midnight" | "@hourly") {
        return Ok(());
    }
    if let Some(duration) = spec.strip_prefix("@every ") {
        return if go_duration_is_valid(duration) {
            Ok(())
        } else {
            Err(format!("\"{duration}\" is not a duration such as 90s, 15m or 1h30m"))
        };
    }
    Err(format!(
        "unknown descriptor {spec} (known: @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly, @every <duration>)"
    ))
}

/// Go's `time.ParseDuration` grammar: `[-+]?([0-9]*(\.[0-9]*)?(ns|us|µs|μs|ms|s|m|h))+`, or a bare `0`.
fn go_duration_is_valid(text: &str) -> bool {
    let mut s = text.strip_prefix(['-', '+']).unwrap_or(text);
    if s == "0" {
        return true;
    }
    if s.is_empty() {
        return false;
    }
    let mut total_ns = 0f64;
    while !s.is_empty() {
        let int_len = s.bytes().take_while(u8::is_ascii_digit).count();
        let (int_part, rest) = s.split_at(int_len);
        let (frac_part, rest) = match rest.strip_prefix('.') {
            Some(after) => after.split_at(after.bytes().take_while(u8::is_ascii_digit).count()),
            None => ("", rest),
        };
        if int_part.is_empty() && frac_part.is_empty() {
            return false;
        }
        let unit_len = rest.find(|c: char| c == '.' || c.is_ascii_digit()).unwrap_or(rest.len());
        let (unit, rest) = rest.split_at(unit_len);
        let scale = match unit {
            "ns" => 1f64,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => return false,
        };
        let value: f64 = format!("{}.{}", if int_part.is_empty() { "0" } else { int_part }, frac_part)
            .trim_end_matches('.')
            .parse()
            .unwrap_or(f64::INFINITY);
        total_ns += value * scale;
        s = rest;
    }
    // Go stores durations as i64 nanoseconds and rejects what overflows.
    total_ns <= i64::MAX as f64
}

/// One field the way robfig's `getField`/`getRange` read it: comma-separated terms (empty ones skipped), each
/// `*` or `?` or `N` or `N-M`, optionally `/step`; `N/step` means `N-max/step`; names in any case.
fn canonical_field(text: &str, field: &Field) -> Result<CanonicalField, String> {
    let name = field.name;
    let mut out = CanonicalField { terms: Vec::new(), star: false };
    for term in text.split(',').filter(|t| !t.is_empty()) {
        let mut range_and_step = term.split('/');
        let range = range_and_step.next().unwrap_or_default();
        let step = range_and_step.next();
        if range_and_step.next().is_some() {
            return Err(format!("{name} field \"{text}\": too many slashes in \"{term}\""));
        }
        let bounds: Vec<&str> = range.split('-').collect();
        let (start, end, starred) = if bounds[0] == "*" || bounds[0] == "?" {
            // robfig ignores anything after a leading `*-`.
            (field.min, field.max, true)
        } else {
            // `hour field "x" is not a number` when the term is the whole field, else name the term.
            let in_field = |e: String| {
                if term == text { format!("{name} field {e}") } else { format!("{name} field \"{text}\": {e}") }
            };
            let start = value_of(bounds[0], field).map_err(in_field)?;
            let end = match bounds.len() {
                1 => start,
                2 => value_of(bounds[1], field).map_err(in_field)?,
                _ => {
                    return Err(format!("{name} field \"{text}\": too many hyphens in \"{term}\""));
                }
            };
            (start, end, false)
        };
        let (end, step) = match step {
            None => (end, 1),
            Some(step) => {
                let step =
                    go_atoi(step).ok_or_else(|| format!("{name} field \"{text}\": step \"{step}\" is not a number"))?;
                if step < 0 {
                    return Err(format!("{name} field \"{text}\": step {step} is negative"));
                }
                (if bounds.len() == 1 { field.max } else { end }, step)
            }
        };
        if start < field.min {
            return Err(format!("{name} field \"{text}\": {start} is below the minimum {}", field.min));
        }
        if end > field.max {
            return Err(format!("{name} field \"{text}\": {end} is above the maximum {}", field.max));
        }
        if start > end {
            return Err(format!("{name} field \"{text}\": range {start}-{end} runs backwards"));
        }
        if step == 0 {
            return Err(format!("{name} field \"{text}\": a step must be positive"));
        }
        if starred && step <= 1 {
            out.star = true;
            out.terms.push("*".into());
        } else {
            // A step wider than the range selects only its start; clamping keeps the number small for croner.
            let step = step.min(i64::from(field.max - field.min + 1));
            out.terms.push(format!("{start}-{end}/{step}"));
        }
    }
    Ok(out)
}

/// A number or, where the field has names, a name, the way robfig's `parseIntOrName` reads it.
fn value_of(text: &str, field: &Field) -> Result<u32, String> {
    let lower = text.to_ascii_lowercase();
    if let Some(index) = field.names.iter().position(|n| *n == lower) {
        // Month names count from 1, day names from 0 (Sunday): from the field's minimum either way.
        return Ok(index as u32 + field.min);
    }
    let number = go_atoi(text).ok_or_else(|| {
        if field.names.is_empty() {
            format!("\"{text}\" is not a number")
        } else {
            format!("\"{text}\" is not a number or a name")
        }
    })?;
    // Atoi accepts a sign; a negative value cannot come out of a hyphen-split term, but guard anyway.
    u32::try_from(number).map_err(|_| format!("{number} is out of range"))
}

/// Go's `strconv.Atoi`: an optional sign, then decimal digits only.
fn go_atoi(text: &str) -> Option<i64> {
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// Why a five-field schedule never fires, if it never does: a field that selects nothing, or days of the month
/// that no selected month has. Field values are expanded by croner from the canonical terms.
pub(crate) fn never_fires(fields: &[CanonicalField]) -> Option<String> {
    let mut values: Vec<Vec<u32>> = Vec::with_capacity(5);
    for (canonical, field) in fields.iter().zip(FIELDS.iter()) {
        let mut component = CronComponent::new(field.min as u16, field.max as u16, 0, 0);
        // The terms were checked against the same bounds above; a disagreement means "fires" rather than a guess.
        component.parse(&canonical.terms.join(",")).ok()?;
        let mut set: Vec<u32> = component.values().into_iter().map(u32::from).collect();
        if field.name == "day-of-week" {
            set = set.into_iter().map(|d| d % 7).collect();
            set.sort_unstable();
            set.dedup();
        }
        if set.is_empty() {
            return Some(format!("the {} field selects no value", field.name));
        }
        values.push(set);
    }
    let (days, months) = (&values[2], &values[3]);
    let (dom_star, dow_star) = (fields[2].star, fields[4].star);
    // robfig combines day of month and day of week with AND when either is starred, OR otherwise; with OR a
    // non-empty day of week always fires, and a starred day of month matches every weekday sooner or later.
    if !dow_star || dom_star {
        return None;
    }
    const LONGEST: [u32; 13] = [0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    let exists = months.iter().any(|m| days.iter().any(|d| *d <= LONGEST[*m as usize]));
    (!exists).then(|| {
        let days: Vec<String> = days.iter().map(u32::to_string).collect();
        let months: Vec<&str> = months.iter().map(|m| MONTH_NAMES[*m as usize - 1]).collect();
        format!("no month among {} has day {}", months.join(","), days.join(","))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Schedules Kubernetes accepts (robfig/cron v3 `ParseStandard`), in every form we know of.
    #[test]
    fn accepts_every_valid_kubernetes_schedule() {
        for schedule in [
            "*/5 * * * *",
            "0 0 * * 0",
            "0 0 * * 7",
            "0 9 * * MON-FRI",
            "0 9 * * mon-fri",
            "0 9 * * Mon,Wed,Fri",
            "@hourly",
            "@yearly",
            "@annually",
            "@monthly",
            "@weekly",
            "@daily",
            "@midnight",
            "@every 1h30m",
            "@every 90s",
            "@every 1.5h",
            "@every 0",
            "30 3 1 */2 *",
            "0 0 1 1 *",
            "0 12 * JAN,jul *",
            "0 0 1 jan-mar,oct-DEC *",
            "0 0 ? * *",
            "0 0 * * ?",
            "? * * * *",
            "15/30 * * * *",
            "0 0/6 * * *",
            "1-59/2 * * * *",
            "0 0 1,15 * 1-5",
            "0 0 29 2 *",
            "0 0 31 * *",
            "*/100 * * * *",
            "5,,10 * * * *",
            "05 07 * * *",
            "+5 * * * *",
            "*-5 * * * *",
            "0 0 * * 5-7",
            "  0   0  *  *  *  ",
            "0\t0 * * *",
            "TZ=Europe/Berlin 0 6 * * *",
            "CRON_TZ=UTC 0 6 * * *",
            "CRON_TZ=America/New_York @daily",
        ] {
            assert!(parse_schedule(schedule).is_ok(), "{schedule}: {:?}", parse_schedule(schedule).err());
        }
    }

    #[test]
    fn rejects_what_kubernetes_rejects() {
        for (schedule, why) in [
            ("", "empty"),
            ("0 0 * *", "found 4"),
            ("0 0 0 * * *", "found 6"),
            ("0 25 * * *", "hour field \"25\": 25 is above the maximum 23"),
            ("60 * * * *", "above the maximum 59"),
            ("0 0 0 * *", "0 is below the minimum 1"),
            ("0 0 * 13 *", "above the maximum 12"),
            ("0 0 * * 8", "above the maximum 7"),
            ("30-10 * * * *", "runs backwards"),
            ("*/0 * * * *", "step must be positive"),
            ("*/-5 * * * *", "negative"),
            ("1-2-3 * * * *", "too many hyphens"),
            ("*/5/2 * * * *", "too many slashes"),
            ("/5 * * * *", "\"\" is not a number"),
            ("x * * * *", "\"x\" is not a number"),
            ("0 0 L * *", "\"L\" is not a number"),
            ("0 0 15W * *", "not a number"),
            ("0 0 * * 5#2", "not a number or a name"),
            ("0 0 * * MON#2", "not a number or a name"),
            ("0 0 * JAN MAR", "\"MAR\" is not a number or a name"),
            ("0 0 * * MONDAY", "not a number or a name"),
            ("@HOURLY", "unknown descriptor"),
            ("@fortnightly", "unknown descriptor"),
            ("@hourly ", "unknown descriptor"),
            ("@every 1d", "not a duration"),
            ("@every", "unknown descriptor"),
            ("@every ", "not a duration"),
            ("@every 1h 30m", "not a duration"),
            ("TZ=UTC", "not followed by a schedule"),
        ] {
            let err = parse_schedule(schedule).expect_err(schedule);
            assert!(err.contains(why), "{schedule}: {err}");
        }
    }

    #[test]
    fn finds_schedules_that_never_fire() {
        let never = |s: &str| never_fires(&parse_schedule(s).unwrap().unwrap());
        assert!(never("0 0 30 2 *").unwrap().contains("no month among feb has day 30"));
        assert!(never("0 0 31 4,6,9,11 *").is_some());
        assert!(never(", * * * *").unwrap().contains("minute field selects no value"));
        for fires in
            ["0 0 29 2 *", "0 0 31 * *", "0 0 30 2 1", "0 0 * 2 1", "0 0 30,1 2 *", "0 0 31 */2 *", "0 0 ? 2 *"]
        {
            assert_eq!(never(fires), None, "{fires}");
        }
    }
}
