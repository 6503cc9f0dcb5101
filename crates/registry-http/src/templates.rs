//! The pages' view models, one per template in `templates/`. Askama checks every template
//! against its struct at compile time and escapes every value.

mod confirm;
pub(crate) mod figures;
pub(crate) mod pager;
pub(crate) use confirm::{ConfirmDisclosure, ConfirmRelease, FillInSlip};
mod documents;
pub(crate) use documents::{AssociationDocuments, DocumentRow, InstitutionDocuments};
pub(crate) use pager::{PageNumber, Pager};

use std::collections::BTreeMap;

use askama::Template;
use registry_core::cycle::CycleForm;
use registry_core::holding::ItemState;
use registry_core::institution::InstitutionForm;
use registry_core::person::DetailsForm;
use registry_core::review_item::{ReviewItemCatalogue, ReviewItemCode};

/// What every page's frame shows.
#[derive(Debug, Clone)]
pub(crate) struct Layout {
    /// The CSRF token for forms.
    pub(crate) csrf: String,
    /// The logged-in user's name.
    pub(crate) user: Option<String>,
    /// 促进会 or 机构.
    pub(crate) role: &'static str,
    /// The role's start page.
    pub(crate) home: &'static str,
    /// "Your password expires on …", in the last days before it does.
    pub(crate) password_notice: Option<String>,
    /// For a logged-in account: seconds unused after which its session ends (the page
    /// warns before, and keeps what was typed, `static/session.js`).
    pub(crate) idle_seconds: Option<u32>,
}

/// One item with its state, as lists show it.
#[derive(Debug, Clone)]
pub(crate) struct ItemView {
    pub(crate) code: String,
    pub(crate) name: String,
    pub(crate) state_code: &'static str,
    pub(crate) state_label: &'static str,
    pub(crate) valid_until: Option<String>,
    /// The day it was released, on lists of released items.
    pub(crate) released_on: Option<String>,
}

impl ItemView {
    pub(crate) fn new(
        catalogue: &ReviewItemCatalogue,
        code: &ReviewItemCode,
        state: ItemState,
        valid_until: Option<time::Date>,
    ) -> ItemView {
        ItemView {
            code: code.as_str().to_owned(),
            name: catalogue.name_of(code).to_owned(),
            state_code: state.code(),
            state_label: state.label(),
            valid_until: valid_until
                .filter(|_| state == ItemState::Registered)
                .map(registry_core::date::format_date),
            released_on: None,
        }
    }
}

#[derive(Template)]
#[template(path = "home.html")]
pub(crate) struct Home {
    pub(crate) layout: Layout,
}

#[derive(Template)]
#[template(path = "message.html")]
pub(crate) struct Message {
    pub(crate) layout: Layout,
    pub(crate) title: String,
    pub(crate) message: String,
    pub(crate) link: Option<(String, String)>,
}

/// The on-site assessment form as a person page shows it: after a refusal, what was typed,
/// each error beside its field and all of them in a summary; after a success, the notice.
#[derive(Debug, Clone, Default)]
pub(crate) struct AssessmentFormView {
    pub(crate) values: registry_core::assessment::AssessmentForm,
    pub(crate) errors: Vec<String>,
    pub(crate) field_errors: BTreeMap<&'static str, String>,
    pub(crate) notice: Option<String>,
}

#[derive(Template)]
#[template(path = "login.html")]
pub(crate) struct Login {
    pub(crate) layout: Layout,
    pub(crate) username: String,
    pub(crate) error: Option<String>,
    /// The page to return to after the login (a path of this site), if any.
    pub(crate) next: String,
}

#[derive(Template)]
#[template(path = "password.html")]
pub(crate) struct Password {
    pub(crate) layout: Layout,
    /// Why a new password is needed before anything else.
    pub(crate) forced: Option<String>,
    pub(crate) done: bool,
    pub(crate) errors: Vec<String>,
}

#[derive(Template)]
#[template(path = "secret.html")]
pub(crate) struct Secret {
    pub(crate) layout: Layout,
    pub(crate) title: String,
    pub(crate) subject: String,
    pub(crate) secret: String,
    pub(crate) note: String,
    pub(crate) back: String,
}

