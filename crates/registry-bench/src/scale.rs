//! The scale proof (issue 23, `cargo xtask proof --scale`): three `registry serve`
//! instances over one PostgreSQL database holding a register of 100,000 people, behind
//! Debian's nginx configured from `deploy/` (see `balancer.rs`). Each check prints its
//! figures and fails the proof when its promise does not hold:
//!
//! 1. **Lockout across instances**: 5 wrong fill-in passwords from one visitor, sent to
//!    the instances in turn, lock the entry on every instance (the right password is then
//!    refused on each); the same password opens another entry (control).
//! 2. **The public search limit across instances**: one visitor's 60 searches in 6 s,
//!    spread over the instances: the first 30 are answered, and no more than the limit
//!    plus one second's searches per other instance (the documented slack of
//!    `registry_http::limiter`); every instance refuses.
//! 3. **Freshness**: 100 releases, each acknowledged by one instance, then looked for in
//!    the public pool of another one (which answered the same search just before, so a
//!    stale cache would show): the largest delay until it shows must be at most 1 s.
//! 4. **The calendar**: a year loaded through one instance's page is on another
//!    instance's calendar page within 1 s.
//! 5. **One runner**: `registry sweep` started at once beside each instance (as each
//!    machine's timer would) runs once: one `run.sweep` audit row; the others find it
//!    running (the job lock) or the day swept (`registry_batch::sweep::already_swept`) and
//!    exit 0.
//! 6. **A rolling restart** under the public search's load through nginx: each instance
//!    stopped with SIGTERM (exit 0) and started again in turn; every request answered.
//! 7. **SIGKILL** of one instance under searches and releases through nginx: the only
//!    failures are requests that were in flight at the kill, and every acknowledged
//!    release is in the database.
//! 8. **Throughput** of the public search page with `wrk`: straight to one instance (the
//!    baseline of the same run) and through nginx over 1, 2 and 3 instances.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, ensure};
use registry_store::DatabaseUrl;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, DbBackend, Statement};

use crate::balancer::{Instance, start_nginx};
use crate::harness::{association_session, csrf_of, load_people, request, session};
use crate::register::{INSTITUTIONS, KEY};
use crate::scale_client::{Target, count, encoded, post_json, release, visitor};
use crate::scale_load::{rolling_restart, sigkill, throughput};

/// Runs the proof on the PostgreSQL database `url` (created empty by the caller).
pub(crate) async fn proof(url: &DatabaseUrl, people: usize, dir: &Path) -> Result<()> {
    let registry = crate::harness::registry_binary()?;
    let root = std::env::current_dir()?;
    let catalogue =
        registry_core::fixtures::review_items().map_err(|p| anyhow::anyhow!("{p:?}"))?;
    let calendar = registry_core::fixtures::calendar().map_err(|p| anyhow::anyhow!("{p:?}"))?;
    let started = Instant::now();
    let (store, institutions, cycle) = crate::register::prepare(url, &catalogue, &calendar).await?;
    let register = crate::register::synthetic(people, &catalogue, &institutions, cycle)?;
    load_people(&store, &register).await?;
    println!(
        "  scale: a register of {people} people loaded into PostgreSQL in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let mut cookies = Vec::new();
    for n in 1..=INSTITUTIONS {
        cookies.push(Arc::<str>::from(
            session(&store, &format!("inst{n}")).await?,
        ));
    }
    let admin = association_session(&store, &catalogue, &calendar).await?;
    let db = Database::connect(url.to_string()).await?;
    // Registered items of people well under 70 (so that a released item is in the pool).
    let rows = db
        .query_all_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT h.person_id, h.item_code, h.institution_id, p.registration_number \
             FROM holdings h JOIN people p ON p.id = h.person_id \
             WHERE h.state = 'registered' AND p.registration_number IS NOT NULL \
             ORDER BY h.person_id, h.item_code"
                .to_owned(),
        ))
        .await?;
    let mut targets = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for row in rows {
        let person: i64 = row.try_get("", "person_id")?;
        let item: String = row.try_get("", "item_code")?;
        let institution: i64 = row.try_get("", "institution_id")?;
        let number: String = row.try_get("", "registration_number")?;
        let Some(entry) = usize::try_from(person - 1)
            .ok()
            .and_then(|i| register.get(i))
        else {
            continue;
        };
        let Some(k) = institutions.iter().position(|i| i.get() == institution) else {
            continue;
        };
        if entry.resident_id.birth_date().year() < 1965 || !seen.insert(person) {
            continue;
        }
        targets.push(Target {
            person,
            institution,
            item,
            number,
            name: entry.name.as_str().to_owned(),
            cookie: Arc::clone(&cookies[k]),
        });
    }
    ensure!(
        targets.len() >= 3000,
        "too few registered people to release: {}",
        targets.len()
    );
    let names: Vec<String> = targets.iter().take(2000).map(|t| t.name.clone()).collect();
    drop(store);

    let instances = (0..3)
        .map(|_| Instance::start(&registry, url))
        .collect::<Result<Vec<_>>>()?;
    let nginx = start_nginx(&root, &dir.join("nginx"), &instances, &[1, 2, 3])?;
    let addrs: Vec<SocketAddr> = instances.iter().map(|i| i.addr).collect();
    println!(
        "  scale: 3 instances of registry serve ({}), nginx sites over 1, 2 and 3 of them",
        addrs
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    );

    lockout(&addrs, &targets[0], &targets[1])?;
    search_limit(&addrs, &names[0])?;
    freshness(&addrs, &targets[10..110])?;
    calendar_freshness(&addrs, &admin)?;
    one_sweep(&registry, url, &db).await?;
    let mut instances = instances;
    let site3 = nginx.sites[2].0;
    rolling_restart(&mut instances, site3, &names, &targets[200..2200], &db).await?;
    sigkill(&mut instances, site3, &names, &targets[2200..], &db).await?;
    throughput(dir, &nginx, addrs[0], &names, &db).await?;
    Ok(())
}

