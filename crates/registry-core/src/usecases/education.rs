//! The use cases of continuing education: training courses, attendance entered by hand or
//! imported from a roster, and reversals.

use super::{Context, UseCase, UseCaseError, existing_person};
use crate::date::format_date;
use crate::education::{
    CourseDetails, CourseForm, Hours, NewAttendance, check_attendance, check_reversal,
};
use crate::ids::{AttendanceId, CourseId, PersonId, ProviderId};
use crate::ports::{Entity, RegisterTx, Snapshot};
use crate::review_item::ReviewItemCode;
use crate::violation::Violation;

/// Adds a training course, run by a training provider if one is named.
#[derive(Debug, Clone)]
pub struct CreateCourse {
    /// The form.
    pub form: CourseForm,
    /// The provider that runs it (whose token may then post its attendance).
    pub provider: Option<ProviderId>,
}

impl UseCase for CreateCourse {
    type Output = CourseId;

    async fn run<T: RegisterTx>(
        &self,
        ctx: &Context<'_>,
        tx: &mut T,
    ) -> Result<CourseId, UseCaseError> {
        let parsed = CourseDetails::parse(&self.form, ctx.catalogue);
        let provider = match self.provider {
            Some(id) => tx.provider(id).await?.map(|p| p.id),
            None => None,
        };
        let details = match (parsed, self.provider.is_some() && provider.is_none()) {
            (Ok(details), false) => details,
            (Ok(_), true) => return Err(Violation::UnknownProvider.into()),
            (Err(problems), unknown) => {
                let mut all = problems.into_vec();
                if unknown {
                    all.push(Violation::UnknownProvider);
                }
                return Err(crate::violation::Violations::new(all).into());
            }
        };
        let id = tx.insert_course(&details, provider).await?;
        let items: Vec<&str> = details.items.iter().map(ReviewItemCode::as_str).collect();
        let after = Snapshot::default()
            .with("name", &details.name)
            .with("start", format_date(details.start))
            .with("end", format_date(details.end))
            .with("items", items.join(","))
            .with("hours", details.hours.get())
            .with(
                "provider",
                provider.map_or_else(|| "-".to_owned(), |p| p.to_string()),
            );
        tx.audit(&ctx.audit(
            "course.create",
            Entity::Course,
            id.get(),
            None,
            None,
            Some(after),
        ))
        .await?;
        Ok(id)
    }
}

/// Credits a person with hours attended at a course.
#[derive(Debug, Clone)]
pub struct RecordAttendance {
    /// The course.
    pub course: CourseId,
    /// The person.
    pub person: PersonId,
    /// Hours attended, as typed.
    pub hours: String,
    /// Posted by this training provider: the course must be one it runs (another's is
    /// not found).
    pub provider: Option<ProviderId>,
}

impl UseCase for RecordAttendance {
    type Output = AttendanceId;

    async fn run<T: RegisterTx>(
        &self,
        ctx: &Context<'_>,
        tx: &mut T,
    ) -> Result<AttendanceId, UseCaseError> {
        let course = tx
            .course(self.course)
            .await?
            .filter(|c| self.provider.is_none() || c.provider == self.provider)
            .ok_or(UseCaseError::NotFound(Entity::Course))?;
        existing_person(tx, self.person).await?;
        let Some(hours) = Hours::parse(&self.hours) else {
            return Err(Violation::HoursNotPositive.into());
        };
        let holder = !tx.qualifications(self.person).await?.is_empty();
        let recorded: Vec<_> = tx
            .attendance_of(self.person)
            .await?
            .into_iter()
            .filter(|a| a.course == self.course)
            .collect();
        check_attendance(&course, holder, &recorded, hours.get())?;
        let entry = NewAttendance {
            course: self.course,
            person: self.person,
            hours: hours.get(),
            reverses: None,
            recorded_on: ctx.today(),
        };
        let id = tx.insert_attendance(&entry).await?;
        let after = Snapshot::default()
            .with("course", self.course)
            .with("hours", hours.get());
        tx.audit(&ctx.audit(
            "attendance.record",
            Entity::Attendance,
            id.get(),
            Some(self.person),
            None,
            Some(after),
        ))
        .await?;
        Ok(id)
    }
}

