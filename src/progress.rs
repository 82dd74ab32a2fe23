//! A one-line progress display on the terminal (stderr): shown only when stderr is a
//! terminal and the user did not ask for quiet, so logs and pipes stay clean.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicUsize, Ordering};

pub struct Bar {
    label: &'static str,
    total: usize,
    done: AtomicUsize,
    shown: bool,
}

impl Bar {
    pub fn new(label: &'static str, total: usize, enabled: bool) -> Bar {
        let shown = enabled && total > 0 && std::io::stderr().is_terminal();
        let p = Bar { label, total, done: AtomicUsize::new(0), shown };
        p.draw(0);
        p
    }

    pub fn step(&self) {
        let n = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        self.draw(n);
    }

    fn draw(&self, n: usize) {
        if !self.shown {
            return;
        }
        const WIDTH: usize = 30;
        let filled = (n * WIDTH).checked_div(self.total).unwrap_or(WIDTH).min(WIDTH);
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "\r{} [{}{}] {}/{}", self.label, "█".repeat(filled), "·".repeat(WIDTH - filled), n, self.total);
        if n >= self.total {
            let _ = writeln!(err);
        }
        let _ = err.flush();
    }
}
