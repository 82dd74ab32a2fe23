//! A one-line progress display on the terminal (stderr), drawn by indicatif (which
//! measures the width of Chinese text, and knows the rate and the time left): shown only
//! when stderr is a terminal and the user did not ask for quiet, so logs and pipes stay
//! clean.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};

pub struct Bar {
    bar: ProgressBar,
    shown: bool,
}

impl Bar {
    pub fn new(label: &'static str, total: usize, enabled: bool) -> Bar {
        let shown = enabled && total > 0 && std::io::stderr().is_terminal();
        let target = if shown { ProgressDrawTarget::stderr() } else { ProgressDrawTarget::hidden() };
        let bar = ProgressBar::with_draw_target(Some(total as u64), target).with_prefix(label).with_style(style());
        bar.tick();
        Bar { bar, shown }
    }

    pub fn step(&self) {
        self.bar.inc(1);
        if self.bar.position() == self.bar.length().unwrap_or(0) {
            self.bar.finish();
            // indicatif leaves the cursor on the finished line: what follows starts below.
            if self.shown {
                eprintln!();
            }
        }
    }
}

fn style() -> ProgressStyle {
    ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len}　{rate}　{left}")
        .expect("the progress template is valid")
        .progress_chars("█·")
        .with_key("rate", |s: &ProgressState, w: &mut dyn std::fmt::Write| {
            let done = s.pos() >= s.len().unwrap_or(0);
            if done {
                let _ = write!(w, "用时 {}", duration(s.elapsed()));
            } else if s.pos() > 0 {
                let _ = write!(w, "每秒 {:.1} 份", s.per_sec());
            }
        })
        .with_key("left", |s: &ProgressState, w: &mut dyn std::fmt::Write| {
            if s.pos() > 0 && s.pos() < s.len().unwrap_or(0) {
                let _ = write!(w, "约剩 {}", duration(s.eta()));
            }
        })
}

/// 45 秒, 3 分 05 秒.
fn duration(d: Duration) -> String {
    let s = d.as_secs();
    if s < 60 {
        format!("{} 秒", s.max(1))
    } else {
        format!("{} 分 {:02} 秒", s / 60, s % 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_left_in_chinese() {
        assert_eq!(duration(Duration::from_millis(300)), "1 秒");
        assert_eq!(duration(Duration::from_secs(45)), "45 秒");
        assert_eq!(duration(Duration::from_secs(185)), "3 分 05 秒");
    }
}
