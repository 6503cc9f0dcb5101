//! The association's operations (促进会): the institutions with their login accounts
//! (listing, creating, editing, disabling, resetting the password), recording exam
//! results (考核合格名单), and the registration cycles with their policy (reading, editing).

use poem::Request;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{Enum, Object, OpenApi};
use registry_core::access::PasswordHash;
use registry_core::cycle::{CycleForm, RegistrationCycle};
use registry_core::date::format_date;
use registry_core::education::format_hours;
use registry_core::ids::{CycleId, InstitutionId};
use registry_core::institution::InstitutionForm;
use registry_core::policy::LateHours;
use registry_core::ports::RegisterTx;
use registry_core::qualification::ExamResultForm;
use registry_core::usecases::{
    CreateInstitution, CycleTarget, DefineCycle, RecordExamResult, SetAccountPassword,
    UpdateInstitution, UseCaseError,
};

use super::wire::ItemCodeText;
use super::wire::Secret;
use super::{ApiError, ApiResult, Tag, association, error_body, new_secret, security, state};

#[derive(Object, Debug)]
struct InstitutionOut {
    id: i64,
    name: String,
    number: String,
    credit_code: String,
    provincial_number: Option<String>,
    national_number: Option<String>,
    contact: Option<String>,
    /// 联系邮箱
    email: Option<String>,
    active: bool,
    version: i64,
    username: Option<String>,
}

#[derive(Object, Debug)]
#[oai(deny_unknown_fields)]
struct InstitutionIn {
    /// 机构名称, at most 100 characters.
    #[oai(validator(max_length = 100))]
    name: String,
    /// 机构编号, at most 32 characters.
    #[oai(validator(max_length = 32))]
    number: String,
    /// 统一社会信用代码: 18 characters (GB 32100), its check character verified.
    #[oai(validator(pattern = "^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$"))]
    credit_code: String,
    /// 省级资质编号, at most 40 characters (this or the national one).
    #[oai(default, validator(max_length = 40))]
    provincial_number: String,
    /// 国家级资质编号, at most 40 characters.
    #[oai(default, validator(max_length = 40))]
    national_number: String,
    /// 联系人及电话, at most 100 characters.
    #[oai(default, validator(max_length = 100))]
    contact: String,
    /// 联系邮箱: where the institution's reminders go (empty: none).
    #[oai(default, validator(max_length = 100))]
    email: String,
}

impl InstitutionIn {
    fn form(&self) -> InstitutionForm {
        InstitutionForm {
            name: self.name.clone(),
            number: self.number.clone(),
            credit_code: self.credit_code.clone(),
            provincial_number: self.provincial_number.clone(),
            national_number: self.national_number.clone(),
            contact: self.contact.clone(),
            email: self.email.clone(),
        }
    }
}

#[derive(Object, Debug)]
#[oai(deny_unknown_fields)]
struct NewInstitution {
    institution: InstitutionIn,
    /// The login name of the institution's account, 3 to 32 letters, digits, `_`, `-`
    /// or `.`.
    #[oai(validator(max_length = 32))]
    username: String,
}

#[derive(Object, Debug)]
struct CreatedInstitution {
    id: i64,
    username: String,
    /// Shown once; must be changed at the first login.
    initial_password: String,
}

#[derive(Object, Debug)]
#[oai(deny_unknown_fields)]
struct InstitutionUpdate {
    institution: InstitutionIn,
    active: bool,
    /// The version read.
    version: i64,
}

#[derive(Object, Debug)]
struct Version {
    version: i64,
}

#[derive(Object, Debug)]
#[oai(deny_unknown_fields)]
struct ExamResultIn {
    /// 身份证号: 18 characters (or an old 15-digit number), its check digit verified.
    #[oai(validator(pattern = "^([0-9]{17}[0-9Xx]|[0-9]{15})$"))]
    resident_id: String,
    /// 姓名, at most 30 characters.
    #[oai(validator(max_length = 30))]
    name: String,
    /// The review items passed (codes of the catalogue, such as `RQ-ZZ`).
    #[oai(validator(max_items = 64))]
    items: Vec<ItemCodeText>,
    /// 考核日期
    exam_date: time::Date,
    /// 公布日期
    published_on: time::Date,
}

