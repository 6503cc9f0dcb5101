//! Every rule violation a user can meet, with a stable code and a Chinese message.
//!
//! A use case returns **all** the violations of a request at once ([`Violations`]), so a
//! form can show each next to its field. The code (`registration.age_limit`) is stable:
//! clients and tests match on it; the message is for people and may be reworded.

use std::fmt;

use crate::calendar::{CalendarError, CalendarProblem};
use crate::credit_code::CreditCodeError;
use crate::date::DateError;
use crate::registration_number::RegistrationNumberError;
use crate::resident_id::ResidentIdError;

/// One rule violation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Violation {
    /// An invalid resident ID number.
    #[error(transparent)]
    ResidentId(#[from] ResidentIdError),
    /// An invalid unified social credit code.
    #[error(transparent)]
    CreditCode(#[from] CreditCodeError),
    /// An invalid registration number.
    #[error(transparent)]
    RegistrationNumber(#[from] RegistrationNumberError),
    /// A working-day question the calendar cannot answer.
    #[error(transparent)]
    Calendar(#[from] CalendarError),
    /// Calendar data that cannot be loaded.
    #[error(transparent)]
    CalendarData(#[from] CalendarProblem),
    /// A malformed date.
    #[error(transparent)]
    Date(#[from] DateError),

    /// A required field is empty.
    #[error("“{label}”未填写")]
    Missing {
        /// The field's code.
        field: &'static str,
        /// The field's Chinese label.
        label: &'static str,
    },
    /// A field is longer than allowed.
    #[error("“{label}”不能超过{max}个字")]
    TooLong {
        /// The field's code.
        field: &'static str,
        /// The field's Chinese label.
        label: &'static str,
        /// The most characters allowed.
        max: usize,
    },
    /// A field holds a control character or a character its kind does not allow.
    #[error("“{label}”含有不允许的字符")]
    BadCharacter {
        /// The field's code.
        field: &'static str,
        /// The field's Chinese label.
        label: &'static str,
    },
    /// A field's value has the wrong form; `expected` says what it should be.
    #[error("“{label}”格式不正确：{expected}")]
    BadFormat {
        /// The field's code.
        field: &'static str,
        /// The field's Chinese label.
        label: &'static str,
        /// What the value should look like.
        expected: &'static str,
    },
    /// The sex typed differs from the one in the ID number.
    #[error("性别与身份证号不符：身份证号显示为“{from_id}”")]
    SexMismatch {
        /// The sex the ID number records.
        from_id: &'static str,
    },
    /// A person with registered items must keep their details complete.
    #[error("已有注册评审项的人员，必填信息不能清空（缺少：{missing}）")]
    RegisteredMustStayComplete {
        /// The missing fields, by label.
        missing: String,
    },

    /// The review item is not in the catalogue.
    #[error("评审项目“{0}”不在评审项目目录中")]
    UnknownItem(String),
    /// No review item chosen.
    #[error("请至少选择一个评审项目")]
    NoItems,

    /// The candidate is too old on the exam date.
    #[error("考核日期 {exam_date} 时已满{age}周岁，考核年龄须在{limit}周岁以下")]
    ExamAgeLimit {
        /// Full years on the exam date.
        age: u32,
        /// The exam date.
        exam_date: String,
        /// The age limit.
        limit: u32,
    },
    /// The exam date lies in the future.
    #[error("考核日期 {0} 晚于今天")]
    ExamDateInFuture(String),
    /// The pass list was published before the exam, or after today.
    #[error("合格名单公布日期 {published_on} 应不早于考核日期 {exam_date}，且不晚于今天")]
    PublicationDate {
        /// The publication date.
        published_on: String,
        /// The exam date.
        exam_date: String,
    },
    /// The exam result names a person differently from the register.
    #[error("身份证号 {masked_id} 已登记为“{recorded}”，与“{given}”不符")]
    NameMismatch {
        /// The ID number, masked.
        masked_id: String,
        /// The name in the register.
        recorded: String,
        /// The name given.
        given: String,
    },

    /// The person did not pass the exam in this item.
    #[error("未取得“{item}”的评审资格")]
    NotQualified {
        /// The item's name.
        item: String,
    },
    /// The person is too old on the first day of the registration.
    #[error("{on} 时已满{age}周岁，注册年龄须在{limit}周岁以下")]
    RegistrationAgeLimit {
        /// Full years on that day.
        age: u32,
        /// The first day of the registration.
        on: String,
        /// The age limit.
        limit: u32,
    },
    /// The person's details are not complete.
    #[error("人员基本信息未填报完整（缺少：{missing}）")]
    DetailsIncomplete {
        /// The missing fields, by label.
        missing: String,
    },
    /// The item is not awaiting registration; what comes next is said.
    #[error("“{item}”当前状态为“{state}”，只有“等待注册”的评审项可以注册。{next_step}")]
    NotAwaitingRegistration {
        /// The item's name.
        item: String,
        /// The state's label.
        state: &'static str,
        /// What has to happen before it can be registered, and who does it.
        next_step: &'static str,
    },
    /// The item is registered and its renewal window has not opened.
    #[error("“{item}”已注册，有效期至 {valid_until}；可于 {window_opens} 起办理下一周期注册")]
    AlreadyRegistered {
        /// The item's name.
        item: String,
        /// The last day of the registration.
        valid_until: String,
        /// The first day renewal may be applied for.
        window_opens: String,
    },
    /// No registration cycle covers the date.
    #[error("{0} 不在任何注册周期内，请联系促进会设置注册周期")]
    NoCycle(String),
    /// The next cycle, needed for an early renewal, is not defined yet.
    #[error("下一注册周期尚未设置，暂不能办理续期注册")]
    NoNextCycle,
    /// Too few continuing-education hours in the previous cycle.
    #[error("注册周期“{cycle}”继续教育课时为{have}，须满{need}，尚差{short}")]
    HoursShort {
        /// The cycle's name.
        cycle: String,
        /// Hours accumulated.
        have: String,
        /// Hours required.
        need: String,
        /// Hours missing.
        short: String,
    },
    /// No course attended in the cycle covered the item: it cannot be renewed (换证), nor
    /// registered in the next cycle.
    #[error(
        "注册周期“{cycle}”参加的继续教育培训班均未覆盖“{item}”：该项不能换证，下一周期不能注册"
    )]
    ItemNotCovered {
        /// The cycle's name.
        cycle: String,
        /// The item's name.
        item: String,
    },
    /// No qualification certificate to renew.
    #[error("该人员尚无资格证书，不能换证")]
    NoCertificate,
    /// The certificate listing the item ended before the registration would start: the
    /// item must be renewed (换证) first; `needs` says what that still needs, if anything.
    #[error("资格证书（{cycle}）已于 {until} 到期：“{item}”须先换证{needs}")]
    CertificateExpired {
        /// The name of the certificate's cycle.
        cycle: String,
        /// Its last day.
        until: String,
        /// The item's name.
        item: String,
        /// What the renewal still needs, starting with "，" (empty: nothing; the
        /// association can renew it now).
        needs: String,
    },
    /// The certificate listing the item ends before the registration would start (a
    /// registration for the next cycle, applied for in the renewal window): the item must be
    /// renewed (换证) first; `needs` says what that still needs.
    #[error("资格证书（{cycle}）有效期至 {until}：“{item}”下一周期须先换证{needs}")]
    CertificateEnds {
        /// The name of the certificate's cycle.
        cycle: String,
        /// Its last day.
        until: String,
        /// The item's name.
        item: String,
        /// What the renewal still needs, starting with "，" (empty: nothing).
        needs: String,
    },
    /// The certificate in force does not list the item (it was left off at 换证).
    #[error("资格证书（{cycle}）未列入“{item}”：换证时该项未满足继续教育要求，不能注册")]
    ItemNotOnCertificate {
        /// The name of the certificate's cycle.
        cycle: String,
        /// The item's name.
        item: String,
    },
    /// The person has no certificate listing the item.
    #[error("没有列入“{item}”的资格证书，不能注册")]
    NoCertificateForItem {
        /// The item's name.
        item: String,
    },
    /// The certificate's renewal window has not opened yet.
    #[error("资格证书有效期至 {valid_until}，{window_opens} 起方可换证")]
    CertificateNotDue {
        /// The certificate's last day.
        valid_until: String,
        /// The first day renewal may be applied for.
        window_opens: String,
    },
    /// The person is too old to renew the qualification certificate.
    #[error("{on} 时已满{age}周岁，换证年龄须在{limit}周岁以下")]
    CertificateRenewalAgeLimit {
        /// Full years on that day.
        age: u32,
        /// The day of renewal.
        on: String,
        /// The age limit.
        limit: u32,
    },

    /// A release is undone only on the day it was made.
    #[error(
        "“{item}”于 {released_on} 退回，只能在退回当天撤销；如仍需聘用，请在“添加人员”中重新聘用"
    )]
    ReleaseUndoTooLate {
        /// The item's name.
        item: String,
        /// The day of the release.
        released_on: String,
    },
    /// A release is not undone once someone hired the item again.
    #[error("“{item}”退回后已被重新聘用，不能撤销退回")]
    ReleaseUndoTaken {
        /// The item's name.
        item: String,
    },
    /// Another institution holds the item.
    #[error("“{item}”已由其他机构聘用，须由原机构“退回人员”后方可聘用")]
    HeldByAnother {
        /// The item's name.
        item: String,
    },
    /// An institution that does not employ the person asked for an item the pool does not
    /// show (held by an institution, or not qualified: it is told neither).
    #[error("“{item}”不在该人员的无聘用单位评审项目中，不能聘用")]
    NotInPool {
        /// The item's name.
        item: String,
    },
    /// The fill-in entry is closed: its institution was disabled, or no longer employs the
    /// person.
    #[error("填报入口已关闭：该评审机构已停用或已不再聘用您，请联系评审机构")]
    EntryClosed,
    /// Only a digest sent or failed can be sent again.
    #[error("该提醒邮件不存在，或正在等待发送，无需重新发送")]
    DigestNotResendable,
    /// A scope code no token may have.
    #[error("不存在权限范围“{0}”")]
    TokenScopeUnknown(String),
    /// A scope of another kind of holder (an institution's token posting attendance).
    #[error("该持有方的令牌不能有“{scope}”权限")]
    TokenScopeNotForHolder {
        /// The scope's label.
        scope: &'static str,
    },
    /// A token without any scope.
    #[error("请至少选择一项权限范围")]
    TokenNoScope,
    /// A token's last day before today, or too far ahead.
    #[error("令牌有效期须自今日起，最长{max_days}天")]
    TokenExpiry {
        /// The most days from today.
        max_days: i64,
    },
    /// A course names a training provider the register does not have.
    #[error("培训机构不存在，请从列表中选择")]
    UnknownProvider,
    /// A batch verification with too many or no questions.
    #[error("批量核验须有1至{max}条，本次{given}条")]
    BatchSize {
        /// The most questions one request may hold.
        max: usize,
        /// How many it held.
        given: usize,
    },
    /// The self-service search's institution does not name one active institution.
    #[error("请从列表中选择评审机构，或输入完整的机构名称（至少{min}个字，且只对应一个机构）")]
    InstitutionNotIdentified {
        /// The fewest characters of a name that may identify an institution.
        min: usize,
    },
    /// This institution holds the item already.
    #[error("本机构已聘用该人员的“{item}”")]
    AlreadyHeld {
        /// The item's name.
        item: String,
    },
    /// A state change the item's state does not allow.
    #[error("评审项当前状态为“{state}”，不能{action}")]
    IllegalTransition {
        /// The state's label.
        state: &'static str,
        /// What was attempted, in Chinese.
        action: &'static str,
    },
    /// The institution account is disabled.
    #[error("机构“{0}”已停用")]
    InstitutionDisabled(String),
    /// The employment of the person by this institution has no fill-in password yet.
    #[error("尚未为该人员设置填报密码")]
    NoFillInPassword,

    /// Attended hours must be positive.
    #[error("课时应大于0，且最多保留一位小数")]
    HoursNotPositive,
    /// More hours than the course counts.
    #[error("该培训班计{course_hours}课时，已记录{recorded}课时，不能再记录{requested}课时")]
    HoursExceedCourse {
        /// The course's hours.
        course_hours: String,
        /// Hours already recorded for the person.
        recorded: String,
        /// Hours asked for.
        requested: String,
    },
    /// Only certificate holders are credited hours.
    #[error("该人员未取得任何评审资格，不能记录继续教育课时")]
    NotCertificateHolder,
    /// The entry was reversed already, or is itself a reversal.
    #[error("该课时记录已冲销或本身是冲销记录，不能再次冲销")]
    CannotReverse,
    /// A course's dates are out of order.
    #[error("培训班结束日期 {end} 早于开始日期 {start}")]
    CourseDates {
        /// Start.
        start: String,
        /// End.
        end: String,
    },

    /// No course with this number.
    #[error("培训班编号“{0}”不存在")]
    UnknownCourse(String),
    /// No person with this ID number or registration number.
    #[error("未找到{0}对应的人员")]
    UnknownPerson(String),
    /// The same course and person as an earlier row.
    #[error("与第{0}行重复（同一培训班、同一人员）")]
    DuplicateRow(usize),
    /// The header of an imported table is missing columns.
    #[error("表头应包含以下列：{0}")]
    ImportHeader(String),

    /// The on-site assessment ends in the future.
    #[error("现场评审结束日期 {0} 晚于今天")]
    AssessmentInFuture(String),
    /// The institution may record assessments only for items it holds.
    #[error("本机构未聘用该人员的“{item}”，不能记录该项现场评审")]
    AssessmentItemNotHeld {
        /// The item's name.
        item: String,
    },

    /// A cycle ends before it starts.
    #[error("注册周期结束日期 {end} 早于开始日期 {start}")]
    CycleDates {
        /// Start.
        start: String,
        /// End.
        end: String,
    },
    /// A cycle overlaps another.
    #[error("注册周期与“{0}”重叠")]
    CycleOverlap(String),
    /// Changing a cycle's dates would leave registrations of the cycle valid outside it.
    #[error("周期日期修改后，{count} 项注册的有效期将超出本周期：{examples}")]
    CycleChangeRegistrations {
        /// How many registrations.
        count: usize,
        /// The first few, by person, item and validity.
        examples: String,
    },
    /// Changing a cycle's dates would leave printed certificates or cards made for the cycle
    /// disagreeing with it.
    #[error("周期日期修改后，{count} 份证件所印有效期将与本周期不符：{examples}")]
    CycleChangeDocuments {
        /// How many editions.
        count: usize,
        /// The first few, by person, document and validity.
        examples: String,
    },
    /// Changing a cycle's dates would move courses' hours out of the cycle.
    #[error("周期日期修改后，{count} 个培训班的课时将移出本周期：{examples}")]
    CycleChangeCoursesOut {
        /// How many courses.
        count: usize,
        /// The first few, by name and number.
        examples: String,
    },
    /// Changing a cycle's dates would move other courses' hours into the cycle.
    #[error("周期日期修改后，{count} 个培训班的课时将移入本周期：{examples}")]
    CycleChangeCoursesIn {
        /// How many courses.
        count: usize,
        /// The first few, by name and number.
        examples: String,
    },
    /// A policy number out of range.
    #[error("“{label}”应在{min}至{max}之间")]
    PolicyRange {
        /// The field's code.
        field: &'static str,
        /// The field's label.
        label: &'static str,
        /// Lowest allowed.
        min: String,
        /// Highest allowed.
        max: String,
    },
    /// An institution needs at least one qualification number.
    #[error("省级资质编号和国家级资质编号至少填写一个")]
    QualificationNumberRequired,

    /// A certificate goes to the person by post: it needs their full mailing address.
    #[error(
        "{name} 的通讯地址或邮政编码未填写完整，资格证书无法寄出（请本人通过“评审人员信息填报”补填）"
    )]
    MailingAddressMissing {
        /// The person's name.
        name: String,
    },
    /// Only a pending edition can be marked as mailed.
    #[error("证件 {serial} 已寄出或已作废，不能再标记为寄出")]
    DocumentNotPending {
        /// The serial number.
        serial: String,
    },
    /// Only an issued, valid edition can be reported lost.
    #[error("证件 {serial} 尚未寄出或已作废，不能挂失补发")]
    DocumentNotIssued {
        /// The serial number.
        serial: String,
    },
    /// An edition whose validity ended before the mailing date is not handed out.
    #[error("证件 {serial} 的有效期已于 {until} 届满，不能标记为寄出")]
    DocumentEnded {
        /// The serial number.
        serial: String,
        /// Its last day.
        until: String,
    },
    /// A mailing date in the future.
    #[error("寄出日期 {0} 晚于今天")]
    MailedInFuture(String),
    /// A mailing date before the edition was made.
    #[error("证件 {serial} 生成于 {created}，寄出日期 {mailed} 不能早于此日")]
    MailedBeforeCreated {
        /// The serial number.
        serial: String,
        /// When it was made.
        created: String,
        /// The date given.
        mailed: String,
    },
    /// Nothing selected.
    #[error("请至少选择一个证件")]
    NoDocuments,

    /// The same ID number under another name earlier in the file.
    #[error("同一身份证号在第{line}行的姓名不同")]
    NameDiffersInFile {
        /// The earlier line.
        line: usize,
    },
    /// A value that must be unique repeats an earlier row.
    #[error("与第{line}行的{what}相同")]
    RepeatsRow {
        /// The earlier line.
        line: usize,
        /// What repeats.
        what: &'static str,
    },
    /// A value the register already has for another record.
    #[error("{what}“{value}”已被其他机构使用")]
    AlreadyInRegister {
        /// What.
        what: &'static str,
        /// The value.
        value: String,
    },
    /// An administrator acting on their own account's duty, state or password through the
    /// security administrator's work (三员分立: no one grants themselves access).
    #[error("不能更改自己账户的角色、状态或重置自己的密码")]
    OwnAccount,
    /// The account is not one of the association's administrators.
    #[error("该账户不是促进会的管理员账户")]
    NotAnAdministrator,
    /// A second factor is required of an institution's account, not of an administrator's
    /// (theirs is required by their role).
    #[error("只能为机构账户设置是否要求双因素认证（管理员账户一律要求）")]
    NotAnInstitutionAccount,
    /// A password used before.
    #[error("新密码不能与最近{remembered}次使用过的密码相同")]
    PasswordReused {
        /// How many earlier passwords are remembered.
        remembered: u32,
    },
}