#[derive(Debug, Clone)]
pub(crate) struct SelfServiceRow {
    pub(crate) person: i64,
    pub(crate) institution: i64,
    pub(crate) name: String,
    pub(crate) institution_name: String,
    pub(crate) items: Vec<ItemView>,
}

#[derive(Template)]
#[template(path = "self_service_search.html")]
pub(crate) struct SelfServiceSearch {
    pub(crate) layout: Layout,
    pub(crate) name: String,
    pub(crate) institution: String,
    /// The names of the active institutions, offered as the institution field's list.
    pub(crate) institutions: Vec<String>,
    /// Why the institution typed identifies none (no search ran).
    pub(crate) error: Option<String>,
    pub(crate) searched: bool,
    pub(crate) results: Vec<SelfServiceRow>,
}

#[derive(Template)]
#[template(path = "self_service_unlock.html")]
pub(crate) struct SelfServiceUnlock {
    pub(crate) layout: Layout,
    pub(crate) person: i64,
    pub(crate) institution: i64,
    pub(crate) error: Option<String>,
}

#[derive(Template)]
#[template(path = "self_service_edit.html")]
pub(crate) struct SelfServiceEdit {
    pub(crate) layout: Layout,
    pub(crate) person: i64,
    pub(crate) institution: i64,
    pub(crate) name: String,
    pub(crate) institution_name: String,
    pub(crate) masked_id: String,
    /// 男 or 女, from the ID number (never asked).
    pub(crate) sex: &'static str,
    pub(crate) birth_date: String,
    pub(crate) items: Vec<ItemView>,
    pub(crate) form: DetailsForm,
    pub(crate) version: i64,
    pub(crate) missing: String,
    /// The required fields still empty, by form name: marked beside each.
    pub(crate) missing_fields: Vec<&'static str>,
    /// The complete details as they are, when this institution's items still wait for the
    /// person to confirm them: (field, value), sent back by the one-click confirmation.
    pub(crate) confirm: Vec<(&'static str, String)>,
    pub(crate) educations: Vec<&'static str>,
    pub(crate) errors: Vec<String>,
    pub(crate) field_errors: BTreeMap<&'static str, String>,
    pub(crate) saved: Option<String>,
}

impl SelfServiceEdit {
    /// Whether the required field `name` is still empty (marked beside the field).
    pub(crate) fn is_missing(&self, name: &str) -> bool {
        self.missing_fields.contains(&name)
    }
}

#[derive(Debug, Clone)]
pub(crate) struct PersonRow {
    pub(crate) id: i64,
    pub(crate) name: String,
    pub(crate) masked_id: String,
    pub(crate) number: String,
    pub(crate) items: Vec<ItemView>,
}

#[derive(Template)]
#[template(path = "institution_people.html")]
pub(crate) struct InstitutionPeople {
    pub(crate) layout: Layout,
    pub(crate) institution_name: String,
    pub(crate) rows: Vec<PersonRow>,
    pub(crate) states: Vec<(&'static str, &'static str)>,
    pub(crate) filter_state: String,
    pub(crate) filter_name: String,
    pub(crate) pager: Pager,
    pub(crate) notice: Option<String>,
    pub(crate) today: String,
    /// What to act on, on the unfiltered first page.
    pub(crate) lead: Option<figures::Workspace>,
    /// 换证 of the institution's people for the cycle in force (counted apart).
    pub(crate) renewal: Option<figures::FigureGroup>,
}

#[derive(Debug, Clone)]
pub(crate) struct AddableItem {
    pub(crate) code: String,
    pub(crate) name: String,
    pub(crate) available: bool,
    pub(crate) note: String,
}

#[derive(Debug, Clone)]
pub(crate) struct FoundPerson {
    pub(crate) id: i64,
    pub(crate) name: String,
    pub(crate) masked_id: String,
    pub(crate) items: Vec<AddableItem>,
}

#[derive(Template)]
#[template(path = "institution_add.html")]
pub(crate) struct InstitutionAdd {
    pub(crate) layout: Layout,
    pub(crate) name: String,
    pub(crate) resident_id: String,
    pub(crate) found: Option<FoundPerson>,
    pub(crate) errors: Vec<String>,
}

#[derive(Debug, Clone)]
pub(crate) struct RegistrableItem {
    pub(crate) item: ItemView,
    pub(crate) registrable: bool,
    pub(crate) problems: Vec<String>,
}

/// One holder of one of a person's items, past or present.
#[derive(Debug, Clone)]
pub(crate) struct HolderRow {
    pub(crate) item: String,
    pub(crate) institution: String,
    pub(crate) state_code: &'static str,
    pub(crate) state_label: &'static str,
    pub(crate) since: String,
    pub(crate) until: String,
    pub(crate) reason: String,
}

impl HolderRow {
    pub(crate) fn rows(
        catalogue: &ReviewItemCatalogue,
        holdings: &[(registry_core::holding::Holding, String)],
        today: time::Date,
    ) -> Vec<HolderRow> {
        holdings
            .iter()
            .map(|(h, institution)| {
                let state = h.state_on(today);
                HolderRow {
                    item: catalogue.name_of(&h.item).to_owned(),
                    institution: institution.clone(),
                    state_code: state.code(),
                    state_label: state.label(),
                    since: registry_core::date::format_date(h.since),
                    until: h
                        .released_on
                        .map(registry_core::date::format_date)
                        .unwrap_or_default(),
                    reason: h
                        .release_reason
                        .as_ref()
                        .map(|r| r.as_str().to_owned())
                        .unwrap_or_default(),
                }
            })
            .collect()
    }
}

#[derive(Template)]
#[template(path = "institution_person.html")]
pub(crate) struct InstitutionPerson {
    pub(crate) layout: Layout,
    pub(crate) id: i64,
    pub(crate) name: String,
    pub(crate) masked_id: String,
    pub(crate) number: String,
    pub(crate) complete: bool,
    pub(crate) missing: String,
    pub(crate) mobile: String,
    pub(crate) work_unit: String,
    pub(crate) items: Vec<RegistrableItem>,
    pub(crate) holders: Vec<HolderRow>,
    pub(crate) renewal: RenewalView,
    pub(crate) assessments: Vec<AssessmentRow>,
    pub(crate) assessment_action: String,
    pub(crate) assessment_items: Vec<(String, String)>,
    pub(crate) assessment: AssessmentFormView,
    pub(crate) errors: Vec<String>,
    /// Items released today that the institution may still take back: (code, name).
    pub(crate) undoable: Vec<(String, String)>,
    pub(crate) notice: Option<String>,
}

#[derive(Debug, Clone)]
pub(crate) struct InstitutionRow {
    pub(crate) id: i64,
    pub(crate) name: String,
    pub(crate) number: String,
    pub(crate) credit_code: String,
    pub(crate) qualification_numbers: String,
    pub(crate) username: String,
    pub(crate) active: bool,
}

#[derive(Template)]
#[template(path = "association_institutions.html")]
pub(crate) struct AssociationInstitutions {
    pub(crate) layout: Layout,
    pub(crate) rows: Vec<InstitutionRow>,
    pub(crate) notice: Option<String>,
    pub(crate) pager: Pager,
    /// The filters: a part of the name, number or login name; the state shown.
    pub(crate) q: String,
    pub(crate) state: &'static str,
    pub(crate) states: Vec<(&'static str, &'static str)>,
}

#[derive(Template)]
#[template(path = "association_institution.html")]
pub(crate) struct AssociationInstitution {
    pub(crate) layout: Layout,
    pub(crate) id: Option<i64>,
    pub(crate) action: String,
    pub(crate) form: InstitutionForm,
    pub(crate) username: String,
    pub(crate) active: bool,
    pub(crate) version: i64,
    pub(crate) errors: Vec<String>,
    /// Each field's error, shown beside it.
    pub(crate) field_errors: BTreeMap<&'static str, String>,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct ExamFormView {
    pub(crate) name: String,
    pub(crate) resident_id: String,
    pub(crate) exam_date: String,
    pub(crate) published_on: String,
    pub(crate) items: Vec<String>,
}

#[derive(Template)]
#[template(path = "association_exam.html")]
pub(crate) struct AssociationExam {
    pub(crate) layout: Layout,
    pub(crate) form: ExamFormView,
    pub(crate) items: Vec<(String, String)>,
    pub(crate) errors: Vec<String>,
    /// Each error beside its field too.
    pub(crate) field_errors: BTreeMap<&'static str, String>,
    pub(crate) notice: Option<String>,
}

#[derive(Debug, Clone)]
pub(crate) struct PublicInstitutionView {
    pub(crate) name: String,
    pub(crate) items: Vec<(String, String)>,
}

#[derive(Debug, Clone)]
pub(crate) struct PublicRow {
    pub(crate) name: String,
    pub(crate) number: String,
    pub(crate) institutions: Vec<PublicInstitutionView>,
    pub(crate) hours: String,
    pub(crate) cycle: Option<String>,
    pub(crate) working_days: u32,
}

#[derive(Template)]
#[template(path = "public_search.html")]
pub(crate) struct PublicSearch {
    pub(crate) layout: Layout,
    pub(crate) by: String,
    pub(crate) q: String,
    pub(crate) searched: bool,
    pub(crate) error: Option<String>,
    pub(crate) results: Vec<PublicRow>,
}

#[derive(Debug, Clone)]
pub(crate) struct PoolRow {
    pub(crate) person: i64,
    pub(crate) name: String,
    pub(crate) item: String,
    pub(crate) item_name: String,
    pub(crate) qualified_on: String,
}

#[derive(Template)]
#[template(path = "pool.html")]
pub(crate) struct Pool {
    pub(crate) layout: Layout,
    pub(crate) action: &'static str,
    pub(crate) hire: bool,
    pub(crate) name: String,
    pub(crate) item: String,
    pub(crate) catalogue: Vec<(String, String)>,
    pub(crate) rows: Vec<PoolRow>,
    pub(crate) pager: Pager,
}

#[derive(Debug, Clone)]
pub(crate) struct CycleRow {
    pub(crate) id: i64,
    pub(crate) name: String,
    pub(crate) start: String,
    pub(crate) end: String,
    pub(crate) hours: String,
    pub(crate) coverage: bool,
    pub(crate) age: u32,
    pub(crate) renewal_age: u32,
    pub(crate) late_hours: &'static str,
}

/// One year of the working-day calendar, as shown.
#[derive(Debug, Clone)]
pub(crate) struct CalendarYearRow {
    pub(crate) year: i32,
    pub(crate) holidays: usize,
    pub(crate) workdays: usize,
    pub(crate) working_days: u32,
}

#[derive(Template)]
#[template(path = "association_calendar.html")]
pub(crate) struct AssociationCalendar {
    pub(crate) layout: Layout,
    pub(crate) years: Vec<CalendarYearRow>,
    /// The years after the official ones whose deadlines are estimated (`2027、2028`).
    pub(crate) provisional: Option<String>,
    /// The core's reminder that a year is missing.
    pub(crate) warning: Option<String>,
    pub(crate) errors: Vec<String>,
    pub(crate) notice: Option<String>,
}

#[derive(Template)]
#[template(path = "association_cycles.html")]
pub(crate) struct AssociationCycles {
    pub(crate) layout: Layout,
    pub(crate) cycles: Vec<CycleRow>,
    /// The new cycle's form, as typed (only its name, dates and hours are shown).
    pub(crate) form: CycleForm,
    pub(crate) errors: Vec<String>,
    /// Each error beside its field, by the field's name.
    pub(crate) field_errors: BTreeMap<&'static str, String>,
    pub(crate) notice: Option<String>,
}

#[derive(Debug, Clone)]
pub(crate) struct PersonSummaryRow {
    pub(crate) id: i64,
    pub(crate) name: String,
    pub(crate) masked_id: String,
    pub(crate) number: String,
}

#[derive(Template)]
#[template(path = "association_people.html")]
pub(crate) struct AssociationPeople {
    pub(crate) layout: Layout,
    pub(crate) by: String,
    pub(crate) q: String,
    pub(crate) searched: bool,
    pub(crate) error: Option<String>,
    pub(crate) results: Vec<PersonSummaryRow>,
    /// Without a search: every person, a page at a time, by registration in force today
    /// (`yes`, `no`, or all).
    pub(crate) registered: String,
    pub(crate) pager: Option<Pager>,
    /// The search's results as a file (.xlsx, .csv): not for a search by ID number.
    pub(crate) search_exports: Option<(String, String)>,
}

pub(crate) use crate::audit_words::AuditRow;

#[derive(Template)]
#[template(path = "association_person.html")]
pub(crate) struct AssociationPerson {
    pub(crate) layout: Layout,
    pub(crate) id: i64,
    pub(crate) name: String,
    pub(crate) number: String,
    pub(crate) resident_id: String,
    pub(crate) birth_date: String,
    pub(crate) missing: String,
    pub(crate) mobile: String,
    pub(crate) address: String,
    /// (item, exam date, publication date)
    pub(crate) qualifications: Vec<(String, String, String)>,
    pub(crate) holders: Vec<HolderRow>,
    /// (item, institution, registered on, validity)
    pub(crate) registrations: Vec<(String, String, String, String)>,
    pub(crate) filter: String,
    pub(crate) audit: Vec<AuditRow>,
    pub(crate) renewal: RenewalView,
    pub(crate) assessments: Vec<AssessmentRow>,
    pub(crate) assessment_action: String,
    pub(crate) assessment_items: Vec<(String, String)>,
    pub(crate) assessment: AssessmentFormView,
    /// Every edition of the person's certificate and cards.
    pub(crate) documents: Vec<DocumentRow>,
    /// The outcome of a certificate renewal (换证) just asked for.
    pub(crate) certificate_errors: Vec<String>,
    pub(crate) certificate_notice: Option<String>,
}

/// A person's continuing education and whether each item can be renewed.
#[derive(Debug, Clone, Default)]
pub(crate) struct RenewalView {
    pub(crate) cycle: Option<String>,
    pub(crate) hours: String,
    pub(crate) required: String,
    pub(crate) working_days: u32,
    pub(crate) working_days_cycle: u32,
    /// The name of the cycle a renewal is for.
    pub(crate) next: String,
    /// What the certificate's renewal as a whole waits for (the window, the age limit).
    pub(crate) plan: String,
    pub(crate) items: Vec<RenewalRow>,
}

/// One item's 换证 outlook.
#[derive(Debug, Clone, Default)]
pub(crate) struct RenewalRow {
    pub(crate) name: String,
    /// Renewed already, or would be.
    pub(crate) ok: bool,
    /// One sentence.
    pub(crate) status: String,
    /// Why it would be left off.
    pub(crate) reasons: Vec<String>,
}

#[derive(Debug, Clone)]
pub(crate) struct AssessmentRow {
    pub(crate) unit: String,
    pub(crate) item: String,
    pub(crate) start: String,
    pub(crate) end: String,
    pub(crate) kind: &'static str,
    pub(crate) days: u32,
}

#[derive(Debug, Clone)]
pub(crate) struct CourseRow {
    pub(crate) id: i64,
    pub(crate) name: String,
    pub(crate) dates: String,
    pub(crate) items: String,
    pub(crate) hours: String,
    pub(crate) attendees: u64,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct CourseFormView {
    pub(crate) name: String,
    pub(crate) start: String,
    pub(crate) end: String,
    pub(crate) hours: String,
    pub(crate) items: Vec<String>,
    /// The training provider's id, or empty.
    pub(crate) provider: String,
    /// Each field's error, shown beside it.
    pub(crate) errors: BTreeMap<&'static str, String>,
}

#[derive(Template)]
#[template(path = "association_courses.html")]
pub(crate) struct AssociationCourses {
    pub(crate) layout: Layout,
    pub(crate) courses: Vec<CourseRow>,
    pub(crate) catalogue: Vec<(String, String)>,
    /// The training providers (id as text, name).
    pub(crate) providers: Vec<(String, String)>,
    pub(crate) form: CourseFormView,
    pub(crate) errors: Vec<String>,
    pub(crate) notice: Option<String>,
    pub(crate) pager: Pager,
}

#[derive(Debug, Clone)]
pub(crate) struct EntryRow {
    pub(crate) id: i64,
    pub(crate) name: String,
    pub(crate) masked_id: String,
    pub(crate) hours: String,
    pub(crate) recorded_on: String,
    pub(crate) reversed: bool,
    pub(crate) is_reversal: bool,
}

#[derive(Template)]
#[template(path = "association_course.html")]
pub(crate) struct AssociationCourse {
    pub(crate) layout: Layout,
    pub(crate) id: i64,
    pub(crate) name: String,
    pub(crate) dates: String,
    pub(crate) items: String,
    pub(crate) hours: String,
    pub(crate) entries: Vec<EntryRow>,
    pub(crate) errors: Vec<String>,
    pub(crate) notice: Option<String>,
    /// What was typed in 记录课时 (kept after a refusal): the person, the hours.
    pub(crate) typed: (String, String),
    pub(crate) pager: Pager,
}

#[derive(Template)]
#[template(path = "association_cycle.html")]
pub(crate) struct AssociationCycle {
    pub(crate) layout: Layout,
    pub(crate) late_hours_choices: Vec<(&'static str, &'static str)>,
    pub(crate) id: i64,
    /// The version of the cycle the form was made from.
    pub(crate) version: i64,
    /// The form as shown or typed (the core's, raw text).
    pub(crate) form: CycleForm,
    pub(crate) errors: Vec<String>,
    /// Each error beside its field, by the field's name.
    pub(crate) field_errors: BTreeMap<&'static str, String>,
    /// The cycle's edits, newest first.
    pub(crate) history: Vec<AuditRow>,
}

#[derive(Debug, Clone)]
pub(crate) struct ExpiringRow {
    pub(crate) person: i64,
    pub(crate) name: String,
    pub(crate) item: String,
    pub(crate) until: String,
    pub(crate) problems: Vec<String>,
}

#[derive(Template)]
#[template(path = "institution_expiring.html")]
pub(crate) struct InstitutionExpiring {
    pub(crate) layout: Layout,
    pub(crate) from: String,
    pub(crate) until: String,
    pub(crate) rows: Vec<ExpiringRow>,
    pub(crate) pager: Pager,
}

#[derive(Template)]
#[template(path = "institution_assessments.html")]
pub(crate) struct InstitutionAssessments {
    pub(crate) layout: Layout,
    pub(crate) rows: Vec<(String, AssessmentRow)>,
    pub(crate) pager: Pager,
}

/// What the verification page found.
#[derive(Debug, Clone)]
pub(crate) struct VerifyResult {
    pub(crate) valid: bool,
    pub(crate) findings: Vec<String>,
    pub(crate) kind: &'static str,
    pub(crate) serial: String,
    pub(crate) name: String,
    pub(crate) number: String,
    pub(crate) institution: Option<String>,
    pub(crate) valid_until: String,
    pub(crate) checked_at: String,
    /// (item name, valid, valid until)
    pub(crate) items: Vec<(String, bool, String)>,
}

#[derive(Template)]
#[template(path = "verify.html")]
pub(crate) struct VerifyPage {
    pub(crate) layout: Layout,
    pub(crate) code: String,
    pub(crate) error: Option<String>,
    pub(crate) result: Option<VerifyResult>,
}

/// One problem of a refused import row.
#[derive(Debug, Clone)]
pub(crate) struct ExchangeRow {
    pub(crate) line: String,
    pub(crate) name: String,
    pub(crate) message: String,
}

/// The report of an import on the exchange page.
#[derive(Debug, Clone)]
pub(crate) struct ExchangeReport {
    pub(crate) title: &'static str,
    pub(crate) summary: String,
    pub(crate) advice: String,
    /// The first problems (`registry_batch::import::SHOWN`).
    pub(crate) rows: Vec<ExchangeRow>,
    /// How many problems are not shown.
    pub(crate) more: usize,
    /// How many problems there are.
    pub(crate) total: usize,
    /// Every problem as a CSV file, in a `data:` URL for the download link; empty when
    /// there is none.
    pub(crate) download: String,
}

#[derive(Template)]
#[template(path = "association_exchange.html")]
pub(crate) struct AssociationExchange {
    pub(crate) layout: Layout,
    pub(crate) institutions: Vec<(String, String)>,
    pub(crate) report: Option<ExchangeReport>,
}