#[derive(Object, Debug)]
struct ExamRecorded {
    person_id: i64,
    created: bool,
    added: Vec<String>,
    already: Vec<String>,
}

/// A registration cycle (注册周期) with its policy.
#[derive(Object, Debug)]
struct CycleOut {
    id: i64,
    name: String,
    /// YYYY-MM-DD
    start: String,
    /// YYYY-MM-DD
    end: String,
    /// 注册周期（年）
    cycle_years: u32,
    /// 继续教育课时要求, a decimal number as text (e.g. "32", "7.5").
    hours_required: String,
    /// 换证、注册时须有覆盖该评审项的培训
    require_item_coverage: bool,
    /// 考核年龄上限（周岁以下）
    exam_age_limit: u32,
    /// 注册年龄上限（周岁以下）
    registration_age_limit: u32,
    /// 换证年龄上限（周岁以下）
    certificate_renewal_age_limit: u32,
    /// 证书发放期限（工作日）
    certificate_due_working_days: u32,
    /// 注册公示期限（工作日）
    publication_due_working_days: u32,
    /// 换证申请提前月数
    renewal_window_months: u32,
    /// 周期内取得资格者的课时要求: `full` (the whole requirement), `pro_rata_years`
    /// (one share per whole year held in the cycle) or `none`.
    late_hours: String,
    /// 注册到期提醒：到期前这些天数各提醒一次（例如 "60,30,7"）
    reminder_ending_days: String,
    /// 课时不足提醒：周期结束前月数
    reminder_hours_short_months: u32,
    /// 填报未完成提醒：设置填报密码后的工作日数
    reminder_fill_in_working_days: u32,
    /// 等待注册提醒：等待注册的工作日数
    reminder_awaiting_working_days: u32,
    /// 证书发放到期提醒：到期前工作日数
    reminder_document_due_working_days: u32,
    /// The version: send it back with an edit (`PUT`), which is refused
    /// (409 `conflict.stale.cycle`) if the cycle changed since.
    version: i64,
}

impl CycleOut {
    fn of(cycle: &RegistrationCycle) -> CycleOut {
        let p = cycle.policy();
        CycleOut {
            id: cycle.id().get(),
            name: cycle.name().to_owned(),
            start: format_date(cycle.start()),
            end: format_date(cycle.end()),
            cycle_years: p.cycle_years,
            hours_required: format_hours(p.hours_required),
            require_item_coverage: p.require_item_coverage,
            exam_age_limit: p.exam_age_limit,
            registration_age_limit: p.registration_age_limit,
            certificate_renewal_age_limit: p.certificate_renewal_age_limit,
            certificate_due_working_days: p.certificate_due_working_days,
            publication_due_working_days: p.publication_due_working_days,
            renewal_window_months: p.renewal_window_months,
            late_hours: p.late_hours.code().to_owned(),
            reminder_ending_days: p.reminders.ending_days_text(),
            reminder_hours_short_months: p.reminders.hours_short_months,
            reminder_fill_in_working_days: p.reminders.fill_in_working_days,
            reminder_awaiting_working_days: p.reminders.awaiting_working_days,
            reminder_document_due_working_days: p.reminders.document_due_working_days,
            version: cycle.version(),
        }
    }
}

