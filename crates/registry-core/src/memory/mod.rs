//! An in-memory implementation of the ports, for the core's own tests and for embedding
//! the rules where no database is wanted.
//!
//! A transaction works on its own copy of the register and replaces the shared one on
//! commit, if no other transaction committed in between; otherwise the commit answers
//! [`StoreError::Retry`] and the use-case runner runs the use case again. That is
//! serializable isolation, the strongest there is. Every constraint the database enforces
//! in real storage (one active holding per person and item, unique ID numbers and
//! registration numbers, versions) is enforced here too.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use crate::access::{Account, AccountId};
use crate::assessment::OnSiteAssessment;
use crate::calendar::CalendarEntry;
use crate::cycle::RegistrationCycle;
use crate::cycle_change::{BoundCourse, BoundDocument, BoundRegistration, CycleBindings};
use crate::document::Document;
use crate::education::{Attendance, TrainingCourse};
use crate::holding::{Employment, Holding, RegistrationRecord};
use crate::ids::{
    AssessmentId, AttendanceId, CourseId, CycleId, DocumentId, HoldingId, InstitutionId, PersonId,
};
use crate::institution::{Institution, InstitutionDetails};
use crate::person::Person;
use crate::ports::{AuditRecord, Duplicate, Entropy, Register, StoreError};
use crate::qualification::Qualification;

mod machine;
mod reminders;
mod tx;

#[derive(Debug, Clone, Default)]
struct State {
    accounts: BTreeMap<AccountId, Account>,
    people: BTreeMap<PersonId, Person>,
    qualifications: Vec<Qualification>,
    institutions: BTreeMap<InstitutionId, Institution>,
    employments: BTreeMap<(PersonId, InstitutionId), Employment>,
    holdings: BTreeMap<HoldingId, Holding>,
    registrations: Vec<RegistrationRecord>,
    cycles: BTreeMap<CycleId, RegistrationCycle>,
    calendar: Vec<CalendarEntry>,
    courses: BTreeMap<CourseId, TrainingCourse>,
    attendance: BTreeMap<AttendanceId, Attendance>,
    assessments: BTreeMap<AssessmentId, OnSiteAssessment>,
    documents: BTreeMap<DocumentId, Document>,
    audit: Vec<AuditRecord>,
    /// The sessions use cases ended, as `Debug` of what they asked for, and the fill-in
    /// lockouts they lifted (the in-memory register keeps no sessions or counters).
    ended_sessions: Vec<String>,
    serials: BTreeMap<u16, u32>,
    /// Correction requests: (id, person, institution, text, answered).
    corrections: Vec<(i64, PersonId, InstitutionId, String, bool)>,
    reminder_settings: BTreeMap<crate::reminder::Recipient, crate::reminder::ReminderSettings>,
    providers: BTreeMap<crate::ids::ProviderId, crate::provider::TrainingProvider>,
    /// Tokens with the hashes of their secrets.
    tokens: BTreeMap<crate::ids::TokenId, (crate::api_token::ApiToken, String)>,
    last_id: i64,
}

impl State {
    fn next_id(&mut self) -> i64 {
        self.last_id += 1;
        self.last_id
    }

    /// What a change of a cycle's dates concerns (the port `bound_to_cycle`).
    fn bound_to_cycle(
        &self,
        cycle: CycleId,
        from: time::Date,
        to: time::Date,
    ) -> Result<CycleBindings, StoreError> {
        let person = |id: &PersonId| {
            self.people
                .get(id)
                .map(|p| (p.name.clone(), p.resident_id.masked()))
                .ok_or_else(|| StoreError::Unexpected(format!("no person {id}")))
        };
        let history = self
            .registrations
            .iter()
            .map(|r| (r.holding, r.person, &r.item, &r.period));
        let current = self.holdings.values().filter_map(|h| {
            h.registration
                .as_ref()
                .map(|period| (h.id, h.person, &h.item, period))
        });
        let mut registrations = Vec::new();
        for (holding, of, item, period) in history.chain(current) {
            if period.cycle == cycle {
                let (name, masked_id) = person(&of)?;
                registrations.push(BoundRegistration {
                    holding,
                    name,
                    masked_id,
                    item: item.clone(),
                    valid_from: period.valid_from,
                    valid_until: period.valid_until,
                });
            }
        }
        let mut documents = Vec::new();
        for d in self.documents.values().filter(|d| d.voided.is_none()) {
            if let Some(until) = d.details.valid_until.filter(|u| (from..=to).contains(u)) {
                let (name, masked_id) = person(&d.details.person)?;
                documents.push(BoundDocument {
                    id: d.id,
                    kind: d.details.kind,
                    name,
                    masked_id,
                    valid_until: until,
                });
            }
        }
        let courses = self
            .courses
            .values()
            .filter(|c| (from..=to).contains(&c.details.end))
            .map(|c| BoundCourse {
                id: c.id,
                name: c.details.name.clone(),
                end: c.details.end,
            })
            .collect();
        Ok(CycleBindings {
            registrations,
            documents,
            courses,
        })
    }
}

