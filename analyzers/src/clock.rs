//! The analysis clock: the time a snapshot was read. Analyzers measure every age against it, never against the
//! wall clock, so analysing a saved file next week gives the same findings as analysing it today.
//!
//! A live read records when it started; `mekhanikube snapshot` saves that in its info item. A plain `kind: List`
//! without one (kubectl output, a fixture) takes the newest past-event time found in it: the keys of
//! [`OBSERVED_KEYS`], which record when something already happened. Times that may lie in the future
//! (`deletionTimestamp` of a graceful deletion, a certificate's `notAfter` or `renewalTime`) are not among them.
//! A file with none of them has no clock, and age-dependent checks then report nothing.

use jiff::{SignedDuration, Timestamp};

/// Keys whose RFC 3339 values say when something happened, anywhere in an object.
pub const OBSERVED_KEYS: &[&str] = &[
    "creationTimestamp",
    "firstTimestamp",
    "lastTimestamp",
    "eventTime",
    "lastTransitionTime",
    "lastUpdateTime",
    "lastHeartbeatTime",
    "lastProbeTime",
    "startedAt",
    "finishedAt",
    "startTime",
    "completionTime",
    "lastScheduleTime",
    "lastSuccessfulTime",
];

/// The newest of `current` and every observed time in `value`. Walks the tree by reference: nothing is copied.
pub(crate) fn newest_observed(value: &serde_json::Value, current: Option<Timestamp>) -> Option<Timestamp> {
    let mut newest = current;
    let mut stack = vec![value];
    while let Some(v) = stack.pop() {
        match v {
            serde_json::Value::Object(map) => {
                for (key, child) in map {
                    if let serde_json::Value::String(text) = child {
                        if OBSERVED_KEYS.contains(&key.as_str())
                            && let Ok(t) = text.parse::<Timestamp>()
                        {
                            newest = newest.max(Some(t));
                        }
                    } else {
                        stack.push(child);
                    }
                }
            }
            serde_json::Value::Array(items) => stack.extend(items.iter()),
            _ => {}
        }
    }
    newest
}

/// How long before `clock` the RFC 3339 time `at` was; None when either is unknown or unparsable. A time after
/// the clock (skew between nodes) counts as zero.
pub(crate) fn age(clock: Option<Timestamp>, at: Option<&str>) -> Option<SignedDuration> {
    let at = at?.parse::<Timestamp>().ok()?;
    Some(clock?.duration_since(at).max(SignedDuration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newest_past_time_wins_and_future_times_are_ignored() {
        let item = serde_json::json!({
            "metadata": {"creationTimestamp": "2026-01-01T00:00:00Z", "deletionTimestamp": "2030-01-01T00:00:00Z"},
            "status": {
                "notAfter": "2031-01-01T00:00:00Z",
                "conditions": [{"type": "Ready", "lastTransitionTime": "2026-01-02T03:04:05Z"}],
            }
        });
        let newest = newest_observed(&item, None).unwrap();
        assert_eq!(newest.to_string(), "2026-01-02T03:04:05Z");
        let earlier: Timestamp = "2027-01-01T00:00:00Z".parse().unwrap();
        assert_eq!(newest_observed(&item, Some(earlier)), Some(earlier));
    }

    #[test]
    fn ages_are_measured_against_the_clock_and_never_negative() {
        let clock = Some("2026-01-01T01:00:00Z".parse().unwrap());
        assert_eq!(age(clock, Some("2026-01-01T00:00:00Z")), Some(SignedDuration::from_hours(1)));
        assert_eq!(age(clock, Some("2026-01-01T02:00:00Z")), Some(SignedDuration::ZERO));
        assert_eq!(age(None, Some("2026-01-01T00:00:00Z")), None);
        assert_eq!(age(clock, Some("yesterday")), None);
    }
}
