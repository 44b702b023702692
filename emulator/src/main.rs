//! The `frontegg-emulator` binary: parses the command line and runs the emulator.

use std::process::ExitCode;

use clap::Parser;
use frontegg_emulator::config::Cli;

#[tokio::main]
async fn main() -> ExitCode {
    match frontegg_emulator::run(Cli::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("frontegg-emulator: {err}");
            ExitCode::FAILURE
        }
    }
}