impl Violation {
    /// The stable code of this violation.
    pub fn code(&self) -> &'static str {
        match self {
            Violation::ResidentId(e) => e.code(),
            Violation::CreditCode(e) => e.code(),
            Violation::RegistrationNumber(e) => e.code(),
            Violation::Calendar(e) => e.code(),
            Violation::CalendarData(p) => p.code(),
            Violation::Date(e) => e.code(),
            Violation::Missing { .. } => "field.missing",
            Violation::TooLong { .. } => "field.too_long",
            Violation::BadCharacter { .. } => "field.bad_character",
            Violation::BadFormat { .. } => "field.bad_format",
            Violation::SexMismatch { .. } => "details.sex_mismatch",
            Violation::RegisteredMustStayComplete { .. } => "details.registered_must_stay_complete",
            Violation::UnknownItem(_) => "item.unknown",
            Violation::NoItems => "item.none",
            Violation::ExamAgeLimit { .. } => "exam.age_limit",
            Violation::ExamDateInFuture(_) => "exam.date_in_future",
            Violation::PublicationDate { .. } => "exam.publication_date",
            Violation::NameMismatch { .. } => "exam.name_mismatch",
            Violation::NotQualified { .. } => "registration.not_qualified",
            Violation::RegistrationAgeLimit { .. } => "registration.age_limit",
            Violation::DetailsIncomplete { .. } => "registration.details_incomplete",
            Violation::NotAwaitingRegistration { .. } => "registration.not_awaiting",
            Violation::AlreadyRegistered { .. } => "registration.already_registered",
            Violation::NoCycle(_) => "registration.no_cycle",
            Violation::NoNextCycle => "registration.no_next_cycle",
            Violation::NoCertificate => "certificate.none",
            Violation::CertificateExpired { .. } => "certificate.expired",
            Violation::CertificateEnds { .. } => "certificate.ends",
            Violation::ItemNotOnCertificate { .. } => "certificate.item_not_listed",
            Violation::NoCertificateForItem { .. } => "certificate.none_for_item",
            Violation::CertificateNotDue { .. } => "certificate.not_due",
            Violation::HoursShort { .. } => "education.hours_short",
            Violation::ItemNotCovered { .. } => "education.item_not_covered",
            Violation::CertificateRenewalAgeLimit { .. } => "certificate.renewal_age_limit",
            Violation::HeldByAnother { .. } => "holding.held_by_another",
            Violation::ReleaseUndoTooLate { .. } => "holding.release_undo_too_late",
            Violation::ReleaseUndoTaken { .. } => "holding.release_undo_taken",
            Violation::AlreadyHeld { .. } => "holding.already_held",
            Violation::NotInPool { .. } => "holding.not_in_pool",
            Violation::EntryClosed => "employment.entry_closed",
            Violation::DigestNotResendable => "outbox.not_resendable",
            Violation::TokenScopeUnknown(_) => "token.scope_unknown",
            Violation::TokenScopeNotForHolder { .. } => "token.scope_not_for_holder",
            Violation::TokenNoScope => "token.no_scope",
            Violation::TokenExpiry { .. } => "token.expiry",
            Violation::UnknownProvider => "course.provider_unknown",
            Violation::BatchSize { .. } => "verification.batch_size",
            Violation::InstitutionNotIdentified { .. } => "self_service.institution_unidentified",
            Violation::IllegalTransition { .. } => "holding.illegal_transition",
            Violation::InstitutionDisabled(_) => "institution.disabled",
            Violation::NoFillInPassword => "employment.no_password",
            Violation::HoursNotPositive => "attendance.hours_not_positive",
            Violation::HoursExceedCourse { .. } => "attendance.exceeds_course",
            Violation::NotCertificateHolder => "attendance.not_certificate_holder",
            Violation::CannotReverse => "attendance.cannot_reverse",
            Violation::CourseDates { .. } => "course.dates",
            Violation::UnknownCourse(_) => "import.unknown_course",
            Violation::UnknownPerson(_) => "import.unknown_person",
            Violation::DuplicateRow(_) => "import.duplicate_row",
            Violation::ImportHeader(_) => "import.header",
            Violation::AssessmentInFuture(_) => "assessment.in_future",
            Violation::AssessmentItemNotHeld { .. } => "assessment.item_not_held",
            Violation::CycleDates { .. } => "cycle.dates",
            Violation::CycleOverlap(_) => "cycle.overlap",
            Violation::CycleChangeRegistrations { .. } => "cycle.change_registrations",
            Violation::CycleChangeDocuments { .. } => "cycle.change_documents",
            Violation::CycleChangeCoursesOut { .. } => "cycle.change_courses_out",
            Violation::CycleChangeCoursesIn { .. } => "cycle.change_courses_in",
            Violation::PolicyRange { .. } => "policy.range",
            Violation::QualificationNumberRequired => "institution.qualification_number_required",
            Violation::MailingAddressMissing { .. } => "document.mailing_address_missing",
            Violation::DocumentNotPending { .. } => "document.not_pending",
            Violation::DocumentNotIssued { .. } => "document.not_issued",
            Violation::DocumentEnded { .. } => "document.ended",
            Violation::MailedInFuture(_) => "document.mailed_in_future",
            Violation::MailedBeforeCreated { .. } => "document.mailed_before_created",
            Violation::NoDocuments => "document.none_selected",
            Violation::NameDiffersInFile { .. } => "import.name_differs",
            Violation::RepeatsRow { .. } => "import.repeats_row",
            Violation::AlreadyInRegister { .. } => "import.already_in_register",
            Violation::OwnAccount => "account.own",
            Violation::NotAnAdministrator => "account.not_administrator",
            Violation::PasswordReused { .. } => "password.reused",
            Violation::NotAnInstitutionAccount => "account.not_institution",
        }
    }

    /// What a renewal still needs, in a few words, for a violation that blocks one: "继续
    /// 教育课时尚差 32", "培训未覆盖该项", "年满65周岁". `None` for other violations.
    pub fn shortfall(&self) -> Option<String> {
        match self {
            Violation::HoursShort { short, .. } => Some(format!("继续教育课时尚差 {short}")),
            Violation::ItemNotCovered { .. } => Some("参加的继续教育培训班未覆盖该项".to_owned()),
            Violation::CertificateRenewalAgeLimit { limit, .. } => {
                Some(format!("已满{limit}周岁，不能换证"))
            }
            _ => None,
        }
    }

    /// The form field this violation belongs to, if it belongs to one.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            Violation::Missing { field, .. }
            | Violation::TooLong { field, .. }
            | Violation::BadCharacter { field, .. }
            | Violation::BadFormat { field, .. }
            | Violation::PolicyRange { field, .. } => Some(field),
            Violation::SexMismatch { .. } => Some("sex"),
            Violation::ResidentId(_) => Some("resident_id"),
            Violation::CreditCode(_) => Some("credit_code"),
            Violation::UnknownItem(_) | Violation::AssessmentItemNotHeld { .. } => Some("item"),
            Violation::NoItems => Some("items"),
            Violation::ExamDateInFuture(_) | Violation::ExamAgeLimit { .. } => Some("exam_date"),
            Violation::PublicationDate { .. } => Some("published_on"),
            Violation::NameMismatch { .. } => Some("name"),
            Violation::PasswordReused { .. } => Some("new_password"),
            Violation::TokenScopeUnknown(_)
            | Violation::TokenScopeNotForHolder { .. }
            | Violation::TokenNoScope => Some("scopes"),
            Violation::TokenExpiry { .. } => Some("expires_on"),
            Violation::UnknownProvider => Some("provider"),
            Violation::AssessmentInFuture(_)
            | Violation::CourseDates { .. }
            | Violation::CycleDates { .. } => Some("end"),
            _ => None,
        }
    }
}

