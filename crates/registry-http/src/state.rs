//! What every request may use: the database, the reference data held in memory (the
//! review items, the working-day calendar and the calendar of deadlines built on it), the
//! configuration and the clock; and running a use case as someone, now.

use std::net::IpAddr;
use std::sync::Arc;

use registry_core::access::{FillInLockout, LockoutPolicy, SessionPolicy};
use registry_core::calendar::WorkCalendar;
use registry_core::holiday_law::DeadlineCalendar;
use registry_core::ports::{Actor, StoreError};
use registry_core::read::queues::RenewalFigures;
use registry_core::review_item::ReviewItemCatalogue;
use registry_core::usecases::{Context, UseCase, UseCaseError, execute};
use registry_core::violation::Violation;
use registry_store::Store;
use registry_store::queries::SelfServiceMatch;
use time::OffsetDateTime;

use crate::{limiter, secrets};

/// Where the time comes from: the system clock, or a fixed moment in tests.
pub trait Clock: Send + Sync {
    /// Now.
    fn now(&self) -> OffsetDateTime;
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

/// How the server behaves, beyond the database.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// Mark cookies `Secure` (the site is served over HTTPS) and send HSTS.
    pub secure_cookies: bool,
    /// Session timeouts.
    pub sessions: SessionPolicy,
    /// Tolerated wrong passwords.
    pub lockout: LockoutPolicy,
    /// How long account passwords last and how many earlier ones they may not repeat.
    pub passwords: registry_core::access::PasswordPolicy,
    /// Who needs a second factor (TOTP) besides the password.
    pub second_factor: registry_core::access::SecondFactorPolicy,
    /// Tolerated wrong fill-in passwords, per entry and client address and per entry.
    pub fill_in: FillInLockout,
    /// A reverse proxy whose `X-Forwarded-For` names the client; nobody else's is trusted.
    pub trusted_proxy: Option<IpAddr>,
    /// The site's public address, without a trailing slash, for the verification
    /// addresses printed on documents; `None`: the address of the request.
    pub public_url: Option<String>,
    /// How large a request body may be, by route.
    pub bodies: crate::BodyLimits,
    /// How long a connection may take to send its headers and a request to be answered
    /// (applied by [`crate::serve`]).
    pub timeouts: crate::Timeouts,
    /// How reminders leave: said on the association's pages (the server's schedule or
    /// `registry notify` sends them).
    pub mail: MailStatus,
}

/// What the association is told of the delivery of reminders.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MailStatus {
    /// A mail server is configured: the digests are sent.
    pub smtp: bool,
    /// The association's duty address, if set.
    pub association: Option<String>,
    /// Text messages are written to the log.
    pub sms_logged: bool,
}

/// The official working-day calendar (on-site assessments count on it alone) and the
/// calendar of deadlines over it (estimating the years after it), always built together.
#[derive(Clone)]
struct Calendars {
    work: Arc<WorkCalendar>,
    deadlines: Arc<DeadlineCalendar>,
}

impl Calendars {
    fn new(work: WorkCalendar) -> Result<Calendars, String> {
        let deadlines = registry_core::fixtures::deadline_calendar(&work)
            .map_err(|e| format!("cannot build the calendar of deadlines: {e}"))?;
        Ok(Calendars {
            work: Arc::new(work),
            deadlines: Arc::new(deadlines),
        })
    }
}

/// A page of 本机构人员: the institution, the state filter, the name filter, the first
/// row, the day.
pub(crate) type InstitutionPageKey = (
    registry_core::ids::InstitutionId,
    Option<registry_core::holding::ItemState>,
    String,
    u64,
    time::Date,
);
/// Its people and how many match in all.
pub(crate) type InstitutionPage = (Vec<registry_store::queries::InstitutionPerson>, u64);

/// What every request may use.
#[derive(Clone)]
pub struct AppState {
    /// The database.
    pub store: Store,
    /// The review items, loaded at start.
    pub catalogue: Arc<ReviewItemCatalogue>,
    /// The working-day calendar and the calendar of deadlines built on it: loaded at
    /// start, and again, both at once, after a calendar is loaded (see
    /// [`AppState::reload_calendar`]).
    calendars: Arc<std::sync::RwLock<Calendars>>,
    /// The configuration.
    pub config: Arc<Config>,
    /// The clock.
    pub clock: Arc<dyn Clock>,
    /// The public search's visitors on this instance (see `limiter`).
    searches: Arc<limiter::SearchLimiter>,
    /// 促进会工作台's figures of a day, kept per write generation (see `kept`).
    pub(crate) dashboard:
        Arc<crate::kept::Kept<time::Date, Arc<crate::templates::figures::DashboardFigures>>>,
    /// Pages of 本机构人员, kept per write generation (see `kept`).
    pub(crate) institution_pages: Arc<crate::kept::Kept<InstitutionPageKey, InstitutionPage>>,
    /// Institutions' names, kept per write generation.
    pub(crate) institution_names: Arc<crate::kept::Kept<registry_core::ids::InstitutionId, String>>,
    /// The 换证 figures of a cycle (all, or one institution's people) of a day, counted in
    /// the background and kept across generations (`Kept::latest_or_refresh`).
    pub(crate) renewal_counts: Arc<crate::kept::Kept<RenewalKey, RenewalFigures>>,
    /// The latest walk of the audit chain, walked again in the background.
    pub(crate) audit_chain: Arc<crate::kept::Kept<(), registry_store::audit_chain::ChainReport>>,
    /// Each institution's workspace lead of a day, kept per write generation.
    pub(crate) workspaces: Arc<
        crate::kept::Kept<
            (registry_core::ids::InstitutionId, time::Date),
            crate::templates::figures::Workspace,
        >,
    >,
}

