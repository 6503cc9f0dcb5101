//! The employment of a person by an institution, and the holding of each of the person's
//! review items by one institution, with its states.
//!
//! An institution *employs* a person ([`Employment`]): it sets the person's fill-in
//! password, through which the person fills in their details for that institution. For
//! each review item the institution employs the person in, there is a *holding*
//! ([`Holding`]) of (person, item) by that institution. At most one holding of a
//! (person, item) is active, whatever the institution: each of the 26 sub-items is
//! registered with one institution (source document, question 1). Released holdings stay
//! as history.
//!
//! The states of a holding ([`ItemState`]):
//!
//! ```text
//!   employ / hire from the pool
//!            │
//!            ▼
//!        待填报 (Invited) ──details saved──► 信息填报中 (Filling) ◄──┐
//!            │                                   │ complete      │ incomplete
//!            └──────────details saved, complete──┴──────► 等待注册 (AwaitingRegistration)
//!                                                               │ register
//!                                                               ▼
//!                            renewal (register) ◄──── 已注册 ✓ (Registered)
//!                            已过期 (Expired) ◄──validity ends──┘
//!   any active state ──release (退回人员)──► 已退回 (Released: the item is in the pool)
//! ```

use std::fmt;

use time::Date;

use crate::cycle::Cycles;
use crate::date::full_years;
use crate::ids::{CycleId, HoldingId, InstitutionId, PersonId};
use crate::review_item::ReviewItemCode;
use crate::text::Text;
use crate::violation::Violation;

/// The state of a person's review item at an institution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ItemState {
    /// The institution employs the person and set the fill-in password; nothing filled
    /// in through it yet (待填报).
    Invited,
    /// The person saved details that are not complete yet (信息填报中).
    Filling,
    /// The details are complete; the institution may register the item (等待注册).
    AwaitingRegistration,
    /// Registered (已注册 ✓).
    Registered,
    /// The registration's validity ended; the institution may renew it (已过期).
    Expired,
    /// Released by the institution: the item is back in the pool (已退回).
    Released,
}

/// What happens to a holding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemEvent {
    /// The person saved their details through this institution's entry.
    DetailsSaved {
        /// Whether the details are now complete.
        complete: bool,
    },
    /// The institution registers the item (first registration or renewal).
    Register,
    /// The institution releases the item to the pool (退回人员).
    Release,
    /// The registration's validity ended.
    Expire,
    /// The institution takes back its release of the same day (撤销退回): the item returns
    /// to the state it would have had.
    UndoRelease {
        /// The state it returns to.
        restored: ItemState,
    },
}

impl ItemEvent {
    /// What the event does, in Chinese, for messages.
    pub fn action(self) -> &'static str {
        match self {
            ItemEvent::DetailsSaved { .. } => "填报信息",
            ItemEvent::Register => "注册",
            ItemEvent::Release => "退回",
            ItemEvent::Expire => "到期",
            ItemEvent::UndoRelease { .. } => "撤销退回",
        }
    }
}

/// A transition the state machine does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("评审项当前状态为“{}”，不能{}", .from.label(), .event.action())]
pub struct IllegalTransition {
    /// The state the holding is in.
    pub from: ItemState,
    /// The event refused.
    pub event: ItemEvent,
}

impl From<IllegalTransition> for Violation {
    fn from(e: IllegalTransition) -> Self {
        Violation::IllegalTransition {
            state: e.from.label(),
            action: e.event.action(),
        }
    }
}

