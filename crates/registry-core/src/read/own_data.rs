//! A person's own data as the register holds it (PIPL 第四十四–四十五条: the right to see
//! and to copy one's personal information), decided once for the page and the downloads
//! of their fill-in entry: every fact of their record in words, section by section — and
//! nothing of anyone else. The ID number is shown masked: the entry opens with a password
//! an institution hands over, and a full number is what a borrowed password must not
//! reveal (the person knows their own number; the association shows it on request).
//!
//! Also which entries of the audit log tell them who saw their full ID number: the
//! association viewing it on their file, and exports with full ID numbers of a table that
//! may hold them (the whole register, or an institution that holds their items).

use std::collections::BTreeMap;

use crate::date::format_date;
use crate::document::serial_of;
use crate::education::format_hours;
use crate::ids::InstitutionId;
use crate::person::DetailField;
use crate::read::record::PersonRecord;
use crate::review_item::ReviewItemCatalogue;

/// One fact: its section, what it is, its value in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnDataRow {
    /// 基本信息, 考核合格项目, 聘用与注册, 注册记录, 证件, 继续教育, 现场评审.
    pub section: &'static str,
    /// What the fact is.
    pub label: String,
    /// Its value.
    pub value: String,
}

fn row(section: &'static str, label: impl Into<String>, value: impl Into<String>) -> OwnDataRow {
    OwnDataRow {
        section,
        label: label.into(),
        value: value.into(),
    }
}

/// Every fact of the person's record, in the order the page lists them.
pub fn own_data(
    record: &PersonRecord,
    institutions: &BTreeMap<InstitutionId, String>,
    catalogue: &ReviewItemCatalogue,
) -> Vec<OwnDataRow> {
    let institution = |id: InstitutionId| institutions.get(&id).cloned().unwrap_or_default();
    let item = |code| catalogue.name_of(code).to_owned();
    let person = &record.person;
    let mut out = vec![
        row("基本信息", "姓名", person.name.as_str()),
        row("基本信息", "身份证号", person.resident_id.masked()),
        row(
            "基本信息",
            "注册号",
            person
                .registration_number
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default(),
        ),
    ];
    let form = person.details.to_form();
    for field in DetailField::ALL {
        out.push(row("基本信息", field.label(), form.field(field)));
    }
    for q in &record.qualifications {
        out.push(row(
            "考核合格项目",
            item(&q.item),
            format!(
                "考核日期 {}，名单公布 {}",
                format_date(q.exam_date),
                format_date(q.published_on)
            ),
        ));
    }
    for h in &record.holdings {
        let mut value = format!(
            "{}：{}，自 {}",
            institution(h.institution),
            h.state.label(),
            format_date(h.since)
        );
        if let Some(on) = h.released_on {
            value.push_str(&format!("，{} 退回", format_date(on)));
        }
        out.push(row("聘用与注册", item(&h.item), value));
    }
    for r in &record.history {
        out.push(row(
            "注册记录",
            item(&r.item),
            format!(
                "{}：{} 注册，有效期 {} 至 {}",
                institution(r.institution),
                format_date(r.period.registered_on),
                format_date(r.period.valid_from),
                format_date(r.period.valid_until)
            ),
        ));
    }
    for d in &record.documents {
        let kind = d.details.kind;
        let mut value = format!(
            "{}，{} 制作",
            d.details
                .items
                .iter()
                .map(&item)
                .collect::<Vec<_>>()
                .join("、"),
            format_date(d.details.created_on)
        );
        if let Some(until) = d.details.valid_until {
            value.push_str(&format!("，有效期至 {}", format_date(until)));
        }
        if let Some(mailed) = &d.mailed {
            value.push_str(&format!("，{} 寄出", format_date(mailed.on)));
        }
        if let Some(voided) = &d.voided {
            value.push_str(&format!(
                "，{} {}",
                format_date(voided.on),
                voided.reason.label()
            ));
        }
        out.push(row(
            "证件",
            format!("{} {}", kind.label(), serial_of(kind, d.id)),
            value,
        ));
    }
    for a in &record.attendance {
        let course = record
            .courses
            .iter()
            .find(|c| c.id == a.course)
            .map(|c| c.details.name.as_str().to_owned())
            .unwrap_or_default();
        out.push(row(
            "继续教育",
            course,
            format!("{} 课时", format_hours(a.hours)),
        ));
    }
    for a in &record.assessments {
        let d = &a.details;
        out.push(row(
            "现场评审",
            d.applicant_unit.as_str(),
            format!(
                "{}，{} 至 {}，{}，{} 个工作日",
                item(&d.item),
                format_date(d.start),
                format_date(d.end),
                d.kind.label(),
                d.working_days
            ),
        ));
    }
    out
}

/// Whether an audit entry tells the person who saw their full ID number: the
/// association's viewing of it (an entry of theirs), or an export with full ID numbers of
/// the whole register (institution 0) or of an institution that holds or held their items.
pub fn tells_of_disclosure(
    action: &str,
    entity_id: i64,
    is_theirs: bool,
    their_institutions: &[InstitutionId],
) -> bool {
    match action {
        "person.disclose_id" => is_theirs,
        "export.full_id" => {
            entity_id == 0 || their_institutions.iter().any(|i| i.get() == entity_id)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disclosures_are_theirs_or_exports_that_may_hold_them() {
        let theirs = [InstitutionId::new(3)];
        assert!(tells_of_disclosure("person.disclose_id", 9, true, &theirs));
        assert!(!tells_of_disclosure(
            "person.disclose_id",
            9,
            false,
            &theirs
        ));
        assert!(tells_of_disclosure("export.full_id", 0, false, &theirs));
        assert!(tells_of_disclosure("export.full_id", 3, false, &theirs));
        assert!(!tells_of_disclosure("export.full_id", 4, false, &theirs));
        assert!(!tells_of_disclosure("person.details", 9, true, &theirs));
    }
}
