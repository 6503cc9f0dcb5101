//! The upkeep `registry serve` runs every hour: sessions past their life purged, a
//! working-day calendar loaded by another instance (or `registry load-calendar`) read, and
//! once a day the audit chain's anchor written to the log.

use registry_core::date::format_date;
use registry_http::AppState;

/// Starts the hourly upkeep of `state` (its first round at once).
pub(crate) fn spawn(state: AppState) {
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
            // A calendar another instance or `registry load-calendar` loaded.
            if let Err(e) = state.reload_calendar().await {
                tracing::warn!(error = ?e, "未能重新读取工作日历");
            }
        }
    });
}
