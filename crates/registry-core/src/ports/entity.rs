//! What a use case touches: the kinds of record an audit entry or a refusal names.

/// The kinds of record, for errors and audit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Entity {
    /// A person.
    Person,
    /// An institution.
    Institution,
    /// An employment of a person by an institution.
    Employment,
    /// A holding of a person's item.
    Holding,
    /// A qualification.
    Qualification,
    /// A registration cycle.
    Cycle,
    /// A training course.
    Course,
    /// An attendance entry.
    Attendance,
    /// An on-site assessment.
    Assessment,
    /// A login account.
    Account,
    /// An edition of a certificate or card.
    Document,
    /// A table exported from the register.
    Export,
    /// The working-day calendar.
    Calendar,
    /// A run of a batch job (an import, a sweep).
    Run,
    /// A digest of reminders in the outbox.
    Digest,
    /// A training provider.
    Provider,
    /// An API token.
    Token,
}

impl Entity {
    /// The stable code.
    pub fn code(self) -> &'static str {
        match self {
            Entity::Person => "person",
            Entity::Institution => "institution",
            Entity::Employment => "employment",
            Entity::Holding => "holding",
            Entity::Qualification => "qualification",
            Entity::Cycle => "cycle",
            Entity::Course => "course",
            Entity::Attendance => "attendance",
            Entity::Assessment => "assessment",
            Entity::Account => "account",
            Entity::Document => "document",
            Entity::Export => "export",
            Entity::Calendar => "calendar",
            Entity::Run => "run",
            Entity::Digest => "digest",
            Entity::Provider => "provider",
            Entity::Token => "token",
        }
    }

    /// The Chinese noun.
    pub fn label(self) -> &'static str {
        match self {
            Entity::Person => "人员",
            Entity::Institution => "机构",
            Entity::Employment => "聘用关系",
            Entity::Holding => "评审项",
            Entity::Qualification => "评审资格",
            Entity::Cycle => "注册周期",
            Entity::Course => "培训班",
            Entity::Attendance => "课时记录",
            Entity::Assessment => "现场评审记录",
            Entity::Account => "账户",
            Entity::Document => "证件",
            Entity::Export => "导出",
            Entity::Calendar => "工作日历",
            Entity::Run => "批处理",
            Entity::Digest => "提醒邮件",
            Entity::Provider => "培训机构",
            Entity::Token => "接口令牌",
        }
    }
}
