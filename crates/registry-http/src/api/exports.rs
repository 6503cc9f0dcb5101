//! 数据导入导出 through the API. Exports: a table of the register (people, registrations,
//! courses, attendance), of everyone or of one institution, as .xlsx or CSV; ID numbers
//! masked unless asked for in full, which the audit log records before the file exists.
//! Imports: a pass list (考核合格名单) or the institution list, the same .xlsx or CSV file
//! as the page takes, through the same `registry_batch::import` (every row checked first,
//! a row-numbered report, a dry run, all-or-nothing unless the good rows only are asked
//! for); attendance rosters are `education`'s.

use poem::Request;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::{Attachment, AttachmentType, Binary, Json};
use poem_openapi::{Enum, Object, OpenApi};
use registry_batch::export::{Request as ExportRequest, Table, export};
use registry_batch::import::Kind;
use registry_batch::table::Format;
use registry_core::ids::InstitutionId;

use super::education::{ImportAnswer, import_file, options};
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

/// What a file to import holds.
#[derive(Enum, Debug, Clone, Copy)]
#[oai(rename_all = "snake_case")]
enum ImportKindIn {
    /// 考核合格名单: 姓名, 身份证号, 评审项目, 考核日期, 公布日期.
    PassList,
    /// 鉴定评审机构名单.
    Institutions,
}

/// The export and import operations (tag 促进会).
#[derive(Default)]
pub(crate) struct ExportsApi;

#[OpenApi]
impl ExportsApi {
    /// 数据导入: a pass list or the institution list, as the page 数据导入导出 takes it
    /// (.xlsx or CSV as the body, at most 32 MiB and the import's row limit). Every row is
    /// checked first; 200 with the report when every row is good (written, or not on a dry
    /// run), 422 with every refused row by its line, and then nothing is written unless
    /// `good_rows_only`. Audited as the page's.
    #[oai(
        path = "/association/imports/:kind",
        method = "post",
        tag = "Tag::Association"
    )]
    async fn import(
        &self,
        req: &Request,
        kind: Path<ImportKindIn>,
        body: Binary<poem::Body>,
        /// Check only; write nothing.
        dry_run: Query<Option<bool>>,
        /// Write the good rows even if some are bad.
        good_rows_only: Query<Option<bool>>,
    ) -> Result<ImportAnswer, ApiError> {
        // Who asks is known before the file is read: a stranger's 32 MiB are never read.
        let actor = association(req)?;
        let bytes = body.0.into_vec().await.map_err(|_| {
            ApiError::TooLarge(error_body(
                "request.too_large",
                "文件过大（至多 32 MiB）或未能完整读取。未写入任何数据。",
            ))
        })?;
        let kind = match kind.0 {
            ImportKindIn::PassList => Kind::Qualifications,
            ImportKindIn::Institutions => Kind::Institutions,
        };
        import_file(
            req,
            actor,
            None,
            kind,
            bytes,
            options(&dry_run, &good_rows_only),
        )
        .await
    }

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