impl ItemState {
    /// The label every page shows (one label per state, everywhere).
    pub fn label(self) -> &'static str {
        match self {
            ItemState::Invited => "待填报",
            ItemState::Filling => "信息填报中",
            ItemState::AwaitingRegistration => "等待注册",
            ItemState::Registered => "已注册",
            ItemState::Expired => "已过期",
            ItemState::Released => "已退回",
        }
    }

    /// The stable code stored and sent over the API.
    pub fn code(self) -> &'static str {
        match self {
            ItemState::Invited => "invited",
            ItemState::Filling => "filling",
            ItemState::AwaitingRegistration => "awaiting_registration",
            ItemState::Registered => "registered",
            ItemState::Expired => "expired",
            ItemState::Released => "released",
        }
    }

    /// Reads a stored code.
    pub fn from_code(code: &str) -> Option<ItemState> {
        [
            ItemState::Invited,
            ItemState::Filling,
            ItemState::AwaitingRegistration,
            ItemState::Registered,
            ItemState::Expired,
            ItemState::Released,
        ]
        .into_iter()
        .find(|s| s.code() == code)
    }

    /// Whether the holding occupies the item (every state but released).
    pub fn is_active(self) -> bool {
        self != ItemState::Released
    }

    /// The state a new holding starts in, given how far the person got through this
    /// institution's entry: a person who already confirmed complete details through it
    /// awaits registration at once; otherwise the holding waits for the person to fill in.
    pub fn initial(progress: EntryProgress) -> ItemState {
        match progress {
            EntryProgress::NotOpened => ItemState::Invited,
            EntryProgress::Incomplete => ItemState::Filling,
            EntryProgress::Complete => ItemState::AwaitingRegistration,
        }
    }

    /// The state after an event, or the typed refusal.
    pub fn after(self, event: ItemEvent) -> Result<ItemState, IllegalTransition> {
        use ItemEvent as E;
        use ItemState as S;
        let next = match (self, event) {
            (
                S::Invited | S::Filling | S::AwaitingRegistration,
                E::DetailsSaved { complete: true },
            ) => S::AwaitingRegistration,
            (
                S::Invited | S::Filling | S::AwaitingRegistration,
                E::DetailsSaved { complete: false },
            ) => S::Filling,
            // Saving complete details leaves a registration as it is; a registered person
            // may not empty a required field (the use case refuses it before).
            (S::Registered, E::DetailsSaved { complete: true }) => S::Registered,
            (S::Expired, E::DetailsSaved { .. }) => S::Expired,
            // Registering: the first time from 等待注册; a renewal from 已过期, or from
            // 已注册 within the renewal window (the use case checks the window).
            (S::AwaitingRegistration | S::Expired | S::Registered, E::Register) => S::Registered,
            (S::Registered, E::Expire) => S::Expired,
            (s, E::Release) if s.is_active() => S::Released,
            (S::Released, E::UndoRelease { restored }) if restored.is_active() => restored,
            (from, event) => return Err(IllegalTransition { from, event }),
        };
        Ok(next)
    }
}

impl fmt::Display for ItemState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// How far a person got through one institution's entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EntryProgress {
    /// Never saved details through it.
    NotOpened,
    /// Saved details that are incomplete.
    Incomplete,
    /// Saved complete details.
    Complete,
}

impl EntryProgress {
    /// The stable code stored.
    pub fn code(self) -> &'static str {
        match self {
            EntryProgress::NotOpened => "not_opened",
            EntryProgress::Incomplete => "incomplete",
            EntryProgress::Complete => "complete",
        }
    }

    /// Reads a stored code.
    pub fn from_code(code: &str) -> Option<EntryProgress> {
        match code {
            "not_opened" => Some(EntryProgress::NotOpened),
            "incomplete" => Some(EntryProgress::Incomplete),
            "complete" => Some(EntryProgress::Complete),
            _ => None,
        }
    }
}

/// The hash of a fill-in password (a PHC string such as `$argon2id$…`). The core never
/// sees a password: the edge generates it, shows it once and hands over only the hash.
#[derive(Clone, PartialEq, Eq)]
pub struct FillInPasswordHash(String);

impl FillInPasswordHash {
    /// Wraps a hash computed by the edge.
    pub fn new(hash: String) -> FillInPasswordHash {
        FillInPasswordHash(hash)
    }

    /// The hash, for storage and verification.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for FillInPasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("FillInPasswordHash(…)")
    }
}

/// The employment of a person by an institution: the fill-in password it set and how far
/// the person got through its entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Employment {
    /// The person.
    pub person: PersonId,
    /// The institution.
    pub institution: InstitutionId,
    /// The hash of the fill-in password.
    pub password: FillInPasswordHash,
    /// How far the person got through this institution's entry.
    pub progress: EntryProgress,
    /// The first day of the employment.
    pub since: Date,
    /// The day the fill-in password in use was set.
    pub password_set_on: Date,
    /// The optimistic-lock version.
    pub version: i64,
}

/// The current registration of a holding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistrationPeriod {
    /// The cycle registered for.
    pub cycle: CycleId,
    /// The day the institution registered it.
    pub registered_on: Date,
    /// The first day of validity.
    pub valid_from: Date,
    /// The last day of validity: the earlier of the cycle's end and the day before the
    /// 70th birthday.
    pub valid_until: Date,
}