/// A training provider credits hours at one of its courses, naming the person by ID
/// number or registration number *and* name: the course is checked first (another's is
/// not found), then the person, and an unknown number and a name that differs from the
/// register's are one answer (`NotFound(Person)`), so that a provider's token learns
/// neither whether an ID number is in the register nor the name recorded for it. Then
/// the rules of [`RecordAttendance`].
#[derive(Debug, Clone)]
pub struct RecordProviderAttendance {
    /// The provider posting.
    pub provider: ProviderId,
    /// The course.
    pub course: CourseId,
    /// The person, by ID number or registration number.
    pub person: crate::education::PersonRef,
    /// Their name, as the provider has it.
    pub name: String,
    /// Hours attended, as typed.
    pub hours: String,
}

impl UseCase for RecordProviderAttendance {
    type Output = AttendanceId;

    async fn run<T: RegisterTx>(
        &self,
        ctx: &Context<'_>,
        tx: &mut T,
    ) -> Result<AttendanceId, UseCaseError> {
        tx.course(self.course)
            .await?
            .filter(|c| c.provider == Some(self.provider))
            .ok_or(UseCaseError::NotFound(Entity::Course))?;
        let found = match &self.person {
            crate::education::PersonRef::ResidentId(id) => tx.person_by_resident_id(id).await?,
            crate::education::PersonRef::Number(n) => tx.person_by_registration_number(*n).await?,
        };
        let person = found
            .filter(|p| p.name.as_str() == self.name.trim())
            .ok_or(UseCaseError::NotFound(Entity::Person))?;
        RecordAttendance {
            course: self.course,
            person: person.id,
            hours: self.hours.clone(),
            provider: Some(self.provider),
        }
        .run(ctx, tx)
        .await
    }
}

/// Imports an attendance roster (培训班编号, 姓名, 身份证号或注册号, 课时). Every row is
/// checked first: the row's own form, the course, the person (by ID number or
/// registration number, with the same name), a certificate holder, no duplicate row in the
/// file, hours within what the course counts. By default nothing is written if any row is
/// bad (`good_rows_only` writes the good ones). A row whose person already has exactly
/// these hours for the course is "already recorded": importing the same roster twice
/// changes nothing.
#[derive(Debug, Clone)]
pub struct ImportAttendance {
    /// The roster's records (the first is the header).
    pub records: Vec<crate::csv::Record>,
    /// Write the good rows even if some are bad.
    pub good_rows_only: bool,
    /// Posted by this training provider: a row of a course it does not run is refused as
    /// an unknown course, and a row whose name differs from the register's as an unknown
    /// person (the roster never tells a provider the name recorded for an ID number).
    pub provider: Option<ProviderId>,
}

/// What happened to one roster row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RowOutcome {
    /// Written (or, when nothing was written because of bad rows, would have been).
    Imported,
    /// The same hours were recorded before; nothing to do.
    AlreadyRecorded,
    /// Refused, with every reason.
    Rejected(Vec<Violation>),
}

/// One line of an import report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowReport {
    /// The line in the file (the header is line 1; 0 for the file as a whole).
    pub line: usize,
    /// The row's name, when it could be read.
    pub name: String,
    /// What happened.
    pub outcome: RowOutcome,
}

/// The report of an import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportReport {
    /// Every row, in file order.
    pub rows: Vec<RowReport>,
    /// How many entries were written.
    pub written: usize,
}

impl ImportReport {
    /// How many rows were refused.
    pub fn rejected(&self) -> usize {
        self.rows
            .iter()
            .filter(|r| matches!(r.outcome, RowOutcome::Rejected(_)))
            .count()
    }
}

impl UseCase for ImportAttendance {
    type Output = ImportReport;

