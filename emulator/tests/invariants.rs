//! Invariants under load: 200 concurrent tasks on five shared users mix password logins,
//! refreshes (some replaying a rotated token, some racing another refresh of the same token),
//! logouts, password resets and profile reads, against one emulator storing to a SQLite file.
//!
//! The mix comes from a seeded RNG; the interleaving does not. So every answer is judged by
//! what a client can know for sure: the server acted on a request somewhere between the instant
//! it was sent and the instant its answer arrived. Where a reset may have taken effect inside
//! that interval, the answer of a live session and that of a dead one are both accepted; where
//! it certainly had or certainly had not, only one is. The store is then read back from the file
//! and must match, row for row, what the clients were told.

mod common;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use common::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use reqwest::{Response, StatusCode};
use rusqlite::{Connection, OpenFlags};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use tokio::sync::watch;

const SEED: u64 = 15;
const TASKS: usize = 200;
const USERS: usize = 5;
/// About one task in seven resets its user's password: a few resets per user, spread out.
const RESET_PERCENT: u32 = 15;
const INITIAL_PASSWORD: &str = "load-initial-password";
const RESET: &str = "/identity/resources/users/v1/passwords/reset";
const RESET_VERIFY: &str = "/identity/resources/users/v1/passwords/reset/verify";

/// An answer: status and error code.
type Outcome = (StatusCode, Option<&'static str>);
const OK: Outcome = (StatusCode::OK, None);
const CREATED: Outcome = (StatusCode::CREATED, None);
const WRONG_PASSWORD: Outcome = (StatusCode::UNAUTHORIZED, Some("ER-01001"));
const EXPIRED: Outcome = (StatusCode::UNAUTHORIZED, Some("ER-01002"));
const REUSED: Outcome = (StatusCode::UNAUTHORIZED, Some("ER-01003"));
const SIGNED_OUT: Outcome = (StatusCode::UNAUTHORIZED, Some("ER-01004"));
const SPENT_LINK: Outcome = (StatusCode::BAD_REQUEST, Some("ER-04002"));

/// One request as the client saw it.
#[derive(Debug, Clone)]
struct Call {
    sent: Instant,
    done: Instant,
    status: StatusCode,
    code: Option<String>,
}

impl Call {
    fn is(&self, (status, code): Outcome) -> bool {
        self.status == status && self.code.as_deref() == code
    }
}

/// A call with what the rest of the task needs from its answer.
struct Answer {
    call: Call,
    cookie: Option<String>,
    body: Value,
}

/// What a session task does after its login.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Refresh,
    Profile,
    /// Presents a token this session already rotated.
    Replay,
    /// Two refreshes of the current token at once.
    Race,
    Logout,
    /// Waits until this many more logins (of any task) have finished, so the session spans
    /// other tasks' resets.
    Pause(usize),
}

impl Step {
    /// Replays, races and logouts end the session whatever the answer.
    fn ends_session(self) -> bool {
        matches!(self, Step::Replay | Step::Race | Step::Logout)
    }

    /// The answers (sorted, for a race) of a session that is live, then of one that is dead.
    fn answers(self) -> (Vec<Outcome>, Vec<Outcome>) {
        match self {
            Step::Refresh => (vec![CREATED], vec![EXPIRED]),
            Step::Profile => (vec![OK], vec![SIGNED_OUT]),
            Step::Replay => (vec![REUSED], vec![EXPIRED]),
            Step::Race => (vec![CREATED, REUSED], vec![EXPIRED, EXPIRED]),
            Step::Logout => (vec![CREATED], vec![CREATED]),
            Step::Pause(_) => unreachable!("pauses send nothing"),
        }
    }
}

enum Plan {
    Session {
        user: usize,
        steps: Vec<Step>,
    },
    /// Starts once this many logins have finished.
    Reset {
        user: usize,
        after_logins: usize,
    },
}

