//! The in-memory register's transaction: every port of [`crate::ports::RegisterTx`] on
//! the transaction's own copy of the register.

use super::{MemoryTx, check_institution_unique, poisoned};
use crate::access::{Account, AccountId, PasswordHash, Role, SecondFactor, Username};
use crate::assessment::{AssessmentDetails, OnSiteAssessment};
use crate::calendar::CalendarEntry;
use crate::cycle::{Cycles, RegistrationCycle};
use crate::cycle_change::CycleBindings;
use crate::document::{Document, NewDocument, VerificationCode, VerificationToken};
use crate::education::{Attendance, CourseDetails, NewAttendance, TrainingCourse};
use crate::holding::{Employment, Holding, NewHolding, RegistrationRecord};
use crate::ids::{
    AssessmentId, AttendanceId, CourseId, CycleId, DocumentId, HoldingId, InstitutionId, PersonId,
};
use crate::institution::{Institution, InstitutionDetails};
use crate::person::{AssessorDetails, Person, PersonName};
use crate::policy::Policy;
use crate::ports::{
    AuditRecord, Conflict, Duplicate, Entity, NewRegistrant, RegisterTx, Registrant, SessionsToEnd,
    StoreError,
};
use crate::qualification::Qualification;
use crate::registration_number::{MAX_SERIAL, RegistrationNumber};
use crate::resident_id::ResidentId;
use crate::text::Text;

impl RegisterTx for MemoryTx {
    async fn commit(self) -> Result<(), StoreError> {
        let mut shared = self.shared.lock().map_err(poisoned)?;
        if shared.generation != self.generation {
            return Err(StoreError::Retry);
        }
        shared.state = self.state;
        shared.generation += 1;
        Ok(())
    }

    async fn person(&mut self, id: PersonId) -> Result<Option<Person>, StoreError> {
        Ok(self.state.people.get(&id).cloned())
    }

    async fn lock_person(&mut self, id: PersonId) -> Result<Option<Person>, StoreError> {
        // Transactions here are serializable already.
        Ok(self.state.people.get(&id).cloned())
    }

    async fn person_by_resident_id(
        &mut self,
        id: &ResidentId,
    ) -> Result<Option<Person>, StoreError> {
        Ok(self
            .state
            .people
            .values()
            .find(|p| &p.resident_id == id)
            .cloned())
    }

    async fn person_by_registration_number(
        &mut self,
        number: RegistrationNumber,
    ) -> Result<Option<Person>, StoreError> {
        Ok(self
            .state
            .people
            .values()
            .find(|p| p.registration_number == Some(number))
            .cloned())
    }

    async fn people_by_resident_ids(
        &mut self,
        ids: &[ResidentId],
    ) -> Result<std::collections::BTreeMap<ResidentId, crate::exchange::KnownPerson>, StoreError>
    {
        let mut out = std::collections::BTreeMap::new();
        for id in ids {
            if let Some(person) = self.person_by_resident_id(id).await? {
                let items = self
                    .qualifications(person.id)
                    .await?
                    .into_iter()
                    .map(|q| q.item)
                    .collect();
                out.insert(
                    id.clone(),
                    crate::exchange::KnownPerson {
                        id: person.id,
                        name: person.name.as_str().to_owned(),
                        items,
                    },
                );
            }
        }
        Ok(out)
    }

    async fn insert_new_people(
        &mut self,
        people: &[NewRegistrant],
        year: u16,
    ) -> Result<Vec<Registrant>, StoreError> {
        let mut out = Vec::with_capacity(people.len());
        for new in people {
            let person = self.insert_person(&new.name, &new.resident_id).await?;
            for (item, exam_date, published_on) in &new.qualifications {
                self.insert_qualification(&Qualification {
                    person,
                    item: item.clone(),
                    exam_date: *exam_date,
                    published_on: *published_on,
                })
                .await?;
            }
            let number = self.assign_registration_number(person, year).await?;
            let certificate = self
                .insert_document(&NewDocument {
                    person,
                    ..new.certificate.clone()
                })
                .await?;
            out.push(Registrant {
                person,
                number,
                certificate,
            });
        }
        Ok(out)
    }

    async fn insert_person(
        &mut self,
        name: &PersonName,
        resident_id: &ResidentId,
    ) -> Result<PersonId, StoreError> {
        let state = self.write()?;
        if state.people.values().any(|p| &p.resident_id == resident_id) {
            return Err(StoreError::Duplicate(Duplicate::ResidentId));
        }
        let id = PersonId::new(state.next_id());
        state.people.insert(
            id,
            Person {
                id,
                name: name.clone(),
                resident_id: resident_id.clone(),
                details: AssessorDetails::default(),
                registration_number: None,
                version: 1,
            },
        );
        Ok(id)
    }

