//! The outlook of a person: for each item, what holds today and what the next step needs
//! — register now, renew the certificate (换证) for the next cycle, or nothing yet — with
//! every reason it is blocked (hours, coverage, age, a missing certificate), as data with
//! stable codes and one Chinese sentence each. The institution's and the association's
//! person pages, the institution's list of expiring registrations and the API render it,
//! and decide nothing themselves: no two places of the interface can contradict each
//! other.

use rust_decimal::Decimal;
use time::Date;

use super::record::PersonRecord;
use crate::assessment::{total_working_days, working_days_in_cycle};
use crate::calendar::WorkCalendar;
use crate::date::format_date;
use crate::education::{education_in_cycle, format_hours};
use crate::holding::{ItemState, RegistrationPeriod};
use crate::ids::InstitutionId;
use crate::registration::{Reference, check_registration, person_obstacles};
use crate::renewal::{RenewalPlan, certificates, renewal_plan};
use crate::review_item::{ReviewItemCatalogue, ReviewItemCode};
use crate::violation::Violation;

/// An item's holding today.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeldNow {
    /// The institution that holds it.
    pub institution: InstitutionId,
    /// Its state today.
    pub state: ItemState,
    /// The last day of its current (or last) registration.
    pub valid_until: Option<Date>,
}

/// 换证 of one item for the next cycle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemRenewal {
    /// On a certificate of the next cycle already, valid until that day.
    Done(Date),
    /// Would be renewed; the association can renew from `opens` (the window) on.
    Ready {
        /// The first day of the renewal window.
        opens: Date,
        /// The cycle renewed for.
        next: String,
    },
    /// Would be left off, or the person cannot renew: every reason.
    Blocked {
        /// The cycle renewed for.
        next: String,
        /// Why.
        reasons: Vec<Violation>,
    },
    /// Nothing to renew (no certificate lists it, no next cycle, …): why.
    Unavailable(Violation),
}

impl ItemRenewal {
    /// The stable code.
    pub fn code(&self) -> &'static str {
        match self {
            ItemRenewal::Done(_) => "renewed",
            ItemRenewal::Ready { .. } => "renewable",
            ItemRenewal::Blocked { .. } => "blocked",
            ItemRenewal::Unavailable(_) => "unavailable",
        }
    }

    /// One sentence.
    pub fn describe(&self, today: Date) -> String {
        match self {
            ItemRenewal::Done(until) => {
                format!("已换证，新证书有效期至 {}", format_date(*until))
            }
            ItemRenewal::Ready { opens, next } if today >= *opens => {
                format!("符合换证条件，可以换证（{next}）")
            }
            ItemRenewal::Ready { opens, next } => format!(
                "目前符合换证条件，{} 起可以换证（{next}）",
                format_date(*opens)
            ),
            ItemRenewal::Blocked { next, .. } => format!("暂不能换证（{next}）"),
            ItemRenewal::Unavailable(reason) => reason.to_string(),
        }
    }

    /// The reasons it is blocked (none otherwise).
    pub fn reasons(&self) -> &[Violation] {
        match self {
            ItemRenewal::Blocked { reasons, .. } => reasons,
            _ => &[],
        }
    }
}

/// The next step of an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NextStep {
    /// The institution holding it can register it now.
    Register,
    /// Registered; nothing to do before the renewal window.
    Wait,
    /// The certificate must be renewed (换证) for the next cycle first.
    RenewCertificate,
    /// The person must fill in (or complete) their details through the institution's entry.
    CompleteDetails,
    /// No institution holds it: it is in the pool.
    Employ,
    /// Blocked: see the reasons.
    Blocked,
}

impl NextStep {
    /// The stable code.
    pub fn code(self) -> &'static str {
        match self {
            NextStep::Register => "register",
            NextStep::Wait => "wait",
            NextStep::RenewCertificate => "renew_certificate",
            NextStep::CompleteDetails => "complete_details",
            NextStep::Employ => "employ",
            NextStep::Blocked => "blocked",
        }
    }
}

