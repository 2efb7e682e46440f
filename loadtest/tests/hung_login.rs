//! A gateway that takes the connection but never answers `Hello`: the bot gives up after the
//! scenario's `connect_timeout` and the report names the step it waited for, so an operator
//! can tell a slow handshake from a login nobody answered.

use mmo_loadtest::scenario::ScenarioFile;
use mmo_loadtest::{run, RunOptions, Scenario};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// Serves `/api/connect` naming a WebSocket endpoint that accepts and then says nothing.
async fn silent_gateway() -> url::Url {
    let http = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let ws = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let body = serde_json::json!({
        "protocol_version": mmo_protocol::PROTOCOL_VERSION,
        "webtransport": null,
        "websocket": { "path": "/ws", "url": format!("ws://{}/ws", ws.local_addr().unwrap()) },
    })
    .to_string();
    let base = url::Url::parse(&format!("http://{}/", http.local_addr().unwrap())).unwrap();
    tokio::spawn(async move {
        loop {
            let (mut stream, _) = http.accept().await.unwrap();
            let body = body.clone();
            tokio::spawn(async move {
                let mut request = Vec::new();
                let mut buf = [0u8; 1024];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    let n = stream.read(&mut buf).await.unwrap();
                    if n == 0 {
                        return;
                    }
                    request.extend_from_slice(&buf[..n]);
                }
                let head = format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len());
                stream.write_all(head.as_bytes()).await.unwrap();
                stream.write_all(body.as_bytes()).await.unwrap();
            });
        }
    });
    tokio::spawn(async move {
        loop {
            let (stream, _) = ws.accept().await.unwrap();
            tokio::spawn(async move {
                let Ok(mut socket) = tokio_tungstenite::accept_async(stream).await else { return };
                // Reads what the bot says (its Hello) and answers nothing.
                while let Some(Ok(_)) = futures::StreamExt::next(&mut socket).await {}
            });
        }
    });
    base
}

const SCENARIO: &str = r#"
name = "hung-login"
seed = 3
stages = [{ duration = "1s", target = 1 }, { duration = "2s", target = 1 }]
thresholds = ["connect_failures == 0"]
transport_mix = { websocket = 1 }
behaviours = { idle = 1 }

[bots]
connect_timeout = "1s"
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_login_nobody_answers_is_reported_with_the_step_it_waited_for() {
    let target = silent_gateway().await;
    let file = ScenarioFile::parse(&format!("target = \"{target}\"\n{SCENARIO}")).unwrap();
    let scenario = Scenario::resolve(file, None).unwrap();
    let (_stop, shutdown) = tokio::sync::watch::channel(false);
    let report = run(&scenario, RunOptions::default(), shutdown).await.expect("the run completes");
    let dir = tempfile::tempdir().unwrap();
    let (json_path, _) = report.write(dir.path()).unwrap();
    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(json_path).unwrap()).unwrap();

    assert_eq!(json["passed"], false, "connect_failures == 0 fails");
    let reasons = &json["totals"]["connect_failures_by_reason"];
    assert!(reasons["ConnectTimeout(welcome)"].as_u64() >= Some(1), "{reasons:#}");
    assert_eq!(reasons.as_object().unwrap().len(), 1, "no other reason: {reasons:#}");
    let bot = &json["bots"][0];
    assert_eq!(bot["joined"], false);
    assert_eq!(bot["end"], "ConnectTimeout(welcome)");
}