/// One or more violations, reported together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violations(Vec<Violation>);

impl Violations {
    /// Wraps a non-empty list.
    pub fn new(list: Vec<Violation>) -> Violations {
        Violations(list)
    }

    /// The violations, in the order found.
    pub fn as_slice(&self) -> &[Violation] {
        &self.0
    }

    /// The violations.
    pub fn into_vec(self) -> Vec<Violation> {
        self.0
    }

    /// Whether a violation with this code is among them.
    pub fn has(&self, code: &str) -> bool {
        self.0.iter().any(|v| v.code() == code)
    }

    /// The codes, in order.
    pub fn codes(&self) -> Vec<&'static str> {
        self.0.iter().map(Violation::code).collect()
    }
}

impl fmt::Display for Violations {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, violation) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("；")?;
            }
            write!(f, "{violation}")?;
        }
        Ok(())
    }
}

impl From<Violation> for Violations {
    fn from(violation: Violation) -> Self {
        Violations(vec![violation])
    }
}

/// Turns a list into `Ok(value)` when it is empty and `Err` otherwise.
pub(crate) fn ok_or_violations<T>(value: T, list: Vec<Violation>) -> Result<T, Violations> {
    if list.is_empty() {
        Ok(value)
    } else {
        Err(Violations(list))
    }
}