/// A cycle's name, dates and policy, replacing the stored ones. A change of the dates is
/// refused (422, codes `cycle.change_*`) while registrations, documents or course hours
/// of the cycle would fall outside it; the name and the policy can always change.
#[derive(Object, Debug)]
#[oai(deny_unknown_fields)]
struct CycleIn {
    /// 周期名称, at most 40 characters.
    #[oai(validator(max_length = 40))]
    name: String,
    /// 周期开始
    start: time::Date,
    /// 周期结束
    end: time::Date,
    /// 注册周期（年）, 1 to 10.
    cycle_years: i64,
    /// 继续教育课时要求, a decimal number as text (e.g. "32", "7.5"), 0 to 1000.
    #[oai(validator(max_length = 10, pattern = "^[0-9]+(\\.[0-9]+)?$"))]
    hours_required: String,
    /// 换证、注册时须有覆盖该评审项的培训
    require_item_coverage: bool,
    /// 考核年龄上限（周岁以下）, 18 to 100.
    exam_age_limit: i64,
    /// 注册年龄上限（周岁以下）, 18 to 100.
    registration_age_limit: i64,
    /// 换证年龄上限（周岁以下）, 18 to 100.
    certificate_renewal_age_limit: i64,
    /// 证书发放期限（工作日）, 1 to 250.
    certificate_due_working_days: i64,
    /// 注册公示期限（工作日）, 1 to 250.
    publication_due_working_days: i64,
    /// 换证申请提前月数, 0 to 24.
    renewal_window_months: i64,
    /// 周期内取得资格者的课时要求; absent means the default, `pro_rata_years`.
    late_hours: Option<LateHoursIn>,
    /// 注册到期提醒（到期前天数，以逗号分隔，例如 "60,30,7"）; absent: the default.
    #[oai(validator(max_length = 40, pattern = "^[0-9,，、 ]*$"))]
    reminder_ending_days: Option<String>,
    /// 课时不足提醒（周期结束前月数）, 1 to 24; absent: 6.
    reminder_hours_short_months: Option<i64>,
    /// 填报未完成提醒（工作日）, 1 to 60; absent: 10.
    reminder_fill_in_working_days: Option<i64>,
    /// 等待注册提醒（工作日）, 1 to 60; absent: 5.
    reminder_awaiting_working_days: Option<i64>,
    /// 证书发放到期提醒（工作日）, 1 to 60; absent: 3.
    reminder_document_due_working_days: Option<i64>,
    /// The version read (`CycleOut.version`): the edit is refused (409
    /// `conflict.stale.cycle`) if the cycle changed since.
    version: i64,
}

impl CycleIn {
    /// The core's form: the numbers as text, parsed (and refused) by the core.
    fn form(&self) -> CycleForm {
        CycleForm {
            name: self.name.clone(),
            start: format_date(self.start),
            end: format_date(self.end),
            cycle_years: self.cycle_years.to_string(),
            hours_required: self.hours_required.clone(),
            require_item_coverage: self.require_item_coverage,
            exam_age_limit: self.exam_age_limit.to_string(),
            registration_age_limit: self.registration_age_limit.to_string(),
            certificate_renewal_age_limit: self.certificate_renewal_age_limit.to_string(),
            certificate_due_working_days: self.certificate_due_working_days.to_string(),
            publication_due_working_days: self.publication_due_working_days.to_string(),
            renewal_window_months: self.renewal_window_months.to_string(),
            late_hours: self
                .late_hours
                .map_or_else(LateHours::default, LateHoursIn::core)
                .code()
                .to_owned(),
            // Absent: empty, which the core reads as the default.
            reminder_ending_days: self.reminder_ending_days.clone().unwrap_or_default(),
            reminder_hours_short_months: text(self.reminder_hours_short_months),
            reminder_fill_in_working_days: text(self.reminder_fill_in_working_days),
            reminder_awaiting_working_days: text(self.reminder_awaiting_working_days),
            reminder_document_due_working_days: text(self.reminder_document_due_working_days),
        }
    }
}

/// A new registration cycle: its name and dates, and the hours it requires; the rest of
/// its policy is the default (change it with `PUT /association/cycles/{id}`).
#[derive(Object, Debug)]
#[oai(deny_unknown_fields)]
struct NewCycleIn {
    /// 周期名称, at most 40 characters.
    #[oai(validator(max_length = 40))]
    name: String,
    /// 周期开始
    start: time::Date,
    /// 周期结束; cycles never overlap.
    end: time::Date,
    /// 继续教育课时要求, a decimal number as text; absent: the default (32).
    #[oai(validator(max_length = 10, pattern = "^[0-9]+(\\.[0-9]+)?$"))]
    hours_required: Option<String>,
}

