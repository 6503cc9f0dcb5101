//! The core's `RegisterTx` on a sea-orm transaction: rows in, domain types out.

use std::sync::Arc;

use registry_core::access::{Account, AccountId, PasswordHash, Role, SecondFactor, Username};
use registry_core::assessment::{AssessmentDetails, OnSiteAssessment};
use registry_core::calendar::CalendarEntry;
use registry_core::cycle::{Cycles, RegistrationCycle};
use registry_core::document::{Document, NewDocument, VerificationCode, VerificationToken};
use registry_core::education::{Attendance, CourseDetails, NewAttendance, TrainingCourse};
use registry_core::holding::{Employment, Holding, NewHolding, RegistrationRecord};
use registry_core::ids::{
    AssessmentId, AttendanceId, CourseId, CycleId, DocumentId, InstitutionId, PersonId,
};
use registry_core::institution::{Institution, InstitutionDetails};
use registry_core::person::{AssessorDetails, Person, PersonName};
use registry_core::policy::Policy;
use std::collections::BTreeMap;

use registry_core::exchange::KnownPerson;
use registry_core::ports::{
    AuditRecord, NewRegistrant, RegisterTx, Registrant, SessionsToEnd, StoreError,
};
use registry_core::qualification::Qualification;
use registry_core::registration_number::RegistrationNumber;
use registry_core::resident_id::ResidentId;
use registry_core::text::Text;
use sea_orm::{DatabaseTransaction, EntityTrait};
use time::{Date, OffsetDateTime};

use crate::convert::audit_row;
use crate::entity::audit_log;
use crate::error::store_error;
use crate::keys::DataKey;
use crate::url::Engine;

pub(crate) use machine::token_from_row;

mod calendar;
mod documents;
mod education;
mod holdings;
mod institutions;
mod machine;
mod pass_list;
mod people;
mod reminders;

/// A transaction on the register's database.
pub struct StoreTx {
    pub(crate) tx: DatabaseTransaction,
    pub(crate) key: Arc<DataKey>,
    pub(crate) engine: Engine,
    /// The place in the queue of SQLite writers, released when the transaction ends.
    pub(crate) _writer: Option<tokio::sync::OwnedMutexGuard<()>>,
    /// For a write transaction: marks the data changed when it begins and when it ends.
    pub(crate) _changes: Option<crate::generation::Changes>,
}

impl StoreTx {
    /// Whether this is a write transaction (`Register::begin`), not `begin_read`'s.
    pub(crate) fn writes(&self) -> bool {
        self._changes.is_some()
    }
}

impl std::fmt::Debug for StoreTx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreTx")
            .field("engine", &self.engine)
            .finish()
    }
}

impl RegisterTx for StoreTx {
    async fn commit(self) -> Result<(), StoreError> {
        self.tx.commit().await.map_err(store_error)
    }

    async fn person(&mut self, id: PersonId) -> Result<Option<Person>, StoreError> {
        people::person(self, id).await
    }

    async fn lock_person(&mut self, id: PersonId) -> Result<Option<Person>, StoreError> {
        people::lock_person(self, id).await
    }

    async fn person_by_resident_id(
        &mut self,
        id: &ResidentId,
    ) -> Result<Option<Person>, StoreError> {
        people::person_by_resident_id(self, id).await
    }

    async fn person_by_registration_number(
        &mut self,
        number: RegistrationNumber,
    ) -> Result<Option<Person>, StoreError> {
        people::person_by_registration_number(self, number).await
    }

    async fn insert_person(
        &mut self,
        name: &PersonName,
        resident_id: &ResidentId,
    ) -> Result<PersonId, StoreError> {
        people::insert_person(self, name, resident_id).await
    }

    async fn update_details(
        &mut self,
        person: PersonId,
        details: &AssessorDetails,
        expected_version: i64,
    ) -> Result<i64, StoreError> {
        people::update_details(self, person, details, expected_version).await
    }

    async fn assign_registration_number(
        &mut self,
        person: PersonId,
        year: u16,
    ) -> Result<RegistrationNumber, StoreError> {
        people::assign_registration_number(self, person, year).await
    }

    async fn qualifications(&mut self, person: PersonId) -> Result<Vec<Qualification>, StoreError> {
        people::qualifications(self, person).await
    }

    async fn insert_qualification(&mut self, q: &Qualification) -> Result<(), StoreError> {
        people::insert_qualification(self, q).await
    }

    async fn institution(&mut self, id: InstitutionId) -> Result<Option<Institution>, StoreError> {
        institutions::institution(self, id).await
    }