    async fn update_details(
        &mut self,
        person: PersonId,
        details: &AssessorDetails,
        expected_version: i64,
    ) -> Result<i64, StoreError> {
        let state = self.write()?;
        let stored = state
            .people
            .get_mut(&person)
            .filter(|p| p.version == expected_version)
            .ok_or(StoreError::Conflict(Conflict::Stale(Entity::Person)))?;
        stored.details = details.clone();
        stored.version += 1;
        Ok(stored.version)
    }

    async fn assign_registration_number(
        &mut self,
        person: PersonId,
        year: u16,
    ) -> Result<RegistrationNumber, StoreError> {
        let state = self.write()?;
        let existing = state
            .people
            .get(&person)
            .ok_or_else(|| StoreError::Unexpected("no such person".to_owned()))?
            .registration_number;
        if let Some(number) = existing {
            return Ok(number);
        }
        let serial = state.serials.entry(year).or_insert(0);
        *serial += 1;
        if *serial > MAX_SERIAL {
            return Err(StoreError::Unexpected(
                "registration serials exhausted".to_owned(),
            ));
        }
        let number = RegistrationNumber::new(year, *serial)
            .map_err(|e| StoreError::Unexpected(e.to_string()))?;
        if let Some(p) = state.people.get_mut(&person) {
            p.registration_number = Some(number);
        }
        Ok(number)
    }

    async fn qualifications(&mut self, person: PersonId) -> Result<Vec<Qualification>, StoreError> {
        Ok(self
            .state
            .qualifications
            .iter()
            .filter(|q| q.person == person)
            .cloned()
            .collect())
    }

    async fn insert_qualification(&mut self, q: &Qualification) -> Result<(), StoreError> {
        let state = self.write()?;
        if state
            .qualifications
            .iter()
            .any(|x| x.person == q.person && x.item == q.item)
        {
            return Err(StoreError::Duplicate(Duplicate::Qualification));
        }
        state.qualifications.push(q.clone());
        Ok(())
    }

    async fn institution(&mut self, id: InstitutionId) -> Result<Option<Institution>, StoreError> {
        Ok(self.state.institutions.get(&id).cloned())
    }

    async fn insert_institution(
        &mut self,
        details: &InstitutionDetails,
    ) -> Result<InstitutionId, StoreError> {
        let state = self.write()?;
        check_institution_unique(state, None, details)?;
        let id = InstitutionId::new(state.next_id());
        state.institutions.insert(
            id,
            Institution {
                id,
                details: details.clone(),
                active: true,
                version: 1,
            },
        );
        Ok(id)
    }

    async fn update_institution(&mut self, institution: &Institution) -> Result<i64, StoreError> {
        let state = self.write()?;
        check_institution_unique(state, Some(institution.id), &institution.details)?;
        let stored = state
            .institutions
            .get_mut(&institution.id)
            .filter(|i| i.version == institution.version)
            .ok_or(StoreError::Conflict(Conflict::Stale(Entity::Institution)))?;
        stored.details = institution.details.clone();
        stored.active = institution.active;
        stored.version += 1;
        Ok(stored.version)
    }

    async fn employment(
        &mut self,
        person: PersonId,
        institution: InstitutionId,
    ) -> Result<Option<Employment>, StoreError> {
        Ok(self.state.employments.get(&(person, institution)).cloned())
    }

    async fn employments_of(&mut self, person: PersonId) -> Result<Vec<Employment>, StoreError> {
        Ok(self
            .state
            .employments
            .values()
            .filter(|e| e.person == person)
            .cloned()
            .collect())
    }

    async fn insert_employment(&mut self, employment: &Employment) -> Result<(), StoreError> {
        let state = self.write()?;
        let key = (employment.person, employment.institution);
        if state.employments.contains_key(&key) {
            return Err(StoreError::Duplicate(Duplicate::Employment));
        }
        state.employments.insert(
            key,
            Employment {
                version: 1,
                ..employment.clone()
            },
        );
        Ok(())
    }

    async fn update_employment(&mut self, employment: &Employment) -> Result<i64, StoreError> {
        let state = self.write()?;
        let stored = state
            .employments
            .get_mut(&(employment.person, employment.institution))
            .filter(|e| e.version == employment.version)
            .ok_or(StoreError::Conflict(Conflict::Stale(Entity::Employment)))?;
        stored.password = employment.password.clone();
        stored.password_set_on = employment.password_set_on;
        stored.progress = employment.progress;
        stored.version += 1;
        Ok(stored.version)
    }

