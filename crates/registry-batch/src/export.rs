//! Exports: people, registrations, training courses and attendance, for the association
//! or limited to one institution, as .xlsx or CSV. ID numbers are masked unless the full
//! numbers are asked for, which is recorded in the audit log with who, what and how many.

use registry_core::date::format_date;
use registry_core::ids::InstitutionId;
use registry_core::review_item::ReviewItemCode;
use registry_core::usecases::{DiscloseExport, UseCaseError, execute};

use crate::Setting;
use crate::table::{Format, WriteError, write_table};

/// A table the register exports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Table {
    /// 评审人员: everyone with a qualification.
    People,
    /// 注册记录: every registration, with its state.
    Registrations,
    /// 培训班: the continuing-education courses.
    Courses,
    /// 学时记录: attendance entries.
    Attendance,
}

impl Table {
    /// Every table.
    pub const ALL: [Table; 4] = [
        Table::People,
        Table::Registrations,
        Table::Courses,
        Table::Attendance,
    ];

    /// Reads `people`, `registrations`, `courses` or `attendance`.
    pub fn parse(text: &str) -> Option<Table> {
        Table::ALL.into_iter().find(|t| t.as_str() == text)
    }

    /// The name in commands, addresses and the audit log.
    pub fn as_str(self) -> &'static str {
        match self {
            Table::People => "people",
            Table::Registrations => "registrations",
            Table::Courses => "courses",
            Table::Attendance => "attendance",
        }
    }

    /// The name shown to people (and the sheet's name).
    pub fn label(self) -> &'static str {
        match self {
            Table::People => "评审人员",
            Table::Registrations => "注册记录",
            Table::Courses => "继续教育培训班",
            Table::Attendance => "继续教育学时",
        }
    }

    /// Whether the table holds ID numbers.
    pub fn has_id_numbers(self) -> bool {
        matches!(self, Table::People | Table::Attendance)
    }
}

/// What to export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Request {
    /// The table.
    pub table: Table,
    /// The format.
    pub format: Format,
    /// Only what concerns this institution.
    pub institution: Option<InstitutionId>,
    /// Full ID numbers (audit-logged).
    pub full_id: bool,
}

/// An exported file.
#[derive(Debug, Clone)]
pub struct Exported {
    /// The file.
    pub bytes: Vec<u8>,
    /// Data rows in it.
    pub rows: usize,
    /// A file name for it.
    pub file_name: String,
}

/// Why an export failed.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// Reading the register or logging the disclosure failed.
    #[error("{0}")]
    Failed(#[from] UseCaseError),
    /// The file could not be made.
    #[error(transparent)]
    Write(#[from] WriteError),
}

impl From<registry_core::ports::StoreError> for ExportError {
    fn from(e: registry_core::ports::StoreError) -> Self {
        ExportError::Failed(e.into())
    }
}

fn items_text(items: &[ReviewItemCode]) -> String {
    items
        .iter()
        .map(ReviewItemCode::as_str)
        .collect::<Vec<_>>()
        .join("、")
}

/// The header and rows of a table.
async fn rows(
    setting: &Setting<'_>,
    request: Request,
) -> Result<(Vec<&'static str>, Vec<Vec<String>>), ExportError> {
    let store = setting.store;
    let id = |r: &registry_core::resident_id::ResidentId| {
        if request.full_id {
            r.as_str().to_owned()
        } else {
            r.masked()
        }
    };
    let number = |n: &Option<registry_core::registration_number::RegistrationNumber>| {
        n.as_ref().map(ToString::to_string).unwrap_or_default()
    };
    Ok(match request.table {
        Table::People => {
            let header = vec![
                "注册号",
                "姓名",
                "身份证号",
                "性别",
                "出生日期",
                "考核合格项目",
                "注册机构及项目",
                "文化程度",
                "职称",
                "工作单位",
                "手机",
                "电子邮箱",
            ];
            let rows = store
                .export_people(request.institution)
                .await?
                .into_iter()
                .map(|p| {
                    let form = p.person.details.to_form();
                    vec![
                        number(&p.person.registration_number),
                        p.person.name.as_str().to_owned(),
                        id(&p.person.resident_id),
                        p.person.resident_id.sex().label().to_owned(),
                        format_date(p.person.resident_id.birth_date()),
                        items_text(&p.items),
                        p.employers
                            .iter()
                            .map(|(name, items)| format!("{name}（{}）", items_text(items)))
                            .collect::<Vec<_>>()
                            .join("；"),
                        form.education,
                        form.title,
                        form.work_unit,
                        form.mobile,
                        form.email,
                    ]
                })
                .collect();
            (header, rows)
        }
        Table::Registrations => {
            let header = vec![
                "注册号",
                "姓名",
                "评审项目",
                "鉴定评审机构",
                "注册日期",
                "有效期起",
                "有效期至",
                "状态",
            ];
            let rows = store
                .export_registrations(request.institution)
                .await?
                .into_iter()
                .map(|r| {
                    vec![
                        r.number,
                        r.name,
                        r.item.as_str().to_owned(),
                        r.institution,
                        format_date(r.registered_on),
                        format_date(r.valid_from),
                        format_date(r.valid_until),
                        r.state.label().to_owned(),
                    ]
                })
                .collect();
            (header, rows)
        }
        Table::Courses => {
            let header = vec![
                "培训班编号",
                "培训班名称",
                "开始日期",
                "结束日期",
                "覆盖评审项目",
                "学时",
                "参加人数",
            ];
            let rows = store
                .courses()
                .await?
                .into_iter()
                .map(|c| {
                    let d = &c.course.details;
                    vec![
                        c.course.id.to_string(),
                        d.name.as_str().to_owned(),
                        format_date(d.start),
                        format_date(d.end),
                        items_text(&d.items),
                        d.hours.get().to_string(),
                        c.attendees.to_string(),
                    ]
                })
                .collect();
            (header, rows)
        }
        Table::Attendance => {
            let header = vec![
                "培训班编号",
                "培训班名称",
                "注册号",
                "姓名",
                "身份证号",
                "课时",
                "记录日期",
                "冲正的记录",
            ];
            let rows = store
                .export_attendance(request.institution)
                .await?
                .into_iter()
                .map(|a| {
                    vec![
                        a.entry.course.to_string(),
                        a.course,
                        number(&a.person.registration_number),
                        a.person.name.as_str().to_owned(),
                        id(&a.person.resident_id),
                        a.entry.hours.to_string(),
                        format_date(a.entry.recorded_on),
                        a.entry.reverses.map(|r| r.to_string()).unwrap_or_default(),
                    ]
                })
                .collect();
            (header, rows)
        }
    })
}

/// Exports a table. Full ID numbers are logged (who, which table, which institution, how
/// many rows) before the file is handed out.
pub async fn export(setting: &Setting<'_>, request: Request) -> Result<Exported, ExportError> {
    let (header, rows) = rows(setting, request).await?;
    if request.full_id && request.table.has_id_numbers() {
        execute(
            setting.store,
            &setting.context(),
            &DiscloseExport {
                table: request.table.as_str(),
                institution: request.institution,
                rows: rows.len(),
            },
        )
        .await?;
    }
    let bytes = write_table(request.format, request.table.label(), &header, &rows)?;
    let scope = request
        .institution
        .map(|i| format!("-{i}"))
        .unwrap_or_default();
    Ok(Exported {
        bytes,
        rows: rows.len(),
        file_name: format!(
            "{}{scope}-{}.{}",
            request.table.as_str(),
            format_date(setting.today()),
            request.format.extension()
        ),
    })
}
