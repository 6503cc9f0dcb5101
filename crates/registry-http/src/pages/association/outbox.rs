//! 发件箱: the reminders the sweep kept and the daily digests that carry them — what was
//! sent to whom and when, what the mail server refused and why, what waits; a digest
//! refused for the last time (or one a recipient never got) can be sent again.

use askama::Template;
use poem::http::StatusCode;
use poem::web::{Path, Query};
use poem::{Request, handler};
use registry_core::date::format_date;
use registry_core::reminder::{DigestState, ReminderKind};
use registry_core::usecases::ResendDigest;
use registry_store::outbox::{DigestListing, QueuedReminder};
use serde::Deserialize;

use crate::auth::actor_of;
use crate::errors::{PageResult, html, message_page, messages_of, status_of};
use crate::pages::{association_account, china_time, layout, redirect, state};
use crate::templates::Layout;

/// How many waiting reminders the page lists.
const WAITING_SHOWN: u64 = 200;

/// A digest as the page shows it.
#[derive(Debug, Clone)]
pub(crate) struct DigestView {
    pub(crate) id: i64,
    pub(crate) day: String,
    pub(crate) recipient: String,
    pub(crate) kind: &'static str,
    pub(crate) channel: &'static str,
    pub(crate) address: String,
    pub(crate) state: &'static str,
    pub(crate) state_code: &'static str,
    pub(crate) attempts: u32,
    pub(crate) when: String,
    pub(crate) error: String,
    pub(crate) reminders: u64,
    pub(crate) resendable: bool,
}

fn view(d: &DigestListing) -> DigestView {
    let when = match (d.state, d.sent_at) {
        (DigestState::Sent, Some(at)) => format!("{} 发送", china_time(at)),
        (DigestState::Queued, _) => format!("{} 起发送", china_time(d.next_attempt_at)),
        (DigestState::Sending, _) => "正在发送".to_owned(),
        _ => String::new(),
    };
    DigestView {
        id: d.id,
        day: format_date(d.day),
        recipient: d.name.clone(),
        kind: d.recipient.label(),
        channel: d.channel.label(),
        address: d.address.clone(),
        state: d.state.label(),
        state_code: d.state.code(),
        attempts: d.attempts,
        when,
        error: d.last_error.clone().unwrap_or_default(),
        reminders: d.reminders,
        resendable: matches!(d.state, DigestState::Sent | DigestState::Failed),
    }
}

/// A reminder as the page shows it.
#[derive(Debug, Clone)]
pub(crate) struct ReminderView {
    pub(crate) kind: &'static str,
    pub(crate) recipient: String,
    pub(crate) who: String,
    pub(crate) item: String,
    pub(crate) date: String,
    pub(crate) note: String,
    pub(crate) queued_on: String,
}

fn reminder_view(r: &QueuedReminder, recipient: String) -> ReminderView {
    ReminderView {
        kind: r.milestone.kind.label(),
        recipient,
        who: r.row.who.clone(),
        item: r.row.item.clone(),
        date: r.row.date.map(format_date).unwrap_or_default(),
        note: r.row.note.clone(),
        queued_on: format_date(r.queued_on),
    }
}

#[derive(Template)]
#[template(path = "association_outbox.html")]
pub(crate) struct AssociationOutbox {
    pub(crate) layout: Layout,
    pub(crate) smtp: bool,
    pub(crate) association: Option<String>,
    pub(crate) sms_logged: bool,
    pub(crate) figures: registry_store::outbox::OutboxFigures,
    pub(crate) filter: String,
    pub(crate) states: Vec<(&'static str, &'static str)>,
    pub(crate) digests: Vec<DigestView>,
    pub(crate) waiting: Vec<ReminderView>,
    pub(crate) more_waiting: bool,
    pub(crate) kinds: Vec<&'static str>,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct OutboxQuery {
    #[serde(default)]
    state: String,
}

#[handler]
pub(crate) async fn outbox(req: &Request, Query(query): Query<OutboxQuery>) -> PageResult {
    let _ = association_account(req)?;
    let state = state(req);
    let filter = DigestState::from_code(&query.state);
    let digests: Vec<DigestView> = state
        .store
        .digests(filter, 200)
        .await?
        .iter()
        .map(view)
        .collect();
    let waiting_rows = state.store.waiting_reminders(WAITING_SHOWN + 1).await?;
    let more_waiting = waiting_rows.len() as u64 > WAITING_SHOWN;
    let names = state
        .store
        .recipient_names(waiting_rows.iter().map(|r| r.recipient))
        .await?;
    let waiting = waiting_rows
        .iter()
        .take(WAITING_SHOWN as usize)
        .map(|r| {
            let name = names.get(&r.recipient).cloned().unwrap_or_default();
            reminder_view(r, format!("{}（{}）", name, r.recipient.label()))
        })
        .collect();
    let since = state.clock.now() - time::Duration::days(1);
    let mail = &state.config.mail;
    Ok(html(
        StatusCode::OK,
        &AssociationOutbox {
            layout: layout(req),
            smtp: mail.smtp,
            association: mail.association.clone(),
            sms_logged: mail.sms_logged,
            figures: state.store.outbox_figures(since).await?,
            filter: filter.map(|s| s.code().to_owned()).unwrap_or_default(),
            states: DigestState::ALL
                .iter()
                .map(|s| (s.code(), s.label()))
                .collect(),
            digests,
            waiting,
            more_waiting,
            kinds: ReminderKind::ALL.iter().map(|k| k.label()).collect(),
        },
    ))
}

#[derive(Template)]
#[template(path = "association_digest.html")]
pub(crate) struct AssociationDigest {
    pub(crate) layout: Layout,
    pub(crate) digest: DigestView,
    pub(crate) reminders: Vec<ReminderView>,
}

#[handler]
pub(crate) async fn digest(req: &Request, Path(id): Path<i64>) -> PageResult {
    let _ = association_account(req)?;
    let state = state(req);
    let Some(found) = state.store.digest(id).await? else {
        return Ok(message_page(
            layout(req),
            StatusCode::NOT_FOUND,
            "没有这封提醒邮件",
            "该提醒邮件不存在。",
            Some(("/association/outbox", "返回发件箱")),
        ));
    };
    let reminders = state
        .store
        .digest_reminders(id)
        .await?
        .iter()
        .map(|r| reminder_view(r, found.name.clone()))
        .collect();
    Ok(html(
        StatusCode::OK,
        &AssociationDigest {
            layout: layout(req),
            digest: view(&found),
            reminders,
        },
    ))
}

#[handler]
pub(crate) async fn resend(req: &Request, Path(id): Path<i64>) -> PageResult {
    let account = association_account(req)?;
    let outcome = state(req)
        .run(actor_of(&account), &ResendDigest { digest: id })
        .await;
    match outcome {
        Ok(()) => Ok(redirect(&format!("/association/outbox/{id}"))),
        Err(e) => Ok(message_page(
            layout(req),
            status_of(&e),
            "未能重新发送",
            &messages_of(&e).join("；"),
            Some(("/association/outbox", "返回发件箱")),
        )),
    }
}
