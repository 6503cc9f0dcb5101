//! 换证: renewing a person's qualification certificate for the next cycle (第十六条: a
//! certificate runs for one cycle; 第二十一条: it is renewed from three months before it
//! ends; 第二十二条: under 65; source document question 4: an item that no attended course
//! covered is not renewed, and cannot be registered).
//!
//! The plan of a renewal is decided here once, for the use case that renews, for the
//! association's preview of a whole cycle, for every person page's outlook and for the
//! registration gate's message ("须先换证，继续教育课时尚差 32").
//!
//! For each item of the certificate being renewed, the cycle's hours owed for that item
//! ([`RegistrationCycle::hours_owed`]: the full requirement, or less for an item qualified
//! part-way through the cycle) must be reached and, if the policy asks, an attended course
//! must have covered it; an item that fails is left off the new edition. An item qualified
//! so late in the cycle that it owes no hours owes no coverage either. The person must be
//! under the certificate renewal age limit on the certificate's last day.

use time::Date;

use crate::cycle::Cycles;
use crate::cycle::{RegistrationCycle, renewal_window_opens};
use crate::date::format_date;
use crate::date::full_years;
use crate::document::{Document, DocumentKind};
use crate::education::{education_in_cycle, education_obstacles};
use crate::facts::{PersonFacts, Reference};
use crate::ids::DocumentId;
use crate::person::Person;
use crate::review_item::ReviewItemCode;
use crate::violation::Violation;

/// The last day of a certificate edition: its printed validity. An edition printed
/// without one — its pass list was published before the association defined any cycle
/// around it (or it was made, from the register's past, on a day no cycle covers) — runs
/// to the end of the first defined cycle that ends on or after that day: a certificate runs
/// for one cycle (第十六条), and the register knows no earlier one, so from then on it is
/// renewed like any other. `None` while no such cycle is defined.
pub fn certificate_end(document: &Document, cycles: &Cycles) -> Option<Date> {
    document.details.valid_until.or_else(|| {
        let from = document
            .details
            .pass_list
            .unwrap_or(document.details.created_on);
        cycles
            .as_slice()
            .iter()
            .find(|c| c.end() >= from)
            .map(RegistrationCycle::end)
    })
}

/// Whether an edition of a certificate is in force on `day`: not void, not past its last
/// day ([`certificate_end`]). Being mailed is not required: registration need not wait
/// for the post (a certificate is due within 20 working days of its pass list).
pub fn in_force(document: &Document, day: Date, cycles: &Cycles) -> bool {
    document.voided.is_none() && certificate_end(document, cycles).is_none_or(|until| day <= until)
}

/// The person's certificate editions that are not void, oldest first.
pub fn certificates<'a>(documents: &'a [Document]) -> impl Iterator<Item = &'a Document> + 'a {
    documents
        .iter()
        .filter(|d| d.details.kind == DocumentKind::Certificate && d.voided.is_none())
}

/// What renewing the person's certificate would give.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenewalPlan {
    /// The edition renewed.
    pub source: DocumentId,
    /// Its cycle (it ends with it).
    pub cycle: RegistrationCycle,
    /// The cycle renewed for (none while the association has not defined it): the cycle
    /// after the certificate's, or, for a certificate that lapsed longer, the first cycle
    /// after it that has not ended.
    pub next: Option<RegistrationCycle>,
    /// The cycles that ended between the certificate's and the one renewed for, without a
    /// renewal (a certificate that lapsed longer than a cycle): each one's continuing
    /// education is asked as well, as if the person had renewed in each of them.
    pub lapsed: Vec<RegistrationCycle>,
    /// The first day of the renewal window (3 months before the certificate ends).
    pub opens: Date,
    /// The items renewed.
    pub items: Vec<ReviewItemCode>,
    /// The items left off, each with every reason.
    pub dropped: Vec<(ReviewItemCode, Vec<Violation>)>,
    /// What keeps the person from renewing at all (the age limit).
    pub person: Vec<Violation>,
}

impl RenewalPlan {
    /// Whether the renewal can be made on `today`: the next cycle defined, the window
    /// open, the person not blocked, at least one item renewed.
    pub fn can_renew(&self, today: Date) -> bool {
        self.obstacles(today).is_empty()
    }

    /// The name of the cycle renewed for, or "下一周期" while it is not defined.
    pub fn next_name(&self) -> String {
        self.next
            .as_ref()
            .map_or_else(|| "下一周期".to_owned(), |c| c.name().to_owned())
    }

