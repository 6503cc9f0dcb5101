//! A test server (SQLite in a temporary directory, a clock the test moves) and a client
//! that keeps cookies and repeats the CSRF token, as a browser does.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use poem::EndpointExt;
use poem::http::{Method, StatusCode};
use poem::test::TestClient;
use registry_core::access::{Duty, PasswordHash};
use registry_core::date::CHINA_STANDARD_TIME;
use registry_core::policy::Policy;
use registry_core::ports::Actor;
use registry_core::usecases::{CreateAssociationAccount, DefineCycle};
use registry_http::{AppState, Clock, Config};
use registry_store::{DataKey, DatabaseUrl, Store};
use time::{Date, Month, OffsetDateTime, Time};

/// A clock the test sets.
#[derive(Clone)]
pub(crate) struct TestClock(Arc<Mutex<OffsetDateTime>>);

impl Clock for TestClock {
    fn now(&self) -> OffsetDateTime {
        *self.0.lock().unwrap()
    }
}

impl TestClock {
    pub(crate) fn advance(&self, by: time::Duration) {
        *self.0.lock().unwrap() += by;
    }
}

pub(crate) struct Server {
    pub(crate) clock: TestClock,
    pub(crate) store: Store,
    /// The application's state (to serve it over TCP too).
    pub(crate) state: AppState,
    pub(crate) client: TestClient<poem::endpoint::BoxEndpoint<'static, poem::Response>>,
    /// The database, and the directory removed with the server (none: not this one's).
    url: DatabaseUrl,
    dir: std::path::PathBuf,
}

/// A PostgreSQL database of a test's own on the server `REGISTRY_TEST_DATABASE_URL` names
/// (as `.ci/run` sets it), dropped with it.
pub(crate) struct PgDatabase {
    admin: String,
    name: String,
    pub(crate) url: DatabaseUrl,
}

impl PgDatabase {
    /// A new empty database; none when no PostgreSQL server is named.
    pub(crate) async fn create() -> Option<PgDatabase> {
        use sea_orm::ConnectionTrait;
        let admin = std::env::var("REGISTRY_TEST_DATABASE_URL").ok()?;
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let name = format!(
            "registry_http_{}_{}",
            std::process::id(),
            N.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        );
        let connection = sea_orm::Database::connect(&admin).await.unwrap();
        connection
            .execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await
            .unwrap();
        connection.close().await.unwrap();
        let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
        let url = DatabaseUrl::parse(&format!("{base}/{name}")).unwrap();
        Some(PgDatabase { admin, name, url })
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let (admin, name) = (self.admin.clone(), self.name.clone());
        // Dropping a database needs a connection of its own, on a runtime of its own:
        // Drop cannot await.
        let _ = std::thread::spawn(move || {
            use sea_orm::ConnectionTrait;
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                if let Ok(connection) = sea_orm::Database::connect(&admin).await {
                    let _ = connection
                        .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .await;
                }
            });
        })
        .join();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

pub(crate) const ADMIN_PASSWORD: &str = "Cujinhui2026";

/// The configuration of the tests' servers: the defaults, except that passwords do not
/// expire (tests move the clock by months and years) and administrators need no second
/// factor (a frozen clock gives one code a step); `passwords.rs` and `second_factor.rs`
/// test those with the default policy.
pub(crate) fn test_config() -> Config {
    Config {
        passwords: registry_core::access::PasswordPolicy {
            max_age_days: 0,
            ..Default::default()
        },
        second_factor: registry_core::access::SecondFactorPolicy {
            administrators: false,
        },
        ..Config::default()
    }
}

pub(crate) fn date(y: i32, m: u8, d: u8) -> Date {
    Date::from_calendar_date(y, Month::try_from(m).unwrap(), d).unwrap()
}

impl Server {
    /// A server on 2026-11-26 10:00 in China, with the 2025—2028 cycle and the
    /// association's account `admin`.
    pub(crate) async fn new() -> Server {
        Server::with_config(test_config()).await
    }

    /// The same, with a configuration of its own.
    pub(crate) async fn with_config(config: Config) -> Server {
        let server = Server::empty(config, date(2026, 11, 26)).await;
        Server::set_up(server).await
    }

