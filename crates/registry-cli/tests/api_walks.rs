//! The walks of docs/API.md run as written: each `## Walk` section's `bash` blocks, in
//! order, as one script (`bash -euo pipefail`), against `registry serve` over the demo
//! register of today, with the tokens and values the walks name in their environment (a
//! training provider's and an institution's tokens issued through the use case, a course
//! the provider runs, an attendee, the codes of a review team's cards). `curl` and `jq`
//! come from Debian (`.ci/run`).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use registry_core::api_token::{TokenForm, TokenHolder, TokenSecretHash};
use registry_core::ids::InstitutionId;
use registry_core::ports::{Actor, Register, RegisterTx};
use registry_core::usecases::{CreateCourse, CreateProvider, IssueToken, execute};
use registry_store::{DataKey, DatabaseUrl, Store};

const KEY: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

struct Dir(PathBuf);

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The values the walks read.
struct Walks {
    provider_token: String,
    institution_token: String,
    name: String,
    number: String,
    codes: Vec<String>,
}

/// The demo register of today, a provider with a course, the tokens, the attendee and the
/// review team.
async fn register(url: &str) -> Walks {
    let store = Store::connect(
        &DatabaseUrl::parse(url).unwrap(),
        DataKey::from_hex(KEY).unwrap(),
    )
    .await
    .unwrap();
    store.migrate().await.unwrap();
    let state = registry_http::AppState::load(
        store.clone(),
        registry_http::Config::default(),
        std::sync::Arc::new(registry_http::SystemClock),
    )
    .await
    .unwrap();
    let today = state.today();
    registry_http::demo::load(&state, today).await.unwrap();
    let actor = Actor::System {
        job: "walks".into(),
    };
    let calendar = state.calendar();
    let setting = state.batch(&actor, &calendar);
    let ctx = setting.context();
    // The institution's registered people, with their cards.
    let institution = InstitutionId::new(1);
    let (people, _) = store
        .institution_people(
            institution,
            &registry_store::queries::InstitutionPeopleQuery {
                state: Some(registry_core::holding::ItemState::Registered),
                name: None,
                offset: 0,
                limit: 20,
            },
            today,
        )
        .await
        .unwrap();
    assert!(
        people.len() >= 2,
        "the demo institution has registered people"
    );
    let mut codes = Vec::new();
    {
        let mut tx = store.begin().await.unwrap();
        for person in &people {
            for document in tx.documents_of(person.person).await.unwrap() {
                if document.details.institution == Some(institution)
                    && document.voided.is_none()
                    && document.details.valid_until.is_none_or(|d| d >= today)
                {
                    codes.push(document.details.code.to_string());
                }
            }
        }
    }
    assert!(!codes.is_empty(), "the demo's cards");
    let attendee = &people[0];
    let item = attendee
        .items
        .iter()
        .find(|i| i.state == registry_core::holding::ItemState::Registered)
        .unwrap()
        .item
        .clone();
    let provider = execute(
        &store,
        &ctx,
        &CreateProvider {
            form: registry_core::provider::ProviderForm {
                name: "华东特种设备培训中心".into(),
                contact: String::new(),
            },
        },
    )
    .await
    .unwrap();
    let day = |n: i64| registry_core::date::format_date(today - time::Duration::days(n));
    execute(
        &store,
        &ctx,
        &CreateCourse {
            form: registry_core::education::CourseForm {
                name: "继续教育培训班（接口示例）".into(),
                start: day(10),
                end: day(9),
                items: vec![item.as_str().to_owned()],
                hours: "16".into(),
            },
            provider: Some(provider),
        },
    )
    .await
    .unwrap();
    let token = |holder, scopes: &[&str]| {
        let secret = format!("rgt_{}", registry_http::secrets::new_token().unwrap());
        let form = TokenForm {
            name: "接口示例".into(),
            holder,
            scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
            expires_on: day(-30),
        };
        let hash = TokenSecretHash::new(registry_http::secrets::token_hash(&secret));
        (secret, IssueToken { form, secret: hash })
    };
    let (provider_token, issue) = token(TokenHolder::Provider(provider), &["attendance.write"]);
    execute(&store, &ctx, &issue).await.unwrap();
    let (institution_token, issue) = token(
        TokenHolder::Institution(institution),
        &["institution.read", "assessments.write"],
    );
    execute(&store, &ctx, &issue).await.unwrap();
    Walks {
        provider_token,
        institution_token,
        name: attendee.name.clone(),
        number: attendee.registration_number.unwrap().to_string(),
        codes,
    }
}

/// The `### Walk` sections of docs/API.md: (title, script of their `bash` blocks).
fn walks(doc: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    let mut in_block = false;
    for line in doc.lines() {
        if let Some(title) = line.strip_prefix("## Walk") {
            out.push((title.trim().to_owned(), String::new()));
        } else if line.starts_with("## ") {
            in_block = false;
            out.push((String::new(), String::new()));
        } else if line.trim() == "```bash" {
            in_block = true;
        } else if line.trim() == "```" {
            in_block = false;
        } else if in_block && let Some((_, script)) = out.last_mut() {
            script.push_str(line);
            script.push('\n');
        }
    }
    out.retain(|(title, script)| !title.is_empty() && !script.is_empty());
    out
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn the_walks_of_the_api_guide_run_as_written() {
    let dir = Dir(std::env::temp_dir().join(format!("registry-api-walks-{}", std::process::id())));
    std::fs::create_dir_all(&dir.0).unwrap();
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.0.join("registry.sqlite3").display()
    );
    let values = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(register(&url));
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let _server = Server(
        Command::new(env!("CARGO_BIN_EXE_registry"))
            .args([
                "serve",
                "--database",
                &url,
                "--bind",
                &format!("127.0.0.1:{port}"),
            ])
            .env("REGISTRY_DATA_KEY", KEY)
            .env_remove("REGISTRY_DATA_KEY_FILE")
            .env_remove("REGISTRY_SMTP_URL")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("registry serve starts"),
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let up = Command::new("curl")
            .args(["-sf", "-o", "/dev/null", &format!("{base}/healthz")])
            .status()
            .expect("curl is installed (.ci/run installs it)");
        if up.success() {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the server did not start"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    let doc =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/API.md"))
            .unwrap();
    let walks = walks(&doc);
    assert_eq!(walks.len(), 3, "three walks in docs/API.md");
    for (title, script) in walks {
        let work = dir.0.join(format!(
            "walk-{}",
            title
                .chars()
                .take(2)
                .collect::<String>()
                .trim_end_matches(':')
        ));
        std::fs::create_dir_all(&work).unwrap();
        let output = Command::new("bash")
            .args(["-euo", "pipefail", "-c", &script])
            .current_dir(&work)
            .env("BASE", &base)
            .env("PROVIDER_TOKEN", &values.provider_token)
            .env("INSTITUTION_TOKEN", &values.institution_token)
            .env("NAME", &values.name)
            .env("NUMBER", &values.number)
            .env("CODES", values.codes.join(" "))
            .output()
            .expect("bash runs");
        assert!(
            output.status.success(),
            "walk {title} failed:\n{script}\n--- stdout\n{}\n--- stderr\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}