    async fn insert_institution(
        &mut self,
        details: &InstitutionDetails,
    ) -> Result<InstitutionId, StoreError> {
        institutions::insert_institution(self, details).await
    }

    async fn update_institution(&mut self, institution: &Institution) -> Result<i64, StoreError> {
        institutions::update_institution(self, institution).await
    }

    async fn employment(
        &mut self,
        person: PersonId,
        institution: InstitutionId,
    ) -> Result<Option<Employment>, StoreError> {
        holdings::employment(self, person, institution).await
    }

    async fn employments_of(&mut self, person: PersonId) -> Result<Vec<Employment>, StoreError> {
        holdings::employments_of(self, person).await
    }

    async fn insert_employment(&mut self, e: &Employment) -> Result<(), StoreError> {
        holdings::insert_employment(self, e).await
    }

    async fn update_employment(&mut self, e: &Employment) -> Result<i64, StoreError> {
        holdings::update_employment(self, e).await
    }

    async fn holdings_of(&mut self, person: PersonId) -> Result<Vec<Holding>, StoreError> {
        holdings::holdings_of(self, person).await
    }

    async fn insert_holding(&mut self, new: &NewHolding) -> Result<Holding, StoreError> {
        holdings::insert_holding(self, new).await
    }

    async fn update_holding(&mut self, h: &Holding) -> Result<i64, StoreError> {
        holdings::update_holding(self, h).await
    }

    async fn registrations_of(
        &mut self,
        person: PersonId,
    ) -> Result<Vec<RegistrationRecord>, StoreError> {
        holdings::registrations_of(self, person).await
    }

    async fn insert_registration(&mut self, r: &RegistrationRecord) -> Result<(), StoreError> {
        holdings::insert_registration(self, r).await
    }

    async fn calendar_entries(&mut self) -> Result<Vec<CalendarEntry>, StoreError> {
        calendar::calendar_entries(self).await
    }

    async fn replace_calendar_years(
        &mut self,
        first: i32,
        last: i32,
        entries: &[CalendarEntry],
    ) -> Result<(), StoreError> {
        calendar::replace_calendar_years(self, first, last, entries).await
    }

    async fn cycles(&mut self) -> Result<Cycles, StoreError> {
        calendar::cycles(self).await
    }

    async fn insert_cycle(
        &mut self,
        name: &Text,
        start: Date,
        end: Date,
        policy: &Policy,
    ) -> Result<CycleId, StoreError> {
        calendar::insert_cycle(self, name, start, end, policy).await
    }

    async fn update_cycle(&mut self, cycle: &RegistrationCycle) -> Result<i64, StoreError> {
        calendar::update_cycle(self, cycle).await
    }

    async fn bound_to_cycle(
        &mut self,
        cycle: CycleId,
        from: Date,
        to: Date,
    ) -> Result<registry_core::cycle_change::CycleBindings, StoreError> {
        calendar::bound_to_cycle(self, cycle, from, to).await
    }

    async fn course(&mut self, id: CourseId) -> Result<Option<TrainingCourse>, StoreError> {
        education::course(self, id).await
    }

    async fn insert_course(
        &mut self,
        details: &CourseDetails,
        provider: Option<registry_core::ids::ProviderId>,
    ) -> Result<CourseId, StoreError> {
        education::insert_course(self, details, provider).await
    }

    async fn courses_of(&mut self, person: PersonId) -> Result<Vec<TrainingCourse>, StoreError> {
        education::courses_of(self, person).await
    }

    async fn attendance_of(&mut self, person: PersonId) -> Result<Vec<Attendance>, StoreError> {
        education::attendance_of(self, person).await
    }

    async fn insert_attendance(
        &mut self,
        entry: &NewAttendance,
    ) -> Result<AttendanceId, StoreError> {
        education::insert_attendance(self, entry).await
    }

    async fn attendance_entry(
        &mut self,
        id: AttendanceId,
    ) -> Result<Option<Attendance>, StoreError> {
        education::attendance_entry(self, id).await
    }

    async fn assessments_of(
        &mut self,
        person: PersonId,
    ) -> Result<Vec<OnSiteAssessment>, StoreError> {
        education::assessments_of(self, person).await
    }

    async fn insert_assessment(
        &mut self,
        person: PersonId,
        recorded_by: Option<InstitutionId>,
        d: &AssessmentDetails,
    ) -> Result<AssessmentId, StoreError> {
        education::insert_assessment(self, person, recorded_by, d).await
    }

