//! Logs on stderr: human-readable lines, or one JSON object per line for a log collector.

use tracing_subscriber::EnvFilter;

use crate::config::{Config, LogFormat};

/// Installs the global subscriber as the configuration says (`log_format`, `log_level`,
/// default `info`). Call it once, before [`serve`](crate::serve).
pub fn init(config: &Config) {
    let filter = EnvFilter::try_new(config.log_level().unwrap_or("info")).unwrap_or_else(|e| {
        eprintln!("tessera: log level: {e}; using info");
        EnvFilter::new("info")
    });
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let installed = match config.log_format() {
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
        LogFormat::Text => builder.try_init(),
    };
    if installed.is_err() {
        tracing::debug!("a log subscriber was already installed");
    }
}