fn plans() -> Vec<Plan> {
    let mut rng = StdRng::seed_from_u64(SEED);
    let kinds: Vec<bool> = (0..TASKS)
        .map(|_| rng.gen_ratio(RESET_PERCENT, 100))
        .collect();
    let logins = kinds.iter().filter(|reset| !**reset).count();
    kinds
        .into_iter()
        .map(|reset| {
            let user = rng.gen_range(0..USERS);
            if reset {
                return Plan::Reset {
                    user,
                    after_logins: rng.gen_range(0..logins),
                };
            }
            let mut steps = Vec::new();
            for _ in 0..rng.gen_range(1..=4) {
                let step = match rng.gen_range(0..12) {
                    0..=3 => Step::Refresh,
                    4..=6 => Step::Profile,
                    7..=8 => Step::Pause(rng.gen_range(5..40)),
                    9 => Step::Replay,
                    10 => Step::Race,
                    _ => Step::Logout,
                };
                if step == Step::Replay && !steps.contains(&Step::Refresh) {
                    steps.push(Step::Refresh);
                }
                steps.push(step);
                if step.ends_session() {
                    // Then the session must be dead: its access token and its current refresh
                    // token (the one a race handed out, too) are refused.
                    steps.extend([Step::Profile, Step::Refresh]);
                    break;
                }
            }
            Plan::Session { user, steps }
        })
        .collect()
}

struct User {
    id: String,
    email: String,
}

/// What all tasks share.
struct World {
    emu: Emulator,
    users: Vec<User>,
    /// The newest password each user's tasks know of: a reset sets it when it is answered.
    passwords: Vec<Mutex<String>>,
    /// How many logins have been answered, and how many there will be.
    logins_done: watch::Sender<usize>,
    logins: usize,
    /// Every answer by route and status.
    statuses: Mutex<BTreeMap<(&'static str, u16), usize>>,
}

impl World {
    async fn send(
        &self,
        route: &'static str,
        request: impl std::future::Future<Output = Response>,
    ) -> Answer {
        let sent = Instant::now();
        let response = request.await;
        let done = Instant::now();
        let status = response.status();
        *self
            .statuses
            .lock()
            .unwrap()
            .entry((route, status.as_u16()))
            .or_default() += 1;
        let cookie = refresh_cookie(&response);
        // Some successes have no body.
        let body: Value = response.json().await.unwrap_or(Value::Null);
        let code = body["errorCode"].as_str().map(str::to_owned);
        Answer {
            call: Call {
                sent,
                done,
                status,
                code,
            },
            cookie,
            body,
        }
    }

    async fn login(&self, user: usize, password: &str) -> Answer {
        let body = json!({ "email": self.users[user].email, "password": password });
        self.send(LOGIN, self.emu.post_json(LOGIN, &body)).await
    }

    async fn refresh(&self, cookie: &str) -> Answer {
        self.send(REFRESH, self.emu.refresh(cookie)).await
    }

    async fn logout(&self, cookie: &str) -> Answer {
        let no_body = json!({});
        let request = self.emu.post_with_cookie(LOGOUT, Some(cookie), &no_body);
        self.send(LOGOUT, request).await
    }

    async fn profile(&self, access_token: &str) -> Answer {
        self.send(ME, self.emu.me(ME, access_token)).await
    }

    async fn pause(&self, more: usize) {
        let target = (*self.logins_done.borrow() + more).min(self.logins);
        self.wait_for_logins(target).await;
    }