    async fn holdings_of(&mut self, person: PersonId) -> Result<Vec<Holding>, StoreError> {
        Ok(self
            .state
            .holdings
            .values()
            .filter(|h| h.person == person)
            .cloned()
            .collect())
    }

    async fn insert_holding(&mut self, new: &NewHolding) -> Result<Holding, StoreError> {
        let state = self.write()?;
        let taken = state
            .holdings
            .values()
            .any(|h| h.person == new.person && h.item == new.item && h.state.is_active());
        if taken {
            return Err(StoreError::Conflict(Conflict::ItemHeld {
                item: new.item.as_str().to_owned(),
            }));
        }
        let id = HoldingId::new(state.next_id());
        let holding = Holding {
            id,
            person: new.person,
            item: new.item.clone(),
            institution: new.institution,
            state: new.state,
            since: new.since,
            state_since: new.since,
            registration: None,
            released_on: None,
            release_reason: None,
            version: 1,
        };
        state.holdings.insert(id, holding.clone());
        Ok(holding)
    }

    async fn update_holding(&mut self, holding: &Holding) -> Result<i64, StoreError> {
        let state = self.write()?;
        let stored = state
            .holdings
            .get_mut(&holding.id)
            .filter(|h| h.version == holding.version)
            .ok_or(StoreError::Conflict(Conflict::Stale(Entity::Holding)))?;
        stored.state = holding.state;
        stored.state_since = holding.state_since;
        stored.registration = holding.registration.clone();
        stored.released_on = holding.released_on;
        stored.release_reason = holding.release_reason.clone();
        stored.version += 1;
        Ok(stored.version)
    }

    async fn registrations_of(
        &mut self,
        person: PersonId,
    ) -> Result<Vec<RegistrationRecord>, StoreError> {
        Ok(self
            .state
            .registrations
            .iter()
            .filter(|r| r.person == person)
            .cloned()
            .collect())
    }

    async fn insert_registration(&mut self, record: &RegistrationRecord) -> Result<(), StoreError> {
        self.write()?.registrations.push(record.clone());
        Ok(())
    }

    async fn cycles(&mut self) -> Result<Cycles, StoreError> {
        Cycles::new(self.state.cycles.values().cloned().collect())
            .map_err(|v| StoreError::Unexpected(v.to_string()))
    }

    async fn insert_cycle(
        &mut self,
        name: &Text,
        start: time::Date,
        end: time::Date,
        policy: &Policy,
    ) -> Result<CycleId, StoreError> {
        let state = self.write()?;
        let id = CycleId::new(state.next_id());
        let cycle = RegistrationCycle::new(id, name.clone(), start, end, policy.clone())
            .map_err(|v| StoreError::Unexpected(v.to_string()))?;
        state.cycles.insert(id, cycle);
        Ok(id)
    }

    async fn calendar_entries(&mut self) -> Result<Vec<CalendarEntry>, StoreError> {
        Ok(self.state.calendar.clone())
    }

    async fn replace_calendar_years(
        &mut self,
        first: i32,
        last: i32,
        entries: &[CalendarEntry],
    ) -> Result<(), StoreError> {
        let state = self.write()?;
        state
            .calendar
            .retain(|e| !(first..=last).contains(&e.date.year()));
        state.calendar.extend(entries.iter().cloned());
        state.calendar.sort_by_key(|e| e.date);
        Ok(())
    }

    async fn update_cycle(&mut self, cycle: &RegistrationCycle) -> Result<i64, StoreError> {
        let state = self.write()?;
        match state.cycles.get_mut(&cycle.id()) {
            Some(stored) if stored.version() == cycle.version() => {
                let version = cycle.version() + 1;
                *stored = cycle.clone().with_version(version);
                Ok(version)
            }
            _ => Err(StoreError::Conflict(Conflict::Stale(Entity::Cycle))),
        }
    }

    async fn bound_to_cycle(
        &mut self,
        cycle: CycleId,
        from: time::Date,
        to: time::Date,
    ) -> Result<CycleBindings, StoreError> {
        self.state.bound_to_cycle(cycle, from, to)
    }

    async fn course(&mut self, id: CourseId) -> Result<Option<TrainingCourse>, StoreError> {
        Ok(self.state.courses.get(&id).cloned())
    }

