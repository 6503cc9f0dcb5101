//! Reminders through the API: an institution's contact e-mail and the reminders it gets;
//! an assessor's choice through their fill-in entry; the association's outbox (digests,
//! what they carry, sending one again). The pages 提醒设置, 我的信息 and 发件箱 do the
//! same.

use poem::Request;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{Enum, Object, OpenApi};
use registry_core::api_token::Scope;
use registry_core::date::format_date;
use registry_core::ports::{Actor, RegisterTx, ReminderTx};
use registry_core::reminder::{DigestState, Recipient, ReminderKind};
use registry_core::usecases::{ChangeOwnReminders, ChangeReminderSettings, ResendDigest};
use registry_store::outbox::{DigestListing, QueuedReminder};

use super::self_service::open_entry;
use super::{ApiError, ApiResult, Tag, association, error_body, institution, state};

/// An institution's reminder settings.
#[derive(Object, Debug)]
struct InstitutionRemindersOut {
    /// 联系邮箱 (empty: no reminder is sent).
    email: String,
    /// The kinds it gets: codes of `offered`.
    kinds: Vec<String>,
    /// Every kind an institution may choose, with its Chinese name.
    offered: Vec<KindOut>,
    /// The institution's version: send it back with a change.
    version: i64,
    /// Whether the server sends e-mail at all (a mail server configured).
    sending: bool,
}

/// A kind of reminder.
#[derive(Object, Debug)]
struct KindOut {
    /// Stable code, e.g. `registration_ending`.
    code: String,
    /// Chinese name.
    label: String,
}

/// A digest's state: 待发送 (`queued`), 发送中 (`sending`), 已发送 (`sent`), 发送失败
/// (`failed`).
#[derive(Enum, Debug, Clone, Copy)]
#[oai(rename_all = "snake_case")]
enum DigestStateIn {
    /// 待发送
    Queued,
    /// 发送中
    Sending,
    /// 已发送
    Sent,
    /// 发送失败
    Failed,
}

/// New reminder settings of the institution.
#[derive(Object, Debug)]
#[oai(deny_unknown_fields)]
struct InstitutionRemindersIn {
    /// 联系邮箱 (empty: none).
    #[oai(validator(max_length = 100))]
    email: String,
    /// The kinds it wants (codes of `offered`); the others are turned off.
    #[oai(validator(max_items = 16, max_length = 40))]
    kinds: Vec<String>,
    /// The version read: refused (409 `conflict.stale.institution`) if it changed since.
    version: i64,
}

/// A digest of the outbox.
#[derive(Object, Debug)]
struct DigestOut {
    id: i64,
    /// YYYY-MM-DD: the day it gathers.
    day: String,
    /// `association`, `institution:ID` or `person:ID`.
    recipient: String,
    /// The recipient's name.
    name: String,
    /// `email` or `sms`.
    channel: String,
    address: String,
    /// `queued`, `sending`, `sent` or `failed`.
    state: String,
    attempts: u32,
    /// The mail server's last refusal.
    last_error: Option<String>,
    /// RFC 3339, when the server accepted it.
    sent_at: Option<String>,
    /// How many reminders it carries.
    reminders: u64,
}

fn digest_out(d: &DigestListing) -> DigestOut {
    DigestOut {
        id: d.id,
        day: format_date(d.day),
        recipient: d.recipient.key(),
        name: d.name.clone(),
        channel: d.channel.code().to_owned(),
        address: d.address.clone(),
        state: d.state.code().to_owned(),
        attempts: d.attempts,
        last_error: d.last_error.clone(),
        sent_at: d.sent_at.and_then(|at| {
            at.format(&time::format_description::well_known::Rfc3339)
                .ok()
        }),
        reminders: d.reminders,
    }
}

/// One reminder.
#[derive(Object, Debug)]
struct ReminderOut {
    /// The milestone, e.g. `registration_ending_30`, `document_overdue`.
    milestone: String,
    /// Its kind's Chinese name.
    kind: String,
    /// Whom or what it is about (a name, a pass list).
    who: String,
    /// The item or items.
    item: String,
    /// YYYY-MM-DD, the day that matters (last day of validity, due date).
    date: Option<String>,
    /// The sentence.
    note: String,
    /// YYYY-MM-DD, the day it was decided.
    queued_on: String,
}

