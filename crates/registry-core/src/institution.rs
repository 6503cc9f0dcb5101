//! Assessment institutions (鉴定评审机构). Their numbers follow the 2013 announcement of
//! the former national quality authority; an institution with both a provincial and a
//! national qualification number has one account for both (source document, question 9).

use crate::credit_code::CreditCode;
use crate::ids::InstitutionId;
use crate::person::Email;
use crate::text::{Text, TextProblem};
use crate::violation::{Violation, Violations, ok_or_violations};

/// What the association's institution form sends, every field as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InstitutionForm {
    /// 机构名称
    pub name: String,
    /// 机构编号 (2013 list)
    pub number: String,
    /// 统一社会信用代码
    pub credit_code: String,
    /// 省级资质编号
    pub provincial_number: String,
    /// 国家级资质编号
    pub national_number: String,
    /// 联系人及电话
    pub contact: String,
    /// 联系邮箱 (reminders go to it)
    pub email: String,
}

/// An institution's recorded facts, all valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstitutionDetails {
    /// The full name, by which the self-service search finds it ([`identify`]).
    pub name: Text,
    /// The institution number from the 2013 list.
    pub number: Text,
    /// The unified social credit code.
    pub credit_code: CreditCode,
    /// The provincial qualification number.
    pub provincial_number: Option<Text>,
    /// The national qualification number.
    pub national_number: Option<Text>,
    /// Contact person and phone.
    pub contact: Option<Text>,
    /// The contact e-mail, where the institution's reminders go.
    pub email: Option<Email>,
}

fn field_problem(field: &'static str, label: &'static str, problem: TextProblem) -> Violation {
    match problem {
        TextProblem::Empty => Violation::Missing { field, label },
        TextProblem::TooLong { max } => Violation::TooLong { field, label, max },
        TextProblem::ControlCharacter => Violation::BadCharacter { field, label },
    }
}

impl InstitutionDetails {
    /// Parses the form; every problem is reported at once.
    pub fn parse(form: &InstitutionForm) -> Result<InstitutionDetails, Violations> {
        let mut problems = Vec::new();
        let mut required = |field, label, input: &str, max| {
            Text::parse(input, max)
                .map_err(|p| problems.push(field_problem(field, label, p)))
                .ok()
        };
        let name = required("name", "机构名称", &form.name, 100);
        let number = required("number", "机构编号", &form.number, 32);
        let mut optional = |field, label, input: &str, max| {
            Text::parse_optional(input, max)
                .map_err(|p| problems.push(field_problem(field, label, p)))
                .ok()
                .flatten()
        };
        let provincial_number = optional(
            "provincial_number",
            "省级资质编号",
            &form.provincial_number,
            40,
        );
        let national_number = optional(
            "national_number",
            "国家级资质编号",
            &form.national_number,
            40,
        );
        let contact = optional("contact", "联系人及电话", &form.contact, 100);
        let email = match form.email.trim() {
            "" => None,
            typed => Email::parse(typed).or_else(|| {
                problems.push(Violation::BadFormat {
                    field: "email",
                    label: "联系邮箱",
                    expected: "应形如 name@example.com",
                });
                None
            }),
        };
        if provincial_number.is_none()
            && national_number.is_none()
            && form.provincial_number.trim().is_empty()
            && form.national_number.trim().is_empty()
        {
            problems.push(Violation::QualificationNumberRequired);
        }
        let credit_code = if form.credit_code.trim().is_empty() {
            problems.push(Violation::Missing {
                field: "credit_code",
                label: "统一社会信用代码",
            });
            None
        } else {
            CreditCode::parse(&form.credit_code)
                .map_err(|e| problems.push(e.into()))
                .ok()
        };
        match (name, number, credit_code) {
            (Some(name), Some(number), Some(credit_code)) if problems.is_empty() => {
                Ok(InstitutionDetails {
                    name,
                    number,
                    credit_code,
                    provincial_number,
                    national_number,
                    contact,
                    email,
                })
            }
            _ => Err(Violations::new(problems)),
        }
    }
}

/// An institution of the register.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Institution {
    /// The identifier.
    pub id: InstitutionId,
    /// The recorded facts.
    pub details: InstitutionDetails,
    /// A disabled institution can neither log in nor act.
    pub active: bool,
    /// The optimistic-lock version.
    pub version: i64,
}

impl Institution {
    /// Refuses to act for a disabled institution.
    pub fn ensure_active(&self) -> Result<(), Violations> {
        ok_or_violations(
            (),
            if self.active {
                vec![]
            } else {
                vec![Violation::InstitutionDisabled(
                    self.details.name.as_str().to_owned(),
                )]
            },
        )
    }
}