    async fn run<T: RegisterTx>(
        &self,
        ctx: &Context<'_>,
        tx: &mut T,
    ) -> Result<ImportReport, UseCaseError> {
        let (rows, bad) = crate::education::parse_roster(&self.records, ctx.today());
        let mut reports: Vec<RowReport> = bad
            .into_iter()
            .map(|(line, problems)| RowReport {
                line,
                name: String::new(),
                outcome: RowOutcome::Rejected(problems),
            })
            .collect();
        let mut seen: std::collections::BTreeMap<(CourseId, PersonId), usize> =
            std::collections::BTreeMap::new();
        let mut courses: std::collections::BTreeMap<
            CourseId,
            Option<crate::education::TrainingCourse>,
        > = std::collections::BTreeMap::new();
        let mut to_write = Vec::new();
        for row in &rows {
            let mut problems = Vec::new();
            let course = match courses.entry(row.course) {
                std::collections::btree_map::Entry::Occupied(known) => known.get().clone(),
                std::collections::btree_map::Entry::Vacant(slot) => {
                    let found = tx
                        .course(row.course)
                        .await?
                        .filter(|c| self.provider.is_none() || c.provider == self.provider);
                    slot.insert(found).clone()
                }
            };
            if course.is_none() {
                problems.push(Violation::UnknownCourse(row.course.to_string()));
            }
            let person = match &row.person {
                crate::education::PersonRef::ResidentId(id) => tx.person_by_resident_id(id).await?,
                crate::education::PersonRef::Number(n) => {
                    tx.person_by_registration_number(*n).await?
                }
            };
            let mut outcome = None;
            match &person {
                None => problems.push(Violation::UnknownPerson(row.person.describe())),
                Some(p) => {
                    if p.name != row.name && self.provider.is_some() {
                        // A provider learns no recorded name: an ID number with another
                        // name is answered as one the register does not know.
                        problems.push(Violation::UnknownPerson(row.person.describe()));
                    } else if p.name != row.name {
                        problems.push(Violation::NameMismatch {
                            masked_id: p.resident_id.masked(),
                            recorded: p.name.as_str().to_owned(),
                            given: row.name.as_str().to_owned(),
                        });
                    }
                    if let Some(first) = seen.get(&(row.course, p.id)) {
                        problems.push(Violation::DuplicateRow(*first));
                    } else {
                        seen.insert((row.course, p.id), row.line);
                    }
                    if let Some(course) = &course {
                        let holder = !tx.qualifications(p.id).await?.is_empty();
                        let recorded: Vec<_> = tx
                            .attendance_of(p.id)
                            .await?
                            .into_iter()
                            .filter(|a| a.course == course.id)
                            .collect();
                        let net: rust_decimal::Decimal = recorded.iter().map(|a| a.hours).sum();
                        if holder && net == row.hours.get() {
                            outcome = Some(RowOutcome::AlreadyRecorded);
                        } else if let Err(v) =
                            check_attendance(course, holder, &recorded, row.hours.get())
                        {
                            problems.extend(v.into_vec());
                        }
                    }
                }
            }
            let outcome = if problems.is_empty() {
                outcome.unwrap_or(RowOutcome::Imported)
            } else {
                RowOutcome::Rejected(problems)
            };
            if outcome == RowOutcome::Imported
                && let Some(p) = &person
            {
                to_write.push((row.course, p.id, row.hours));
            }
            reports.push(RowReport {
                line: row.line,
                name: row.name.as_str().to_owned(),
                outcome,
            });
        }
        reports.sort_by_key(|r| r.line);
        let any_bad = reports
            .iter()
            .any(|r| matches!(r.outcome, RowOutcome::Rejected(_)));
        let mut written = 0;
        if !any_bad || self.good_rows_only {
            for (course, person, hours) in to_write {
                let id = tx
                    .insert_attendance(&NewAttendance {
                        course,
                        person,
                        hours: hours.get(),
                        reverses: None,
                        recorded_on: ctx.today(),
                    })
                    .await?;
                tx.audit(
                    &ctx.audit(
                        "attendance.import",
                        Entity::Attendance,
                        id.get(),
                        Some(person),
                        None,
                        Some(
                            Snapshot::default()
                                .with("course", course)
                                .with("hours", hours.get()),
                        ),
                    ),
                )
                .await?;
                written += 1;
            }
        }
        Ok(ImportReport {
            rows: reports,
            written,
        })
    }
}

/// Cancels an attendance entry with a reversing entry (history is never edited).
#[derive(Debug, Clone)]
pub struct ReverseAttendance {
    /// The entry to cancel.
    pub entry: AttendanceId,
}

impl UseCase for ReverseAttendance {
    type Output = AttendanceId;

    async fn run<T: RegisterTx>(
        &self,
        ctx: &Context<'_>,
        tx: &mut T,
    ) -> Result<AttendanceId, UseCaseError> {
        let entry = tx
            .attendance_entry(self.entry)
            .await?
            .ok_or(UseCaseError::NotFound(Entity::Attendance))?;
        let all = tx.attendance_of(entry.person).await?;
        check_reversal(&entry, &all)?;
        let reversal = NewAttendance {
            course: entry.course,
            person: entry.person,
            hours: -entry.hours,
            reverses: Some(entry.id),
            recorded_on: ctx.today(),
        };
        let id = tx.insert_attendance(&reversal).await?;
        let after = Snapshot::default()
            .with("reverses", entry.id)
            .with("hours", reversal.hours);
        tx.audit(&ctx.audit(
            "attendance.reverse",
            Entity::Attendance,
            id.get(),
            Some(entry.person),
            None,
            Some(after),
        ))
        .await?;
        Ok(id)
    }
}