fn reminder_out(r: &QueuedReminder) -> ReminderOut {
    ReminderOut {
        milestone: r.milestone.code(),
        kind: r.milestone.kind.label().to_owned(),
        who: r.row.who.clone(),
        item: r.row.item.clone(),
        date: r.row.date.map(format_date),
        note: r.row.note.clone(),
        queued_on: format_date(r.queued_on),
    }
}

/// A digest with its reminders.
#[derive(Object, Debug)]
struct DigestDetail {
    digest: DigestOut,
    reminders: Vec<ReminderOut>,
}

/// The assessor's own reminders.
#[derive(Object, Debug)]
#[oai(deny_unknown_fields)]
struct OwnRemindersBody {
    /// Whether they get their reminders (by e-mail to the address of their details).
    receive: bool,
}

/// The reminder operations (tags 鉴定评审机构, 促进会, 评审人员信息填报).
#[derive(Default)]
pub(crate) struct RemindersApi;

#[OpenApi]
impl RemindersApi {
    /// 提醒设置: the institution's contact e-mail and the reminders it gets.
    #[oai(
        path = "/institution/reminders",
        method = "get",
        tag = "Tag::Institution"
    )]
    async fn institution_reminders(
        &self,
        req: &Request,
    ) -> ApiResult<Json<InstitutionRemindersOut>> {
        let (id, _) = institution(req, Scope::InstitutionRead)?;
        let state = state(req)?;
        let mut read = state.store.begin_read().await?;
        let found = read.institution(id).await?.ok_or_else(|| {
            ApiError::NotFound(error_body("not_found.institution", "未找到该机构"))
        })?;
        let settings = read.reminder_settings(Recipient::Institution(id)).await?;
        Ok(Json(InstitutionRemindersOut {
            email: found
                .details
                .email
                .map(|e| e.as_str().to_owned())
                .unwrap_or_default(),
            kinds: ReminderKind::FOR_INSTITUTION
                .iter()
                .filter(|k| settings.wants(**k))
                .map(|k| k.code().to_owned())
                .collect(),
            offered: ReminderKind::FOR_INSTITUTION
                .iter()
                .map(|k| KindOut {
                    code: k.code().to_owned(),
                    label: k.label().to_owned(),
                })
                .collect(),
            version: found.version,
            sending: state.config.mail.smtp,
        }))
    }

    /// Changes the institution's contact e-mail and the reminders it gets (audited).
    #[oai(
        path = "/institution/reminders",
        method = "put",
        tag = "Tag::Institution"
    )]
    async fn change_institution_reminders(
        &self,
        req: &Request,
        body: Json<InstitutionRemindersIn>,
    ) -> ApiResult<Json<InstitutionRemindersOut>> {
        let (id, actor) = institution(req, Scope::InstitutionWrite)?;
        let state = state(req)?;
        let mut wanted = Vec::new();
        for code in &body.kinds {
            match ReminderKind::from_code(code)
                .filter(|k| ReminderKind::FOR_INSTITUTION.contains(k))
            {
                Some(kind) => wanted.push(kind),
                None => {
                    return Err(ApiError::Unprocessable(error_body(
                        "reminder.unknown_kind",
                        format!("未知的提醒种类：{code}"),
                    )));
                }
            }
        }
        state
            .run(
                actor,
                &ChangeReminderSettings {
                    institution: id,
                    email: body.email.clone(),
                    wanted,
                    version: body.version,
                },
            )
            .await?;
        self.institution_reminders(req).await
    }

    /// 发件箱: the digests, latest first (of one state: `queued`, `sending`, `sent`,
    /// `failed`), at most `limit` (200 by default, 1000 at most).
    #[oai(path = "/association/outbox", method = "get", tag = "Tag::Association")]
    async fn outbox(
        &self,
        req: &Request,
        #[oai(name = "state")] filter: Query<Option<DigestStateIn>>,
        limit: Query<Option<u64>>,
    ) -> ApiResult<Json<Vec<DigestOut>>> {
        association(req)?;
        let state = state(req)?;
        let filter = filter.0.map(|f| match f {
            DigestStateIn::Queued => DigestState::Queued,
            DigestStateIn::Sending => DigestState::Sending,
            DigestStateIn::Sent => DigestState::Sent,
            DigestStateIn::Failed => DigestState::Failed,
        });
        let digests = state
            .store
            .digests(filter, limit.0.unwrap_or(200).min(1000))
            .await?;
        let names = state
            .store
            .recipient_names(digests.iter().map(|d| d.recipient))
            .await?;
        Ok(Json(
            digests
                .iter()
                .map(|d| DigestOut {
                    name: names.get(&d.recipient).cloned().unwrap_or_default(),
                    ..digest_out(d)
                })
                .collect(),
        ))
    }

    /// A digest of the outbox with the reminders it carries.
    #[oai(
        path = "/association/outbox/:id",
        method = "get",
        tag = "Tag::Association"
    )]
    async fn digest(&self, req: &Request, id: Path<i64>) -> ApiResult<Json<DigestDetail>> {
        association(req)?;
        let state = state(req)?;
        let found = state.store.digest(id.0).await?.ok_or_else(|| {
            ApiError::NotFound(error_body("not_found.digest", "未找到该提醒邮件"))
        })?;
        let names = state
            .store
            .recipient_names(std::iter::once(found.recipient))
            .await?;
        let reminders = state.store.digest_reminders(id.0).await?;
        Ok(Json(DigestDetail {
            digest: DigestOut {
                name: names.get(&found.recipient).cloned().unwrap_or_default(),
                ..digest_out(&found)
            },
            reminders: reminders.iter().map(reminder_out).collect(),
        }))
    }

    /// Sends a digest again (one sent, or marked failed), with its reminders (audited);
    /// 422 `outbox.not_resendable` for one still waiting.
    #[oai(
        path = "/association/outbox/:id/resend",
        method = "post",
        tag = "Tag::Association"
    )]
    async fn resend(&self, req: &Request, id: Path<i64>) -> ApiResult<Json<DigestDetail>> {
        let actor = association(req)?;
        let state = state(req)?;
        state.run(actor, &ResendDigest { digest: id.0 }).await?;
        self.digest(req, id).await
    }

    /// Whether the assessor gets their own reminders (after unlocking the entry).
    #[oai(
        path = "/self-service/:person/:institution/reminders",
        method = "get",
        tag = "Tag::SelfService"
    )]
    async fn own_reminders(
        &self,
        req: &Request,
        person: Path<i64>,
        institution: Path<i64>,
    ) -> ApiResult<Json<OwnRemindersBody>> {
        let entry = open_entry(req, person.0, institution.0)?;
        let state = state(req)?;
        let mut read = state.store.begin_read().await?;
        let settings = read
            .reminder_settings(Recipient::Person(entry.person))
            .await?;
        Ok(Json(OwnRemindersBody {
            receive: settings.wants_any(&ReminderKind::FOR_PERSON),
        }))
    }

    /// Turns the assessor's own reminders on or off (audited).
    #[oai(
        path = "/self-service/:person/:institution/reminders",
        method = "put",
        tag = "Tag::SelfService"
    )]
    async fn change_own_reminders(
        &self,
        req: &Request,
        person: Path<i64>,
        institution: Path<i64>,
        body: Json<OwnRemindersBody>,
    ) -> ApiResult<Json<OwnRemindersBody>> {
        let entry = open_entry(req, person.0, institution.0)?;
        let state = state(req)?;
        state
            .run(
                Actor::Assessor {
                    person: entry.person,
                    via: entry.institution,
                },
                &ChangeOwnReminders {
                    person: entry.person,
                    receive: body.receive,
                },
            )
            .await?;
        self.own_reminders(req, person, institution).await
    }
}
