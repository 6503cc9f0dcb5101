//! Schemathesis against the JSON API (issue 9, `cargo xtask proof`): the real `registry
//! serve` over a register of 2,000 people, and Schemathesis (from PyPI) generating requests
//! from `/api/openapi.json` for every role: anonymous, an assessor who unlocked their
//! entry, an institution, the association. The check is `not_a_server_error`: no request,
//! however malformed, may answer 5xx. Each role's session is minted in the database, and
//! every unsafe request carries the CSRF header; `DELETE /session` (the logout) is left out
//! for the signed-in roles so that the rest runs signed in (the anonymous run covers it).

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
    drop(store);

    let (server, addr) = start(&registry, &url, &[])?;
    let mut runs = Vec::new();
    let anonymous = format!("registry_csrf={CSRF}");
    for (role, cookie) in [
        ("anonymous", anonymous.as_str()),
        ("assessor", assessor.as_str()),
        ("institution", institution.as_str()),
        ("association", association.as_str()),
    ] {
        let reports = Path::new("target/proof");
        std::fs::create_dir_all(reports)?;
        let report = reports.join(format!("schemathesis-{role}.txt"));
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
            .args(["--header", &format!("Cookie: {cookie}")])
            .args(["--header", &format!("X-CSRF-Token: {}", csrf_of(cookie))])
            .args(["--request-timeout", "10"]);
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
        let passed = output.status.success();
        if !passed {
            println!("{text}");
        }
        runs.push(RoleRun {
            role,
            passed,
            summary,
        });
    }
    drop(server);
    ensure!(!runs.is_empty(), "no role ran");
    Ok(runs)
}