    async fn insert_course(
        &mut self,
        details: &CourseDetails,
        provider: Option<crate::ids::ProviderId>,
    ) -> Result<CourseId, StoreError> {
        super::machine::insert_course(self.write()?, details, provider)
    }

    async fn courses_of(&mut self, person: PersonId) -> Result<Vec<TrainingCourse>, StoreError> {
        let ids: Vec<CourseId> = self
            .state
            .attendance
            .values()
            .filter(|a| a.person == person)
            .map(|a| a.course)
            .collect();
        Ok(self
            .state
            .courses
            .values()
            .filter(|c| ids.contains(&c.id))
            .cloned()
            .collect())
    }

    async fn attendance_of(&mut self, person: PersonId) -> Result<Vec<Attendance>, StoreError> {
        Ok(self
            .state
            .attendance
            .values()
            .filter(|a| a.person == person)
            .cloned()
            .collect())
    }

    async fn insert_attendance(
        &mut self,
        entry: &NewAttendance,
    ) -> Result<AttendanceId, StoreError> {
        let state = self.write()?;
        let id = AttendanceId::new(state.next_id());
        state.attendance.insert(
            id,
            Attendance {
                id,
                course: entry.course,
                person: entry.person,
                hours: entry.hours,
                reverses: entry.reverses,
                recorded_on: entry.recorded_on,
            },
        );
        Ok(id)
    }

    async fn attendance_entry(
        &mut self,
        id: AttendanceId,
    ) -> Result<Option<Attendance>, StoreError> {
        Ok(self.state.attendance.get(&id).cloned())
    }

    async fn assessments_of(
        &mut self,
        person: PersonId,
    ) -> Result<Vec<OnSiteAssessment>, StoreError> {
        Ok(self
            .state
            .assessments
            .values()
            .filter(|a| a.person == person)
            .cloned()
            .collect())
    }

    async fn insert_assessment(
        &mut self,
        person: PersonId,
        recorded_by: Option<InstitutionId>,
        details: &AssessmentDetails,
    ) -> Result<AssessmentId, StoreError> {
        let state = self.write()?;
        let id = AssessmentId::new(state.next_id());
        state.assessments.insert(
            id,
            OnSiteAssessment {
                id,
                person,
                recorded_by,
                details: details.clone(),
            },
        );
        Ok(id)
    }

    async fn account(&mut self, id: AccountId) -> Result<Option<Account>, StoreError> {
        Ok(self.state.accounts.get(&id).cloned())
    }

    async fn account_by_username(
        &mut self,
        username: &Username,
    ) -> Result<Option<Account>, StoreError> {
        Ok(self
            .state
            .accounts
            .values()
            .find(|a| &a.username == username)
            .cloned())
    }

    async fn account_of_institution(
        &mut self,
        institution: InstitutionId,
    ) -> Result<Option<Account>, StoreError> {
        Ok(self
            .state
            .accounts
            .values()
            .find(|a| a.role == Role::Institution(institution))
            .cloned())
    }

    async fn insert_account(
        &mut self,
        username: &Username,
        role: Role,
        password: &PasswordHash,
        must_change_password: bool,
        changed_on: time::Date,
    ) -> Result<AccountId, StoreError> {
        let state = self.write()?;
        if state.accounts.values().any(|a| &a.username == username) {
            return Err(StoreError::Duplicate(Duplicate::Username));
        }
        let id = AccountId::new(state.next_id());
        state.accounts.insert(
            id,
            Account {
                id,
                username: username.clone(),
                role,
                password: password.clone(),
                active: true,
                must_change_password,
                password_changed_on: Some(changed_on),
                second_factor_required: false,
                second_factor_enrolled: false,
                version: 1,
            },
        );
        Ok(id)
    }

    async fn update_account(&mut self, account: &Account) -> Result<i64, StoreError> {
        let state = self.write()?;
        let stored = state
            .accounts
            .get_mut(&account.id)
            .filter(|a| a.version == account.version)
            .ok_or(StoreError::Conflict(Conflict::Stale(Entity::Account)))?;
        stored.role = account.role;
        stored.password = account.password.clone();
        stored.active = account.active;
        stored.must_change_password = account.must_change_password;
        stored.password_changed_on = account.password_changed_on;
        stored.second_factor_required = account.second_factor_required;
        stored.version += 1;
        Ok(stored.version)
    }

    async fn documents_of(&mut self, person: PersonId) -> Result<Vec<Document>, StoreError> {
        Ok(self
            .state
            .documents
            .values()
            .filter(|d| d.details.person == person)
            .cloned()
            .collect())
    }

