//! The `mmo-gateway` binary refuses bad flag values before it reaches etcd, with a message
//! naming the flag: the id (`--id` or `--ordinal`, exactly one), the advertised addresses and
//! their `{ordinal}`, the certificate files.

use std::process::Command;

/// Runs the binary with `args` (an etcd nobody listens on) and returns its stderr; it must fail.
fn refused(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_mmo-gateway"))
        .args(["--etcd", "http://127.0.0.1:9"])
        .args(args)
        .env_remove("MMO_GATEWAY_ID")
        .env_remove("MMO_GATEWAY_ORDINAL")
        .output()
        .expect("runs");
    assert!(!out.status.success(), "{args:?} accepted");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn assert_names(args: &[&str], flags: &[&str]) {
    let stderr = refused(args);
    for flag in flags {
        assert!(stderr.contains(flag), "{args:?}: {flag} not named in {stderr:?}");
    }
}

#[test]
fn exactly_one_of_id_and_ordinal() {
    assert_names(&[], &["--id", "--ordinal"]);
    assert_names(&["--id", "1", "--ordinal", "0"], &["--id", "--ordinal"]);
    assert_names(&["--id", "0"], &["--id"]);
    assert_names(&["--ordinal", "-1"], &["--ordinal"]);
}

#[test]
fn advertised_addresses_are_checked_and_their_ordinal_is_required() {
    assert_names(&["--ordinal", "0", "--public-url", "http://gw.example.com"], &["--public-url"]);
    assert_names(&["--ordinal", "0", "--public-quic", "gw.example.com"], &["--public-quic"]);
    assert_names(&["--id", "1", "--public-quic", "gw-{ordinal}.example.com:4433"], &["--public-quic", "--ordinal"]);
    assert_names(&["--id", "1", "--public-url", "https://gw-{ordinal}.example.com"], &["--public-url", "--ordinal"]);
}

#[test]
fn certificate_files_are_checked() {
    assert_names(&["--id", "1", "--tls-cert", "/nonexistent/tls.crt"], &["--tls-key"]);
    assert_names(
        &["--id", "1", "--tls-cert", "/nonexistent/tls.crt", "--tls-key", "/nonexistent/tls.key"],
        &["--tls-cert"],
    );
    assert_names(&["--id", "1", "--drain-timeout-secs", "soon"], &["--drain-timeout-secs"]);
}
