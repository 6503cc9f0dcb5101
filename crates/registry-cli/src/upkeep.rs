//! The upkeep `registry serve` runs every hour: sessions past their life purged, and once a
//! day the audit chain's anchor written to the log; and every 200 ms, after another
//! process's write (the store's generation moved on), a working-day calendar that another
//! instance (or `registry load-calendar`) loaded is read; and, when a mail server is
//! configured, every 5 minutes the reminders of the outbox sent (`spawn_notify`).

use registry_core::date::format_date;
use registry_http::AppState;

/// How often the calendar's version is looked at (only when something was written since:
/// one indexed read). With the store's own watch (250 ms), a year loaded on another
/// instance is used here within half a second.
const CALENDAR_CHECK: std::time::Duration = std::time::Duration::from_millis(200);

/// Starts the upkeep of `state` (its first round at once).
pub(crate) fn spawn(state: AppState) {
    let watched = state.clone();
    tokio::spawn(async move {
        let mut every = tokio::time::interval(CALENDAR_CHECK);
        let (mut generation, mut version) = (None, None);
        loop {
            every.tick().await;
            let now = watched.store.generation();
            if generation == Some(now) {
                continue;
            }
            generation = Some(now);
            match watched.store.calendar_version().await {
                Ok(v) if version != Some(v) => {
                    if version.is_some()
                        && let Err(e) = watched.reload_calendar().await
                    {
                        tracing::warn!(error = ?e, "未能重新读取工作日历");
                        continue;
                    }
                    version = Some(v);
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = ?e, "未能读取工作日历版本"),
            }
        }
    });
    tokio::spawn(async move {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(3600));
        let mut anchored = None;
        loop {
            every.tick().await;
            // The audit chain's daily anchor: its head in the log output, so that a copy
            // kept outside the database proves any later edit of the rows before it.
            let today = state.today();
            if anchored != Some(today) {
                match state.store.audit_head().await {
                    Ok(head) => {
                        tracing::info!(
                            target: "registry::audit",
                            date = format_date(today).as_str(),
                            seq = head.seq,
                            hash = head.hash.as_str(),
                            "操作日志链锚点"
                        );
                        anchored = Some(today);
                    }
                    Err(e) => tracing::warn!(error = ?e, "未能读取操作日志链头"),
                }
            }
            let before = state.clock.now() - time::Duration::hours(24);
            if let Err(e) = state.store.purge_sessions(before).await {
                tracing::warn!(error = ?e, "未能清理过期会话");
            }
            // Also hourly, whatever the version says.
            if let Err(e) = state.reload_calendar().await {
                tracing::warn!(error = ?e, "未能重新读取工作日历");
            }
        }
    });
}

/// How often a server sends what the outbox holds.
const NOTIFY_EVERY: std::time::Duration = std::time::Duration::from_secs(300);

/// Sends the outbox's digests every [`NOTIFY_EVERY`] (the first round a minute after the
/// start, so that a restart loop does not hammer the mail server).
pub(crate) fn spawn_notify(
    state: AppState,
    mailer: registry_notify::SmtpMailer,
    delivery: registry_notify::Delivery,
) {
    tokio::spawn(async move {
        tokio::time::sleep(std::time::Duration::from_secs(60)).await;
        let mut every = tokio::time::interval(NOTIFY_EVERY);
        loop {
            every.tick().await;
            let now = state.clock.now();
            match registry_notify::deliver(
                &state.store,
                &mailer,
                &registry_notify::LoggingTexts,
                &delivery,
                now,
            )
            .await
            {
                Ok(done)
                    if done.sent.is_empty()
                        && done.refused.is_empty()
                        && done.failed.is_empty() => {}
                Ok(done) => tracing::info!(
                    sent = done.sent.len(),
                    refused = done.refused.len(),
                    failed = done.failed.len(),
                    "提醒邮件"
                ),
                Err(e) => tracing::warn!(error = ?e, "未能发送提醒"),
            }
        }
    });
}