    /// The same over the PostgreSQL database `url` (empty).
    pub(crate) async fn on_postgres(url: &DatabaseUrl) -> Server {
        let dir = std::env::temp_dir().join("registry-http-test-not-a-directory");
        let server = Server::over(url.clone(), dir, test_config(), date(2026, 11, 26)).await;
        Server::set_up(server).await
    }

    /// An empty register over the PostgreSQL database `url` on `today`.
    pub(crate) async fn empty_on_postgres(
        url: &DatabaseUrl,
        config: Config,
        today: Date,
    ) -> Server {
        let dir = std::env::temp_dir().join("registry-http-test-not-a-directory");
        Server::over(url.clone(), dir, config, today).await
    }

    /// The 2025—2028 cycle and the association's account `admin`.
    async fn set_up(server: Server) -> Server {
        let state = &server.state;
        let admin = Actor::Association {
            account: "setup".into(),
        };
        state_run(
            state,
            admin.clone(),
            DefineCycle {
                target: registry_core::usecases::CycleTarget::New,
                name: "2025—2028".into(),
                start: date(2025, 1, 1),
                end: date(2028, 12, 31),
                policy: Policy::default(),
            },
        )
        .await;
        let hash = registry_http::secrets::hash_password(ADMIN_PASSWORD.into())
            .await
            .unwrap();
        state_run(
            state,
            admin,
            CreateAssociationAccount {
                username: "admin".into(),
                duty: Duty::System,
                password: PasswordHash::new(hash),
                must_change_password: false,
            },
        )
        .await;
        server
    }

    /// A server on `today` at 10:00 in China over an empty register: no cycle, no account.
    pub(crate) async fn empty(config: Config, today: Date) -> Server {
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "registry-http-test-{}-{}",
            std::process::id(),
            N.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        ));
        let url = DatabaseUrl::sqlite_file_url(&dir.join("registry.sqlite3"));
        Server::over(url, dir, config, today).await
    }

    /// A server on `today` at 10:00 in China over the empty database `url`; `dir` is
    /// removed with it.
    async fn over(
        url: DatabaseUrl,
        dir: std::path::PathBuf,
        config: Config,
        today: Date,
    ) -> Server {
        let store = Store::connect(&url, DataKey::from_hex(&"ab".repeat(32)).unwrap())
            .await
            .unwrap();
        store.migrate().await.unwrap();
        let now = today
            .with_time(Time::from_hms(10, 0, 0).unwrap())
            .assume_offset(CHINA_STANDARD_TIME);
        let clock = TestClock(Arc::new(Mutex::new(now)));
        let state = AppState::load(store, config, Arc::new(clock.clone()))
            .await
            .unwrap();
        let client = TestClient::new(registry_http::app(state.clone()).map_to_response().boxed());
        Server {
            clock,
            store: state.store.clone(),
            state,
            client,
            url,
            dir,
        }
    }

    /// A second instance over the same database, as behind a load balancer: its own
    /// store (connections, the public search's answers kept in memory, the watch of the
    /// audit chain's head), the same clock.
    pub(crate) async fn beside(&self) -> Server {
        let url = self.url.clone();
        let store = Store::connect(&url, DataKey::from_hex(&"ab".repeat(32)).unwrap())
            .await
            .unwrap();
        let state = AppState::load(store, test_config(), Arc::new(self.clock.clone()))
            .await
            .unwrap();
        let client = TestClient::new(registry_http::app(state.clone()).map_to_response().boxed());
        Server {
            clock: self.clock.clone(),
            store: state.store.clone(),
            state,
            client,
            url,
            // The first instance removes the directory.
            dir: self.dir.join("beside"),
        }
    }

    /// A new browser (its own cookies).
    pub(crate) fn browser(&self) -> Browser<'_> {
        Browser {
            server: self,
            cookies: BTreeMap::new(),
            bearer: None,
        }
    }
    /// A new administrator of the association with this duty (password
    /// [`ADMIN_PASSWORD`]), logged in.
    pub(crate) async fn administrator(&self, duty: Duty, username: &str) -> Browser<'_> {
        let hash = registry_http::secrets::hash_password(ADMIN_PASSWORD.into())
            .await
            .unwrap();
        state_run(
            &self.state,
            Actor::Association {
                account: "setup".into(),
            },
            CreateAssociationAccount {
                username: username.into(),
                duty,
                password: PasswordHash::new(hash),
                must_change_password: false,
            },
        )
        .await;
        let mut browser = self.browser();
        browser.login(username, ADMIN_PASSWORD).await;
        browser
    }

    /// The same, logged in with the second factor it set up at once (for servers that
    /// require one of administrators).
    pub(crate) async fn administrator_enrolled(&self, duty: Duty, username: &str) -> Browser<'_> {
        let mut browser = self.administrator(duty, username).await;
        let page = browser.get("/account/second-factor").await;
        let secret = page.between("id=\"secret\">", "<").unwrap();
        let offer = page.between("name=\"offer\" value=\"", "\"").unwrap();
        let code = registry_http::totp::current_code(&secret, self.clock.now()).unwrap();
        let done = browser
            .post(
                "/account/second-factor",
                &[("offer", &offer), ("code", &code)],
            )
            .await;
        assert_eq!(
            done.status,
            StatusCode::OK,
            "{:?} {}",
            done.location,
            done.body
        );
        browser
    }
}

