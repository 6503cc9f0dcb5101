//! Schemathesis against the JSON API (issue 9, `cargo xtask proof`): the real `registry
//! serve` over a register of 2,000 people, and Schemathesis (from PyPI) generating requests
//! from `/api/openapi.json` for every role: anonymous, an assessor who unlocked their
//! entry, an institution, the association, and the machine clients' API tokens (an
//! institution's with every institution scope, a training provider's). The check is
//! `not_a_server_error`: no request, however malformed, may answer 5xx. Each role's
//! session is minted in the database, and every unsafe request carries the CSRF header;
//! the tokens are issued through the use case and sent as `Authorization: Bearer`.
//! `DELETE /session` (the logout) is left out for the signed-in roles so that the rest
//! runs signed in (the anonymous run covers it).
//!
//! Each run's requests are read back from its HAR and NDJSON reports: of the requests
//! generated as valid for the document (its positive cases; the negative ones break it on
//! purpose), how many got past the server's validation (any status but 400, 413 and 415)
//! and so reached access control and the use cases, reported per role.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context as _, Result, ensure};
use registry_store::DatabaseUrl;
use registry_store::sessions::SessionSubject;

use crate::harness::{
    CSRF, association_session, csrf_of, load_people, registry_binary, session, start,
};

/// One role's run.
pub(crate) struct RoleRun {
    pub role: &'static str,
    pub passed: bool,
    /// Schemathesis's own summary lines.
    pub summary: Vec<String>,
    /// Requests sent, and those past the document's validation.
    pub requests: usize,
    pub past_validation: usize,
}

