//! Regenerates the golden vectors in `shared/protocol/golden/`.

use std::path::Path;

fn main() -> std::io::Result<()> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(mmo_protocol::golden::DIR);
    std::fs::create_dir_all(&dir)?;
    for (name, contents) in mmo_protocol::golden::files() {
        std::fs::write(dir.join(name), contents)?;
        eprintln!("wrote {}", dir.join(name).display());
    }
    Ok(())
}