/// The holding of one review item of one person by one institution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holding {
    /// The identifier.
    pub id: HoldingId,
    /// The person.
    pub person: PersonId,
    /// The review item.
    pub item: ReviewItemCode,
    /// The institution.
    pub institution: InstitutionId,
    /// The state as last recorded (see [`Holding::state_on`] for the state on a day).
    pub state: ItemState,
    /// The first day of the holding.
    pub since: Date,
    /// The day it entered its recorded state.
    pub state_since: Date,
    /// The current (or last) registration.
    pub registration: Option<RegistrationPeriod>,
    /// The day it was released.
    pub released_on: Option<Date>,
    /// Why it was released.
    pub release_reason: Option<Text>,
    /// The optimistic-lock version.
    pub version: i64,
}

impl Holding {
    /// The state on a day: a registration whose validity ended before that day counts as
    /// expired even before the nightly sweep records it.
    pub fn state_on(&self, today: Date) -> ItemState {
        match (&self.state, &self.registration) {
            (ItemState::Registered, Some(period)) if period.valid_until < today => {
                ItemState::Expired
            }
            (state, _) => *state,
        }
    }

    /// Applies an event on a day, or refuses it; a change of state starts that day.
    pub fn apply(&mut self, event: ItemEvent, on: Date) -> Result<(), IllegalTransition> {
        let state = self.state.after(event)?;
        if state != self.state {
            self.state = state;
            self.state_since = on;
        }
        Ok(())
    }
}

/// A new holding, before storage assigns its id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewHolding {
    /// The person.
    pub person: PersonId,
    /// The review item.
    pub item: ReviewItemCode,
    /// The institution.
    pub institution: InstitutionId,
    /// The starting state.
    pub state: ItemState,
    /// The first day.
    pub since: Date,
}

/// One registration, kept for ever: the history of who registered which item when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistrationRecord {
    /// The holding registered.
    pub holding: HoldingId,
    /// The person.
    pub person: PersonId,
    /// The item.
    pub item: ReviewItemCode,
    /// The institution.
    pub institution: InstitutionId,
    /// The registration.
    pub period: RegistrationPeriod,
}

/// Why a registration ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndReason {
    /// The person reached the registration age limit of the cycle registered for (70 by
    /// default): the registration ran until the day before that birthday.
    AgeLimit(u32),
    /// The registration cycle ended.
    CycleEnded,
}

impl fmt::Display for EndReason {
    /// 年满70周岁, 注册周期结束.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EndReason::AgeLimit(limit) => write!(f, "年满{limit}周岁"),
            EndReason::CycleEnded => f.write_str("注册周期结束"),
        }
    }
}

/// A registration whose validity has ended but that is still recorded as registered: the
/// sweep ends it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndedRegistration {
    /// The holding.
    pub holding: HoldingId,
    /// The institution.
    pub institution: InstitutionId,
    /// The item.
    pub item: ReviewItemCode,
    /// The last day it was valid.
    pub valid_until: Date,
    /// Why it ended.
    pub reason: EndReason,
}

