//! Throughput and latency of password login and refresh against the release emulator.
//!
//! ```text
//! cargo build --release -p frontegg-emulator
//! cargo run --release -p frontegg-emulator --example bench -- [--clients 50] [--seconds 10]
//!     [--mixed-logins 10] [--file] [--binary PATH]
//! ```
//!
//! Starts the emulator binary (default: `frontegg-emulator` next to this example's directory,
//! i.e. `target/release/frontegg-emulator`) on a free loopback port with `--memory` (or a
//! database file with `--file`), lifts the attempt limits (every client hammers its own user far
//! beyond 20 logins a minute, and all of them together pass the default 300 attempts a minute
//! from one address), then runs three phases of `--seconds` each: (a)
//! `--clients` clients logging in with a password, (b) `--clients` clients refreshing, each
//! rotating its own refresh cookie, (c) the same refreshes while `--mixed-logins` more clients
//! log in, which shows whether argon2 crowds refreshes out. Refresh clients log in before their
//! phase's clock starts. Prints requests per second and p50/p99 latency of each, and on Linux
//! the emulator's CPU time per login and per refresh, which (unlike the rates) holds still when
//! other work shares the machine. Logins are
//! dominated by argon2id, on purpose: that is the cost of a real password check.

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
    /// Clients logging in during the mixed phase, beside `--clients` refreshing ones.
    #[arg(long, default_value_t = 10)]
    mixed_logins: usize,
    /// Store to a SQLite file (in a temporary directory) as `--data` does, instead of `--memory`.
    #[arg(long)]
    file: bool,
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

/// One client logging in as its user until `deadline`.
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