    async fn account(&mut self, id: AccountId) -> Result<Option<Account>, StoreError> {
        institutions::account(self, id).await
    }

    async fn account_by_username(
        &mut self,
        username: &Username,
    ) -> Result<Option<Account>, StoreError> {
        institutions::account_by_username(self, username).await
    }

    async fn account_of_institution(
        &mut self,
        institution: InstitutionId,
    ) -> Result<Option<Account>, StoreError> {
        institutions::account_of_institution(self, institution).await
    }

    async fn insert_account(
        &mut self,
        username: &Username,
        role: Role,
        password: &PasswordHash,
        must_change_password: bool,
        changed_on: Date,
    ) -> Result<AccountId, StoreError> {
        institutions::insert_account(
            self,
            username,
            role,
            password,
            must_change_password,
            changed_on,
        )
        .await
    }

    async fn update_account(&mut self, account: &Account) -> Result<i64, StoreError> {
        institutions::update_account(self, account).await
    }

    async fn documents_of(&mut self, person: PersonId) -> Result<Vec<Document>, StoreError> {
        documents::documents_of(self, person).await
    }

    async fn document(&mut self, id: DocumentId) -> Result<Option<Document>, StoreError> {
        documents::document(self, id).await
    }

    async fn document_by_token(
        &mut self,
        token: &VerificationToken,
    ) -> Result<Option<Document>, StoreError> {
        documents::document_by_token(self, token).await
    }

    async fn document_by_code(
        &mut self,
        code: &VerificationCode,
    ) -> Result<Option<Document>, StoreError> {
        documents::document_by_code(self, code).await
    }

    async fn insert_document(&mut self, d: &NewDocument) -> Result<DocumentId, StoreError> {
        documents::insert_document(self, d).await
    }

    async fn update_document(&mut self, document: &Document) -> Result<i64, StoreError> {
        documents::update_document(self, document).await
    }

    async fn end_sessions(&mut self, which: SessionsToEnd<'_>) -> Result<(), StoreError> {
        institutions::end_sessions(self, which).await
    }

    async fn set_second_factor(
        &mut self,
        account: AccountId,
        factor: Option<&SecondFactor>,
    ) -> Result<(), StoreError> {
        institutions::set_second_factor(self, account, factor).await
    }

    async fn insert_correction(
        &mut self,
        person: PersonId,
        institution: InstitutionId,
        text: &Text,
        at: OffsetDateTime,
    ) -> Result<i64, StoreError> {
        institutions::insert_correction(self, person, institution, text, at).await
    }

    async fn answer_correction(
        &mut self,
        id: i64,
        institution: InstitutionId,
        answer: Option<&Text>,
        at: OffsetDateTime,
    ) -> Result<Option<PersonId>, StoreError> {
        institutions::answer_correction(self, id, institution, answer, at).await
    }

    async fn remember_password(
        &mut self,
        account: AccountId,
        password: &PasswordHash,
        replaced_at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        institutions::remember_password(self, account, password, replaced_at).await
    }

    async fn forget_login_attempts(&mut self, username: &Username) -> Result<(), StoreError> {
        institutions::forget_login_attempts(self, username).await
    }

    async fn forget_fill_in_attempts(
        &mut self,
        person: PersonId,
        institution: InstitutionId,
    ) -> Result<(), StoreError> {
        institutions::forget_fill_in_attempts(self, person, institution).await
    }

    async fn people_by_resident_ids(
        &mut self,
        ids: &[ResidentId],
    ) -> Result<BTreeMap<ResidentId, KnownPerson>, StoreError> {
        StoreTx::people_by_resident_ids(self, ids).await
    }

    async fn insert_new_people(
        &mut self,
        people: &[NewRegistrant],
        year: u16,
    ) -> Result<Vec<Registrant>, StoreError> {
        StoreTx::insert_new_people(self, people, year).await
    }

    async fn audit_all(&mut self, records: &[AuditRecord]) -> Result<(), StoreError> {
        pass_list::audit_all(self, records).await
    }

    async fn audit(&mut self, record: &AuditRecord) -> Result<(), StoreError> {
        let mut head = crate::audit_chain::head(&self.tx, self.engine).await?;
        let mut rows = [audit_row(record)];
        crate::convert::link_rows(&mut head, &mut rows)?;
        let [row] = rows;
        audit_log::Entity::insert(row)
            .exec_without_returning(&self.tx)
            .await
            .map_err(store_error)?;
        crate::audit_chain::advance(&self.tx, self.engine, &head).await
    }
}