async fn state_run<U: registry_core::usecases::UseCase>(
    state: &AppState,
    actor: Actor,
    use_case: U,
) -> U::Output {
    let calendar = state.calendar();
    let ctx = registry_core::usecases::Context {
        now: state.clock.now(),
        actor,
        catalogue: &state.catalogue,
        calendar: &calendar,
        entropy: &registry_http::secrets::OsEntropy,
    };
    registry_core::usecases::execute(&state.store, &ctx, &use_case)
        .await
        .unwrap()
}

pub(crate) struct Page {
    pub(crate) status: StatusCode,
    pub(crate) location: Option<String>,
    pub(crate) headers: poem::http::HeaderMap,
    pub(crate) body: String,
    /// The body as sent (a PDF is not text).
    pub(crate) bytes: Vec<u8>,
}

impl Page {
    /// The text between two markers, for pulling a value out of a page.
    pub(crate) fn between(&self, start: &str, end: &str) -> Option<String> {
        let from = self.body.find(start)? + start.len();
        let to = self.body[from..].find(end)? + from;
        Some(self.body[from..to].to_owned())
    }

    pub(crate) fn has(&self, text: &str) -> bool {
        self.body.contains(text)
    }

    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or(serde_json::Value::Null)
    }
}

pub(crate) struct Browser<'a> {
    server: &'a Server,
    pub(crate) cookies: BTreeMap<String, String>,
    /// A machine client's API token: sent as `Authorization: Bearer`, instead of cookies.
    pub(crate) bearer: Option<String>,
}

