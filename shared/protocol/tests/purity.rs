//! mmo-protocol stays sans-IO: no I/O crate in its dependency tree (the deny list is
//! `mmo_test_services::purity::IO_CRATES`).

#[test]
fn no_io_dependencies() {
    mmo_test_services::purity::assert_no_io_dependencies(env!("CARGO"), env!("CARGO_MANIFEST_DIR"), "mmo-protocol");
}