/// The test cases Schemathesis generated as valid for the document (`positive`), by id,
/// from its NDJSON events.
fn positive_cases(ndjson: &Path) -> std::collections::HashSet<String> {
    fn walk(value: &serde_json::Value, out: &mut std::collections::HashSet<String>) {
        match value {
            serde_json::Value::Object(map) => {
                if let (Some(id), Some("positive")) = (
                    map.get("id").and_then(|v| v.as_str()),
                    value["meta"]["generation"]["mode"].as_str(),
                ) {
                    out.insert(id.to_owned());
                }
                map.values().for_each(|v| walk(v, out));
            }
            serde_json::Value::Array(items) => items.iter().for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    let mut out = std::collections::HashSet::new();
    if let Ok(text) = std::fs::read_to_string(ndjson) {
        for line in text.lines() {
            if let Ok(value) = serde_json::from_str::<serde_json::Value>(line) {
                walk(&value, &mut out);
            }
        }
    }
    out
}

/// The requests of a HAR report generated as valid for the document (Schemathesis's
/// negative cases break it on purpose), and those of them not refused by validation.
fn validation_share(har: &Path, ndjson: &Path) -> (usize, usize) {
    let positive = positive_cases(ndjson);
    let Ok(text) = std::fs::read_to_string(har) else {
        return (0, 0);
    };
    let Ok(json) = serde_json::from_str::<serde_json::Value>(&text) else {
        return (0, 0);
    };
    let case_of = |e: &serde_json::Value| {
        e["request"]["headers"].as_array().and_then(|headers| {
            headers
                .iter()
                .find(|h| h["name"] == "X-Schemathesis-TestCaseId")
                .and_then(|h| h["value"].as_str())
                .map(str::to_owned)
        })
    };
    let statuses: Vec<i64> = json["log"]["entries"]
        .as_array()
        .map(|entries| {
            entries
                .iter()
                .filter(|e| case_of(e).is_some_and(|id| positive.contains(&id)))
                .filter_map(|e| e["response"]["status"].as_i64())
                .collect()
        })
        .unwrap_or_default();
    let past = statuses
        .iter()
        .filter(|s| !matches!(s, 400 | 413 | 415))
        .count();
    (statuses.len(), past)
}

/// Issues a token to `holder` with `scopes` through the use case; its secret.
async fn token(
    store: &registry_store::Store,
    catalogue: &registry_core::review_item::ReviewItemCatalogue,
    calendar: &registry_core::calendar::WorkCalendar,
    holder: registry_core::api_token::TokenHolder,
    scopes: &[&str],
) -> Result<String> {
    let secret = format!(
        "rgt_{}",
        registry_http::secrets::new_token().map_err(|e| anyhow::anyhow!("{e}"))?
    );
    let today = time::OffsetDateTime::now_utc().date();
    crate::register::run(
        store,
        catalogue,
        calendar,
        registry_core::usecases::IssueToken {
            form: registry_core::api_token::TokenForm {
                name: "proof".into(),
                holder,
                scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
                expires_on: registry_core::date::format_date(today + time::Duration::days(30)),
            },
            secret: registry_core::api_token::TokenSecretHash::new(
                registry_http::secrets::token_hash(&secret),
            ),
        },
    )
    .await?;
    Ok(secret)
}

fn schemathesis() -> PathBuf {
    std::env::var_os("SCHEMATHESIS").map_or_else(|| PathBuf::from("schemathesis"), PathBuf::from)
}

/// Runs Schemathesis for every role; `examples` test cases per operation and phase.
pub(crate) async fn proof(dir: &Path, examples: u32) -> Result<Vec<RoleRun>> {
    let registry = registry_binary()?;
    let version = Command::new(schemathesis())
        .arg("--version")
        .output()
        .context("schemathesis is not installed (pip install schemathesis, or set SCHEMATHESIS)")?;
    println!("  {}", String::from_utf8_lossy(&version.stdout).trim());
    let url = DatabaseUrl::sqlite_file_url(&dir.join("api.sqlite3"));
    let catalogue =
        registry_core::fixtures::review_items().map_err(|p| anyhow::anyhow!("{p:?}"))?;
    let calendar = registry_core::fixtures::calendar().map_err(|p| anyhow::anyhow!("{p:?}"))?;
    let (store, institutions, cycle) =
        crate::register::prepare(&url, &catalogue, &calendar).await?;
    let people = crate::register::synthetic(2_000, &catalogue, &institutions, cycle)?;
    load_people(&store, &people).await?;
    let association = association_session(&store, &catalogue, &calendar).await?;
    let institution = session(&store, "inst1").await?;
    let (index, employment) = people
        .iter()
        .enumerate()
        .find_map(|(i, p)| {
            p.employments
                .iter()
                .find(|e| e.institution == institutions[0])
                .map(|e| (i, e))
        })
        .context("a person of the first institution")?;
    let token = registry_http::secrets::new_token().map_err(|e| anyhow::anyhow!("{e}"))?;
    store
        .create_session(
            &registry_http::secrets::token_hash(&token),
            SessionSubject::Assessor {
                person: registry_core::ids::PersonId::new(i64::try_from(index)? + 1),
                institution: employment.institution,
            },
            time::OffsetDateTime::now_utc(),
        )
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let csrf = registry_http::secrets::session_csrf_token(&token);
    let assessor = format!("registry_session={token}; registry_csrf={csrf}");
    let provider = crate::register::run(
        &store,
        &catalogue,
        &calendar,
        registry_core::usecases::CreateProvider {
            form: registry_core::provider::ProviderForm {
                name: "proof provider".into(),
                contact: String::new(),
            },
        },
    )
    .await?;
    let institution_token = self::token(
        &store,
        &catalogue,
        &calendar,
        registry_core::api_token::TokenHolder::Institution(institutions[0]),
        &["institution.read", "institution.write", "assessments.write"],
    )
    .await?;
    let provider_token = self::token(
        &store,
        &catalogue,
        &calendar,
        registry_core::api_token::TokenHolder::Provider(provider),
        &["attendance.write"],
    )
    .await?;
    drop(store);

    let (server, addr) = start(&registry, &url, &[])?;
    let mut runs = Vec::new();
    let anonymous = format!("registry_csrf={CSRF}");
    let cookie = |cookie: &str| {
        vec![
            format!("Cookie: {cookie}"),
            format!("X-CSRF-Token: {}", csrf_of(cookie)),
        ]
    };
    let bearer = |secret: &str| vec![format!("Authorization: Bearer {secret}")];
    for (role, headers) in [
        ("anonymous", cookie(&anonymous)),
        ("assessor", cookie(&assessor)),
        ("institution", cookie(&institution)),
        ("association", cookie(&association)),
        ("inst-token", bearer(&institution_token)),
        ("prov-token", bearer(&provider_token)),
    ] {
        let reports = Path::new("target/proof");
        std::fs::create_dir_all(reports)?;
        let report = reports.join(format!("schemathesis-{role}.txt"));
        let har = format!("schemathesis-{role}.har");
        let ndjson = format!("schemathesis-{role}.ndjson");
        let mut command = Command::new(schemathesis());
        command
            // Its cache (`.schemathesis/`) with the reports, not in the working tree.
            .current_dir(reports)
            .arg("run")
            .arg(format!("http://{addr}/api/openapi.json"))
            .args(["--url", &format!("http://{addr}/api/v1")])
            .args(["--checks", "not_a_server_error"])
            .args(["--max-examples", &examples.to_string()])
            .args(["--seed", "20261127", "--no-color", "--workers", "2"])
            .args(["--report", "har,ndjson", "--report-har-path", &har])
            .args(["--report-ndjson-path", &ndjson])
            .args(["--request-timeout", "10"]);
        for header in &headers {
            command.args(["--header", header]);
        }
        if role != "anonymous" {
            command.args(["--exclude-method", "DELETE"]);
        }
        let output = command
            .output()
            .with_context(|| format!("schemathesis for the {role}"))?;
        let text = String::from_utf8_lossy(&output.stdout).into_owned();
        std::fs::write(&report, &text)?;
        let summary: Vec<String> = text
            .lines()
            .filter(|l| {
                let l = l.trim();
                l.starts_with("Tested:") || l.contains(" generated, ") || l.starts_with("⚠")
            })
            .map(|l| l.trim().to_owned())
            .collect();
        // A crash of Schemathesis itself (a "Runtime Error" in its generator, e.g. CPython
        // 3.11's "AST constructor recursion depth mismatch") is not the server's: the run
        // passes when no check failed, and says so.
        let tool_error_only = !text.contains("Server error") && text.contains("Runtime Error");
        let passed = output.status.success() || tool_error_only;
        if !output.status.success() {
            println!("{text}");
        }
        if tool_error_only {
            println!("  ({role}: Schemathesis itself failed on an operation; no server error)");
        }
        let (requests, past_validation) =
            validation_share(&reports.join(&har), &reports.join(&ndjson));
        runs.push(RoleRun {
            role,
            passed,
            summary,
            requests,
            past_validation,
        });
    }
    drop(server);
    ensure!(!runs.is_empty(), "no role ran");
    Ok(runs)
}
