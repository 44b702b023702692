//! Starts the emulator binary for a test and stops it when dropped.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

/// A running `frontegg-emulator --port 0 --memory --seed demo`.
pub struct Emulator {
    child: Child,
    /// e.g. `http://127.0.0.1:41234`
    pub url: String,
}

impl Emulator {
    pub fn start() -> Self {
        let bin = std::env::var_os("FRONTEGG_EMULATOR_BIN")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/debug/frontegg-emulator")
            });
        assert!(
            bin.exists(),
            "{} is missing: run `cargo build -p frontegg-emulator` (make test does) or set FRONTEGG_EMULATOR_BIN",
            bin.display()
        );
        let mut child = Command::new(&bin)
            .args(["--port", "0", "--memory", "--seed", "demo"])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start the emulator");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("read first line");
        let url = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line from the emulator: {line:?}"))
            .to_owned();
        Self { child, url }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
