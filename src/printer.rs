//! The only place that writes to stdout or stderr. stdout carries data that can be piped; notes, progress and
//! errors go to stderr. Colour is written as ANSI and stripped by anstream when the stream is not a terminal,
//! when NO_COLOR is set, or with --color never.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::{IsTerminal, Write};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::cli::ColorChoice;

#[derive(Clone, Debug)]
pub struct Printer {
    quiet: bool,
}

impl Printer {
    pub fn new(quiet: bool, color: ColorChoice) -> Printer {
        let choice = match color {
            ColorChoice::Auto => anstream::ColorChoice::Auto,
            ColorChoice::Always => anstream::ColorChoice::Always,
            ColorChoice::Never => anstream::ColorChoice::Never,
        };
        choice.write_global();
        Printer { quiet }
    }

    /// Writes data to stdout. A closed pipe (`| head`) ends the process quietly, as for other CLI tools.
    pub fn out(&self, text: &str) {
        let mut stdout = anstream::stdout().lock();
        if let Err(e) = stdout.write_all(text.as_bytes()).and_then(|_| stdout.flush())
            && e.kind() == std::io::ErrorKind::BrokenPipe
        {
            std::process::exit(0);
        }
    }

    /// A note for the person at the terminal; hidden with -q.
    pub fn note(&self, text: &str) {
        if !self.quiet {
            let _ = writeln!(anstream::stderr(), "{text}");
        }
    }

    pub fn warn(&self, text: &str) {
        if !self.quiet {
            let _ = writeln!(anstream::stderr(), "\x1b[33mwarning:\x1b[0m {text}");
        }
    }

    /// Errors are printed even with -q.
    pub fn error(&self, text: &str) {
        let _ = writeln!(anstream::stderr(), "\x1b[1;31merror:\x1b[0m {text}");
    }

    /// A progress bar on stderr; hidden when stderr is not a terminal or with -q.
    pub fn progress(&self, total: u64, message: &str) -> ProgressBar {
        let bar = ProgressBar::with_draw_target(Some(total), self.progress_target());
        bar.set_style(
            ProgressStyle::with_template("{spinner} {msg} [{bar:24}] {pos}/{len} {elapsed}")
                .expect("static template")
                .progress_chars("=> "),
        );
        bar.set_message(message.to_string());
        bar.enable_steady_tick(Duration::from_millis(120));
        bar
    }

    /// A spinner on stderr for a wait of unknown length.
    pub fn spinner(&self, message: &str) -> ProgressBar {
        let bar = ProgressBar::with_draw_target(None, self.progress_target());
        bar.set_style(ProgressStyle::with_template("{spinner} {msg} {elapsed}").expect("static template"));
        bar.set_message(message.to_string());
        bar.enable_steady_tick(Duration::from_millis(120));
        bar
    }

    fn progress_target(&self) -> ProgressDrawTarget {
        if self.quiet || !std::io::stderr().is_terminal() {
            ProgressDrawTarget::hidden()
        } else {
            ProgressDrawTarget::stderr()
        }
    }
}
