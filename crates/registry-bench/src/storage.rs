//! One engine's storage benchmark: the bulk load against its baseline, then every search
//! behind the pages with its p50 and p99.

use anyhow::{Result, bail};
use registry_core::calendar::WorkCalendar;
use std::time::{Duration, Instant};

use registry_core::holding::ItemState;
use registry_core::ids::{InstitutionId, PersonId};

use registry_core::ports::{Actor, AuditRecord, Entity, Snapshot};
use registry_core::registration_number::RegistrationNumber;

use crate::baseline::{baseline_postgres, baseline_sqlite, rows};
use crate::met;
use crate::register::{KEY, Rng, date, now, prepare, synthetic};
use registry_core::review_item::{ReviewItemCatalogue, ReviewItemCode};

use registry_store::bulk::BulkPerson;
use registry_store::queries::{InstitutionPeopleQuery, PoolQuery, PublicQuery};
use registry_store::{DataKey, DatabaseUrl, Store};
use sea_orm::{ConnectionTrait, Database, Statement};

pub(crate) fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

pub(crate) fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

pub(crate) struct Timing {
    pub(crate) name: &'static str,
    pub(crate) samples: Vec<Duration>,
    pub(crate) results: usize,
}

pub(crate) async fn searches(
    store: &Store,
    url: &DatabaseUrl,
    people: &[BulkPerson],
    institutions: &[InstitutionId],
    calendar: &WorkCalendar,
    catalogue: &ReviewItemCatalogue,
    queries: usize,
) -> Result<Vec<Timing>> {
    let today = date(2026, 11, 26);
    let mut rng = Rng(0xDEAD_BEEF_CAFE_F00D);
    let employed: Vec<&BulkPerson> = people
        .iter()
        .filter(|p| !p.employments.is_empty())
        .collect();
    let registered: Vec<&BulkPerson> = employed
        .iter()
        .copied()
        .filter(|p| {
            p.employments
                .iter()
                .any(|e| e.holdings.iter().any(|h| h.2.is_some()))
        })
        .collect();
    let connection = Database::connect(format!("{url}")).await?;
    let numbers: Vec<String> = connection
        .query_all_raw(Statement::from_string(
            connection.get_database_backend(),
            "SELECT registration_number FROM people WHERE registration_number IS NOT NULL"
                .to_owned(),
        ))
        .await?
        .iter()
        .filter_map(|r| r.try_get_by_index::<String>(0).ok())
        .collect();
    if numbers.is_empty() || registered.is_empty() {
        bail!("the loaded register has no registered people");
    }
    let items: Vec<ReviewItemCode> = catalogue.items().iter().map(|i| i.code().clone()).collect();
    let mut timings = Vec::new();
    macro_rules! measure {
        ($name:expr, $body:expr) => {{
            let mut samples = Vec::with_capacity(queries);
            let mut results = 0usize;
            for _ in 0..queries {
                let started = Instant::now();
                results += $body;
                samples.push(started.elapsed());
            }
            samples.sort();
            timings.push(Timing {
                name: $name,
                samples,
                results,
            });
        }};
    }
    measure!("self-service: name + institution", {
        // As the server does it: the list of names, the core's pick, the search.
        let p = employed[rng.below(employed.len() as u64) as usize];
        let names = store.active_institution_names().await?;
        let typed = names
            .iter()
            .find(|(id, _)| p.employments.first().is_some_and(|e| e.institution == *id))
            .map(|(_, name)| name.clone())
            .unwrap_or_default();
        let picked = registry_core::institution::identify(
            &typed,
            names.iter().map(|(id, name)| (*id, name.as_str())),
        )
        .unwrap_or_default();
        store
            .self_service_search(p.name.as_str(), &picked, today, 20)
            .await?
            .len()
    });
    measure!("public: by name", {
        let p = registered[rng.below(registered.len() as u64) as usize];
        store
            .public_search(
                &PublicQuery::Name(p.name.as_str().into()),
                today,
                calendar,
                20,
            )
            .await?
            .len()
    });
    measure!("public: by ID number", {
        let p = registered[rng.below(registered.len() as u64) as usize];
        store
            .public_search(
                &PublicQuery::ResidentId(p.resident_id.clone()),
                today,
                calendar,
                20,
            )
            .await?
            .len()
    });
    measure!("public: by registration number", {
        let n = &numbers[rng.below(numbers.len() as u64) as usize];
        let number = RegistrationNumber::parse(n).map_err(|e| anyhow::anyhow!("{e}"))?;
        store
            .public_search(
                &PublicQuery::RegistrationNumber(number),
                today,
                calendar,
                20,
            )
            .await?
            .len()
    });
    measure!("pool: by name", {
        let p = &people[rng.below(people.len() as u64) as usize];
        store
            .pool_search(
                &PoolQuery {
                    name: Some(p.name.as_str().into()),
                    limit: 20,
                    ..PoolQuery::default()
                },
                today,
                70,
            )
            .await?
            .len()
    });
    measure!("pool: by item", {
        let item = items[rng.below(items.len() as u64) as usize].clone();
        store
            .pool_search(
                &PoolQuery {
                    item: Some(item),
                    limit: 20,
                    ..PoolQuery::default()
                },
                today,
                70,
            )
            .await?
            .len()
    });
    measure!("institution: its people, first page", {
        let institution = institutions[rng.below(institutions.len() as u64) as usize];
        store
            .institution_people(
                institution,
                &InstitutionPeopleQuery {
                    limit: 20,
                    ..InstitutionPeopleQuery::default()
                },
                today,
            )
            .await?
            .0
            .len()
    });
    measure!("person: full history", {
        let id = PersonId::new(1 + rng.below(people.len() as u64) as i64);
        usize::from(store.person_history(id).await?.is_some())
    });
    Ok(timings)
}

