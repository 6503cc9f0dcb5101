//! What the association must act on, counted here from what the storage reads: the
//! editions of certificates and cards waiting to be issued (due within a week, overdue,
//! the oldest), the 换证 of the cycle whose certificates end next (who can be renewed and
//! who cannot, by reason), and the batch runs (imports and sweeps) with their outcome.

use std::collections::BTreeMap;

use time::Date;

use crate::renewal::RenewalPlan;
use crate::violation::Violation;

/// The days ahead (today included) of the "due soon" figure of the issue queues.
pub const DUE_SOON_DAYS: i64 = 7;

/// The editions of one kind waiting to be issued.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IssueQueue {
    /// Every edition waiting.
    pub pending: u64,
    /// Not overdue, and due within [`DUE_SOON_DAYS`] from today (today included).
    pub due_soon: u64,
    /// Past their due day.
    pub overdue: u64,
    /// How many days late the oldest overdue edition is.
    pub oldest_late_days: Option<i64>,
}

/// Counts the queue of the waiting editions, each given by its due day (none when it
/// cannot be counted yet) and whether it is overdue (`Document::is_overdue`).
pub fn issue_queue(
    waiting: impl IntoIterator<Item = (Option<Date>, bool)>,
    today: Date,
) -> IssueQueue {
    let soon = today + time::Duration::days(DUE_SOON_DAYS - 1);
    let mut queue = IssueQueue::default();
    let mut oldest: Option<Date> = None;
    for (due, overdue) in waiting {
        queue.pending += 1;
        if overdue {
            queue.overdue += 1;
            if let Some(due) = due {
                oldest = Some(oldest.map_or(due, |o| o.min(due)));
            }
        } else if due.is_some_and(|d| d <= soon) {
            queue.due_soon += 1;
        }
    }
    queue.oldest_late_days = oldest.map(|d| (today - d).whole_days());
    queue
}

/// One reason that keeps people from 换证, and how many it keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockedBy {
    /// The violation's stable code.
    pub code: &'static str,
    /// The reason in words, the same for everyone it keeps.
    pub label: String,
    /// The people it keeps (a person with two reasons counts under both).
    pub people: u64,
}

/// The 换证 of one cycle's certificates, counted over every certificate that ends with it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RenewalFigures {
    /// The certificates that end with the cycle.
    pub due: u64,
    /// Whether the renewal window is open today (for the certificates whose plan says).
    pub window_open: bool,
    /// The first day of the window (the earliest of the plans).
    pub opens: Option<Date>,
    /// Those that can be renewed (today, or on the window's first day if it is not open
    /// yet and nothing changes).
    pub eligible: u64,
    /// Those that cannot, whatever the window.
    pub blocked: u64,
    /// The reasons of the blocked ones, the most common first.
    pub reasons: Vec<BlockedBy>,
}

/// The reason in words for every person it keeps from 换证: the violation's code decides
/// (the message of a violation may name the person's own figures).
pub fn blocked_label(reason: &Violation) -> String {
    match reason.code() {
        "education.hours_short" => "继续教育课时不足".to_owned(),
        "education.item_not_covered" => "继续教育未覆盖该评审项目".to_owned(),
        "certificate.renewal_age_limit" => "已到换证年龄上限".to_owned(),
        "registration.no_next_cycle" => "下一注册周期尚未设置".to_owned(),
        "certificate.none" => "没有资格证书".to_owned(),
        "certificate.expired" => "资格证书已过期".to_owned(),
        _ => reason.to_string(),
    }
}

/// Counts the 换证 of a cycle from the plan of each certificate that ends with it (or why
/// it has none). The window not being open yet is not a reason to count: the figures say
/// who will be able to renew when it opens, and `window_open` says whether it is.
pub fn renewal_figures<'a>(
    plans: impl IntoIterator<Item = &'a Result<RenewalPlan, Violation>>,
    today: Date,
) -> RenewalFigures {
    let mut tally = RenewalTally::new(today);
    for plan in plans {
        tally.add(plan);
    }
    tally.finish()
}

/// [`renewal_figures`] one plan at a time, so that a whole register's plans need not be
/// held at once.
#[derive(Debug, Clone)]
pub struct RenewalTally {
    today: Date,
    figures: RenewalFigures,
    reasons: BTreeMap<&'static str, (String, u64)>,
}

impl RenewalTally {
    /// Nothing counted yet, as of `today`.
    pub fn new(today: Date) -> RenewalTally {
        RenewalTally {
            today,
            figures: RenewalFigures::default(),
            reasons: BTreeMap::new(),
        }
    }

    /// Counts one certificate's plan (or why it has none).
    pub fn add(&mut self, plan: &Result<RenewalPlan, Violation>) {
        let figures = &mut self.figures;
        figures.due += 1;
        let obstacles = match plan {
            Ok(plan) => {
                figures.opens = Some(figures.opens.map_or(plan.opens, |o| o.min(plan.opens)));
                plan.obstacles(self.today)
            }
            Err(reason) => vec![reason.clone()],
        };
        let blocking: Vec<&Violation> = obstacles
            .iter()
            .filter(|v| v.code() != "certificate.not_due")
            .collect();
        if blocking.is_empty() {
            figures.eligible += 1;
            return;
        }
        figures.blocked += 1;
        let mut seen: Vec<&'static str> = Vec::new();
        for reason in blocking {
            if seen.contains(&reason.code()) {
                continue;
            }
            seen.push(reason.code());
            self.reasons
                .entry(reason.code())
                .or_insert_with(|| (blocked_label(reason), 0))
                .1 += 1;
        }
    }

