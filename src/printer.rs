//! The only place that writes to stdout or stderr. stdout carries data that can be piped; notes, progress and
//! errors go to stderr. Colour is written as ANSI and stripped by anstream when the stream is not a terminal,
//! when NO_COLOR is set, or with --color never.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// stdout was closed by its reader (`| head`): not a failure. `main` ends the run quietly with status 0 when a
/// command returns it, as other CLI tools do.
#[derive(Debug, thiserror::Error)]
#[error("stdout was closed")]
pub struct OutputClosed;

/// A writer that remembers whether its reader went away (the error itself reaches the caller as its own).
struct PipeWatch<W> {
    inner: W,
    gone: bool,
}

impl<W: Write> PipeWatch<W> {
    fn watch<T>(&mut self, result: std::io::Result<T>) -> std::io::Result<T> {
        if result.as_ref().is_err_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe) {
            self.gone = true;
        }
        result
    }
}

impl<W: Write> Write for PipeWatch<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let result = self.inner.write(buf);
        self.watch(result)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        let result = self.inner.flush();
        self.watch(result)
    }
}

#[derive(Clone, Debug)]
pub struct Printer {
    quiet: bool,
    closed: Arc<Closed>,
}

#[derive(Debug, Default)]
struct Closed {
    flag: AtomicBool,
    notify: tokio::sync::Notify,
}

impl Printer {
    /// `color` is written once for the whole process (anstream strips colour where it does not belong).
    pub fn new(quiet: bool, color: anstream::ColorChoice) -> Printer {
        color.write_global();
        Printer { quiet, closed: Arc::default() }
    }

    /// The same output, with notes, warnings and progress hidden: for work running side by side (several
    /// clusters read at once), whose bars would overwrite each other.
    pub fn hushed(&self) -> Printer {
        Printer { quiet: true, closed: self.closed.clone() }
    }

    /// Writes data to stdout. Once its reader has gone, this and every later call return [`OutputClosed`].
    pub fn out(&self, text: &str) -> Result<(), OutputClosed> {
        // Other write errors (a full disk behind a redirect) surface when the command checks at its end.
        self.out_stream(|out| out.write_all(text.as_bytes())).map(drop)
    }

    /// Writes data to stdout as `write` produces it, through a buffer: for output too large to build first (the
    /// snapshot of a big cluster). Its reader going away is [`OutputClosed`], as for [`out`](Self::out).
    pub fn out_stream<E>(
        &self,
        write: impl FnOnce(&mut dyn Write) -> Result<(), E>,
    ) -> Result<Result<(), E>, OutputClosed> {
        self.check_open()?;
        let mut sink = PipeWatch { inner: std::io::BufWriter::new(anstream::stdout().lock()), gone: false };
        let written = write(&mut sink);
        let _ = sink.flush();
        if sink.gone {
            self.closed.flag.store(true, Ordering::Relaxed);
            self.closed.notify.notify_waiters();
            return Err(OutputClosed);
        }
        Ok(written)
    }

    /// Resolves when stdout's reader has gone, so long work whose output nobody reads can stop.
    pub async fn output_closed(&self) {
        let notified = self.closed.notify.notified();
        if !self.closed.flag.load(Ordering::Relaxed) {
            notified.await;
        }
    }

    /// [`OutputClosed`] if stdout's reader has gone, for a command to stop at the end of its work.
    pub fn check_open(&self) -> Result<(), OutputClosed> {
        if self.closed.flag.load(Ordering::Relaxed) { Err(OutputClosed) } else { Ok(()) }
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