    async fn wait_for_logins(&self, target: usize) {
        let mut done = self.logins_done.subscribe();
        done.wait_for(|n| *n >= target).await.expect("sender lives");
    }
}

fn access_token(body: &Value) -> String {
    body["accessToken"]
        .as_str()
        .expect("accessToken")
        .to_owned()
}

fn sid(access_token: &str) -> String {
    let payload = access_token.split('.').nth(1).expect("JWT payload");
    let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
    claims["sid"].as_str().expect("sid").to_owned()
}

/// A session task: its login, then what it did with the session.
struct SessionLog {
    user: usize,
    password: String,
    login: Call,
    /// For a successful login: the session, its newest tokens, and each step's calls.
    session: Option<LiveLog>,
}

struct LiveLog {
    sid: String,
    cookie: String,
    access_token: String,
    steps: Vec<(Step, Vec<Call>)>,
}

async fn session_task(world: Arc<World>, user: usize, steps: Vec<Step>) -> SessionLog {
    let password = world.passwords[user].lock().unwrap().clone();
    let login = world.login(user, &password).await;
    world.logins_done.send_modify(|n| *n += 1);
    let ok = login.call.status == StatusCode::OK;
    let mut log = SessionLog {
        user,
        password,
        login: login.call,
        session: None,
    };
    if !ok {
        return log;
    }
    let access = access_token(&login.body);
    let mut live = LiveLog {
        sid: sid(&access),
        cookie: login.cookie.expect("login sets the refresh cookie"),
        access_token: access,
        steps: Vec::new(),
    };
    let mut rotated: Vec<String> = Vec::new();
    for step in steps {
        let calls = match step {
            Step::Pause(more) => {
                world.pause(more).await;
                continue;
            }
            Step::Refresh => {
                let answer = world.refresh(&live.cookie).await;
                if let Some(next) = answer.cookie {
                    rotated.push(std::mem::replace(&mut live.cookie, next));
                    live.access_token = access_token(&answer.body);
                }
                vec![answer.call]
            }
            Step::Profile => vec![world.profile(&live.access_token).await.call],
            Step::Replay => {
                // With nothing rotated, the refresh before failed: the session is already dead
                // and its never-rotated token must not be taken for a replay.
                let old = rotated.first().unwrap_or(&live.cookie);
                vec![world.refresh(old).await.call]
            }
            Step::Race => {
                let (a, b) = tokio::join!(world.refresh(&live.cookie), world.refresh(&live.cookie));
                for answer in [&a, &b] {
                    if let Some(next) = &answer.cookie {
                        rotated.push(std::mem::replace(&mut live.cookie, next.clone()));
                    }
                }
                vec![a.call, b.call]
            }
            Step::Logout => vec![world.logout(&live.cookie).await.call],
        };
        live.steps.push((step, calls));
    }
    log.session = Some(live);
    log
}

/// A reset task: the forgot-password request, then the redemption of the newest reset link
/// in the user's outbox (perhaps another task's: then at most one of the two redemptions works).
struct ResetLog {
    user: usize,
    password: String,
    token: String,
    forgot: Call,
    redeem: Call,
}

async fn reset_task(world: Arc<World>, task: usize, user: usize, after_logins: usize) -> ResetLog {
    world.wait_for_logins(after_logins).await;
    let email = &world.users[user].email;
    let forgot = world
        .send(
            RESET,
            world.emu.post_json(RESET, &json!({ "email": email })),
        )
        .await;
    let link = world.emu.last_message_of(email, "password_reset").await;
    let token = link["token"].as_str().expect("token").to_owned();
    let password = format!("reset-password-{task}");
    let body = json!({ "userId": world.users[user].id, "token": token, "password": password });
    let redeem = world
        .send(RESET_VERIFY, world.emu.post_json(RESET_VERIFY, &body))
        .await;
    if redeem.call.status == StatusCode::CREATED {
        *world.passwords[user].lock().unwrap() = password.clone();
    }
    ResetLog {
        user,
        password,
        token,
        forgot: forgot.call,
        redeem: redeem.call,
    }
}

/// Whether a reset that kills a session took effect before, after, or maybe during a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fate {
    Live,
    Dead,
    Either,
}

/// The fate of a session (or login) relying on a password at a request sent at `sent` and
/// answered at `done`, given the reset that replaced that password (if any).
fn fate(replaced_by: Option<&ResetLog>, sent: Instant, done: Instant) -> Fate {
    match replaced_by {
        None => Fate::Live,
        Some(reset) if reset.redeem.sent > done => Fate::Live,
        Some(reset) if reset.redeem.done < sent => Fate::Dead,
        Some(_) => Fate::Either,
    }
}

