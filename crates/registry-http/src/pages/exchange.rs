//! 数据导入导出: the association's page for bulk imports (the institution list, pass lists,
//! attendance rosters) and exports (people, registrations, courses, attendance), the same
//! jobs as `registry import` and `registry export`. The report of an import shows its first
//! [`SHOWN`] problems and gives every problem as a CSV file; the server keeps nothing
//! between requests, so the file travels in the page, once, as the download link's
//! address (a `data:` URL).

use poem::http::{StatusCode, header};
use poem::web::Multipart;
use poem::{Request, Response, handler};

use base64::Engine;
use registry_batch::export::{Request as ExportRequest, Table};
use registry_batch::import::{ImportError, Kind, Options, SHOWN};
use registry_batch::table::{Format, Source};
use registry_core::ids::InstitutionId;

use super::{Fields, association_account, layout, state};

use crate::auth::actor_of;
use crate::errors::{PageResult, html, message_page};
use crate::templates::{AssociationExchange, ExchangeReport, ExchangeRow};

async fn page(req: &Request, status: StatusCode, report: Option<ExchangeReport>) -> PageResult {
    let state = state(req);
    let institutions = match state.store.institutions().await {
        Ok(all) => all
            .into_iter()
            .map(|i| {
                (
                    i.institution.id.to_string(),
                    format!(
                        "{} {}",
                        i.institution.details.number, i.institution.details.name
                    ),
                )
            })
            .collect(),
        Err(e) => return Err(e.into()),
    };
    Ok(html(
        status,
        &AssociationExchange {
            layout: layout(req),
            institutions,
            report,
        },
    ))
}

#[handler]
pub(crate) async fn exchange_page(req: &Request) -> PageResult {
    let _ = association_account(req)?;
    page(req, StatusCode::OK, None).await
}

fn back(req: &Request, status: StatusCode, title: &str, message: &str) -> Response {
    message_page(
        layout(req),
        status,
        title,
        message,
        Some(("/association/exchange", "返回数据导入导出")),
    )
}

#[handler]
pub(crate) async fn upload(req: &Request, mut multipart: Multipart) -> PageResult {
    let account = association_account(req)?;
    let state = state(req);
    let mut file: Option<(String, Vec<u8>)> = None;
    let mut kind = None;
    let mut options = Options::default();
    loop {
        match multipart.next_field().await {
            Ok(Some(field)) => match field.name() {
                Some("file") => {
                    let name = field.file_name().unwrap_or("").to_owned();
                    // The request's body is limited by its route (`limits`): over it,
                    // reading fails and the request is answered 413 whatever is returned.
                    match field.bytes().await {
                        Ok(bytes) => file = Some((name, bytes)),
                        Err(_) => {
                            return Ok(back(
                                req,
                                StatusCode::BAD_REQUEST,
                                "文件无法读取",
                                "上传的文件未能完整读取，请重试。",
                            ));
                        }
                    }
                }
                Some("kind") => {
                    kind = field.text().await.ok().and_then(|t| Kind::parse(&t));
                }
                Some("mode") => {
                    options.good_rows_only = field.text().await.is_ok_and(|t| t == "good");
                }
                Some("dry_run") => options.dry_run = field.text().await.is_ok_and(|t| t == "1"),
                _ => {}
            },
            Ok(None) => break,
            Err(_) => {
                return Ok(back(
                    req,
                    StatusCode::BAD_REQUEST,
                    "上传失败",
                    "上传的表单无法读取，请重试。",
                ));
            }
        }
    }
    let (Some(kind), Some((name, bytes))) = (kind, file) else {
        return Ok(back(
            req,
            StatusCode::UNPROCESSABLE_ENTITY,
            "未选择文件",
            "请选择要导入的名单种类和文件。",
        ));
    };
    let source = Source::new(&name, bytes);
    let actor = actor_of(&account);
    let outcome = registry_batch::import::import(
        &state.batch(&actor, &state.calendar()),
        kind,
        &source,
        options,
        &mut registry_batch::Silent,
    )
    .await;
    let report = match outcome {
        Ok(report) => report,
        Err(e @ (ImportError::Read(_) | ImportError::Header(_))) => {
            return Ok(back(
                req,
                StatusCode::UNPROCESSABLE_ENTITY,
                "文件无法导入",
                &format!("{e}。未写入任何数据。"),
            ));
        }
        Err(ImportError::Failed(e)) => {
            return Ok(back(
                req,
                crate::errors::status_of(&e),
                "导入失败",
                &format!(
                    "{}。未写入任何数据。",
                    crate::errors::messages_of(&e).join("；")
                ),
            ));
        }
    };
    let first = report.first_problems(SHOWN);
    let download = if first.total == 0 {
        String::new()
    } else {
        match report.problem_table(Format::Csv) {
            Ok(csv) => format!(
                "data:text/csv;charset=utf-8;base64,{}",
                base64::engine::general_purpose::STANDARD.encode(csv)
            ),
            Err(e) => {
                tracing::error!(error = ?e, "the error report could not be written");
                String::new()
            }
        }
    };
    let more = first.more();
    let total = first.total;
    let rows: Vec<ExchangeRow> = first
        .rows
        .into_iter()
        .map(|[line, name, _code, message]| ExchangeRow {
            line,
            name,
            message,
        })
        .collect();
    let status = if report.rejected.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let view = ExchangeReport {
        title: kind.label(),
        summary: report.summary(),
        advice: if report.rejected.is_empty() || report.written {
            String::new()
        } else {
            "请按下列行号更正文件后重新导入，或选择“只导入无误的行”。".to_owned()
        },
        rows,
        more,
        total,
        download,
    };
    page(req, status, Some(view)).await
}

fn download(bytes: Vec<u8>, format: Format, file_name: &str) -> Response {
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, format.media_type())
        .header(
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{file_name}\""),
        )
        .header(header::CACHE_CONTROL, "no-store")
        .body(bytes)
}

#[handler]
pub(crate) async fn download_table(req: &Request, body: String) -> PageResult {
    let account = association_account(req)?;
    let state = state(req);
    let fields = Fields::parse(&body);
    let (Some(table), Some(format)) = (
        Table::parse(&fields.get("table")),
        Format::parse(&fields.get("format")),
    ) else {
        return Ok(back(
            req,
            StatusCode::UNPROCESSABLE_ENTITY,
            "无法导出",
            "请选择要导出的表和文件格式。",
        ));
    };
    let institution = fields
        .get("institution")
        .parse::<i64>()
        .ok()
        .map(InstitutionId::new);
    let actor = actor_of(&account);
    let request = ExportRequest {
        table,
        format,
        institution,
        full_id: fields.get("full_id") == "1",
    };
    Ok(
        match registry_batch::export::export(&state.batch(&actor, &state.calendar()), request).await
        {
            Ok(exported) => download(exported.bytes, format, &exported.file_name),
            Err(e) => back(
                req,
                StatusCode::SERVICE_UNAVAILABLE,
                "导出失败",
                &e.to_string(),
            ),
        },
    )
}
