//! The `frontegg-emulator` binary: parses the command line and runs the emulator.

use std::process::ExitCode;

use clap::Parser;
use frontegg_emulator::config::Cli;

fn main() -> ExitCode {
    return_freed_buffers_to_the_os();
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("frontegg-emulator: cannot start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(frontegg_emulator::run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("frontegg-emulator: {err}");
            ExitCode::FAILURE
        }
    }
}

/// Each argon2 hash allocates a 19 MiB buffer on a blocking thread. Once glibc's adaptive mmap
/// threshold has risen past that size, freed buffers stay in per-thread arenas: 200 concurrent
/// logins left the process at 3.7 GB. A fixed threshold keeps large blocks mmapped, so they go
/// back to the OS when freed.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn return_freed_buffers_to_the_os() {
    const THRESHOLD: libc::c_int = 128 * 1024;
    // SAFETY: mallopt only tunes the allocator; it runs before any other thread exists.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, THRESHOLD);
    }
}

/// Other allocators return large blocks to the OS on their own.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn return_freed_buffers_to_the_os() {}