/// A new fill-in password for the target's entry, set through `addr`.
fn fill_in_password(addr: SocketAddr, target: &Target) -> Result<String> {
    let (status, _, body) = post_json(
        addr,
        &format!("/api/v1/institution/people/{}/password", target.person),
        &target.cookie,
        "10.254.0.1",
        "",
    )?;
    ensure!(status == 200, "setting a fill-in password: {status} {body}");
    let password = body
        .split("\"password\":\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .context("no password in the answer")?;
    Ok(password.to_owned())
}

fn lockout(addrs: &[SocketAddr], locked: &Target, control: &Target) -> Result<()> {
    let entry = |t: &Target, institution: i64| {
        format!("/api/v1/self-service/{}/{institution}/unlock", t.person)
    };
    let (locked_institution, control_institution) = (locked.institution, control.institution);
    let password = fill_in_password(addrs[0], locked)?;
    let other = fill_in_password(addrs[1], control)?;
    let client = "10.250.0.1";
    let mut wrong = Vec::new();
    for attempt in 0..5 {
        let addr = addrs[attempt % addrs.len()];
        let (status, ..) = post_json(
            addr,
            &entry(locked, locked_institution),
            "",
            client,
            "{\"password\":\"wrong-wrong-1\"}",
        )?;
        wrong.push(status);
    }
    let mut right = Vec::new();
    for addr in addrs {
        let (status, _, body) = post_json(
            *addr,
            &entry(locked, locked_institution),
            "",
            client,
            &format!("{{\"password\":\"{password}\"}}"),
        )?;
        right.push((status, body.contains("fill_in.locked")));
    }
    let (control_status, ..) = post_json(
        addrs[2],
        &entry(control, control_institution),
        "",
        client,
        &format!("{{\"password\":\"{other}\"}}"),
    )?;
    println!(
        "  lockout: 5 wrong fill-in passwords over instances 1,2,3,1,2 answered {wrong:?}; the right one then answered {:?} on instances 1, 2, 3; another entry's right password from the same visitor: {control_status}",
        right.iter().map(|(s, _)| *s).collect::<Vec<_>>()
    );
    ensure!(
        wrong.iter().all(|s| *s == 401 || *s == 429),
        "a wrong password was not refused: {wrong:?}"
    );
    ensure!(
        right.iter().all(|(s, locked)| *s == 429 && *locked),
        "the entry is not locked on every instance: {right:?}"
    );
    ensure!(
        control_status == 204,
        "the control entry did not open: {control_status}"
    );
    Ok(())
}

fn search_limit(addrs: &[SocketAddr], name: &str) -> Result<()> {
    let client = "10.251.0.1";
    let path = format!("/api/v1/public/people?by=name&q={}", encoded(name));
    let mut answered = 0u32;
    let mut first_refusal = None;
    let mut refused_on = vec![0u32; addrs.len()];
    for n in 0..60usize {
        let at = n % addrs.len();
        let (status, ..) = request(
            addrs[at],
            "GET",
            &path,
            "",
            &[("X-Forwarded-For", client)],
            b"",
        )?;
        match status {
            200 => answered += 1,
            429 => {
                first_refusal.get_or_insert(n + 1);
                refused_on[at] += 1;
            }
            other => anyhow::bail!("a public search answered {other}"),
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let limit = 30u32;
    let per_instance_per_second = 10u32.div_ceil(addrs.len() as u32);
    let bound = limit + (addrs.len() as u32 - 1) * (per_instance_per_second + 1);
    println!(
        "  search limit: one visitor's 60 searches in 6 s over 3 instances: {answered} answered (limit {limit}, at most {bound} with one second's slack per other instance; {} if each instance counted alone), first refusal at search {}, refusals per instance {refused_on:?}",
        limit * addrs.len() as u32,
        first_refusal.map_or("none".into(), |n| n.to_string())
    );
    ensure!(
        answered >= limit,
        "fewer than {limit} searches answered: {answered}"
    );
    ensure!(
        answered <= bound,
        "{answered} searches answered: the instances do not share the count"
    );
    ensure!(
        refused_on.iter().all(|r| *r > 0),
        "an instance never refused: {refused_on:?}"
    );
    Ok(())
}

fn in_pool(addr: SocketAddr, target: &Target) -> Result<bool> {
    let (status, _, body) = request(
        addr,
        "GET",
        &format!(
            "/api/v1/public/pool?name={}&item={}",
            encoded(&target.name),
            target.item
        ),
        "",
        &[("X-Forwarded-For", &visitor())],
        b"",
    )?;
    ensure!(status == 200, "the public pool answered {status}: {body}");
    let id = format!("\"person_id\":{}", target.person);
    Ok(body.contains(&format!("{id},")) || body.contains(&format!("{id}}}")))
}

/// The public search's answer for the target's registration number (cached by each
/// instance for 2.5–5 s unless a commit anywhere moved its generation on).
fn public_answer(addr: SocketAddr, target: &Target) -> Result<String> {
    let (status, _, body) = request(
        addr,
        "GET",
        &format!("/api/v1/public/people?by=number&q={}", target.number),
        "",
        &[("X-Forwarded-For", &visitor())],
        b"",
    )?;
    ensure!(status == 200, "the public search answered {status}: {body}");
    Ok(body)
}

/// The largest and the median of `delays`, in milliseconds.
fn worst_and_median(delays: &mut [Duration]) -> (f64, f64) {
    delays.sort();
    let ms = |d: Option<&Duration>| d.map_or(0.0, |d| d.as_secs_f64() * 1000.0);
    (ms(delays.last()), ms(delays.get(delays.len() / 2)))
}

fn freshness(addrs: &[SocketAddr], targets: &[Target]) -> Result<()> {
    let (mut pool, mut search) = (Vec::new(), Vec::new());
    for (n, target) in targets.iter().enumerate() {
        let (a, b) = (addrs[n % addrs.len()], addrs[(n + 1) % addrs.len()]);
        // Instance B answers both searches before the release, so a stale answer would
        // show: the public search keeps its answer in memory.
        ensure!(
            !in_pool(b, target)?,
            "person {} is in the pool before the release",
            target.person
        );
        let before = public_answer(b, target)?;
        ensure!(
            before.contains(&format!("\"code\":\"{}\"", target.item)),
            "person {}'s registered item is not in the public search: {before}",
            target.person
        );
        let (status, _, body) = release(a, target)?;
        ensure!(status == 204, "a release answered {status}: {body}");
        let acknowledged = Instant::now();
        let (mut in_the_pool, mut searched) = (None, None);
        while in_the_pool.is_none() || searched.is_none() {
            if in_the_pool.is_none() && in_pool(b, target)? {
                in_the_pool = Some(acknowledged.elapsed());
            }
            if searched.is_none() && public_answer(b, target)? != before {
                searched = Some(acknowledged.elapsed());
            }
            ensure!(
                acknowledged.elapsed() < Duration::from_secs(10),
                "person {}'s release on one instance is not seen by another after 10 s",
                target.person
            );
            std::thread::sleep(Duration::from_millis(5));
        }
        pool.extend(in_the_pool);
        search.extend(searched);
    }
    let (pool_worst, pool_median) = worst_and_median(&mut pool);
    let (search_worst, search_median) = worst_and_median(&mut search);
    println!(
        "  freshness: {} releases acknowledged by one instance; on another instance the item is gone from the public search (cached) after {search_median:.0} ms (median), {search_worst:.0} ms at worst, and in the public pool (read each time) after {pool_median:.0} ms, {pool_worst:.0} ms at worst (≤ 1000 ms)",
        targets.len()
    );
    ensure!(
        pool_worst.max(search_worst) <= 1000.0,
        "a release took more than 1 s to show on another instance"
    );
    Ok(())
}

/// A year of calendar after the fixture's last (2026): New Year, the Spring Festival week
/// and National Day, with their make-up working days. The proof's own data, in a
/// database that is dropped afterwards.
const NEXT_YEAR: &str = "date,kind,name\n2027-01-01,holiday,元旦\n\
2027-02-06,holiday,春节\n2027-02-07,holiday,春节\n2027-02-08,holiday,春节\n2027-02-09,holiday,春节\n\
2027-02-10,holiday,春节\n2027-02-11,holiday,春节\n2027-02-12,holiday,春节\n2027-02-13,holiday,春节\n\
2027-02-14,workday,春节\n2027-02-20,workday,春节\n\
2027-10-01,holiday,国庆节\n2027-10-02,holiday,国庆节\n2027-10-03,holiday,国庆节\n2027-10-04,holiday,国庆节\n\
2027-10-05,holiday,国庆节\n2027-10-06,holiday,国庆节\n2027-10-07,holiday,国庆节\n2027-09-26,workday,国庆节\n\
2027-10-09,workday,国庆节\n";

fn calendar_freshness(addrs: &[SocketAddr], admin: &str) -> Result<()> {
    let (a, b) = (addrs[0], addrs[1]);
    let shows = |addr: SocketAddr| -> Result<bool> {
        let (status, _, body) = request(addr, "GET", "/association/calendar", admin, &[], b"")?;
        ensure!(status == 200, "工作日历 answered {status}");
        Ok(body.contains("<td>2027</td>"))
    };
    ensure!(!shows(b)?, "2027 is on the calendar before it was loaded");
    let boundary = "scaleproofboundary";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"2027.csv\"\r\nContent-Type: text/csv\r\n\r\n{NEXT_YEAR}\r\n--{boundary}--\r\n"
    );
    let (status, _, page) = request(
        a,
        "POST",
        &format!("/association/calendar?csrf={}", csrf_of(admin)),
        admin,
        &[(
            "Content-Type",
            &format!("multipart/form-data; boundary={boundary}"),
        )],
        body.as_bytes(),
    )?;
    ensure!(
        status == 200 && page.contains("已导入2027年的日历"),
        "loading 2027 on one instance answered {status}"
    );
    let loaded = Instant::now();
    while !shows(b)? {
        ensure!(
            loaded.elapsed() < Duration::from_secs(10),
            "another instance did not read the 2027 calendar within 10 s"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    let delay = loaded.elapsed();
    println!(
        "  calendar: 2027 loaded through instance 1's page, on instance 2's calendar after {:.0} ms (≤ 1000 ms)",
        delay.as_secs_f64() * 1000.0
    );
    ensure!(
        delay <= Duration::from_secs(1),
        "the calendar took {delay:?} to reach another instance"
    );
    Ok(())
}

async fn one_sweep(registry: &Path, url: &DatabaseUrl, db: &DatabaseConnection) -> Result<()> {
    let sql = "SELECT COUNT(*) FROM audit_log WHERE action = 'run.sweep'";
    let before = count(db, sql).await?;
    let started = Instant::now();
    let runners: Vec<_> = (0..3)
        .map(|_| {
            std::process::Command::new(registry)
                .args(["sweep", "--database", &url.to_string()])
                .env("REGISTRY_DATA_KEY", KEY)
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::null())
                .spawn()
        })
        .collect::<std::io::Result<_>>()?;
    let mut outcomes = Vec::new();
    for runner in runners {
        let output = runner.wait_with_output()?;
        let text = String::from_utf8_lossy(&output.stdout).into_owned();
        let aside = if text.contains("正在运行") {
            Some("running")
        } else if text.contains("的巡检已完成") {
            Some("done")
        } else {
            None
        };
        outcomes.push((output.status.code(), aside));
    }
    let took = started.elapsed();
    let runs = count(db, sql).await? - before;
    let aside = |why| outcomes.iter().filter(|(_, a)| *a == Some(why)).count();
    println!(
        "  one runner: 3 sweeps started at once: {runs} ran (run.sweep audit rows); {} found it running, {} found the day swept; exit statuses {:?}; {:.1} s in all",
        aside("running"),
        aside("done"),
        outcomes.iter().map(|(c, _)| *c).collect::<Vec<_>>(),
        took.as_secs_f64()
    );
    ensure!(runs == 1, "{runs} sweeps ran");
    ensure!(
        aside("running") + aside("done") == 2,
        "the other runners did not stand aside: {outcomes:?}"
    );
    ensure!(
        outcomes.iter().all(|(c, _)| *c == Some(0)),
        "a runner failed: {outcomes:?}"
    );
    Ok(())
}
