//! Throughput and latency of password login and refresh against the release emulator.
//!
//! ```text
//! cargo build --release -p frontegg-emulator
//! cargo run --release -p frontegg-emulator --example bench -- [--clients 50] [--seconds 10] [--binary PATH]
//! ```
//!
//! Starts the emulator binary (default: `frontegg-emulator` next to this example's directory,
//! i.e. `target/release/frontegg-emulator`) on a free loopback port with `--memory`, lifts the
//! attempt limits (every client hammers its own user far beyond 20 logins a minute, and all of
//! them together pass the default 300 attempts a minute from one address), then
//! runs two phases of `--seconds` each with `--clients` concurrent clients: (a) password logins,
//! (b) refreshes, each client rotating its own refresh cookie. Prints requests per second and
//! p50/p99 latency of each. Logins are dominated by argon2id, on purpose: that is the cost of a
//! real password check.

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use reqwest::header::SET_COOKIE;
use reqwest::StatusCode;
use serde_json::json;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

const PASSWORD: &str = "bench-password-123";
const LOGIN: &str = "/identity/resources/auth/v1/user";
const REFRESH: &str = "/identity/resources/auth/v1/user/token/refresh";
const COOKIE: &str = "fe_refresh_b9a1f0b60c7e4c559d8e2f6f5b0c1e11";

#[derive(Debug, Parser)]
#[command(about = "Benchmark password login and refresh against the emulator")]
struct Args {
    /// Concurrent clients.
    #[arg(long, default_value_t = 50)]
    clients: usize,
    /// Duration of each phase, in seconds.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// The emulator binary; default: `target/release/frontegg-emulator`.
    #[arg(long)]
    binary: Option<PathBuf>,
}

/// What one phase measured.
#[derive(Debug, Default)]
struct Phase {
    latencies: Vec<Duration>,
    errors: usize,
}

impl Phase {
    fn merge(&mut self, other: Phase) {
        self.latencies.extend(other.latencies);
        self.errors += other.errors;
    }

    fn percentile(&self, p: f64) -> Duration {
        if self.latencies.is_empty() {
            return Duration::ZERO;
        }
        // Nearest rank on the sorted samples.
        let rank = ((p * self.latencies.len() as f64).ceil() as usize).max(1);
        self.latencies[rank.min(self.latencies.len()) - 1]
    }
}

fn refresh_cookie(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix(&format!("{COOKIE}=")))
        .and_then(|v| v.split(';').next())
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

async fn login(http: &reqwest::Client, base: &str, email: &str) -> Result<String, String> {
    let response = http
        .post(format!("{base}{LOGIN}"))
        .json(&json!({ "email": email, "password": PASSWORD }))
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if response.status() != StatusCode::OK {
        return Err(format!("login answered {}", response.status()));
    }
    refresh_cookie(&response).ok_or_else(|| "login set no refresh cookie".to_owned())
}

async fn refresh(http: &reqwest::Client, base: &str, cookie: &str) -> Result<String, String> {
    let response = http
        .post(format!("{base}{REFRESH}"))
        .header("cookie", format!("{COOKIE}={cookie}"))
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if response.status() != StatusCode::CREATED {
        return Err(format!("refresh answered {}", response.status()));
    }
    refresh_cookie(&response).ok_or_else(|| "refresh set no refresh cookie".to_owned())
}

/// One client of the login phase: logs in as its user until `deadline`.
async fn login_client(
    http: reqwest::Client,
    base: Arc<str>,
    email: String,
    deadline: Instant,
) -> Phase {
    let mut phase = Phase::default();
    while Instant::now() < deadline {
        let started = Instant::now();
        match login(&http, &base, &email).await {
            Ok(_) => phase.latencies.push(started.elapsed()),
            Err(_) => phase.errors += 1,
        }
    }
    phase
}

/// One client of the refresh phase: rotates its own refresh cookie until `deadline`, logging in
/// again if a rotation fails.
async fn refresh_client(
    http: reqwest::Client,
    base: Arc<str>,
    email: String,
    deadline: Instant,
) -> Phase {
    let mut phase = Phase::default();
    let mut cookie = login(&http, &base, &email).await.ok();
    while Instant::now() < deadline {
        let Some(current) = cookie.take() else {
            phase.errors += 1;
            cookie = login(&http, &base, &email).await.ok();
            continue;
        };
        let started = Instant::now();
        match refresh(&http, &base, &current).await {
            Ok(next) => {
                phase.latencies.push(started.elapsed());
                cookie = Some(next);
            }
            Err(_) => phase.errors += 1,
        }
    }
    phase
}