/// One item of a person: what holds today and what comes next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemOutlook {
    /// The item.
    pub item: ReviewItemCode,
    /// Who holds it, in what state (none: no institution).
    pub held: Option<HeldNow>,
    /// Registering it now at the institution that holds it: the period it would get, or
    /// every reason it cannot be registered (the person's own reasons included). `None`
    /// when nobody holds it.
    pub registration: Option<Result<RegistrationPeriod, Vec<Violation>>>,
    /// 换证 of the item for the next cycle.
    pub renewal: ItemRenewal,
    /// The next step.
    pub next: NextStep,
}

impl ItemOutlook {
    /// Whether the institution holding it can register it today.
    pub fn registrable(&self) -> bool {
        matches!(self.registration, Some(Ok(_)))
    }

    /// Why the next step cannot be taken now (none: it can).
    pub fn problems(&self) -> Vec<Violation> {
        match (&self.next, &self.registration) {
            (NextStep::RenewCertificate, _) => self.renewal.reasons().to_vec(),
            (_, Some(Err(problems))) => problems.clone(),
            _ => vec![],
        }
    }

    /// The next step in one sentence.
    pub fn describe(&self, catalogue: &ReviewItemCatalogue, today: Date) -> String {
        let name = catalogue.name_of(&self.item);
        let until = self.held.and_then(|h| h.valid_until).map(format_date);
        match self.next {
            NextStep::Register => match &self.registration {
                Some(Ok(period)) => format!(
                    "“{name}”可以注册，有效期 {} 至 {}",
                    format_date(period.valid_from),
                    format_date(period.valid_until)
                ),
                _ => format!("“{name}”可以注册"),
            },
            NextStep::Wait => format!("“{name}”已注册，有效期至 {}", until.unwrap_or_default()),
            NextStep::RenewCertificate => {
                format!("“{name}”下一周期须先换证：{}", self.renewal.describe(today))
            }
            NextStep::CompleteDetails => {
                format!(
                    "“{name}”待评审人员通过本机构的填报入口填报基本信息（此前已填报完整的，确认一次即可）"
                )
            }
            NextStep::Employ => format!("“{name}”无聘用单位，可由评审机构聘用"),
            NextStep::Blocked => format!("“{name}”暂不能注册"),
        }
    }
}

/// A person's outlook: continuing education and working days of the cycle in force, the
/// plan of renewing their certificate, and each item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonOutlook {
    /// The name of the cycle in force today, if any.
    pub cycle: Option<String>,
    /// Hours credited in that cycle.
    pub hours: Option<Decimal>,
    /// Hours that cycle requires (of a qualification older than the cycle).
    pub required: Option<Decimal>,
    /// The plan of renewing the certificate (换证), or why there is none.
    pub renewal: Result<RenewalPlan, Violation>,
    /// Each item the person is qualified in or held for, in catalogue order.
    pub items: Vec<ItemOutlook>,
}

impl PersonOutlook {
    /// The items held by `institution` (an institution sees only those).
    pub fn held_by(&self, institution: InstitutionId) -> impl Iterator<Item = &ItemOutlook> {
        self.items.iter().filter(move |i| {
            i.held
                .is_some_and(|h| h.institution == institution && h.state.is_active())
        })
    }

    /// The hours this cycle as shown: "18 / 32".
    pub fn hours_text(&self) -> String {
        match (self.hours, self.required) {
            (Some(have), Some(need)) => format!("{} / {}", format_hours(have), format_hours(need)),
            _ => String::new(),
        }
    }
}

/// A person's working days of assessment experience: in all, and within the cycle in force
/// on `today`. Counted on `calendar` (the official one: an assessment never counts on an
/// estimate); an assessment outside its years is an error.
pub fn working_days(
    record: &PersonRecord,
    reference: Reference<'_>,
    calendar: &WorkCalendar,
    today: Date,
) -> Result<(u32, u32), Violation> {
    let in_cycle = match reference.cycles.at(today) {
        Some(cycle) => working_days_in_cycle(calendar, cycle, &record.assessments)?,
        None => 0,
    };
    Ok((total_working_days(calendar, &record.assessments)?, in_cycle))
}

