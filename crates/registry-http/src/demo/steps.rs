//! The steps the demo's stories are told in: each a use case (or a few) on its day.

use registry_core::assessment::AssessmentForm;
use registry_core::date::format_date;
use registry_core::document::DocumentKind;
use registry_core::holding::FillInPasswordHash;
use registry_core::ids::{InstitutionId, PersonId};
use registry_core::person::DetailsForm;
use registry_core::ports::Actor;
use registry_core::review_item::ReviewItemCode;
use registry_core::usecases::{
    EmployItems, RecordAssessment, RecordAttendance, RegisterItems, ReleaseItem, RenewCertificate,
    SaveDetails,
};
use time::Date;

use super::World;
use super::timeline::Timeline;
use super::{Course, DemoError, Loader, add_days, admin, inst};

/// The steps of a story, on their days.
pub(super) struct Steps<'a, 'b> {
    pub(super) l: &'a Loader<'b>,
    pub(super) world: &'a World,
    /// The person's place in the roster (varies dates and names of the demo).
    pub(super) n: usize,
    /// The items the person passed.
    pub(super) items: &'a [String],
    pub(super) person: PersonId,
}

impl Steps<'_, '_> {
    pub(super) fn tl(&self) -> &Timeline {
        &self.world.tl
    }

    /// The name of an item, as pages show it.
    pub(super) fn item_name(&self, code: &str) -> String {
        ReviewItemCode::parse(code).map_or_else(
            |_| code.to_owned(),
            |c| self.l.state.catalogue.name_of(&c).to_owned(),
        )
    }

    pub(super) async fn employ(
        &self,
        at: InstitutionId,
        items: &[String],
        hash: Option<FillInPasswordHash>,
        on: Date,
    ) -> Result<(), DemoError> {
        self.l
            .run(
                on,
                inst(at),
                EmployItems {
                    institution: at,
                    person: self.person,
                    items: items.to_vec(),
                    password: hash,
                },
            )
            .await?;
        Ok(())
    }

    pub(super) async fn save(
        &self,
        via: InstitutionId,
        form: DetailsForm,
        on: Date,
    ) -> Result<(), DemoError> {
        let version = self.l.version(self.person).await?;
        self.l
            .run(
                on,
                Actor::Assessor {
                    person: self.person,
                    via,
                },
                SaveDetails {
                    person: self.person,
                    via,
                    form,
                    version,
                },
            )
            .await?;
        Ok(())
    }

    pub(super) async fn register(
        &self,
        at: InstitutionId,
        items: &[String],
        on: Date,
    ) -> Result<(), DemoError> {
        self.l
            .run(
                on,
                inst(at),
                RegisterItems {
                    institution: at,
                    person: self.person,
                    items: items.to_vec(),
                },
            )
            .await?;
        Ok(())
    }

    pub(super) async fn release(
        &self,
        at: InstitutionId,
        item: &str,
        on: Date,
    ) -> Result<(), DemoError> {
        self.l
            .run(
                on,
                inst(at),
                ReleaseItem {
                    institution: at,
                    person: self.person,
                    item: item.to_owned(),
                    reason: "合同到期，人员另行聘用".into(),
                },
            )
            .await?;
        Ok(())
    }

    pub(super) async fn mail(&self, on: Date, kind: Option<DocumentKind>) -> Result<(), DemoError> {
        self.l.mail(self.person, on, kind).await
    }

    /// Attends the courses that ended after `since` and cover one of the person's items,
    /// in order, until `target` hours (the last one partly if need be); the hours attended.
    pub(super) async fn train(
        &self,
        courses: &[Course],
        since: Date,
        target: u32,
    ) -> Result<u32, DemoError> {
        let mut total = 0;
        for course in courses {
            if total >= target {
                break;
            }
            let covers = self.items.iter().any(|i| course.items.contains(i));
            if course.end <= since || !covers {
                continue;
            }
            let hours = course.hours.min(target - total);
            self.l
                .run(
                    self.tl().after(course.end, add_days(course.end, 2)),
                    admin(),
                    RecordAttendance {
                        provider: None,
                        course: course.id,
                        person: self.person,
                        hours: hours.to_string(),
                    },
                )
                .await?;
            total += hours;
        }
        Ok(total)
    }

    /// An on-site assessment of five days from `start` by the institution, of the person's
    /// first item, recorded two days after it ends; none if it would end after today or
    /// past the working-day calendar.
    pub(super) async fn assess(&self, at: InstitutionId, start: Date) -> Result<(), DemoError> {
        let end = add_days(start, 4);
        let recorded = add_days(end, 2);
        if recorded > self.tl().today || end > self.tl().calendar_end {
            return Ok(());
        }
        self.l
            .run(
                recorded,
                inst(at),
                RecordAssessment {
                    person: self.person,
                    institution: Some(at),
                    form: AssessmentForm {
                        applicant_unit: format!("示范特种设备制造有限公司（{}）", self.n + 1),
                        item: self.items.first().cloned().unwrap_or_default(),
                        start: format_date(start),
                        end: format_date(end),
                        kind: if self.n.is_multiple_of(3) {
                            "复审"
                        } else {
                            "首次"
                        }
                        .into(),
                    },
                },
            )
            .await?;
        Ok(())
    }

    /// An on-site assessment in the current cycle, after `registered` (a few months ago).
    pub(super) async fn assess_lately(
        &self,
        at: InstitutionId,
        registered: Date,
    ) -> Result<(), DemoError> {
        let start = self
            .tl()
            .ago(40 + (self.n % 12) as i64 * 9)
            .max(add_days(registered, 3));
        self.assess(at, start).await
    }

    /// 换证 for the cycle after the certificate's, on `on`.
    pub(super) async fn renew(&self, on: Date) -> Result<(), DemoError> {
        self.l
            .run(
                on,
                admin(),
                RenewCertificate {
                    person: self.person,
                },
            )
            .await?;
        Ok(())
    }
}