/// 周期内取得资格者的课时要求: the cycle's full hours (`full`), its hours in proportion to
/// the whole years left of the cycle (`pro_rata_years`), or none (`none`).
#[derive(Enum, Debug, Clone, Copy)]
#[oai(rename_all = "snake_case")]
enum LateHoursIn {
    /// 全额
    Full,
    /// 按剩余整年折算
    ProRataYears,
    /// 不要求
    None,
}

impl LateHoursIn {
    fn core(self) -> LateHours {
        match self {
            LateHoursIn::Full => LateHours::Full,
            LateHoursIn::ProRataYears => LateHours::ProRataYears,
            LateHoursIn::None => LateHours::None,
        }
    }
}

fn text(number: Option<i64>) -> String {
    number.map(|n| n.to_string()).unwrap_or_default()
}

/// The association's operations (tag 促进会).
#[derive(Default)]
pub(crate) struct AssociationApi;

#[OpenApi]
impl AssociationApi {
    /// Every institution, with its login name.
    #[oai(path = "/institutions", method = "get", tag = "Tag::Association")]
    async fn institutions(&self, req: &Request) -> ApiResult<Json<Vec<InstitutionOut>>> {
        association(req)?;
        let state = state(req)?;
        let text =
            |t: &Option<registry_core::text::Text>| t.as_ref().map(|t| t.as_str().to_owned());
        Ok(Json(
            state
                .store
                .institutions()
                .await?
                .into_iter()
                .map(|l| {
                    let d = &l.institution.details;
                    InstitutionOut {
                        id: l.institution.id.get(),
                        name: d.name.as_str().to_owned(),
                        number: d.number.as_str().to_owned(),
                        credit_code: d.credit_code.as_str().to_owned(),
                        provincial_number: text(&d.provincial_number),
                        national_number: text(&d.national_number),
                        contact: text(&d.contact),
                        email: d.email.as_ref().map(|e| e.as_str().to_owned()),
                        active: l.institution.active,
                        version: l.institution.version,
                        username: l.username,
                    }
                })
                .collect(),
        ))
    }

    /// Creates an institution with its login account; the initial password is returned
    /// once.
    #[oai(path = "/institutions", method = "post", tag = "Tag::Association")]
    async fn create_institution(
        &self,
        req: &Request,
        body: Json<NewInstitution>,
    ) -> ApiResult<Json<CreatedInstitution>> {
        let actor = association(req)?;
        let state = state(req)?;
        let (password, hash) = new_secret().await?;
        let (id, _) = state
            .run(
                actor,
                &CreateInstitution {
                    form: body.institution.form(),
                    username: body.username.clone(),
                    password: PasswordHash::new(hash),
                },
            )
            .await?;
        Ok(Json(CreatedInstitution {
            id: id.get(),
            username: body.username.trim().to_ascii_lowercase(),
            initial_password: password,
        }))
    }

    /// Edits, disables or enables an institution.
    #[oai(path = "/institutions/:id", method = "put", tag = "Tag::Association")]
    async fn update_institution(
        &self,
        req: &Request,
        id: Path<i64>,
        body: Json<InstitutionUpdate>,
    ) -> ApiResult<Json<Version>> {
        let actor = association(req)?;
        let state = state(req)?;
        let version = state
            .run(
                actor,
                &UpdateInstitution {
                    id: InstitutionId::new(id.0),
                    form: body.institution.form(),
                    active: body.active,
                    version: body.version,
                },
            )
            .await?;
        Ok(Json(Version { version }))
    }

