//! A progress bar on stderr for long CLI runs (indicatif).

/// A progress bar on stderr, drawn only when stderr is a terminal and the run has taken more
/// than a second (the wall clock is read here, in the CLI, never inside the engine).
pub struct Progress {
    bar: indicatif::ProgressBar,
    started: std::time::Instant,
    terminal: bool,
}

impl Progress {
    /// A bar over `total` units called `what`; hidden until the run has taken a second.
    pub fn new(total: usize, what: &str) -> Progress {
        use std::io::IsTerminal;
        let bar = indicatif::ProgressBar::with_draw_target(
            Some(total as u64),
            indicatif::ProgressDrawTarget::hidden(),
        );
        if let Ok(style) = indicatif::ProgressStyle::with_template(&format!(
            "{{bar:40}} {{pos}}/{{len}} {what}  {{msg}}"
        )) {
            bar.set_style(style);
        }
        Progress {
            bar,
            started: std::time::Instant::now(),
            terminal: std::io::stderr().is_terminal(),
        }
    }

    /// One unit done; `label` names what is being worked on.
    pub fn tick(&self, label: &str) {
        if self.terminal
            && self.bar.is_hidden()
            && self.started.elapsed() > std::time::Duration::from_secs(1)
        {
            self.bar
                .set_draw_target(indicatif::ProgressDrawTarget::stderr());
        }
        self.bar.set_message(label.to_string());
        self.bar.inc(1);
    }

    /// Removes the bar.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