async fn run_phase<F, Fut>(args: &Args, base: &Arc<str>, client: F) -> (Phase, Duration)
where
    F: Fn(reqwest::Client, Arc<str>, String, Instant) -> Fut,
    Fut: std::future::Future<Output = Phase> + Send + 'static,
{
    let http = reqwest::Client::new();
    let started = Instant::now();
    let deadline = started + Duration::from_secs(args.seconds);
    let tasks: Vec<_> = (0..args.clients)
        .map(|i| {
            tokio::spawn(client(
                http.clone(),
                Arc::clone(base),
                format!("bench{i}@x.io"),
                deadline,
            ))
        })
        .collect();
    let mut phase = Phase::default();
    for task in tasks {
        if let Ok(result) = task.await {
            phase.merge(result);
        }
    }
    let elapsed = started.elapsed();
    phase.latencies.sort_unstable();
    (phase, elapsed)
}

fn default_binary() -> Result<PathBuf, String> {
    // This example runs from target/<profile>/examples/; the emulator is in target/<profile>/.
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let profile_dir = exe
        .parent()
        .and_then(|examples| examples.parent())
        .ok_or("cannot locate the target directory")?;
    Ok(profile_dir.join(format!("frontegg-emulator{}", std::env::consts::EXE_SUFFIX)))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    if args.clients == 0 || args.seconds == 0 {
        return Err("--clients and --seconds must be positive".into());
    }
    let binary = match &args.binary {
        Some(path) => path.clone(),
        None => default_binary()?,
    };
    if !binary.is_file() {
        return Err(format!(
            "{} not found; build it first: cargo build --release -p frontegg-emulator",
            binary.display()
        )
        .into());
    }
    let mut child = Command::new(&binary)
        .args([
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--memory",
            "--seed",
            "none",
        ])
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()?;
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let mut lines = BufReader::new(stdout).lines();
    let first = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
        .await??
        .ok_or("the emulator exited before listening")?;
    let base: Arc<str> = first
        .strip_prefix("listening on ")
        .ok_or_else(|| format!("unexpected first line: {first}"))?
        .into();

    let http = reqwest::Client::new();
    let config = http
        .put(format!("{base}/emulator/v1/config"))
        .json(&json!({ "rateLimit": { "perUserPerMinute": 0, "perIpPerMinute": 0 } }))
        .send()
        .await?;
    if !config.status().is_success() {
        return Err(format!("config answered {}", config.status()).into());
    }
    for i in 0..args.clients {
        let created = http
            .post(format!("{base}/emulator/v1/users"))
            .json(&json!({ "email": format!("bench{i}@x.io"), "password": PASSWORD, "tenantId": "bench" }))
            .send()
            .await?;
        if created.status() != StatusCode::CREATED {
            return Err(format!("creating a user answered {}", created.status()).into());
        }
    }

    println!(
        "{} clients, {} s per phase, emulator {} (--memory)",
        args.clients,
        args.seconds,
        binary.display()
    );
    let (logins, login_time) = run_phase(&args, &base, login_client).await;
    let (refreshes, refresh_time) = run_phase(&args, &base, refresh_client).await;

    println!();
    println!("| operation | ok | errors | per second | p50 ms | p99 ms |");
    println!("|---|---:|---:|---:|---:|---:|");
    for (name, phase, elapsed) in [
        ("password login", &logins, login_time),
        ("refresh", &refreshes, refresh_time),
    ] {
        println!(
            "| {name} | {} | {} | {:.1} | {:.2} | {:.2} |",
            phase.latencies.len(),
            phase.errors,
            phase.latencies.len() as f64 / elapsed.as_secs_f64(),
            phase.percentile(0.50).as_secs_f64() * 1000.0,
            phase.percentile(0.99).as_secs_f64() * 1000.0,
        );
    }
    child.kill().await?;
    Ok(())
}
