//! The CLI's calls to the operator API: plain HTTP/1.1 over TCP (the API is served without TLS),
//! one request per connection.

use anyhow::{bail, Context};
use serde_json::Value;
use std::io::Write;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Answers larger than this are refused.
const MAX_ANSWER: u64 = 16 * 1024 * 1024;

/// Where the API is.
#[derive(Debug, clap::Args)]
pub struct ApiArgs {
    /// The coordinator's (or the local world's) HTTP address.
    #[arg(long, env = "MMO_API", default_value = "http://127.0.0.1:8090")]
    api: String,
    /// The API token, when the coordinator requires one (`run --api-token`).
    #[arg(long, env = "MMO_API_TOKEN", hide_env_values = true)]
    token: Option<String>,
}

impl ApiArgs {
    pub async fn get(&self, path: &str) -> anyhow::Result<Value> {
        self.call("GET", path, None).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> anyhow::Result<Value> {
        self.call("POST", path, Some(body.to_string())).await
    }

    async fn call(&self, method: &str, path: &str, body: Option<String>) -> anyhow::Result<Value> {
        let host = self
            .api
            .strip_prefix("http://")
            .with_context(|| format!("--api {}: write http://HOST:PORT", self.api))?
            .trim_end_matches('/');
        if host.is_empty() || host.contains('/') {
            bail!("--api {}: write http://HOST:PORT", self.api);
        }
        let mut stream = TcpStream::connect(host).await.with_context(|| format!("connecting to {}", self.api))?;
        let body = body.unwrap_or_default();
        let auth = self.token.as_ref().map(|t| format!("Authorization: Bearer {t}\r\n")).unwrap_or_default();
        let request = format!(
            "{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nAccept: application/json\r\n\
             {auth}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        stream.write_all(request.as_bytes()).await.context("sending the request")?;
        let mut answer = Vec::new();
        stream.take(MAX_ANSWER).read_to_end(&mut answer).await.context("reading the answer")?;
        let text = String::from_utf8_lossy(&answer);
        let (head, payload) = text.split_once("\r\n\r\n").context("an answer without a body")?;
        let status: u16 = head
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .with_context(|| format!("an answer without a status: {head:?}"))?;
        let payload = if head.to_ascii_lowercase().contains("transfer-encoding: chunked") {
            dechunk(payload)?
        } else {
            payload.to_string()
        };
        let value: Value = serde_json::from_str(&payload)
            .with_context(|| format!("{method} {path} answered {status} without JSON: {payload:?}"))?;
        if !(200..300).contains(&status) {
            bail!("{method} {path} answered {status}: {value}");
        }
        Ok(value)
    }
}

/// Decodes a chunked body.
fn dechunk(mut rest: &str) -> anyhow::Result<String> {
    let mut out = String::new();
    loop {
        let (size, after) = rest.split_once("\r\n").context("a malformed chunk")?;
        let size = usize::from_str_radix(size.trim(), 16).context("a malformed chunk size")?;
        if size == 0 {
            return Ok(out);
        }
        out.push_str(after.get(..size).context("a truncated chunk")?);
        rest = after.get(size + 2..).context("a truncated chunk")?;
    }
}

/// Prints an answer, pretty.
pub fn print(value: Value) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}", serde_json::to_string_pretty(&value)?)?;
    Ok(())
}