impl Browser<'_> {
    pub(crate) fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    pub(crate) fn csrf(&self) -> String {
        self.cookies
            .get("registry_csrf")
            .cloned()
            .unwrap_or_default()
    }

    async fn send(
        &mut self,
        method: Method,
        path: &str,
        content_type: Option<&str>,
        body: Option<Vec<u8>>,
        extra: &[(&str, String)],
    ) -> Page {
        let mut request = self.server.client.request(method, path);
        request = match &self.bearer {
            Some(secret) => request.header("authorization", format!("Bearer {secret}")),
            None => request.header("cookie", self.cookie_header()),
        };
        if let Some(ct) = content_type {
            request = request.content_type(ct);
        }
        for (k, v) in extra {
            request = request.header(*k, v.as_str());
        }
        if let Some(body) = body {
            request = request.body(body);
        }
        let response = request.send().await.0;
        let status = response.status();
        let headers = response.headers().clone();
        for value in headers.get_all("set-cookie") {
            let text = value.to_str().unwrap_or("");
            let (pair, attributes) = text.split_once(';').unwrap_or((text, ""));
            if let Some((name, value)) = pair.split_once('=') {
                if attributes.contains("Max-Age=0") {
                    self.cookies.remove(name);
                } else {
                    self.cookies.insert(name.to_owned(), value.to_owned());
                }
            }
        }
        let location = headers
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let bytes = response.into_body().into_vec().await.unwrap_or_default();
        let body = String::from_utf8(bytes.clone()).unwrap_or_default();
        Page {
            status,
            location,
            headers,
            body,
            bytes,
        }
    }

    pub(crate) async fn get(&mut self, path: &str) -> Page {
        self.send(Method::GET, path, None, None, &[]).await
    }

    /// Posts a form with the CSRF token, as the page's form would.
    pub(crate) async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        if self.csrf().is_empty() {
            self.get("/").await;
        }
        let csrf = self.csrf();
        let mut all: Vec<(&str, &str)> = vec![("csrf", csrf.as_str())];
        all.extend_from_slice(fields);
        let body = serde_urlencoded::to_string(&all).unwrap();
        self.send(
            Method::POST,
            path,
            Some("application/x-www-form-urlencoded"),
            Some(body.into_bytes()),
            &[],
        )
        .await
    }

    /// Posts a multipart form (as a file upload does) with the CSRF token in the query
    /// string, as the upload form's action carries it. `files` are (field, file name,
    /// content); `fields` plain fields.
    pub(crate) async fn upload(
        &mut self,
        path: &str,
        files: &[(&str, &str, &[u8])],
        fields: &[(&str, &str)],
    ) -> Page {
        if self.csrf().is_empty() {
            self.get("/").await;
        }
        let boundary = "----registry-test-boundary-7d3f";
        let mut body = Vec::new();
        for (name, file_name, content) in files {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
                )
                .as_bytes(),
            );
            body.extend_from_slice(content);
            body.extend_from_slice(b"\r\n");
        }
        for (name, value) in fields {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
                )
                .as_bytes(),
            );
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        let path = format!("{path}?csrf={}", self.csrf());
        self.send(
            Method::POST,
            &path,
            Some(&format!("multipart/form-data; boundary={boundary}")),
            Some(body),
            &[],
        )
        .await
    }

    /// Posts a form without any CSRF token.
    pub(crate) async fn post_without_csrf(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let body = serde_urlencoded::to_string(fields).unwrap().into_bytes();
        self.send(
            Method::POST,
            path,
            Some("application/x-www-form-urlencoded"),
            Some(body),
            &[],
        )
        .await
    }

    /// A JSON API call with the CSRF header.
    pub(crate) async fn api(
        &mut self,
        method: Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> Page {
        if self.csrf().is_empty() && self.bearer.is_none() {
            self.get("/api/v1/session").await;
        }
        let csrf = self.csrf();
        self.send(
            method,
            path,
            Some("application/json"),
            body.map(|b| b.to_string().into_bytes()),
            &[("x-csrf-token", csrf)],
        )
        .await
    }

    /// An API request with a file as its body (`application/octet-stream`), with the CSRF
    /// token.
    pub(crate) async fn api_binary(&mut self, method: Method, path: &str, bytes: &[u8]) -> Page {
        if self.csrf().is_empty() && self.bearer.is_none() {
            self.get("/api/v1/session").await;
        }
        let csrf = self.csrf();
        self.send(
            method,
            path,
            Some("application/octet-stream"),
            Some(bytes.to_vec()),
            &[("x-csrf-token", csrf)],
        )
        .await
    }

    /// An API request with a raw JSON body as it is (well-formed or not), with the CSRF
    /// token.
    pub(crate) async fn send_json(&mut self, method: Method, path: &str, body: &str) -> Page {
        if self.csrf().is_empty() && self.bearer.is_none() {
            self.get("/api/v1/session").await;
        }
        let csrf = self.csrf();
        self.send(
            method,
            path,
            Some("application/json"),
            Some(body.as_bytes().to_vec()),
            &[("x-csrf-token", csrf)],
        )
        .await
    }

    /// An API request with a text body (`text/plain`), with the CSRF token.
    pub(crate) async fn api_text(&mut self, method: Method, path: &str, text: &str) -> Page {
        if self.csrf().is_empty() {
            self.get("/api/v1/session").await;
        }
        let csrf = self.csrf();
        self.send(
            method,
            path,
            Some("text/plain; charset=utf-8"),
            Some(text.as_bytes().to_vec()),
            &[("x-csrf-token", csrf)],
        )
        .await
    }

    /// Sends a form body as it is (its `csrf` field included or not) with the browser's
    /// cookies as they are; returns the status.
    pub(crate) async fn send_raw(
        &mut self,
        method: Method,
        path: &str,
        body: Vec<u8>,
    ) -> StatusCode {
        self.send(
            method,
            path,
            Some("application/x-www-form-urlencoded"),
            Some(body),
            &[],
        )
        .await
        .status
    }

    /// Posts an empty form carrying whatever CSRF cookie the browser has (forged or not)
    /// and the same value in the form; returns the status.
    pub(crate) async fn send_raw_post(&mut self, path: &str) -> StatusCode {
        let body = format!("csrf={}", "0".repeat(64)).into_bytes();
        self.send(
            Method::POST,
            path,
            Some("application/x-www-form-urlencoded"),
            Some(body),
            &[],
        )
        .await
        .status
    }

    /// Logs in through the login page; panics unless it succeeds.
    pub(crate) async fn login(&mut self, username: &str, password: &str) -> Page {
        let page = self
            .post("/login", &[("username", username), ("password", password)])
            .await;
        assert_eq!(
            page.status,
            StatusCode::SEE_OTHER,
            "login of {username} failed: {}",
            page.body
        );
        page
    }
}

