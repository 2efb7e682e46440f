//! The purity check of the sans-IO crates (the zone core, the protocol, the plain-data crates):
//! their normal dependency tree, as `cargo tree` prints it, holds none of [`IO_CRATES`].
//!
//! Each such crate has a `tests/purity.rs` calling [`assert_no_io_dependencies`], so the test
//! command fails, naming the offending crate and the path that pulls it in, as soon as a change
//! lets an I/O dependency in (directly or through another crate).

use std::path::Path;
use std::process::Command;

/// Crates that do I/O (sockets, async runtimes, TLS, database clients, files as a database) or
/// read the clock for their caller. The one deny list: a sans-IO crate depends on none of them.
pub const IO_CRATES: &[&str] = &[
    "tokio",
    "tokio-util",
    "tokio-rustls",
    "mio",
    "socket2",
    "async-std",
    "smol",
    "futures-io",
    "quinn",
    "quinn-proto",
    "quinn-udp",
    "web-transport-quinn",
    "rustls",
    "hyper",
    "h2",
    "h3",
    "http-body",
    "axum",
    "tower",
    "tonic",
    "reqwest",
    "etcd-client",
    "redis",
    "redb",
    "scylla",
    "metrics-exporter-prometheus",
    "tracing-subscriber",
];

/// Panics, naming every offending crate and how it is reached, if the normal (non-dev,
/// non-build) dependency tree of `package` contains one of [`IO_CRATES`]. `manifest_dir` is the
/// calling crate's `CARGO_MANIFEST_DIR`, `cargo` the cargo running the tests (`env!("CARGO")`).
pub fn assert_no_io_dependencies(cargo: &str, manifest_dir: &str, package: &str) {
    let manifest = Path::new(manifest_dir).join("Cargo.toml");
    let output = Command::new(cargo)
        .args(["tree", "--offline", "-e", "normal", "--prefix", "depth", "--format", "{p}", "-p", package])
        .arg("--manifest-path")
        .arg(&manifest)
        .output()
        .unwrap_or_else(|error| panic!("cannot run {cargo} tree: {error}"));
    assert!(output.status.success(), "cargo tree -p {package} failed: {}", String::from_utf8_lossy(&output.stderr));
    let tree = String::from_utf8_lossy(&output.stdout);
    let offending = offenders(&tree);
    assert!(!tree.trim().is_empty(), "cargo tree -p {package} printed nothing");
    assert!(
        offending.is_empty(),
        "{package} must stay free of I/O, but its dependencies include:\n{}",
        offending.join("\n")
    );
}

/// The lines of a `cargo tree --prefix depth --format {p}` listing that name a denied crate,
/// each with the chain of crates leading to it.
pub fn offenders(tree: &str) -> Vec<String> {
    let mut chain: Vec<&str> = Vec::new();
    let mut found = Vec::new();
    for line in tree.lines() {
        let digits = line.chars().take_while(char::is_ascii_digit).count();
        let Ok(depth) = line[..digits].parse::<usize>() else { continue };
        let name = line[digits..].split_whitespace().next().unwrap_or_default();
        chain.truncate(depth);
        chain.push(name);
        if IO_CRATES.contains(&name) {
            found.push(format!("  {} (via {})", name, chain.join(" -> ")));
        }
    }
    found.sort();
    found.dedup();
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_denied_crates_and_their_path() {
        let tree = "0mmo-zone-core v0.1.0 (/w/zone-server/core)\n1glam v0.30.0\n1mmo-records v0.1.0 (/w/shared/records)\n2tokio v1.0.0\n3mio v1.0.0\n1tracing v0.1.0\n";
        assert_eq!(
            offenders(tree),
            vec![
                "  mio (via mmo-zone-core -> mmo-records -> tokio -> mio)".to_owned(),
                "  tokio (via mmo-zone-core -> mmo-records -> tokio)".to_owned(),
            ]
        );
        assert!(offenders("0mmo-world v0.1.0\n1glam v0.30.0\n1serde v1.0.0\n").is_empty());
    }
}