    /// Every reason the renewal cannot be made on `today` (none: it can).
    pub fn obstacles(&self, today: Date) -> Vec<Violation> {
        let mut problems = Vec::new();
        if self.next.is_none() {
            problems.push(Violation::NoNextCycle);
        }
        if today < self.opens {
            problems.push(Violation::CertificateNotDue {
                valid_until: format_date(self.cycle.end()),
                window_opens: format_date(self.opens),
            });
        }
        problems.extend(self.person.iter().cloned());
        if self.items.is_empty() {
            for (_, reasons) in &self.dropped {
                for reason in reasons {
                    if !problems.contains(reason) {
                        problems.push(reason.clone());
                    }
                }
            }
        }
        problems
    }

    /// What the renewal of `item` still needs, as one sentence's end ("，继续教育课时尚差
    /// 32"): empty when the item would be renewed and the person may renew.
    pub fn needs(&self, item: &ReviewItemCode) -> String {
        let reasons = self
            .dropped
            .iter()
            .filter(|(i, _)| i == item)
            .flat_map(|(_, r)| r.iter())
            .chain(self.person.iter());
        let parts: Vec<String> = reasons.filter_map(Violation::shortfall).collect();
        if parts.is_empty() {
            String::new()
        } else {
            format!("，{}", parts.join("，"))
        }
    }
}

/// The plan of renewing the person's certificate on `today`, judged with the continuing
/// education recorded so far (hours may still be earned until the cycle ends). The edition
/// renewed is the one that runs longest (the latest of those): once renewed, the next
/// renewal is that of the new edition.
///
/// A certificate renews into the next cycle. One that lapsed for longer — the next cycle
/// ended too, without a renewal — renews into the first cycle that has not ended, and each
/// cycle it skipped ([`RenewalPlan::lapsed`]) asks for its continuing education too, and
/// the age limit is judged on the last of them: an item enters a cycle only with the
/// continuing education of the cycle before (source document question 4), whether the
/// renewal came on time or late. So a late renewal never gives an edition that has
/// already ended, nor one that skips a cycle's requirement.
///
/// `Err` when there is nothing to renew: no certificate, or no cycle at its end.
pub fn renewal_plan(
    facts: PersonFacts<'_>,
    reference: Reference<'_>,
    today: Date,
) -> Result<RenewalPlan, Violation> {
    let dated: Vec<(&Document, Date)> = certificates(facts.documents)
        .filter_map(|d| certificate_end(d, reference.cycles).map(|until| (d, until)))
        .collect();
    let (source, until) = dated
        .iter()
        .max_by_key(|(d, until)| (*until, d.id))
        .copied()
        .ok_or(Violation::NoCertificate)?;
    let cycle = reference
        .cycles
        .at(until)
        .cloned()
        .ok_or_else(|| Violation::NoCycle(format_date(until)))?;
    let mut lapsed = Vec::new();
    let mut next = reference.cycles.next(&cycle).cloned();
    while let Some(skipped) = next.take_if(|n| n.end() < today) {
        next = reference.cycles.next(&skipped).cloned();
        lapsed.push(skipped);
    }
    let opens = renewal_window_opens(until, cycle.policy().renewal_window_months);
    let last_day = lapsed.last().map_or(until, RegistrationCycle::end);
    let person = certificate_renewal_obstacles(facts.person, reference.cycles, last_day);
    let mut items = Vec::new();
    let mut dropped = Vec::new();
    for item in &source.details.items {
        let qualified_on = facts
            .qualifications
            .iter()
            .find(|q| &q.item == item)
            .map_or(Date::MIN, |q| q.published_on);
        let name = reference.catalogue.name_of(item);
        let reasons: Vec<Violation> = std::iter::once(&cycle)
            .chain(&lapsed)
            .flat_map(|judged| {
                let owed = judged.hours_owed(qualified_on);
                // Qualified too late in the cycle to owe any hours: nothing to cover either.
                if owed.is_zero() && qualified_on > judged.start() {
                    return vec![];
                }
                let education = education_in_cycle(judged, facts.courses, facts.attendance);
                education_obstacles(judged, &education, item, name, owed)
            })
            .collect();
        if reasons.is_empty() {
            items.push(item.clone());
        } else {
            dropped.push((item.clone(), reasons));
        }
    }
    Ok(RenewalPlan {
        source: source.id,
        cycle,
        next,
        lapsed,
        opens,
        items,
        dropped,
        person,
    })
}

/// Why the qualification certificate cannot be renewed on `on`: the certificate renewal
/// age limit (65, 第二十二条).
pub fn certificate_renewal_obstacles(person: &Person, cycles: &Cycles, on: Date) -> Vec<Violation> {
    let limit = cycles.policy_at(on).certificate_renewal_age_limit;
    let age = full_years(person.resident_id.birth_date(), on);
    if age >= limit {
        vec![Violation::CertificateRenewalAgeLimit {
            age,
            on: format_date(on),
            limit,
        }]
    } else {
        vec![]
    }
}