    /// The figures counted.
    pub fn finish(self) -> RenewalFigures {
        let mut figures = self.figures;
        figures.window_open = figures.opens.is_some_and(|o| o <= self.today);
        let mut reasons: Vec<BlockedBy> = self
            .reasons
            .into_iter()
            .map(|(code, (label, people))| BlockedBy {
                code,
                label,
                people,
            })
            .collect();
        reasons.sort_by(|a, b| b.people.cmp(&a.people).then(a.code.cmp(b.code)));
        figures.reasons = reasons;
        figures
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn the_issue_queue_counts_due_soon_overdue_and_the_oldest() {
        let today = date!(2026 - 11 - 30);
        let queue = issue_queue(
            [
                (Some(date!(2026 - 11 - 20)), true),  // 10 days late
                (Some(date!(2026 - 11 - 27)), true),  // 3 days late
                (Some(today), false),                 // due today: soon
                (Some(date!(2026 - 12 - 06)), false), // the 7th day: soon
                (Some(date!(2026 - 12 - 07)), false), // the 8th day: not yet
                (None, false),                        // cannot be counted yet
            ],
            today,
        );
        assert_eq!(
            queue,
            IssueQueue {
                pending: 6,
                due_soon: 2,
                overdue: 2,
                oldest_late_days: Some(10),
            }
        );
        assert_eq!(issue_queue([], today), IssueQueue::default());
    }

    #[test]
    fn renewal_figures_count_people_once_per_reason_and_ignore_the_window() {
        let today = date!(2026 - 11 - 30);
        let plans: Vec<Result<RenewalPlan, Violation>> = vec![
            Err(Violation::NoCertificate),
            Err(Violation::NoCertificate),
            Err(Violation::NoNextCycle),
        ];
        let figures = renewal_figures(&plans, today);
        assert_eq!(figures.due, 3);
        assert_eq!(figures.eligible, 0);
        assert_eq!(figures.blocked, 3);
        assert!(!figures.window_open, "no plan: no window");
        let counted: Vec<(&str, u64)> =
            figures.reasons.iter().map(|r| (r.code, r.people)).collect();
        assert_eq!(
            counted,
            [("certificate.none", 2), ("registration.no_next_cycle", 1)]
        );
        assert_eq!(figures.reasons[0].label, "没有资格证书");
    }

    fn plan(
        items: &[&str],
        dropped: Vec<Violation>,
        person: Vec<Violation>,
        opens: Date,
    ) -> Result<RenewalPlan, Violation> {
        use crate::cycle::RegistrationCycle;
        use crate::ids::{CycleId, DocumentId};
        use crate::policy::Policy;
        use crate::review_item::ReviewItemCode;
        use crate::text::Text;
        let cycle = |id: i64, start: Date, end: Date| {
            RegistrationCycle::new(
                CycleId::new(id),
                Text::parse(&format!("{}—{}", start.year(), end.year()), 40).unwrap(),
                start,
                end,
                Policy::default(),
            )
            .unwrap()
        };
        Ok(RenewalPlan {
            source: DocumentId::new(1),
            cycle: cycle(1, date!(2023 - 01 - 01), date!(2026 - 12 - 31)),
            next: Some(cycle(2, date!(2027 - 01 - 01), date!(2030 - 12 - 31))),
            lapsed: vec![],
            opens,
            items: items
                .iter()
                .map(|i| ReviewItemCode::parse(i).unwrap())
                .collect(),
            dropped: vec![(ReviewItemCode::parse("GL-ZZ").unwrap(), dropped)],
            person,
        })
    }

    #[test]
    fn renewal_figures_of_real_plans_in_and_before_the_window() {
        let opens = date!(2026 - 10 - 01);
        let short = || Violation::HoursShort {
            cycle: "2023—2026".into(),
            have: "8".into(),
            need: "40".into(),
            short: "32".into(),
        };
        let old = Violation::CertificateRenewalAgeLimit {
            age: 65,
            on: "2026-11-30".into(),
            limit: 65,
        };
        let plans = [
            plan(&["RQ-ZZ"], vec![short()], vec![], opens), // one item left off: eligible
            plan(&[], vec![short()], vec![], opens),        // nothing renewed: short
            plan(&[], vec![short()], vec![old], opens),     // two reasons
            plan(&["RQ-ZZ"], vec![], vec![], opens),
        ];
        let open = renewal_figures(&plans, date!(2026 - 11 - 30));
        assert!(open.window_open);
        assert_eq!((open.due, open.eligible, open.blocked), (4, 2, 2));
        let counted: Vec<(&str, u64)> = open.reasons.iter().map(|r| (r.code, r.people)).collect();
        assert_eq!(
            counted,
            [
                ("education.hours_short", 2),
                ("certificate.renewal_age_limit", 1)
            ]
        );
        // Before the window: the same people, counted the same; the window is not open.
        let before = renewal_figures(&plans, date!(2026 - 09 - 30));
        assert!(!before.window_open);
        assert_eq!(before.opens, Some(opens));
        assert_eq!((before.eligible, before.blocked), (2, 2));
    }
}
