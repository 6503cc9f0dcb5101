//! Exports through the API: a table of the register (people, registrations, courses,
//! attendance), of everyone or of one institution, as .xlsx or CSV; ID numbers masked
//! unless asked for in full, which the audit log records before the file exists. The page
//! 数据导入导出 does the same (`registry_batch::export`).

use poem::Request;
use poem_openapi::payload::{Attachment, AttachmentType, Json};
use poem_openapi::{Enum, Object, OpenApi};
use registry_batch::export::{Request as ExportRequest, Table, export};
use registry_batch::table::Format;
use registry_core::ids::InstitutionId;

use super::{ApiError, ApiResult, Tag, association, error_body, state};

/// What to export.
#[derive(Object, Debug)]
#[oai(deny_unknown_fields)]
struct ExportIn {
    /// Which table.
    table: TableIn,
    /// `xlsx` or `csv` (UTF-8 with BOM).
    format: FormatIn,
    /// Only what concerns this institution (its id).
    institution: Option<i64>,
    /// Full ID numbers instead of masked ones (recorded in the audit log).
    #[oai(default)]
    full_id: bool,
}

/// A table of the register.
#[derive(Enum, Debug, Clone, Copy)]
#[oai(rename_all = "snake_case")]
enum TableIn {
    /// 评审人员: everyone with a qualification.
    People,
    /// 注册记录: every registration, with its state.
    Registrations,
    /// 培训班: the continuing-education courses.
    Courses,
    /// 学时记录: attendance entries.
    Attendance,
}

/// A file format.
#[derive(Enum, Debug, Clone, Copy)]
#[oai(rename_all = "snake_case")]
enum FormatIn {
    /// Excel (.xlsx)
    Xlsx,
    /// CSV, UTF-8 with BOM
    Csv,
}

/// The export operation (tag 促进会).
pub(crate) struct ExportsApi;

#[OpenApi]
impl ExportsApi {
    /// 数据导出: the table as a file (a POST: an export with full ID numbers is a
    /// disclosure, audited before the file is made).
    #[oai(
        path = "/association/exports",
        method = "post",
        tag = "Tag::Association"
    )]
    async fn export(&self, req: &Request, body: Json<ExportIn>) -> ApiResult<Attachment<Vec<u8>>> {
        let actor = association(req)?;
        let state = state(req)?;
        let table = match body.table {
            TableIn::People => Table::People,
            TableIn::Registrations => Table::Registrations,
            TableIn::Courses => Table::Courses,
            TableIn::Attendance => Table::Attendance,
        };
        let format = match body.format {
            FormatIn::Xlsx => Format::Xlsx,
            FormatIn::Csv => Format::Csv,
        };
        let request = ExportRequest {
            table,
            format,
            institution: body.institution.map(InstitutionId::new),
            full_id: body.full_id,
        };
        let calendar = state.calendar();
        let exported = export(&state.batch(&actor, &calendar), request)
            .await
            .map_err(|e| {
                tracing::error!(error = ?e, "an export through the API failed");
                ApiError::Unavailable(error_body("export.failed", "导出失败，请稍后重试"))
            })?;
        Ok(Attachment::new(exported.bytes)
            .attachment_type(AttachmentType::Attachment)
            .filename(exported.file_name))
    }
}