/// The registrations among one person's `holdings` that have ended by `today` (recorded
/// as registered, validity over: [`Holding::state_on`] says expired), each with why: the
/// age limit of the policy of its cycle (the person, born on `birth_date`, reached it on
/// the day after the last valid day), or the end of the cycle. The sweep ends exactly
/// these, and its dry run lists them.
pub fn ended_registrations(
    holdings: &[Holding],
    birth_date: Date,
    cycles: &Cycles,
    today: Date,
) -> Vec<EndedRegistration> {
    holdings
        .iter()
        .filter(|h| h.state == ItemState::Registered && h.state_on(today) == ItemState::Expired)
        .filter_map(|h| {
            let period = h.registration.as_ref()?;
            let limit = cycles.policy_at(period.valid_from).registration_age_limit;
            let next_day = period.valid_until.next_day().unwrap_or(period.valid_until);
            let reason = if full_years(birth_date, next_day) >= limit {
                EndReason::AgeLimit(limit)
            } else {
                EndReason::CycleEnded
            };
            Some(EndedRegistration {
                holding: h.id,
                institution: h.institution,
                item: h.item.clone(),
                valid_until: period.valid_until,
                reason,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ItemEvent as E;
    use ItemState as S;

    const STATES: [ItemState; 6] = [
        S::Invited,
        S::Filling,
        S::AwaitingRegistration,
        S::Registered,
        S::Expired,
        S::Released,
    ];
    const EVENTS: [ItemEvent; 5] = [
        E::DetailsSaved { complete: false },
        E::DetailsSaved { complete: true },
        E::Register,
        E::Release,
        E::Expire,
    ];

    #[test]
    fn the_whole_transition_table() {
        let mut table = String::new();
        for state in STATES {
            for event in EVENTS {
                let outcome = match state.after(event) {
                    Ok(next) => next.label().to_owned(),
                    Err(e) => format!("✗ {e}"),
                };
                table.push_str(&format!("{} + {:?} → {}\n", state.label(), event, outcome));
            }
        }
        insta::assert_snapshot!(table);
    }

    #[test]
    fn codes_round_trip() {
        for state in STATES {
            assert_eq!(ItemState::from_code(state.code()), Some(state));
        }
        for progress in [
            EntryProgress::NotOpened,
            EntryProgress::Incomplete,
            EntryProgress::Complete,
        ] {
            assert_eq!(EntryProgress::from_code(progress.code()), Some(progress));
        }
    }

    fn registered(id: i64, item: &str, valid_from: Date, valid_until: Date) -> Holding {
        Holding {
            id: HoldingId::new(id),
            person: PersonId::new(1),
            item: ReviewItemCode::parse(item).unwrap(),
            institution: InstitutionId::new(7),
            state: S::Registered,
            since: valid_from,
            state_since: valid_from,
            registration: Some(RegistrationPeriod {
                cycle: CycleId::new(1),
                registered_on: valid_from,
                valid_from,
                valid_until,
            }),
            released_on: None,
            release_reason: None,
            version: 0,
        }
    }

    #[test]
    fn ended_registrations_say_why_they_ended() {
        use crate::cycle::RegistrationCycle;
        use crate::policy::Policy;
        use time::macros::date;
        let cycles = Cycles::new(vec![
            RegistrationCycle::new(
                CycleId::new(1),
                Text::parse("2021—2024", 50).unwrap(),
                date!(2021 - 01 - 01),
                date!(2024 - 12 - 31),
                Policy::default(),
            )
            .unwrap(),
        ])
        .unwrap();
        // Born 1954-11-20: 70 on 2024-11-20, so registered until the day before.
        let birth = date!(1954 - 11 - 20);
        let by_age = registered(1, "RQ-ZZ", date!(2021 - 03 - 01), date!(2024 - 11 - 19));
        let by_cycle = registered(2, "GL-ZZ", date!(2021 - 03 - 01), date!(2024 - 12 - 31));
        let mut released = registered(3, "QP-CZ", date!(2021 - 03 - 01), date!(2024 - 11 - 19));
        released.state = S::Released;
        let holdings = [by_age, by_cycle, released];

        // On the last valid day nothing has ended.
        assert!(ended_registrations(&holdings, birth, &cycles, date!(2024 - 11 - 19)).is_empty());
        let ended = ended_registrations(&holdings, birth, &cycles, date!(2024 - 11 - 20));
        assert_eq!(ended.len(), 1);
        assert_eq!(ended[0].holding, HoldingId::new(1));
        assert_eq!(ended[0].reason, EndReason::AgeLimit(70));
        assert_eq!(ended[0].reason.to_string(), "年满70周岁");
        assert_eq!(ended[0].valid_until, date!(2024 - 11 - 19));
        assert_eq!(ended[0].item.as_str(), "RQ-ZZ");

        // On the end of the cycle the other ended too, still for the age: the person was
        // 70 by the day after its last valid day.
        let ended = ended_registrations(&holdings, birth, &cycles, date!(2025 - 01 - 01));
        let reasons: Vec<String> = ended.iter().map(|e| e.reason.to_string()).collect();
        assert_eq!(reasons, ["年满70周岁", "年满70周岁"]);
        // A younger person's registration ends with the cycle.
        let ended = ended_registrations(
            &holdings[1..],
            date!(1980 - 01 - 01),
            &cycles,
            date!(2025 - 01 - 01),
        );
        assert_eq!(ended.len(), 1);
        assert_eq!(ended[0].reason, EndReason::CycleEnded);
        assert_eq!(ended[0].reason.to_string(), "注册周期结束");
        assert_eq!(ended[0].holding, HoldingId::new(2));
        assert_eq!(ended[0].institution, InstitutionId::new(7));
    }
}