pub(crate) async fn engine(
    label: &str,
    ours_url: DatabaseUrl,
    base_url: DatabaseUrl,
    count: usize,
    queries: usize,
    load_seconds: Option<u32>,
) -> Result<(f64, Vec<Timing>)> {
    let catalogue =
        registry_core::fixtures::review_items().map_err(|p| anyhow::anyhow!("{p:?}"))?;
    let calendar = registry_core::fixtures::calendar().map_err(|p| anyhow::anyhow!("{p:?}"))?;
    let key = DataKey::from_hex(KEY)?;

    let (base_store, base_institutions, base_cycle) =
        prepare(&base_url, &catalogue, &calendar).await?;
    let people = synthetic(count, &catalogue, &base_institutions, base_cycle)?;
    let precomputed = rows(&people, &key)?;
    drop(base_store);
    let baseline = match base_url.engine() {
        registry_store::Engine::Sqlite => baseline_sqlite(&base_url, &precomputed).await?,
        registry_store::Engine::Postgres => {
            baseline_postgres(&base_url.to_string(), &precomputed).await?
        }
    };

    let (store, institutions, cycle) = prepare(&ours_url, &catalogue, &calendar).await?;
    if institutions != base_institutions || cycle != base_cycle {
        bail!("the two databases were prepared differently");
    }
    let audit = AuditRecord {
        at: now(),
        actor: Actor::System {
            job: "bench".into(),
        },
        action: "import.bulk",
        entity: Entity::Person,
        entity_id: 0,
        person: None,
        before: None,
        after: Some(Snapshot::default().with("people", count)),
    };
    let started = Instant::now();
    let report = store
        .bulk_load(&people, &audit)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let ours = started.elapsed();
    let ratio = ours.as_secs_f64() / baseline.as_secs_f64();
    println!(
        "\n== {label}: {} people, {} qualifications, {} employments, {} holdings, {} registrations",
        report.people,
        report.qualifications,
        report.employments,
        report.holdings,
        report.registrations
    );
    println!(
        "  load, raw baseline ({}):   {:>8.0} ms",
        if label == "SQLite" {
            "prepared INSERT"
        } else {
            "COPY"
        },
        ms(baseline)
    );
    println!("  load, Store::bulk_load:             {:>8.0} ms", ms(ours));
    println!("  ratio: {ratio:.2}× the baseline (goal: ≤ 1.5×)");

    let timings = searches(
        &store,
        &ours_url,
        &people,
        &institutions,
        &calendar,
        &catalogue,
        queries,
    )
    .await?;
    println!(
        "  {:<40} {:>9} {:>9} {:>9}",
        "search (over the loaded register)", "p50 ms", "p99 ms", "rows/q"
    );
    for t in &timings {
        println!(
            "  {:<40} {:>9.3} {:>9.3} {:>9.1}",
            t.name,
            ms(percentile(&t.samples, 0.5)),
            ms(percentile(&t.samples, 0.99)),
            t.results as f64 / t.samples.len() as f64
        );
    }
    if let Some(seconds) = load_seconds {
        // A register in service is not freshly bulk-loaded: let PostgreSQL's maintenance of
        // the load (the autovacuum that 100,000 inserted rows trigger, the checkpoint) run
        // now rather than during the measurement.
        if ours_url.engine() == registry_store::Engine::Postgres {
            let connection = Database::connect(ours_url.to_string()).await?;
            connection.execute_unprepared("VACUUM (ANALYZE)").await?;
            connection.execute_unprepared("CHECKPOINT").await?;
            connection.close().await?;
        }
        let mut names: Vec<String> = people
            .iter()
            .filter(|p| {
                p.employments
                    .iter()
                    .any(|e| e.holdings.iter().any(|h| h.1 == ItemState::Registered))
            })
            .map(|p| p.name.as_str().to_owned())
            .collect();
        names.sort();
        names.dedup();
        names.truncate(
            std::env::var("REGISTRY_BENCH_NAMES")
                .ok()
                .and_then(|n| n.parse().ok())
                .unwrap_or(2_000),
        );
        anyhow::ensure!(!names.is_empty(), "no registered person");
        let dir = std::env::temp_dir();
        let (share, p99, errors, peak) =
            crate::load::bench(label, &ours_url, &store, &names, seconds, &dir).await?;
        println!(
            "  goals: public search {share:.2}× /healthz (≥ 0.5: {}); p99 {p99:.1} ms (< 20: {}); errors {errors} (0: {}); peak {peak:.1} MiB (< 128: {})",
            met(share >= 0.5),
            met(p99 < 20.0),
            met(errors == 0),
            met(peak < 128.0)
        );
    }
    Ok((ratio, timings))
}
