//! The CronJob schedule check: five cron fields or a descriptor, `@every` with a Go duration, `TZ=` prefixes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mekhanikube_analyzers::check_schedule;

fuzz_target!(|data: &[u8]| {
    let Ok(schedule) = std::str::from_utf8(data) else { return };
    let verdict = check_schedule(schedule);
    if let Err(why) = &verdict {
        assert!(!why.is_empty(), "an invalid schedule says why");
    }
    assert_eq!(check_schedule(schedule), verdict);
});