/// The fewest characters of a part of an institution's name that may name it in the
/// self-service search (a whole name may be shorter).
pub const MIN_NAME_PART: usize = 4;

/// A name as compared in the self-service search: without spaces (half- or full-width),
/// full-width letters, digits and brackets as their ASCII forms, ASCII letters in lower
/// case. "福建省（厦门）特检院" and "福建省 (厦门) 特检院" compare equal.
fn comparable(name: &str) -> String {
    name.chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match u32::from(c) {
            0xFF01..=0xFF5E => char::from_u32(u32::from(c) - 0xFEE0).unwrap_or(c),
            _ => c,
        })
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// The institutions an assessor means by `typed` in the self-service search (评审人员信息
/// 填报, step 2), among the active institutions `(id, name)`: those whose whole name it is
/// (as picked from the list of names, or typed in full; several only when several
/// institutions bear the very same name), or else the one institution whose name contains
/// it, when it has at least [`MIN_NAME_PART`] characters and no other name does.
/// Anything else identifies no institution: a search never runs over several
/// institutions, so that a person's employer cannot be found from a character or two of
/// some name.
pub fn identify<'a>(
    typed: &str,
    institutions: impl IntoIterator<Item = (InstitutionId, &'a str)>,
) -> Result<Vec<InstitutionId>, Violation> {
    let unidentified = Violation::InstitutionNotIdentified { min: MIN_NAME_PART };
    let wanted = comparable(typed);
    if wanted.is_empty() {
        return Err(unidentified);
    }
    let names: Vec<(InstitutionId, String)> = institutions
        .into_iter()
        .map(|(id, name)| (id, comparable(name)))
        .collect();
    let whole: Vec<InstitutionId> = names
        .iter()
        .filter(|(_, name)| *name == wanted)
        .map(|(id, _)| *id)
        .collect();
    if !whole.is_empty() {
        return Ok(whole);
    }
    let containing: Vec<InstitutionId> = names
        .iter()
        .filter(|(_, name)| name.contains(&wanted))
        .map(|(id, _)| *id)
        .collect();
    match containing.as_slice() {
        [one] if wanted.chars().count() >= MIN_NAME_PART => Ok(vec![*one]),
        _ => Err(unidentified),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifies_an_institution_by_its_whole_name_or_a_telling_part() {
        let list = [
            (InstitutionId::new(1), "福建省特种设备鉴定评审中心"),
            (InstitutionId::new(2), "福建省特种设备鉴定评审中心（厦门）"),
            (InstitutionId::new(3), "上海市特种设备鉴定评审中心"),
            (InstitutionId::new(4), "ABC检测"),
            (InstitutionId::new(5), "ABC检测"),
        ];
        let ids = |typed: &str| {
            identify(typed, list).map(|v| v.iter().map(|i| i.get()).collect::<Vec<_>>())
        };
        // The whole name, even when another name contains it; spaces and the width of
        // brackets do not matter.
        assert_eq!(ids("福建省特种设备鉴定评审中心"), Ok(vec![1]));
        assert_eq!(ids(" 福建省特种设备鉴定评审中心 (厦门) "), Ok(vec![2]));
        assert_eq!(ids("ａｂｃ检测"), Ok(vec![4, 5]));
        // A part of four characters or more that one name alone contains.
        assert_eq!(ids("上海市特"), Ok(vec![3]));
        assert_eq!(ids("（厦门）"), Ok(vec![2]));
        // A part of several names, a short part, nothing, or nothing at all.
        let refused = Err(Violation::InstitutionNotIdentified { min: MIN_NAME_PART });
        for typed in [
            "福建省特种设备",
            "特种设备",
            "上海",
            "中",
            "北京市特种设备",
            "",
            "  ",
        ] {
            assert_eq!(ids(typed), refused, "{typed}");
        }
    }

    #[test]
    fn parses_a_complete_form() {
        let form = InstitutionForm {
            name: "福建省特种设备鉴定评审中心".into(),
            number: "TS-JP-035".into(),
            credit_code: "91350100M000100Y43".into(),
            national_number: "TS7110001-2027".into(),
            ..InstitutionForm::default()
        };
        let details = InstitutionDetails::parse(&form).unwrap();
        assert_eq!(details.credit_code.as_str(), "91350100M000100Y43");
        assert_eq!(details.provincial_number, None);
    }

    #[test]
    fn reports_every_problem() {
        let form = InstitutionForm {
            credit_code: "91350100M000100Y44".into(),
            ..InstitutionForm::default()
        };
        let codes = InstitutionDetails::parse(&form).unwrap_err().codes();
        assert_eq!(
            codes,
            [
                "field.missing",
                "field.missing",
                "institution.qualification_number_required",
                "credit_code.checksum"
            ]
        );
    }
}