    async fn document(&mut self, id: DocumentId) -> Result<Option<Document>, StoreError> {
        Ok(self.state.documents.get(&id).cloned())
    }

    async fn document_by_token(
        &mut self,
        token: &VerificationToken,
    ) -> Result<Option<Document>, StoreError> {
        Ok(self
            .state
            .documents
            .values()
            .find(|d| &d.details.token == token)
            .cloned())
    }

    async fn document_by_code(
        &mut self,
        code: &VerificationCode,
    ) -> Result<Option<Document>, StoreError> {
        Ok(self
            .state
            .documents
            .values()
            .find(|d| &d.details.code == code)
            .cloned())
    }

    async fn insert_document(&mut self, details: &NewDocument) -> Result<DocumentId, StoreError> {
        let state = self.write()?;
        let series = (details.kind, details.person, details.institution);
        if state
            .documents
            .values()
            .any(|d| d.is_pending() && d.series() == series)
        {
            return Err(StoreError::Conflict(Conflict::Stale(Entity::Document)));
        }
        if state
            .documents
            .values()
            .any(|d| d.details.token == details.token || d.details.code == details.code)
        {
            return Err(StoreError::Retry);
        }
        let id = DocumentId::new(state.next_id());
        state.documents.insert(
            id,
            Document {
                id,
                details: details.clone(),
                mailed: None,
                voided: None,
                version: 0,
            },
        );
        Ok(id)
    }

    async fn update_document(&mut self, document: &Document) -> Result<i64, StoreError> {
        let state = self.write()?;
        let stored = state
            .documents
            .get_mut(&document.id)
            .filter(|d| d.version == document.version)
            .ok_or(StoreError::Conflict(Conflict::Stale(Entity::Document)))?;
        stored.mailed = document.mailed.clone();
        stored.voided = document.voided;
        stored.version += 1;
        Ok(stored.version)
    }

    async fn end_sessions(&mut self, which: SessionsToEnd<'_>) -> Result<(), StoreError> {
        self.write()?.ended_sessions.push(format!("{which:?}"));
        Ok(())
    }

    async fn set_second_factor(
        &mut self,
        account: AccountId,
        factor: Option<&SecondFactor>,
    ) -> Result<(), StoreError> {
        let stored = self
            .write()?
            .accounts
            .get_mut(&account)
            .ok_or(StoreError::Conflict(Conflict::Stale(Entity::Account)))?;
        stored.second_factor_enrolled = factor.is_some();
        Ok(())
    }

    async fn insert_correction(
        &mut self,
        person: PersonId,
        institution: InstitutionId,
        text: &Text,
        _at: time::OffsetDateTime,
    ) -> Result<i64, StoreError> {
        let state = self.write()?;
        let id = state.next_id();
        state
            .corrections
            .push((id, person, institution, text.as_str().to_owned(), false));
        Ok(id)
    }

    async fn answer_correction(
        &mut self,
        id: i64,
        institution: InstitutionId,
        _answer: Option<&Text>,
        _at: time::OffsetDateTime,
    ) -> Result<Option<PersonId>, StoreError> {
        let state = self.write()?;
        Ok(state
            .corrections
            .iter_mut()
            .find(|c| c.0 == id && c.2 == institution && !c.4)
            .map(|c| {
                c.4 = true;
                c.1
            }))
    }

    async fn remember_password(
        &mut self,
        account: AccountId,
        _password: &PasswordHash,
        _replaced_at: time::OffsetDateTime,
    ) -> Result<(), StoreError> {
        self.write()?
            .ended_sessions
            .push(format!("PasswordRemembered {{ account: {account} }}"));
        Ok(())
    }

    async fn forget_login_attempts(&mut self, username: &Username) -> Result<(), StoreError> {
        self.write()?
            .ended_sessions
            .push(format!("LoginAttempts {{ username: {username} }}"));
        Ok(())
    }

    async fn forget_fill_in_attempts(
        &mut self,
        person: PersonId,
        institution: InstitutionId,
    ) -> Result<(), StoreError> {
        self.write()?.ended_sessions.push(format!(
            "FillInAttempts {{ person: {person}, institution: {institution} }}"
        ));
        Ok(())
    }

    async fn audit_all(&mut self, records: &[AuditRecord]) -> Result<(), StoreError> {
        self.write()?.audit.extend(records.iter().cloned());
        Ok(())
    }

    async fn audit(&mut self, record: &AuditRecord) -> Result<(), StoreError> {
        self.write()?.audit.push(record.clone());
        Ok(())
    }
}