/// The institution `name` created through the association's page, with its account's
/// password changed to `password` at the first login; returns the institution's id.
pub(crate) async fn institution(
    server: &Server,
    n: u32,
    name: &str,
    username: &str,
    password: &str,
) -> i64 {
    let mut admin = server.browser();
    admin.login("admin", ADMIN_PASSWORD).await;
    let code =
        registry_core::credit_code::CreditCode::from_parts("12", "350100", &format!("7000{n:04}"))
            .unwrap();
    let created = admin
        .post(
            "/association/institutions/new",
            &[
                ("name", name),
                ("number", &format!("TS-JP-{n:03}")),
                ("credit_code", code.as_str()),
                ("national_number", &format!("TS{n}-2027")),
                ("username", username),
            ],
        )
        .await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.body);
    let initial = created
        .between(SECRET.0, SECRET.1)
        .expect("the initial password is shown");
    let mut institution = server.browser();
    let first = institution.login(username, &initial).await;
    assert_eq!(
        first.location.as_deref(),
        Some("/account/password"),
        "the initial password must be changed"
    );
    let changed = institution
        .post(
            "/account/password",
            &[
                ("current", &initial),
                ("new_password", password),
                ("repeat", password),
            ],
        )
        .await;
    assert!(changed.has("密码已修改"), "{}", changed.body);
    let list = admin.get("/association/institutions").await;
    let row = list
        .body
        .split("<tr>")
        .find(|r| r.contains(name))
        .expect("listed");
    let id = row
        .split("/association/institutions/")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    id.parse().unwrap()
}

/// An exam result recorded through the association's page; returns nothing (the person is
/// found by name and ID number later).
pub(crate) async fn exam_result(
    server: &Server,
    name: &str,
    id: &str,
    items: &[&str],
    exam_date: &str,
) {
    let mut admin = server.browser();
    admin.login("admin", ADMIN_PASSWORD).await;
    let mut fields = vec![
        ("name", name),
        ("resident_id", id),
        ("exam_date", exam_date),
        ("published_on", exam_date),
    ];
    fields.extend(items.iter().map(|i| ("items", *i)));
    let page = admin.post("/association/exam-results", &fields).await;
    assert!(page.has("已录入"), "{}", page.body);
}

/// A valid ID number of a person born on `birth`.
pub(crate) fn resident_id(n: u16, birth: Date) -> String {
    registry_core::resident_id::ResidentId::from_parts(350102, birth, n)
        .unwrap()
        .as_str()
        .to_owned()
}

pub(crate) fn query(pairs: &[(&str, &str)]) -> String {
    serde_urlencoded::to_string(pairs).unwrap()
}

/// Around a password shown once (an account's or a fill-in slip's).
pub(crate) const SECRET: (&str, &str) = ("id=\"secret\">", "</p>");

/// Employs `name` (ID `id`) at the logged-in institution `b` for `items`; returns the
/// person's id and the fill-in password.
pub(crate) async fn add(
    b: &mut Browser<'_>,
    name: &str,
    id: &str,
    items: &[&str],
) -> (String, String) {
    let found = b
        .post(
            "/institution/add/find",
            &[("name", name), ("resident_id", id)],
        )
        .await;
    let person = found
        .between("name=\"person\" value=\"", "\"")
        .expect("found");
    let mut fields = vec![("person", person.as_str())];
    fields.extend(items.iter().map(|i| ("items", *i)));
    let shown = b.post("/institution/add", &fields).await;
    (
        person.clone(),
        shown
            .between(SECRET.0, SECRET.1)
            .expect("a fill-in password"),
    )
}