/// The outlook of a person on `today`.
pub fn person_outlook(
    record: &PersonRecord,
    reference: Reference<'_>,
    today: Date,
) -> PersonOutlook {
    let facts = record.facts();
    let current = reference.cycles.at(today);
    let renewal = renewal_plan(facts, reference, today);
    let person_problems = person_obstacles(&record.person);
    let mut codes: Vec<ReviewItemCode> = record
        .qualifications
        .iter()
        .map(|q| q.item.clone())
        .chain(record.holdings.iter().map(|h| h.item.clone()))
        .collect();
    codes = crate::document::in_catalogue_order(reference.catalogue, codes.into_iter());
    let items = codes
        .into_iter()
        .map(|item| {
            let holding = record
                .holdings
                .iter()
                .find(|h| h.item == item && h.state.is_active());
            let held = holding.map(|h| HeldNow {
                institution: h.institution,
                state: h.state_on(today),
                valid_until: h.registration.as_ref().map(|r| r.valid_until),
            });
            let registration = holding.map(|h| {
                let outcome = check_registration(facts, reference, h, today);
                let registered = h.state_on(today) == ItemState::Registered;
                match outcome {
                    Ok(period) if person_problems.is_empty() || registered => Ok(period),
                    Ok(_) => Err(person_problems.clone()),
                    Err(mut problems) => {
                        if !registered {
                            problems.extend(person_problems.iter().cloned());
                        }
                        problems.dedup();
                        Err(problems)
                    }
                }
            });
            let renewal = item_renewal(record, &renewal, &item);
            let next = next_step(held, registration.as_ref(), &renewal, today);
            ItemOutlook {
                item,
                held,
                registration,
                renewal,
                next,
            }
        })
        .collect();
    PersonOutlook {
        cycle: current.map(|c| c.name().to_owned()),
        hours: current.map(|c| education_in_cycle(c, &record.courses, &record.attendance).hours),
        required: current.map(|c| c.policy().hours_required),
        renewal,
        items,
    }
}

/// 换证 of `item` from the person's renewal plan.
fn item_renewal(
    record: &PersonRecord,
    plan: &Result<RenewalPlan, Violation>,
    item: &ReviewItemCode,
) -> ItemRenewal {
    let plan = match plan {
        Ok(plan) => plan,
        Err(reason) => return ItemRenewal::Unavailable(reason.clone()),
    };
    if let Some(next) = &plan.next
        && let Some(done) = certificates(&record.documents)
            .find(|d| d.details.valid_until == Some(next.end()) && d.details.items.contains(item))
        && done.id != plan.source
    {
        return ItemRenewal::Done(next.end());
    }
    let next = plan.next_name();
    if plan.items.contains(item) && plan.person.is_empty() {
        ItemRenewal::Ready {
            opens: plan.opens,
            next,
        }
    } else if plan.items.contains(item) || plan.dropped.iter().any(|(i, _)| i == item) {
        let mut reasons: Vec<Violation> = plan
            .dropped
            .iter()
            .filter(|(i, _)| i == item)
            .flat_map(|(_, r)| r.iter().cloned())
            .collect();
        reasons.extend(plan.person.iter().cloned());
        ItemRenewal::Blocked { next, reasons }
    } else {
        ItemRenewal::Unavailable(Violation::NoCertificateForItem {
            item: item.as_str().to_owned(),
        })
    }
}

fn next_step(
    held: Option<HeldNow>,
    registration: Option<&Result<RegistrationPeriod, Vec<Violation>>>,
    renewal: &ItemRenewal,
    today: Date,
) -> NextStep {
    let Some(held) = held else {
        return NextStep::Employ;
    };
    let needs_renewal = |problems: &[Violation]| {
        problems.iter().any(|p| {
            matches!(
                p,
                Violation::CertificateExpired { .. } | Violation::CertificateEnds { .. }
            )
        })
    };
    match (held.state, registration) {
        (_, Some(Ok(_))) => NextStep::Register,
        (ItemState::Invited | ItemState::Filling, _) => NextStep::CompleteDetails,
        (_, Some(Err(problems))) if needs_renewal(problems) => NextStep::RenewCertificate,
        (ItemState::Registered, _) => {
            let window = matches!(renewal, ItemRenewal::Ready { opens, .. } if today >= *opens);
            if window {
                NextStep::RenewCertificate
            } else {
                NextStep::Wait
            }
        }
        _ => NextStep::Blocked,
    }
}
