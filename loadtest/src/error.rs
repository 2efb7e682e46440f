//! The library's errors.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadtestError {
    /// A scenario value is wrong; `field` names it (`stages[1].target`, `transport_mix`).
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    #[error("cannot read scenario {path}: {source}")]
    ReadScenario { path: PathBuf, source: std::io::Error },
    #[error("scenario {path}: {message}")]
    ParseScenario { path: PathBuf, message: String },
    #[error("target {url}: {message}")]
    Target { url: String, message: String },
    #[error("in-process local world: {0}")]
    LocalWorld(String),
    #[error("QUIC client endpoint: {0}")]
    Endpoint(String),
    #[error("writing the report to {path}: {source}")]
    WriteReport { path: PathBuf, source: std::io::Error },
}

impl LoadtestError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        LoadtestError::Invalid { field: field.into(), message: message.into() }
    }
}
