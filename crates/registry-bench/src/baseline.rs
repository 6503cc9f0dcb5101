//! The raw baselines of the bulk load, measured in the same run: the same rows through
//! sqlx directly (one prepared INSERT per row on SQLite, COPY on PostgreSQL).

use anyhow::{Context as _, Result};
use std::time::{Duration, Instant};

use registry_core::date::format_date;

use registry_core::registration_number::RegistrationNumber;

use registry_store::bulk::BulkPerson;

use registry_store::{DataKey, DatabaseUrl};

use time::Date;

/// The rows the store writes, precomputed for the baseline.
pub(crate) struct Rows {
    people: Vec<[String; 9]>,
    qualifications: Vec<[String; 4]>,
    employments: Vec<[String; 6]>,
    holdings: Vec<[Option<String>; 12]>,
    registrations: Vec<[String; 9]>,
}

pub(crate) fn rows(people: &[BulkPerson], key: &DataKey) -> Result<Rows> {
    let mut rows = Rows {
        people: vec![],
        qualifications: vec![],
        employments: vec![],
        holdings: vec![],
        registrations: vec![],
    };
    let mut holding_id = 0i64;
    let mut serial = 0u32;
    for (i, p) in people.iter().enumerate() {
        let id = (i + 1).to_string();
        let registered = p
            .employments
            .iter()
            .flat_map(|e| &e.holdings)
            .any(|h| h.2.is_some());
        let number = if registered {
            serial += 1;
            RegistrationNumber::new(2025, serial)
                .map_err(|e| anyhow::anyhow!("{e}"))?
                .to_string()
        } else {
            String::new()
        };
        rows.people.push([
            id.clone(),
            p.name.as_str().to_owned(),
            key.hash(&p.resident_id),
            hex::encode(
                key.encrypt(&p.resident_id)
                    .map_err(|e| anyhow::anyhow!(e))?,
            ),
            p.resident_id.masked(),
            format_date(p.resident_id.birth_date()),
            if p.resident_id.sex() == registry_core::resident_id::Sex::Male {
                "M".into()
            } else {
                "F".into()
            },
            number,
            registry_store::name_order::name_key(p.name.as_str()),
        ]);
        for q in &p.qualifications {
            rows.qualifications.push([
                id.clone(),
                q.item.as_str().into(),
                format_date(q.exam_date),
                format_date(q.published_on),
            ]);
        }
        for e in &p.employments {
            rows.employments.push([
                id.clone(),
                e.institution.get().to_string(),
                e.password.as_str().into(),
                e.progress.code().into(),
                format_date(e.since),
                "1".into(),
            ]);
            for (item, state, period) in &e.holdings {
                holding_id += 1;
                rows.holdings.push([
                    Some(holding_id.to_string()),
                    Some(id.clone()),
                    Some(item.as_str().into()),
                    Some(e.institution.get().to_string()),
                    Some(state.code().into()),
                    Some(format_date(e.since)),
                    period.as_ref().map(|p| p.cycle.get().to_string()),
                    period.as_ref().map(|p| format_date(p.registered_on)),
                    period.as_ref().map(|p| format_date(p.valid_from)),
                    period.as_ref().map(|p| format_date(p.valid_until)),
                    None,
                    Some("1".into()),
                ]);
                if let Some(period) = period {
                    rows.registrations.push([
                        holding_id.to_string(),
                        holding_id.to_string(),
                        id.clone(),
                        item.as_str().into(),
                        e.institution.get().to_string(),
                        period.cycle.get().to_string(),
                        format_date(period.registered_on),
                        format_date(period.valid_from),
                        format_date(period.valid_until),
                    ]);
                }
            }
        }
    }
    Ok(rows)
}

pub(crate) fn parse_date(text: &str) -> Result<Date> {
    registry_core::date::parse_date(text).map_err(|e| anyhow::anyhow!("{e}"))
}