/// Whose 换证 figures (all, or one institution's people), of which cycle, on which day.
pub(crate) type RenewalKey = (
    Option<registry_core::ids::InstitutionId>,
    registry_core::ids::CycleId,
    time::Date,
);

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("store", &self.store)
            .finish()
    }
}

impl AppState {
    /// Loads the reference data from the database and builds the state.
    pub async fn load(
        store: Store,
        config: Config,
        clock: Arc<dyn Clock>,
    ) -> Result<AppState, String> {
        let catalogue = store
            .catalogue()
            .await
            .map_err(|e| format!("cannot load the review items: {e}"))?;
        let calendar = store
            .calendar()
            .await
            .map_err(|e| format!("cannot load the working-day calendar: {e}"))?;
        Ok(AppState {
            store,
            catalogue: Arc::new(catalogue),
            calendars: Arc::new(std::sync::RwLock::new(Calendars::new(calendar)?)),
            config: Arc::new(config),
            clock,
            searches: Arc::default(),
            dashboard: Arc::default(),
            institution_pages: Arc::default(),
            institution_names: Arc::default(),
            workspaces: Arc::default(),
            renewal_counts: Arc::default(),
            audit_chain: Arc::default(),
        })
    }

    fn calendars(&self) -> Calendars {
        match self.calendars.read() {
            Ok(calendars) => calendars.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// The working-day calendar in force on this instance: the official years only.
    pub fn calendar(&self) -> Arc<WorkCalendar> {
        self.calendars().work
    }

    /// The calendar of deadlines in force on this instance: the official calendar, then
    /// the years after it estimated from the holiday law. Rebuilt with the official
    /// calendar, so loading a year turns every estimate in it into the official day.
    pub fn deadlines(&self) -> Arc<DeadlineCalendar> {
        self.calendars().deadlines
    }

    /// Reads the working-day calendar from the database again, and builds the calendar of
    /// deadlines on it: after this instance loaded a calendar, and now and then for what
    /// other instances loaded.
    pub async fn reload_calendar(&self) -> Result<(), String> {
        let calendar = self
            .store
            .calendar()
            .await
            .map_err(|e| format!("cannot load the working-day calendar: {e}"))?;
        if *self.calendar() == calendar {
            return Ok(());
        }
        let fresh = Calendars::new(calendar)?;
        let mut current = match self.calendars.write() {
            Ok(current) => current,
            Err(poisoned) => poisoned.into_inner(),
        };
        *current = fresh;
        Ok(())
    }

    /// Runs a use case now, as `actor`.
    pub(crate) async fn run<U: UseCase>(
        &self,
        actor: Actor,
        use_case: &U,
    ) -> Result<U::Output, UseCaseError> {
        let calendar = self.calendar();
        let ctx = Context {
            now: self.clock.now(),
            actor,
            catalogue: &self.catalogue,
            calendar: &calendar,
            entropy: &secrets::OsEntropy,
        };
        execute(&self.store, &ctx, use_case).await
    }

    /// Counts a public search from `client`: whether it is allowed (see `limiter`). Never
    /// waits for the database: when the visitor's searches are due to be added to the
    /// shared counter, that is done in the background, and the total it returns counts
    /// from the visitor's next search.
    pub(crate) fn count_search(&self, client: &str) -> bool {
        let now = self.clock.now();
        match self.searches.count(client, now) {
            limiter::Decision::Local { allowed } => allowed,
            limiter::Decision::Write { searches, allowed } => {
                let store = self.store.clone();
                let limiter = Arc::clone(&self.searches);
                let client = client.to_owned();
                tokio::spawn(async move {
                    match store
                        .add_to_count(&format!("search:{client}"), searches, now, limiter::WINDOW)
                        .await
                    {
                        Ok(total) => limiter.written(&client, Some(total.count)),
                        Err(e) => {
                            limiter.written(&client, None);
                            tracing::warn!(error = ?e, "the public search counter was not written");
                        }
                    }
                });
                allowed
            }
        }
    }

    /// 评审人员信息填报, step 2, for the page and the API alike: the institution typed (or
    /// picked from the list) identified among the active ones by the core's rule
    /// (`registry_core::institution::identify`: the whole name, or a telling part of it),
    /// then the people of that name it employs. `Err` when the text identifies no
    /// institution: no search runs over several.
    pub(crate) async fn self_service_search(
        &self,
        name: &str,
        institution: &str,
        limit: u64,
    ) -> Result<Result<Vec<SelfServiceMatch>, Violation>, StoreError> {
        let names = self.store.active_institution_names().await?;
        let picked = match registry_core::institution::identify(
            institution,
            names.iter().map(|(id, name)| (*id, name.as_str())),
        ) {
            Ok(picked) => picked,
            Err(violation) => return Ok(Err(violation)),
        };
        Ok(Ok(self
            .store
            .self_service_search(name, &picked, self.today(), limit)
            .await?))
    }

    /// Where a batch job (an import, an export, a cycle's 换证) runs for `actor`, now, on
    /// `calendar` (the caller holds the instance's calendar for the job's length).
    pub fn batch<'a>(
        &'a self,
        actor: &'a Actor,
        calendar: &'a WorkCalendar,
    ) -> registry_batch::Setting<'a> {
        registry_batch::Setting {
            store: &self.store,
            catalogue: &self.catalogue,
            calendar,
            entropy: &secrets::OsEntropy,
            actor,
            now: self.clock.now(),
        }
    }

    /// Today in China, by the clock.
    pub fn today(&self) -> time::Date {
        registry_core::date::china_today(self.clock.now())
    }
}
