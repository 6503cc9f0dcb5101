//! How long the audit log keeps its rows (网络安全法 第二十一条: network logs kept for no less
//! than six months): a purge may remove only rows older than the retention period, and the
//! period may be lengthened, never shortened below [`AUDIT_RETENTION_DAYS`].

use time::{Date, Duration};

use crate::date::format_date;

/// The shortest retention of the audit log, in days (six months and a little more).
pub const AUDIT_RETENTION_DAYS: u32 = 180;

/// Why a purge is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PurgeRefused {
    /// The retention asked for is shorter than the law's.
    #[error("操作日志至少保存 {minimum} 天（网络安全法第二十一条），不能设为 {asked} 天")]
    RetentionTooShort {
        /// Days asked for.
        asked: u32,
        /// The minimum.
        minimum: u32,
    },
    /// The rows before that day are not all past the retention period yet.
    #[error("{before} 之前的操作日志尚未保存满 {days} 天：最早可清理 {earliest} 之前的记录")]
    TooRecent {
        /// The day asked for.
        before: String,
        /// The retention in days.
        days: u32,
        /// The latest day that may be asked for today.
        earliest: String,
    },
}

/// The latest day before which rows may be purged on `today` with a retention of `days`.
pub fn purge_limit(today: Date, days: u32) -> Date {
    today - Duration::days(i64::from(days))
}

/// Checks a purge of the rows written before `before` (China's calendar) on `today`:
/// the retention at least [`AUDIT_RETENTION_DAYS`], and `before` no later than
/// [`purge_limit`].
pub fn check_purge(today: Date, before: Date, days: u32) -> Result<(), PurgeRefused> {
    if days < AUDIT_RETENTION_DAYS {
        return Err(PurgeRefused::RetentionTooShort {
            asked: days,
            minimum: AUDIT_RETENTION_DAYS,
        });
    }
    let limit = purge_limit(today, days);
    if before > limit {
        return Err(PurgeRefused::TooRecent {
            before: format_date(before),
            days,
            earliest: format_date(limit),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn rows_younger_than_the_retention_are_never_purged() {
        let today = date!(2026 - 11 - 30);
        assert_eq!(purge_limit(today, 180), date!(2026 - 06 - 03));
        assert_eq!(check_purge(today, date!(2026 - 06 - 03), 180), Ok(()));
        assert!(matches!(
            check_purge(today, date!(2026 - 06 - 04), 180),
            Err(PurgeRefused::TooRecent { .. })
        ));
        assert!(matches!(
            check_purge(today, date!(2025 - 01 - 01), 90),
            Err(PurgeRefused::RetentionTooShort { .. })
        ));
        // A longer retention moves the limit back.
        assert!(check_purge(today, date!(2026 - 06 - 03), 365).is_err());
    }
}
