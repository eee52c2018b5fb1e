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

    /// A bar for long loops that report often (`ramsim check`): on a terminal it is redrawn by
    /// a background ticker at least every second (also while one unit takes long), from the
    /// first second on.
    pub fn steady(total: u64, what: &str) -> Progress {
        let p = Progress::new(usize::try_from(total).unwrap_or(usize::MAX), what);
        if p.terminal {
            p.bar
                .enable_steady_tick(std::time::Duration::from_millis(500));
        }
        p
    }

    /// Sets the position; `label` (built only when the bar is visible) names the work.
    pub fn set(&self, position: u64, label: impl FnOnce() -> String) {
        self.reveal();
        self.bar.set_position(position);
        if !self.bar.is_hidden() && position % 1024 == 0 {
            self.bar.set_message(label());
        }
    }

    /// Sets the message shown after the counts.
    pub fn set_message(&self, message: String) {
        self.reveal();
        self.bar.set_message(message);
    }

    /// Draws the bar once the run has taken more than a second (on a terminal).
    fn reveal(&self) {
        if self.terminal
            && self.bar.is_hidden()
            && self.started.elapsed() > std::time::Duration::from_secs(1)
        {
            self.bar
                .set_draw_target(indicatif::ProgressDrawTarget::stderr());
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