/// The person fills in complete details through `institution`'s entry.
pub(crate) async fn fill_in(
    server: &Server,
    person: &str,
    institution: i64,
    password: &str,
    sex: &str,
) {
    let entry = format!("/self-service/{person}/{institution}");
    let mut me = server.browser();
    me.post(&entry, &[("password", password)]).await;
    let edit = me.get(&format!("{entry}/edit")).await;
    let version = edit.between("name=\"version\" value=\"", "\"").unwrap();
    let saved = me
        .post(
            &format!("{entry}/edit"),
            &[
                ("version", &version),
                ("sex", sex),
                ("education", "大学本科"),
                ("title", "工程师"),
                ("work_unit", "某厂"),
                ("mobile", "13500000000"),
                ("province", "江苏省"),
                ("city", "南京市"),
                ("street", "中山路99号"),
                ("postcode", "210000"),
            ],
        )
        .await;
    assert!(saved.has("等待注册"), "{}", saved.body);
}

/// Collects every log line of the process, with the server's log filter.
#[derive(Clone, Default)]
pub(crate) struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Captured {
        self.clone()
    }
}

impl Captured {
    /// Makes the process's log go here, as `registry serve` writes it (no colours):
    /// for a test that owns its process (nextest runs each test alone).
    pub(crate) fn install() -> Captured {
        let logs = Captured::default();
        let subscriber = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(
                registry_http::LOG_FILTER,
            ))
            .with_writer(logs.clone())
            .with_ansi(false)
            .finish();
        tracing::subscriber::set_global_default(subscriber)
            .expect("this test owns the process's log output (nextest runs each test alone)");
        logs
    }

    /// What was logged so far.
    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

/// The number shown before `label` in the group titled `group`.
pub(crate) fn figure(page: &Page, group: &str, label: &str) -> u64 {
    let section = page
        .between(&format!(">{group}</h2>"), "</section>")
        .unwrap_or_else(|| panic!("no group {group}"));
    let before = section
        .split(&format!("<span class=\"label\">{label}</span>"))
        .next()
        .unwrap_or_else(|| panic!("no figure {label} in {group}"));
    let value = before
        .rsplit("<span class=\"value\">")
        .next()
        .and_then(|v| v.split('<').next())
        .unwrap_or_else(|| panic!("no value of {label}"));
    value
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("{label}: {value}"))
}

/// The page at `path` once the figures counted in the background (换证) are counted from
/// the register as it is now.
pub(crate) async fn counted(browser: &mut Browser<'_>, path: &str) -> Page {
    for _ in 0..200 {
        let page = browser.get(path).await;
        if !page.has("正在统计") && !page.has("正在按最新数据重新统计") {
            return page;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("{path}: the figures were never counted");
}

/// A training provider added by the association's system administrator (`admin`'s
/// browser); its id.
pub(crate) async fn training_provider(_server: &Server, admin: &mut Browser<'_>) -> i64 {
    let created = admin
        .api(
            Method::POST,
            "/api/v1/association/providers",
            Some(serde_json::json!({"name": "华东特种设备培训中心", "contact": "周老师 021-0000"})),
        )
        .await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.body);
    serde_json::from_str::<serde_json::Value>(&created.body).unwrap()["id"]
        .as_i64()
        .unwrap()
}

/// A token issued by the security administrator (`security`'s browser) to `holder`
/// (`{"institution_id": …}` or `{"provider_id": …}`) with `scopes`, running 30 days;
/// its secret.
pub(crate) async fn issue_token(
    security: &mut Browser<'_>,
    holder: serde_json::Value,
    scopes: &[&str],
) -> String {
    let mut body = serde_json::json!({
        "name": "业务系统",
        "scopes": scopes,
        "expires_on": registry_core::date::format_date(
            security.server.clock.now().date() + time::Duration::days(30)
        ),
    });
    for (k, v) in holder.as_object().unwrap() {
        body[k] = v.clone();
    }
    let issued = security
        .api(Method::POST, "/api/v1/association/tokens", Some(body))
        .await;
    assert_eq!(issued.status, StatusCode::OK, "{}", issued.body);
    serde_json::from_str::<serde_json::Value>(&issued.body).unwrap()["secret"]
        .as_str()
        .unwrap()
        .to_owned()
}