/// One client rotating its own refresh cookie until `deadline`, logging in again (untimed) if a
/// rotation fails.
async fn refresh_client(
    http: reqwest::Client,
    base: Arc<str>,
    email: String,
    cookie: String,
    deadline: Instant,
) -> Phase {
    let mut phase = Phase::default();
    let mut cookie = Some(cookie);
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

fn email(i: usize) -> String {
    format!("bench{i}@x.io")
}

/// Logs every refresh client in, all at once, before a phase's clock starts: the refresh rate
/// then counts refreshes only, not the argon2 of the first logins.
async fn first_cookies(
    http: &reqwest::Client,
    base: &Arc<str>,
    clients: usize,
) -> Result<Vec<String>, String> {
    let logins: Vec<_> = (0..clients)
        .map(|i| {
            let (http, base) = (http.clone(), Arc::clone(base));
            tokio::spawn(async move { login(&http, &base, &email(i)).await })
        })
        .collect();
    let mut cookies = Vec::with_capacity(clients);
    for login in logins {
        cookies.push(login.await.map_err(|e| e.to_string())??);
    }
    Ok(cookies)
}

/// Runs `logins` login clients and one refresh client per cookie at once until `seconds` have
/// passed. Returns what each kind measured and the time until the last client stopped.
async fn run_phase(
    http: &reqwest::Client,
    base: &Arc<str>,
    seconds: u64,
    logins: usize,
    cookies: Vec<String>,
) -> (Phase, Phase, Duration) {
    let started = Instant::now();
    let deadline = started + Duration::from_secs(seconds);
    let login_tasks: Vec<_> = (0..logins)
        .map(|i| {
            let client = login_client(http.clone(), Arc::clone(base), email(i), deadline);
            tokio::spawn(client)
        })
        .collect();
    let refresh_tasks: Vec<_> = cookies
        .into_iter()
        .enumerate()
        .map(|(i, cookie)| {
            let client = refresh_client(http.clone(), Arc::clone(base), email(i), cookie, deadline);
            tokio::spawn(client)
        })
        .collect();
    let (mut login_phase, mut refresh_phase) = (Phase::default(), Phase::default());
    for (tasks, phase) in [
        (login_tasks, &mut login_phase),
        (refresh_tasks, &mut refresh_phase),
    ] {
        for task in tasks {
            if let Ok(result) = task.await {
                phase.merge(result);
            }
        }
        phase.latencies.sort_unstable();
    }
    (login_phase, refresh_phase, started.elapsed())
}

/// CPU seconds (user + system, all threads) the process `pid` has used so far, on Linux: a
/// figure per request that other load on the machine does not inflate, unlike wall time.
fn cpu_seconds(pid: Option<u32>) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{}/stat", pid?)).ok()?;
    // Fields after the parenthesised command name; utime and stime are the 12th and 13th, in
    // clock ticks of 1/100 s (USER_HZ, fixed at 100 on Linux).
    let mut fields = stat.rsplit_once(')')?.1.split_whitespace().skip(11);
    let utime: f64 = fields.next()?.parse().ok()?;
    let stime: f64 = fields.next()?.parse().ok()?;
    Some((utime + stime) / 100.0)
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
    // Kept until the end: dropping it deletes the database file.
    let data_dir = tempfile::tempdir()?;
    let data_file = data_dir.path().join("bench.db");
    let storage = if args.file {
        vec!["--data".into(), data_file.display().to_string()]
    } else {
        vec!["--memory".to_owned()]
    };
    let mut child = Command::new(&binary)
        .args(["--host", "127.0.0.1", "--port", "0", "--seed", "none"])
        .args(&storage)
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
    for i in 0..args.clients.max(args.mixed_logins) {
        let created = http
            .post(format!("{base}/emulator/v1/users"))
            .json(&json!({ "email": email(i), "password": PASSWORD, "tenantId": "bench" }))
            .send()
            .await?;
        if created.status() != StatusCode::CREATED {
            return Err(format!("creating a user answered {}", created.status()).into());
        }
    }

    println!(
        "{} clients, {} s per phase, emulator {} ({})",
        args.clients,
        args.seconds,
        binary.display(),
        storage[0]
    );
    let pid = child.id();
    eprintln!("logins…");
    let cpu_before = cpu_seconds(pid);
    let (logins, _, login_time) = run_phase(&http, &base, args.seconds, args.clients, vec![]).await;
    let login_cpu = cpu_seconds(pid)
        .zip(cpu_before)
        .map(|(after, before)| after - before);
    let cookies = first_cookies(&http, &base, args.clients).await?;
    eprintln!("refreshes…");
    let cpu_before = cpu_seconds(pid);
    let (_, refreshes, refresh_time) = run_phase(&http, &base, args.seconds, 0, cookies).await;
    let refresh_cpu = cpu_seconds(pid)
        .zip(cpu_before)
        .map(|(after, before)| after - before);
    let cookies = first_cookies(&http, &base, args.clients).await?;
    eprintln!("refreshes with {} clients logging in…", args.mixed_logins);
    let (mixed_logins, mixed_refreshes, mixed_time) =
        run_phase(&http, &base, args.seconds, args.mixed_logins, cookies).await;

    println!();
    println!(
        "| operation | clients | ok | errors | per second | p50 ms | p99 ms | emulator CPU ms each |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    let rows = [
        (
            "password login",
            args.clients,
            &logins,
            login_time,
            login_cpu,
        ),
        (
            "refresh",
            args.clients,
            &refreshes,
            refresh_time,
            refresh_cpu,
        ),
        (
            "refresh, mixed",
            args.clients,
            &mixed_refreshes,
            mixed_time,
            None,
        ),
        (
            "password login, mixed",
            args.mixed_logins,
            &mixed_logins,
            mixed_time,
            None,
        ),
    ];
    for (name, clients, phase, elapsed, cpu) in rows {
        let ok = phase.latencies.len();
        let cpu_each = match cpu {
            Some(seconds) if ok > 0 => format!("{:.2}", seconds * 1000.0 / ok as f64),
            _ => "–".to_owned(),
        };
        println!(
            "| {name} | {clients} | {ok} | {} | {:.1} | {:.2} | {:.2} | {cpu_each} |",
            phase.errors,
            ok as f64 / elapsed.as_secs_f64(),
            phase.percentile(0.50).as_secs_f64() * 1000.0,
            phase.percentile(0.99).as_secs_f64() * 1000.0,
        );
    }
    child.kill().await?;
    Ok(())
}
