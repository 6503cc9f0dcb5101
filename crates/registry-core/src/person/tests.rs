//! Tests of the person's records: names, details forms, required fields, masked values.

use super::*;
use time::macros::date;

fn id() -> ResidentId {
    ResidentId::parse("11010519491231002X", date!(2026 - 11 - 26)).unwrap()
}

pub(crate) fn complete_form() -> DetailsForm {
    DetailsForm {
        sex: "女".into(),
        education: "大学本科".into(),
        title: "高级工程师".into(),
        work_unit: "某锅炉厂".into(),
        mobile: "138 0013 8000".into(),
        province: "北京市".into(),
        city: "北京市".into(),
        district: "朝阳区".into(),
        street: "建国路88号院3号楼".into(),
        postcode: "100022".into(),
        ..DetailsForm::default()
    }
}

#[test]
fn a_complete_form_is_complete() {
    let details = AssessorDetails::parse(&complete_form(), &id()).unwrap();
    assert!(details.is_complete());
    assert_eq!(details.mobile().unwrap().as_str(), "13800138000");
    assert_eq!(details.mobile().unwrap().masked(), "138****8000");
    assert_eq!(
        details.mailing_address().as_deref(),
        Some("北京市北京市朝阳区建国路88号院3号楼")
    );
    let again = AssessorDetails::parse(&details.to_form(), &id()).unwrap();
    assert_eq!(again, details);
}

#[test]
fn every_missing_field_is_listed() {
    let details = AssessorDetails::parse(&DetailsForm::default(), &id()).unwrap();
    assert_eq!(
        labels(&details.missing()),
        "学历、技术职称、工作单位、手机、通讯地址（省）、通讯地址（市）、详细地址、邮政编码"
    );
    // The sex is never asked: the ID number tells it.
    assert_eq!(details.sex(), Some(id().sex()));
}

#[test]
fn every_invalid_field_is_reported_at_once() {
    let form = DetailsForm {
        sex: "男".into(),
        education: "小学".into(),
        mobile: "12345".into(),
        email: "no-at-sign".into(),
        street: "1号".into(),
        postcode: "10002".into(),
        title: "工".repeat(31),
        work_unit: "a\nb".into(),
        ..complete_form()
    };
    let problems = AssessorDetails::parse(&form, &id()).unwrap_err();
    let found: Vec<(Option<&str>, &str)> = problems
        .as_slice()
        .iter()
        .map(|v| (v.field(), v.code()))
        .collect();
    assert_eq!(
        found,
        vec![
            (Some("title"), "field.too_long"),
            (Some("work_unit"), "field.bad_character"),
            (Some("sex"), "details.sex_mismatch"),
            (Some("education"), "field.bad_format"),
            (Some("mobile"), "field.bad_format"),
            (Some("email"), "field.bad_format"),
            (Some("postcode"), "field.bad_format"),
            (Some("street"), "field.bad_format"),
        ]
    );
}

#[test]
fn names_allow_letters_and_the_middle_dot() {
    assert!(PersonName::parse("阿卜杜拉·买买提").is_ok());
    assert!(PersonName::parse(" 王小明 ").is_ok());
    assert_eq!(
        PersonName::parse("王2").map_err(|v| v.code()),
        Err("field.bad_character")
    );
    assert_eq!(
        PersonName::parse("").map_err(|v| v.code()),
        Err("field.missing")
    );
}

#[test]
fn mobile_numbers() {
    assert!(MobilePhone::parse("+86 139-1234-5678").is_some());
    assert!(MobilePhone::parse("12012345678").is_none());
    assert!(MobilePhone::parse("1391234567").is_none());
}
