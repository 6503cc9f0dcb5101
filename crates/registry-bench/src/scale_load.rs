//! The scale proof under load (`cargo xtask proof --scale`, see `scale.rs`): clients
//! searching and releasing through nginx while instances are restarted one by one or
//! killed, and the throughput of 1, 2 and 3 instances.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Result, ensure};
use sea_orm::DatabaseConnection;

use crate::balancer::{Instance, Nginx};
use crate::harness::{CSRF, request};
use crate::scale_client::{Target, count, encoded, release, visitor};

/// What a client of the load saw.
#[derive(Clone)]
struct Sample {
    started: Instant,
    ended: Instant,
    write: bool,
    status: Option<u16>,
    target: Option<usize>,
}

/// Clients on `site` until `stop`: `readers` searching (each search another visitor),
/// and one writer per list of `writes` releasing them in turn.
fn load(
    site: SocketAddr,
    names: &[String],
    readers: usize,
    writes: Vec<Vec<(usize, Target)>>,
    stop: &Arc<AtomicBool>,
) -> (Vec<std::thread::JoinHandle<()>>, Arc<Mutex<Vec<Sample>>>) {
    let samples = Arc::new(Mutex::new(Vec::new()));
    let names: Arc<[String]> = names.into();
    let mut threads = Vec::new();
    for client in 0..readers {
        let (stop, samples, names) = (Arc::clone(stop), Arc::clone(&samples), Arc::clone(&names));
        threads.push(std::thread::spawn(move || {
            let mut n = client;
            while !stop.load(Ordering::Relaxed) {
                n += readers;
                let name = encoded(&names[n % names.len()]);
                let path = if n % 2 == 0 {
                    format!("/search?by=name&q={name}")
                } else {
                    format!("/api/v1/public/people?by=name&q={name}")
                };
                let started = Instant::now();
                let answer = request(
                    site,
                    "GET",
                    &path,
                    &format!("registry_csrf={CSRF}"),
                    &[("X-Forwarded-For", &visitor())],
                    b"",
                );
                let sample = Sample {
                    started,
                    ended: Instant::now(),
                    write: false,
                    status: answer.ok().map(|(s, ..)| s),
                    target: None,
                };
                if let Ok(mut list) = samples.lock() {
                    list.push(sample);
                }
            }
        }));
    }
    for list in writes {
        let (stop, samples) = (Arc::clone(stop), Arc::clone(&samples));
        threads.push(std::thread::spawn(move || {
            for (index, target) in list {
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                let started = Instant::now();
                let answer = release(site, &target);
                let sample = Sample {
                    started,
                    ended: Instant::now(),
                    write: true,
                    status: answer.ok().map(|(s, ..)| s),
                    target: Some(index),
                };
                if let Ok(mut list) = samples.lock() {
                    list.push(sample);
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }));
    }
    (threads, samples)
}

fn finish(
    stop: &AtomicBool,
    threads: Vec<std::thread::JoinHandle<()>>,
    samples: &Mutex<Vec<Sample>>,
) -> Vec<Sample> {
    stop.store(true, Ordering::Relaxed);
    for thread in threads {
        let _ = thread.join();
    }
    samples.lock().map(|l| l.clone()).unwrap_or_default()
}

fn ok(sample: &Sample) -> bool {
    sample
        .status
        .is_some_and(|s| (200..300).contains(&s) || s == 303)
}

/// How soon nginx has read the close of every kept-alive connection to a killed instance.
const NOTICED: Duration = Duration::from_millis(100);

/// nginx skips an instance it found failed for its `fail_timeout` (10 s in deploy/).
const FAIL_TIMEOUT: Duration = Duration::from_secs(11);

/// The releases of a load, looked up in the database: every acknowledged one must be
/// there; a failed one may or may not be (the client must look, as for any lost answer).
struct Writes {
    acknowledged: usize,
    /// Acknowledged releases not in the database (people).
    lost: Vec<i64>,
    failed: usize,
    /// Failed releases that were written all the same.
    failed_written: usize,
}

async fn released(db: &DatabaseConnection, target: &Target) -> Result<bool> {
    let sql = format!(
        "SELECT COUNT(*) FROM holdings WHERE person_id = {} AND item_code = '{}' AND state = 'released'",
        target.person, target.item
    );
    Ok(count(db, &sql).await? == 1)
}

async fn writes(db: &DatabaseConnection, targets: &[Target], samples: &[Sample]) -> Result<Writes> {
    let mut outcome = Writes {
        acknowledged: 0,
        lost: Vec::new(),
        failed: 0,
        failed_written: 0,
    };
    for sample in samples.iter().filter(|s| s.write) {
        let Some(target) = sample.target.and_then(|i| targets.get(i)) else {
            continue;
        };
        let written = released(db, target).await?;
        if ok(sample) {
            outcome.acknowledged += 1;
            if !written {
                outcome.lost.push(target.person);
            }
        } else {
            outcome.failed += 1;
            outcome.failed_written += usize::from(written);
        }
    }
    Ok(outcome)
}

/// `targets` dealt to `writers` clients in turn, with their places in `targets`.
fn dealt(targets: &[Target], writers: usize) -> Vec<Vec<(usize, Target)>> {
    let mut writes = vec![Vec::new(); writers];
    for (index, target) in targets.iter().enumerate() {
        writes[index % writers].push((index, target.clone()));
    }
    writes
}

pub(crate) async fn rolling_restart(
    instances: &mut [Instance],
    site: SocketAddr,
    names: &[String],
    targets: &[Target],
    db: &DatabaseConnection,
) -> Result<()> {
    let stop = Arc::new(AtomicBool::new(false));
    let (threads, samples) = load(site, names, 8, dealt(targets, 2), &stop);
    std::thread::sleep(Duration::from_secs(2));
    let mut stops = Vec::new();
    for instance in instances.iter_mut() {
        let (code, took) = instance.stop()?;
        stops.push((code, took));
        instance.restart()?;
        std::thread::sleep(FAIL_TIMEOUT);
    }
    let samples = finish(&stop, threads, &samples);
    let searches = samples.iter().filter(|s| !s.write).count();
    let failed = samples.iter().filter(|s| !s.write && !ok(s)).count();
    let w = writes(db, targets, &samples).await?;
    println!(
        "  rolling restart: 3 instances stopped with SIGTERM (exit {:?}, {}) and started again in turn under 8 clients' public searches and 2 clients' releases through nginx: {searches} searches, {failed} failed; {} releases acknowledged, all in the database; {} releases failed ({} of them written)",
        stops.iter().map(|(c, _)| *c).collect::<Vec<_>>(),
        stops
            .iter()
            .map(|(_, t)| format!("{:.2} s", t.as_secs_f64()))
            .collect::<Vec<_>>()
            .join(", "),
        w.acknowledged,
        w.failed,
        w.failed_written
    );
    ensure!(
        stops.iter().all(|(c, _)| *c == Some(0)),
        "an instance did not stop cleanly: {stops:?}"
    );
    ensure!(
        failed == 0,
        "{failed} searches failed during the rolling restart"
    );
    ensure!(
        w.lost.is_empty(),
        "acknowledged releases are not in the database: people {:?}",
        w.lost
    );
    Ok(())
}

pub(crate) async fn sigkill(
    instances: &mut [Instance],
    site: SocketAddr,
    names: &[String],
    targets: &[Target],
    db: &DatabaseConnection,
) -> Result<()> {
    let stop = Arc::new(AtomicBool::new(false));
    let (threads, samples) = load(site, names, 6, dealt(targets, 2), &stop);
    std::thread::sleep(Duration::from_secs(3));
    let victim = instances.len() - 1;
    let killed = Instant::now();
    instances[victim].kill()?;
    std::thread::sleep(Duration::from_secs(5));
    let samples = finish(&stop, threads, &samples);
    let failed: Vec<&Sample> = samples.iter().filter(|s| !ok(s)).collect();
    let in_flight = |s: &Sample| s.started <= killed && s.ended >= killed;
    // A request nginx wrote, in the instant after the kill, on a kept-alive connection to
    // the dead instance whose close it had not yet read: a GET is tried on another
    // instance, a POST is not (nginx cannot know whether it was applied).
    let unnoticed = |s: &Sample| s.write && s.started > killed && s.started - killed < NOTICED;
    let stray = failed
        .iter()
        .filter(|s| !in_flight(s) && !unnoticed(s))
        .count();
    let w = writes(db, targets, &samples).await?;
    println!(
        "  SIGKILL: instance 3 killed under 6 clients' searches and 2 clients' releases through nginx: {} requests ({} releases acknowledged, all in the database), {} failed: {} searches and {} releases in flight at the kill, {} releases nginx sent to the dead instance within {} ms of it before it read the connection's close (of the failed releases, {} had been written: the client must look, as for any lost answer)",
        samples.len(),
        w.acknowledged,
        failed.len(),
        failed.iter().filter(|s| !s.write && in_flight(s)).count(),
        failed.iter().filter(|s| s.write && in_flight(s)).count(),
        failed.iter().filter(|s| unnoticed(s)).count(),
        NOTICED.as_millis(),
        w.failed_written
    );
    ensure!(
        stray == 0,
        "{stray} requests failed that were not in flight at the kill"
    );
    ensure!(
        w.lost.is_empty(),
        "acknowledged releases are not in the database: people {:?}",
        w.lost
    );
    ensure!(w.acknowledged > 0, "no release was acknowledged");
    instances[victim].restart()?;
    std::thread::sleep(FAIL_TIMEOUT);
    Ok(())
}

/// The database's committed transactions so far (every query of the instances is one).
async fn transactions(db: &DatabaseConnection) -> Result<i64> {
    count(
        db,
        "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()",
    )
    .await
}

pub(crate) async fn throughput(
    dir: &Path,
    nginx: &Nginx,
    direct: SocketAddr,
    names: &[String],
    db: &DatabaseConnection,
) -> Result<()> {
    let script = crate::load::visitors_script(dir, names)?;
    let seconds = 8;
    println!(
        "  throughput: the public search page, 64 connections, {seconds} s after 2 s of warm-up, every request another visitor"
    );
    let mut runs = vec![(direct, 0)];
    runs.extend(nginx.sites.iter().copied());
    let mut baseline = None;
    let mut errors = 0;
    for (addr, n) in runs {
        let url = format!("http://{addr}/search");
        let _ = crate::load::wrk_with(64, &url, 2, None, Some(&script))?;
        let before = transactions(db).await?;
        let figures = crate::load::wrk_with(64, &url, seconds, None, Some(&script))?;
        let queries = (transactions(db).await? - before) as f64 / f64::from(seconds);
        let base = *baseline.get_or_insert(figures.rps);
        let path = match n {
            0 => "straight to one instance (baseline)".to_owned(),
            1 => "nginx over 1 instance".to_owned(),
            n => format!("nginx over {n} instances"),
        };
        println!(
            "  throughput: {path}: {:.0} req/s ({:.2}×), p50 {:.2} ms, p99 {:.2} ms, {} errors of {}; the database committed {queries:.0} transactions a second",
            figures.rps,
            figures.rps / base,
            figures.p50_ms,
            figures.p99_ms,
            figures.errors,
            figures.requests
        );
        errors += figures.errors;
    }
    ensure!(errors == 0, "{errors} requests failed under load");
    Ok(())
}