    /// Resets an institution's login password (returned once; must be changed): the
    /// security administrator's work.
    #[oai(
        path = "/institutions/:id/password",
        method = "post",
        tag = "Tag::Association"
    )]
    async fn reset_institution_password(
        &self,
        req: &Request,
        id: Path<i64>,
    ) -> ApiResult<Json<Secret>> {
        let actor = security(req)?;
        let state = state(req)?;
        let account = {
            let mut tx = state.store.begin_read().await?;
            tx.account_of_institution(InstitutionId::new(id.0)).await?
        }
        .ok_or_else(|| ApiError::NotFound(error_body("not_found.institution", "未找到该机构")))?;
        let (password, hash) = new_secret().await?;
        state
            .run(
                actor,
                &SetAccountPassword {
                    account: account.id,
                    password: PasswordHash::new(hash),
                    must_change_password: true,
                    keep_session: None,
                },
            )
            .await?;
        Ok(Json(Secret { password }))
    }

    /// Records an exam result (考核合格名单): refused for candidates aged 65 or over on the
    /// exam date.
    #[oai(path = "/exam-results", method = "post", tag = "Tag::Association")]
    async fn record_exam(
        &self,
        req: &Request,
        body: Json<ExamResultIn>,
    ) -> ApiResult<Json<ExamRecorded>> {
        let actor = association(req)?;
        let state = state(req)?;
        let recorded = state
            .run(
                actor,
                &RecordExamResult {
                    form: ExamResultForm {
                        resident_id: body.resident_id.clone(),
                        name: body.name.clone(),
                        items: super::wire::item_codes(&body.items),
                        exam_date: format_date(body.exam_date),
                        published_on: format_date(body.published_on),
                    },
                },
            )
            .await?;
        Ok(Json(ExamRecorded {
            person_id: recorded.person.get(),
            created: recorded.created,
            added: recorded
                .added
                .iter()
                .map(|c| c.as_str().to_owned())
                .collect(),
            already: recorded
                .already
                .iter()
                .map(|c| c.as_str().to_owned())
                .collect(),
        }))
    }

    /// Every registration cycle with its policy, in order.
    #[oai(path = "/association/cycles", method = "get", tag = "Tag::Association")]
    async fn cycles(&self, req: &Request) -> ApiResult<Json<Vec<CycleOut>>> {
        association(req)?;
        let state = state(req)?;
        let cycles = {
            let mut tx = state.store.begin_read().await?;
            tx.cycles().await?
        };
        Ok(Json(cycles.as_slice().iter().map(CycleOut::of).collect()))
    }

    /// Adds a registration cycle (audited); refused (422) when it overlaps another, with
    /// every problem of the form at once.
    #[oai(
        path = "/association/cycles",
        method = "post",
        tag = "Tag::Association"
    )]
    async fn define_cycle(
        &self,
        req: &Request,
        body: Json<NewCycleIn>,
    ) -> ApiResult<Json<CycleOut>> {
        let actor = association(req)?;
        let state = state(req)?;
        let defaults = CycleForm::with_policy(&registry_core::policy::Policy::default());
        let form = CycleForm {
            name: body.name.clone(),
            start: format_date(body.start),
            end: format_date(body.end),
            hours_required: body
                .hours_required
                .clone()
                .unwrap_or(defaults.hours_required.clone()),
            ..defaults
        };
        let define =
            DefineCycle::from_form(CycleTarget::New, &form).map_err(UseCaseError::Rejected)?;
        defined(state, actor, &define).await
    }

    /// Edits a registration cycle: its name, dates and policy (every change in the audit
    /// log, before and after). Moving the dates is refused, with what it would affect,
    /// while anything bound to the cycle would no longer fit in them.
    #[oai(
        path = "/association/cycles/:id",
        method = "put",
        tag = "Tag::Association"
    )]
    async fn update_cycle(
        &self,
        req: &Request,
        id: Path<i64>,
        body: Json<CycleIn>,
    ) -> ApiResult<Json<CycleOut>> {
        let actor = association(req)?;
        let state = state(req)?;
        let target = CycleTarget::Edit {
            id: CycleId::new(id.0),
            version: body.version,
        };
        let define =
            DefineCycle::from_form(target, &body.form()).map_err(UseCaseError::Rejected)?;
        defined(state, actor, &define).await
    }
}

/// Defines (or edits) a cycle and answers it as stored.
async fn defined(
    state: &crate::AppState,
    actor: registry_core::ports::Actor,
    define: &DefineCycle,
) -> ApiResult<Json<CycleOut>> {
    let id = state.run(actor, define).await?;
    let cycles = {
        let mut tx = state.store.begin_read().await?;
        tx.cycles().await?
    };
    let saved = cycles
        .get(id)
        .ok_or_else(|| ApiError::NotFound(error_body("not_found.cycle", "未找到该注册周期")))?;
    Ok(Json(CycleOut::of(saved)))
}
