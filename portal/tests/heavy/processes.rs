//! Starting the real `hardware` and `portal` binaries on free loopback ports.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use test_support::process::Running;

/// `target/debug` (or whichever profile) of this test executable:
/// `.../target/debug/deps/heavy-xxxx` -> `.../target/debug`.
fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    exe.parent()
        .and_then(Path::parent)
        .expect("test executable lives in <target>/<profile>/deps")
        .to_path_buf()
}

/// The `hardware` binary next to this test's target dir, built first when it is missing
/// (e.g. when only `cargo nextest run -p portal` was run).
pub fn hardware_binary() -> PathBuf {
    let dir = profile_dir();
    let binary = dir.join("hardware");
    if !binary.exists() {
        let target_dir = dir.parent().expect("profile dir has a parent");
        let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .args([
                "build",
                "-p",
                "hardware",
                "--bin",
                "hardware",
                "--target-dir",
            ])
            .arg(target_dir)
            .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
            .status()
            .expect("running cargo build for the hardware binary");
        assert!(status.success(), "cargo build -p hardware failed");
    }
    assert!(
        binary.exists(),
        "no hardware binary at {}",
        binary.display()
    );
    binary
}

pub fn portal_binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_portal"))
}

/// Grows the catalog of a (new) hardware database to `profiles` rows.
pub fn seed_hardware(database: &Path, profiles: u32) {
    let status = Command::new(hardware_binary())
        .args([
            "seed",
            "--quiet",
            "--profiles",
            &profiles.to_string(),
            "--database",
        ])
        .arg(database)
        .status()
        .expect("running hardware seed");
    assert!(status.success(), "hardware seed failed");
}

/// `hardware` with instant fake availability (the real one takes 5 s per profile).
pub fn start_hardware(port: u16, database: &Path) -> Running {
    let child = Command::new(hardware_binary())
        .args(["--bind", &format!("127.0.0.1:{port}"), "--database"])
        .arg(database)
        .args([
            "--availability-source",
            "fake",
            "--fake-compute-ms",
            "10",
            "--compute-workers",
            "2",
            "--shutdown-grace",
            "0",
        ])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .spawn()
        .expect("starting hardware");
    Running::new(child)
}

pub fn start_portal(port: u16, hardware_port: u16) -> Running {
    let child = Command::new(portal_binary())
        .args([
            "--bind",
            &format!("127.0.0.1:{port}"),
            "--hardware-url",
            &format!("http://127.0.0.1:{hardware_port}"),
            "--sync-interval",
            "0.2",
            "--sync-max-backoff",
            "1",
        ])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .spawn()
        .expect("starting portal");
    Running::new(child)
}