fn outcomes(calls: &[Call]) -> Vec<(StatusCode, Option<String>)> {
    let mut outcomes: Vec<_> = calls.iter().map(|c| (c.status, c.code.clone())).collect();
    outcomes.sort();
    outcomes
}

fn matches(calls: &[Call], expected: &[Outcome]) -> bool {
    let mut expected: Vec<_> = expected
        .iter()
        .map(|(status, code)| (*status, code.map(str::to_owned)))
        .collect();
    expected.sort();
    outcomes(calls) == expected
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn logins_refreshes_logouts_and_resets_on_shared_users_keep_every_invariant() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("emulator.db");
    let emu = start(&["--data", path.to_str().unwrap(), "--seed", "none"]).await;
    // Logins with a password a reset has just replaced are part of the mix: a lockout would turn
    // later logins into 403s that depend on how many failed in a row, and the per-user limit
    // (20 a minute) would refuse most of the 40 attempts each user gets here; the per-IP one
    // (300 a minute) counts every task's attempts from this one address. Rotation is strict
    // (no retry grace): the races and replays here test reuse detection itself.
    emu.config(json!({
        "lockout": { "maxAttempts": 0 },
        "rateLimit": { "perUserPerMinute": 0, "perIpPerMinute": 0 },
        "refreshRetryGraceSeconds": 0,
    }))
    .await;
    let mut users = Vec::new();
    for i in 0..USERS {
        let email = format!("shared{i}@load.io");
        let created = emu
            .create_user(
                json!({ "email": email, "password": INITIAL_PASSWORD, "tenantId": "load" }),
            )
            .await;
        users.push(User {
            id: created["id"].as_str().unwrap().to_owned(),
            email,
        });
    }
    let plans = plans();
    let logins = plans
        .iter()
        .filter(|p| matches!(p, Plan::Session { .. }))
        .count();
    let world = Arc::new(World {
        emu,
        users,
        passwords: (0..USERS)
            .map(|_| Mutex::new(INITIAL_PASSWORD.to_owned()))
            .collect(),
        logins_done: watch::Sender::new(0),
        logins,
        statuses: Mutex::default(),
    });

    let mut session_tasks = Vec::new();
    let mut reset_tasks = Vec::new();
    for (task, plan) in plans.into_iter().enumerate() {
        let world = Arc::clone(&world);
        match plan {
            Plan::Session { user, steps } => {
                session_tasks.push(tokio::spawn(session_task(world, user, steps)));
            }
            Plan::Reset { user, after_logins } => {
                reset_tasks.push(tokio::spawn(reset_task(world, task, user, after_logins)));
            }
        }
    }
    let mut sessions = Vec::new();
    for task in session_tasks {
        sessions.push(task.await.expect("session task"));
    }
    let mut resets = Vec::new();
    for task in reset_tasks {
        resets.push(task.await.expect("reset task"));
    }
    let db = Connection::open_with_flags(&path, OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();

    // Each user's successful resets in the order they took effect. Redeeming a link spends
    // every link of the user that exists then, so a later redemption can only succeed with a
    // link created after the earlier one took effect: the order of success is the order in
    // which the links were stored (rowid).
    let mut chains: Vec<Vec<&ResetLog>> = vec![Vec::new(); USERS];
    let mut redeemed = BTreeSet::new();
    for reset in &resets {
        assert!(
            reset.forgot.is(CREATED),
            "forgot password: {:?}",
            reset.forgot
        );
        if reset.redeem.is(CREATED) {
            assert!(redeemed.insert(&reset.token), "one link redeemed twice");
            chains[reset.user].push(reset);
        } else {
            assert!(reset.redeem.is(SPENT_LINK), "reset: {:?}", reset.redeem);
            // Only another successful reset of the user can have spent the link.
            assert!(
                resets.iter().any(|other| other.user == reset.user
                    && other.redeem.is(CREATED)
                    && other.redeem.sent < reset.redeem.done),
                "a reset link refused though no other reset of the user was redeemed"
            );
        }
    }
    // The first redemption of each user always finds its link unspent.
    for reset in &resets {
        assert!(
            !chains[reset.user].is_empty(),
            "no reset of user {} worked",
            reset.user
        );
    }
    let rowid = |token: &str| -> i64 {
        db.query_row(
            "SELECT rowid FROM user_tokens WHERE hash = ?1",
            [&Sha256::digest(token.as_bytes())[..]],
            |row| row.get(0),
        )
        .unwrap()
    };
    for chain in &mut chains {
        chain.sort_by_key(|reset| rowid(&reset.token));
    }
    // Index 0 is the initial password, index k the one set by the user's k-th reset.
    let position = |user: usize, password: &str| -> usize {
        if password == INITIAL_PASSWORD {
            return 0;
        }
        1 + chains[user]
            .iter()
            .position(|reset| reset.password == password)
            .expect("tasks only learn passwords of successful resets")
    };

    // Every login and every step, judged against the reset that replaced the password it relied
    // on. A login with a password that a reset is replacing while the login runs may fail, or
    // succeed: it succeeds only if it started its session before the reset took effect (the
    // reset then ends that session), because a login checks the password it is given against
    // the stored one and the session must not outlive a password the reset replaced. Either way,
    // once the reset has been answered, nothing that relied on the old password works: a
    // session that answers after that is one the reset missed.
    let mut live_sessions: HashMap<String, usize> = HashMap::new();
    for log in &sessions {
        let index = position(log.user, &log.password);
        let replaced_by = chains[log.user].get(index).copied();
        let login_fate = fate(replaced_by, log.login.sent, log.login.done);
        let accepted = match login_fate {
            Fate::Live => vec![OK],
            Fate::Dead => vec![WRONG_PASSWORD],
            Fate::Either => vec![OK, WRONG_PASSWORD],
        };
        assert!(
            accepted.iter().any(|&o| log.login.is(o)),
            "login with password #{index} ({login_fate:?}): {:?}",
            log.login
        );
        let Some(live) = &log.session else { continue };
        let mut dead = false;
        for (step, calls) in &live.steps {
            let sent = calls.iter().map(|c| c.sent).min().unwrap();
            let done = calls.iter().map(|c| c.done).max().unwrap();
            let step_fate = if dead {
                Fate::Dead
            } else {
                fate(replaced_by, sent, done)
            };
            let (if_live, if_dead) = step.answers();
            let mut accepted = match step_fate {
                Fate::Live => vec![if_live.clone()],
                Fate::Dead => vec![if_dead.clone()],
                Fate::Either => vec![if_live.clone(), if_dead.clone()],
            };
            if *step == Step::Race && step_fate == Fate::Either {
                // One refresh rotated, then the reset ended the session before the other.
                accepted.push(vec![CREATED, EXPIRED]);
            }
            assert!(
                accepted.iter().any(|a| matches(calls, a)),
                "{step:?} on a session of password #{index} (login {login_fate:?}, step {step_fate:?}, dead {dead}): {:?}",
                outcomes(calls)
            );
            dead = dead || step.ends_session() || !matches(calls, &if_live);
        }
        // After every task: the session is live exactly if nothing ended it.
        let expected_live = !dead && replaced_by.is_none();
        let profile = world.profile(&live.access_token).await.call;
        let refresh = world.refresh(&live.cookie).await.call;
        let (profile_outcome, refresh_outcome) = if expected_live {
            (OK, CREATED)
        } else {
            (SIGNED_OUT, EXPIRED)
        };
        assert!(
            profile.is(profile_outcome) && refresh.is(refresh_outcome),
            "after the run, a session of password #{index} (live: {expected_live}): {profile:?} {refresh:?}"
        );
        if expected_live {
            live_sessions.insert(live.sid.clone(), log.user);
        }
    }

    // The newest password works and the one before does not.
    for (user, chain) in chains.iter().enumerate() {
        let newest = chain.last().map_or(INITIAL_PASSWORD, |r| &r.password);
        let login = world.login(user, newest).await;
        assert!(login.call.is(OK), "newest password of user {user}");
        live_sessions.insert(sid(&access_token(&login.body)), user);
        if let Some(last) = chain.last() {
            let previous = chain
                .len()
                .checked_sub(2)
                .map_or(INITIAL_PASSWORD, |i| &chain[i].password);
            assert_ne!(previous, last.password);
            assert!(world.login(user, previous).await.call.is(WRONG_PASSWORD));
        }
    }

    let statuses = world.statuses.lock().unwrap().clone();
    eprintln!("answers by route and status: {statuses:?}");
    let total = |route: &str, status: Option<u16>| -> i64 {
        let n: usize = statuses
            .iter()
            .filter(|((r, s), _)| *r == route && status.is_none_or(|want| *s == want))
            .map(|(_, n)| n)
            .sum();
        n as i64
    };
    assert!(
        statuses.keys().all(|(_, status)| *status < 500),
        "a 5xx: {statuses:?}"
    );
    let stats = world.emu.get_json("/emulator/v1/stats").await;
    assert_eq!(
        stats["logins"],
        total(LOGIN, None),
        "every login reached the server"
    );
    assert_eq!(stats["refreshes"], total(REFRESH, None));
    let world = Arc::into_inner(world).expect("all tasks done");
    let user_ids: Vec<String> = world.users.iter().map(|u| u.id.clone()).collect();
    world.emu.stop().await;

    // The store, as left on disk.
    let integrity: String = db
        .query_row("PRAGMA integrity_check", [], |row| row.get(0))
        .unwrap();
    assert_eq!(integrity, "ok");
    assert_eq!(
        count(&db, "SELECT COUNT(*) FROM pragma_foreign_key_check"),
        0,
        "orphan rows"
    );
    let sessions_stored = count(&db, "SELECT COUNT(*) FROM sessions");
    let rotations = count(&db, "SELECT COUNT(*) FROM refresh_tokens WHERE used = 1");
    assert_eq!(
        sessions_stored,
        total(LOGIN, Some(200)),
        "a session per successful login"
    );
    assert_eq!(
        rotations,
        total(REFRESH, Some(201)),
        "a rotation per successful refresh"
    );
    assert_eq!(
        count(&db, "SELECT COUNT(*) FROM refresh_tokens"),
        sessions_stored + rotations,
        "a token per login and per rotation, no more"
    );
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) FROM sessions s WHERE (SELECT COUNT(*) FROM refresh_tokens r
             WHERE r.session_id = s.id AND r.used = 0) != 1"
        ),
        0,
        "every session has exactly one token not yet rotated"
    );
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) FROM refresh_tokens r JOIN sessions s ON s.id = r.session_id
             WHERE r.revoked != s.revoked"
        ),
        0,
        "a session's tokens are revoked exactly when it is"
    );
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) FROM user_tokens a WHERE a.purpose = 'password_reset' AND a.used = 0
             AND EXISTS (SELECT 1 FROM user_tokens b WHERE b.user_id = a.user_id
                         AND b.purpose = a.purpose AND b.used = 1 AND b.rowid > a.rowid)"
        ),
        0,
        "a redeemed reset link spends the older ones"
    );
    let stored_live: HashMap<String, String> = db
        .prepare("SELECT id, user_id FROM sessions WHERE revoked = 0")
        .unwrap()
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    let expected_live: HashMap<String, String> = live_sessions
        .into_iter()
        .map(|(sid, user)| (sid, user_ids[user].clone()))
        .collect();
    assert_eq!(
        stored_live, expected_live,
        "the live sessions are those nothing ended"
    );
}