/// The baseline on SQLite: one prepared INSERT per row, one transaction, sqlx directly.
pub(crate) async fn baseline_sqlite(url: &DatabaseUrl, rows: &Rows) -> Result<Duration> {
    use sea_orm::sqlx::{self, Connection};
    let file = url.sqlite_file().context("sqlite file")?;
    let mut connection =
        sqlx::SqliteConnection::connect(&format!("sqlite://{}", file.display())).await?;
    let started = Instant::now();
    let mut tx = connection.begin().await?;
    for r in &rows.people {
        sqlx::query("INSERT INTO people (id, name, id_hash, id_cipher, id_masked, birth_date, sex, registration_number, version, name_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, ?)")
            .bind(r[0].parse::<i64>()?)
            .bind(&r[1])
            .bind(&r[2])
            .bind(hex::decode(&r[3])?)
            .bind(&r[4])
            .bind(parse_date(&r[5])?)
            .bind(&r[6])
            .bind((!r[7].is_empty()).then_some(&r[7]))
            .bind(&r[8])
            .execute(&mut *tx)
            .await?;
    }
    for r in &rows.qualifications {
        sqlx::query("INSERT INTO qualifications (person_id, item_code, exam_date, published_on) VALUES (?, ?, ?, ?)")
            .bind(r[0].parse::<i64>()?).bind(&r[1]).bind(parse_date(&r[2])?).bind(parse_date(&r[3])?)
            .execute(&mut *tx).await?;
    }
    for r in &rows.employments {
        sqlx::query("INSERT INTO employments (person_id, institution_id, password_hash, progress, since, version) VALUES (?, ?, ?, ?, ?, 1)")
            .bind(r[0].parse::<i64>()?).bind(r[1].parse::<i64>()?).bind(&r[2]).bind(&r[3]).bind(parse_date(&r[4])?)
            .execute(&mut *tx).await?;
    }
    for r in &rows.holdings {
        let date = |v: &Option<String>| v.as_deref().map(parse_date).transpose();
        let int = |v: &Option<String>| v.as_deref().map(str::parse::<i64>).transpose();
        sqlx::query("INSERT INTO holdings (id, person_id, item_code, institution_id, state, since, cycle_id, registered_on, valid_from, valid_until, released_on, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)")
            .bind(int(&r[0])?).bind(int(&r[1])?).bind(&r[2]).bind(int(&r[3])?).bind(&r[4]).bind(date(&r[5])?)
            .bind(int(&r[6])?).bind(date(&r[7])?).bind(date(&r[8])?).bind(date(&r[9])?).bind(date(&r[10])?)
            .execute(&mut *tx).await?;
    }
    for r in &rows.registrations {
        sqlx::query("INSERT INTO registrations (id, holding_id, person_id, item_code, institution_id, cycle_id, registered_on, valid_from, valid_until) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")
            .bind(r[0].parse::<i64>()?).bind(r[1].parse::<i64>()?).bind(r[2].parse::<i64>()?).bind(&r[3])
            .bind(r[4].parse::<i64>()?).bind(r[5].parse::<i64>()?).bind(parse_date(&r[6])?).bind(parse_date(&r[7])?).bind(parse_date(&r[8])?)
            .execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(started.elapsed())
}

pub(crate) fn csv_field(value: Option<&str>) -> String {
    match value {
        None => String::new(),
        Some(v) => format!("\"{}\"", v.replace('"', "\"\"")),
    }
}

/// The baseline on PostgreSQL: COPY of every table, one transaction, sqlx directly.
pub(crate) async fn baseline_postgres(url: &str, rows: &Rows) -> Result<Duration> {
    use sea_orm::sqlx::{self, Connection};
    let mut connection = sqlx::PgConnection::connect(url).await?;
    let started = Instant::now();
    let mut tx = connection.begin().await?;
    async fn copy(tx: &mut sqlx::PgConnection, statement: &str, lines: Vec<String>) -> Result<()> {
        let mut copy = tx.copy_in_raw(statement).await?;
        let mut buffer = String::new();
        for line in lines {
            buffer.push_str(&line);
            buffer.push('\n');
            if buffer.len() > 1 << 20 {
                copy.send(std::mem::take(&mut buffer).into_bytes()).await?;
            }
        }
        copy.send(buffer.into_bytes()).await?;
        copy.finish().await?;
        Ok(())
    }
    let people = rows
        .people
        .iter()
        .map(|r| {
            [
                csv_field(Some(&r[0])),
                csv_field(Some(&r[1])),
                csv_field(Some(&r[2])),
                csv_field(Some(&format!("\\x{}", r[3]))),
                csv_field(Some(&r[4])),
                csv_field(Some(&r[5])),
                csv_field(Some(&r[6])),
                csv_field((!r[7].is_empty()).then_some(r[7].as_str())),
                "1".into(),
                csv_field(Some(&r[8])),
            ]
            .join(",")
        })
        .collect();
    copy(&mut tx, "COPY people (id, name, id_hash, id_cipher, id_masked, birth_date, sex, registration_number, version, name_key) FROM STDIN (FORMAT csv)", people).await?;
    let lines = |table: &[Vec<Option<String>>]| -> Vec<String> {
        table
            .iter()
            .map(|r| {
                r.iter()
                    .map(|v| csv_field(v.as_deref()))
                    .collect::<Vec<_>>()
                    .join(",")
            })
            .collect()
    };
    let wrap = |rows: Vec<Vec<String>>| -> Vec<Vec<Option<String>>> {
        rows.into_iter()
            .map(|r| r.into_iter().map(Some).collect())
            .collect()
    };
    copy(&mut tx, "COPY qualifications (person_id, item_code, exam_date, published_on) FROM STDIN (FORMAT csv)",
        lines(&wrap(rows.qualifications.iter().map(|r| r.to_vec()).collect()))).await?;
    copy(&mut tx, "COPY employments (person_id, institution_id, password_hash, progress, since, version) FROM STDIN (FORMAT csv)",
        lines(&wrap(rows.employments.iter().map(|r| r.to_vec()).collect()))).await?;
    copy(&mut tx, "COPY holdings (id, person_id, item_code, institution_id, state, since, cycle_id, registered_on, valid_from, valid_until, released_on, version) FROM STDIN (FORMAT csv)",
        lines(&rows.holdings.iter().map(|r| r.to_vec()).collect::<Vec<_>>())).await?;
    copy(&mut tx, "COPY registrations (id, holding_id, person_id, item_code, institution_id, cycle_id, registered_on, valid_from, valid_until) FROM STDIN (FORMAT csv)",
        lines(&wrap(rows.registrations.iter().map(|r| r.to_vec()).collect()))).await?;
    tx.commit().await?;
    Ok(started.elapsed())
}
