//! 提醒设置: where an institution's reminders go (its contact e-mail, part of its record)
//! and which it gets; every reminder it was sent, or that waits, with its day.

use askama::Template;
use poem::http::StatusCode;
use poem::{Request, handler};
use registry_core::ports::{RegisterTx, ReminderTx};
use registry_core::reminder::{Recipient, ReminderKind};
use registry_core::usecases::ChangeReminderSettings;

use crate::auth::actor_of;
use crate::errors::{PageResult, html, messages_of, status_of};
use crate::pages::{Fields, institution_account, layout, redirect, state};
use crate::templates::Layout;

/// A kind of reminder on the form: (code, label, when it comes, chosen).
pub(crate) type Choice = (&'static str, &'static str, &'static str, bool);

#[derive(Template)]
#[template(path = "institution_reminders.html")]
pub(crate) struct InstitutionReminders {
    pub(crate) layout: Layout,
    pub(crate) email: String,
    pub(crate) choices: Vec<Choice>,
    pub(crate) version: i64,
    pub(crate) saved: bool,
    pub(crate) errors: Vec<String>,
    /// Whether the server sends e-mail at all.
    pub(crate) smtp: bool,
}

/// When each kind comes, in words.
pub(crate) fn when(kind: ReminderKind) -> &'static str {
    match kind {
        ReminderKind::RegistrationEnding => "本机构注册的人员注册到期前（默认 60、30、7 天）",
        ReminderKind::RenewalWindow => "注册周期结束前可申请换证时，附各项的办理情况",
        ReminderKind::HoursShort => {
            "周期结束前（默认 6 个月）继续教育课时或覆盖项目仍不足，附可参加的培训班"
        }
        ReminderKind::FillInIncomplete => "设置填报密码后（默认 10 个工作日）人员仍未填报完整",
        ReminderKind::AwaitingRegistration => "人员已填报完整、等待本机构注册（默认 5 个工作日）",
        _ => "",
    }
}

fn choices(wants: impl Fn(ReminderKind) -> bool) -> Vec<Choice> {
    ReminderKind::FOR_INSTITUTION
        .iter()
        .map(|k| (k.code(), k.label(), when(*k), wants(*k)))
        .collect()
}

#[handler]
pub(crate) async fn reminders(req: &Request) -> PageResult {
    let (institution, _) = institution_account(req)?;
    let state = state(req);
    let mut read = state.store.begin_read().await?;
    let Some(found) = read.institution(institution).await? else {
        return Ok(redirect("/institution"));
    };
    let settings = read
        .reminder_settings(Recipient::Institution(institution))
        .await?;
    Ok(html(
        StatusCode::OK,
        &InstitutionReminders {
            layout: layout(req),
            email: found
                .details
                .email
                .map(|e| e.as_str().to_owned())
                .unwrap_or_default(),
            choices: choices(|k| settings.wants(k)),
            version: found.version,
            saved: req.uri().query() == Some("saved=1"),
            errors: vec![],
            smtp: state.config.mail.smtp,
        },
    ))
}

#[handler]
pub(crate) async fn save(req: &Request, body: String) -> PageResult {
    let (institution, account) = institution_account(req)?;
    let fields = Fields::parse(&body);
    let wanted: Vec<ReminderKind> = fields
        .all("kinds")
        .iter()
        .filter_map(|code| ReminderKind::from_code(code))
        .filter(|k| ReminderKind::FOR_INSTITUTION.contains(k))
        .collect();
    let state = state(req);
    let outcome = state
        .run(
            actor_of(&account),
            &ChangeReminderSettings {
                institution,
                email: fields.get("email"),
                wanted: wanted.clone(),
                // A missing version is none the institution ever had: refused as stale.
                version: fields.get("version").trim().parse().unwrap_or(0),
            },
        )
        .await;
    match outcome {
        Ok(_) => Ok(redirect("/institution/reminders?saved=1")),
        Err(e) => Ok(html(
            status_of(&e),
            &InstitutionReminders {
                layout: layout(req),
                email: fields.get("email"),
                choices: choices(|k| wanted.contains(&k)),
                version: fields.get("version").trim().parse().unwrap_or(0),
                saved: false,
                errors: messages_of(&e),
                smtp: state.config.mail.smtp,
            },
        )),
    }
}