#[derive(Debug, Default)]
struct Shared {
    state: State,
    generation: u64,
    /// Test hook: fail the write after this many more writes.
    fail_after_writes: Option<usize>,
}

/// Runs a future that never waits to its end: the use cases on a [`MemoryRegister`], whose
/// ports answer at once. (A future that does wait, as on a database, needs an executor such
/// as an async runtime's; this one would poll it for ever.)
pub fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    loop {
        if let std::task::Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
    }
}

/// The register held in memory.
#[derive(Debug, Clone, Default)]
pub struct MemoryRegister {
    shared: Arc<Mutex<Shared>>,
}

/// A transaction on a [`MemoryRegister`].
#[derive(Debug)]
pub struct MemoryTx {
    shared: Arc<Mutex<Shared>>,
    generation: u64,
    state: State,
    writes: usize,
    fail_after_writes: Option<usize>,
}

fn poisoned<T>(_: T) -> StoreError {
    StoreError::Unexpected("the in-memory register's lock is poisoned".to_owned())
}

impl MemoryRegister {
    /// An empty register.
    pub fn new() -> MemoryRegister {
        MemoryRegister::default()
    }

    /// The audit log so far.
    pub fn audit_log(&self) -> Vec<AuditRecord> {
        self.shared
            .lock()
            .map(|s| s.state.audit.clone())
            .unwrap_or_default()
    }

    /// The sessions the use cases ended so far, as `Debug` of what they asked for, and the
    /// fill-in lockouts they lifted (`FillInAttempts { person, institution }`).
    pub fn ended_sessions(&self) -> Vec<String> {
        self.shared
            .lock()
            .map(|s| s.state.ended_sessions.clone())
            .unwrap_or_default()
    }

    /// Makes the write after `writes` more writes fail, as a crash in the middle of a use
    /// case would; used to prove that a failed use case leaves nothing written.
    pub fn fail_after_writes(&self, writes: usize) {
        if let Ok(mut shared) = self.shared.lock() {
            shared.fail_after_writes = Some(writes);
        }
    }

    /// How many commits the register has seen.
    pub fn generation(&self) -> u64 {
        self.shared.lock().map(|s| s.generation).unwrap_or(0)
    }

    /// Every holding, for tests that check invariants over the whole register.
    pub fn all_holdings(&self) -> Vec<Holding> {
        self.shared
            .lock()
            .map(|s| s.state.holdings.values().cloned().collect())
            .unwrap_or_default()
    }
}

impl Register for MemoryRegister {
    type Tx = MemoryTx;

    async fn begin(&self) -> Result<MemoryTx, StoreError> {
        let shared = self.shared.lock().map_err(poisoned)?;
        Ok(MemoryTx {
            shared: Arc::clone(&self.shared),
            generation: shared.generation,
            state: shared.state.clone(),
            writes: 0,
            fail_after_writes: shared.fail_after_writes,
        })
    }
}

impl MemoryTx {
    fn write(&mut self) -> Result<&mut State, StoreError> {
        self.writes += 1;
        if let Some(limit) = self.fail_after_writes
            && self.writes > limit
        {
            return Err(StoreError::Unexpected("injected failure".to_owned()));
        }
        Ok(&mut self.state)
    }
}

/// A fixed sequence of bytes (SplitMix64 from a seed) standing in for randomness: for
/// tests and demonstrations only. Its keys are predictable; production uses the
/// operating system's generator.
#[derive(Debug, Default)]
pub struct SequenceEntropy {
    state: std::sync::atomic::AtomicU64,
}

impl SequenceEntropy {
    /// A sequence starting from `seed`.
    pub const fn new(seed: u64) -> SequenceEntropy {
        SequenceEntropy {
            state: std::sync::atomic::AtomicU64::new(seed),
        }
    }
}

impl Entropy for SequenceEntropy {
    fn fill(&self, bytes: &mut [u8]) {
        for chunk in bytes.chunks_mut(8) {
            let mut z = self
                .state
                .fetch_add(0x9E37_79B9_7F4A_7C15, std::sync::atomic::Ordering::Relaxed)
                .wrapping_add(0x9E37_79B9_7F4A_7C15);
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^= z >> 31;
            for (b, v) in chunk.iter_mut().zip(z.to_le_bytes()) {
                *b = v;
            }
        }
    }
}

fn check_institution_unique(
    state: &State,
    except: Option<InstitutionId>,
    details: &InstitutionDetails,
) -> Result<(), StoreError> {
    for other in state.institutions.values().filter(|i| Some(i.id) != except) {
        if other.details.number == details.number {
            return Err(StoreError::Duplicate(Duplicate::InstitutionNumber));
        }
        if other.details.credit_code == details.credit_code {
            return Err(StoreError::Duplicate(Duplicate::CreditCode));
        }
    }
    Ok(())
}
