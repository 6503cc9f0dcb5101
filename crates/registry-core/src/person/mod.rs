//! A person of the register (an assessor, or a candidate who passed the exam) and the
//! details they fill in themselves (人员基本信息).
//!
//! The association records the name and the resident ID number from the exam; the person
//! fills in everything else through the self-service entry. [`DetailsForm`] is what a form
//! sends; [`AssessorDetails`] is the parsed, valid value, which may still be incomplete.
//! [`AssessorDetails::missing`] lists what must still be filled before the person's items
//! can turn "等待注册".

use std::fmt;

use crate::ids::PersonId;
use crate::registration_number::RegistrationNumber;
use crate::resident_id::{ResidentId, Sex};
use crate::text::{Text, TextProblem};
use crate::violation::{Violation, Violations, ok_or_violations};

/// A person's name: 1–30 characters, letters of any script, the middle dot of
/// transliterated names (·), spaces, `.` and `-`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PersonName(String);

impl PersonName {
    /// Parses a name as typed; surrounding spaces are dropped.
    pub fn parse(input: &str) -> Result<PersonName, Violation> {
        let field = DetailField::Name;
        let name = input.trim();
        if name.is_empty() {
            return Err(field.missing());
        }
        if name.chars().count() > 30 {
            return Err(field.too_long(30));
        }
        let allowed = |c: char| c.is_alphabetic() || matches!(c, '·' | '•' | '.' | '-' | ' ');
        if !name.chars().all(allowed) {
            return Err(field.bad_character());
        }
        Ok(PersonName(name.to_owned()))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PersonName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for PersonName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.0)
    }
}

/// A field of the details form, with its code (the form field's name) and Chinese label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DetailField {
    /// 姓名
    Name,
    /// 性别
    Sex,
    /// 身份证号
    ResidentId,
    /// 民族
    Ethnicity,
    /// 学历
    Education,
    /// 毕业院校
    School,
    /// 所学专业
    Major,
    /// 技术职称
    Title,
    /// 工作单位
    WorkUnit,
    /// 职务
    Position,
    /// 手机
    Mobile,
    /// 电子邮箱
    Email,
    /// 省（自治区、直辖市）
    Province,
    /// 市
    City,
    /// 区（县）
    District,
    /// 详细地址
    Street,
    /// 邮政编码
    Postcode,
}

impl DetailField {
    /// Every field, in the order of the form.
    pub const ALL: [DetailField; 17] = [
        DetailField::Name,
        DetailField::Sex,
        DetailField::ResidentId,
        DetailField::Ethnicity,
        DetailField::Education,
        DetailField::School,
        DetailField::Major,
        DetailField::Title,
        DetailField::WorkUnit,
        DetailField::Position,
        DetailField::Mobile,
        DetailField::Email,
        DetailField::Province,
        DetailField::City,
        DetailField::District,
        DetailField::Street,
        DetailField::Postcode,
    ];

    /// The fields that must be filled before a person's items can await registration:
    /// name, sex, ID number, mobile phone, the mailing address (province, city, detailed
    /// address) with its postcode, education, professional title and work unit.
    pub const REQUIRED: [DetailField; 11] = [
        DetailField::Name,
        DetailField::Sex,
        DetailField::ResidentId,
        DetailField::Education,
        DetailField::Title,
        DetailField::WorkUnit,
        DetailField::Mobile,
        DetailField::Province,
        DetailField::City,
        DetailField::Street,
        DetailField::Postcode,
    ];

    /// Whether the person is asked for this required field: not the name and the ID number
    /// (the association records them with the exam result), nor the sex (known from the ID
    /// number). [`AssessorDetails::missing`] and [`DetailsForm::missing`] both ask it.
    pub fn asked_when_required(self) -> bool {
        !matches!(
            self,
            DetailField::Name | DetailField::ResidentId | DetailField::Sex
        )
    }

    /// The fields a person fills in themselves, in the order of the form: every field but
    /// the name and the ID number, which come from the pass list. Pages, the API's body,
    /// storage and the audit log all go through this list.
    pub const FILLED_IN: [DetailField; 15] = [
        DetailField::Sex,
        DetailField::Ethnicity,
        DetailField::Education,
        DetailField::School,
        DetailField::Major,
        DetailField::Title,
        DetailField::WorkUnit,
        DetailField::Position,
        DetailField::Mobile,
        DetailField::Email,
        DetailField::Province,
        DetailField::City,
        DetailField::District,
        DetailField::Street,
        DetailField::Postcode,
    ];

    /// The form field's name (also the stored column's, and the audit snapshot's key).
    pub fn code(self) -> &'static str {
        match self {
            DetailField::Name => "name",
            DetailField::Sex => "sex",
            DetailField::ResidentId => "resident_id",
            DetailField::Ethnicity => "ethnicity",
            DetailField::Education => "education",
            DetailField::School => "school",
            DetailField::Major => "major",
            DetailField::Title => "title",
            DetailField::WorkUnit => "work_unit",
            DetailField::Position => "position",
            DetailField::Mobile => "mobile",
            DetailField::Email => "email",
            DetailField::Province => "province",
            DetailField::City => "city",
            DetailField::District => "district",
            DetailField::Street => "street",
            DetailField::Postcode => "postcode",
        }
    }

    /// The Chinese label.
    pub fn label(self) -> &'static str {
        match self {
            DetailField::Name => "姓名",
            DetailField::Sex => "性别",
            DetailField::ResidentId => "身份证号",
            DetailField::Ethnicity => "民族",
            DetailField::Education => "学历",
            DetailField::School => "毕业院校",
            DetailField::Major => "所学专业",
            DetailField::Title => "技术职称",
            DetailField::WorkUnit => "工作单位",
            DetailField::Position => "职务",
            DetailField::Mobile => "手机",
            DetailField::Email => "电子邮箱",
            DetailField::Province => "通讯地址（省）",
            DetailField::City => "通讯地址（市）",
            DetailField::District => "通讯地址（区县）",
            DetailField::Street => "详细地址",
            DetailField::Postcode => "邮政编码",
        }
    }

    /// The most characters the field takes.
    pub fn max_len(self) -> usize {
        match self {
            DetailField::Name | DetailField::Title | DetailField::Position => 30,
            DetailField::Sex => 1,
            DetailField::ResidentId => 18,
            DetailField::Ethnicity | DetailField::Education => 20,
            DetailField::School | DetailField::Major => 60,
            DetailField::WorkUnit | DetailField::Street => 100,
            DetailField::Mobile => 20,
            DetailField::Email => 100,
            DetailField::Province | DetailField::City | DetailField::District => 20,
            DetailField::Postcode => 6,
        }
    }

    pub(crate) fn missing(self) -> Violation {
        Violation::Missing {
            field: self.code(),
            label: self.label(),
        }
    }

    pub(crate) fn too_long(self, max: usize) -> Violation {
        Violation::TooLong {
            field: self.code(),
            label: self.label(),
            max,
        }
    }

    pub(crate) fn bad_character(self) -> Violation {
        Violation::BadCharacter {
            field: self.code(),
            label: self.label(),
        }
    }

    pub(crate) fn bad_format(self, expected: &'static str) -> Violation {
        Violation::BadFormat {
            field: self.code(),
            label: self.label(),
            expected,
        }
    }

    fn text_problem(self, problem: TextProblem) -> Violation {
        match problem {
            TextProblem::Empty => self.missing(),
            TextProblem::TooLong { max } => self.too_long(max),
            TextProblem::ControlCharacter => self.bad_character(),
        }
    }
}

/// Education (学历), chosen from a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Education {
    /// 博士研究生
    Doctorate,
    /// 硕士研究生
    Master,
    /// 大学本科
    Bachelor,
    /// 大学专科
    College,
    /// 中等专科
    Secondary,
    /// 高中及以下
    HighSchool,
}

impl Education {
    /// Every choice, highest first.
    pub const ALL: [Education; 6] = [
        Education::Doctorate,
        Education::Master,
        Education::Bachelor,
        Education::College,
        Education::Secondary,
        Education::HighSchool,
    ];

    /// The label.
    pub fn label(self) -> &'static str {
        match self {
            Education::Doctorate => "博士研究生",
            Education::Master => "硕士研究生",
            Education::Bachelor => "大学本科",
            Education::College => "大学专科",
            Education::Secondary => "中等专科",
            Education::HighSchool => "高中及以下",
        }
    }

    /// Reads a label.
    pub fn parse(text: &str) -> Option<Education> {
        Education::ALL
            .into_iter()
            .find(|e| e.label() == text.trim())
    }
}

/// A mainland China mobile number: 11 digits, `1` then `3`–`9`. Spaces, hyphens and a
/// leading `+86` are accepted and dropped.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct MobilePhone(String);

impl MobilePhone {
    /// Parses a number as typed.
    pub fn parse(input: &str) -> Option<MobilePhone> {
        let digits: String = input
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .collect();
        let digits = digits
            .strip_prefix("+86")
            .or_else(|| digits.strip_prefix("0086"))
            .unwrap_or(&digits);
        let ok = digits.len() == 11
            && digits.chars().all(|c| c.is_ascii_digit())
            && digits.starts_with('1')
            && digits
                .chars()
                .nth(1)
                .is_some_and(|c| ('3'..='9').contains(&c));
        ok.then(|| MobilePhone(digits.to_owned()))
    }

    /// The eleven digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The masked form for lists: `138****5678`.
    pub fn masked(&self) -> String {
        let head: String = self.0.chars().take(3).collect();
        let tail: String = self.0.chars().skip(7).collect();
        format!("{head}****{tail}")
    }
}

impl fmt::Debug for MobilePhone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MobilePhone({})", self.masked())
    }
}

/// A six-digit postcode (邮政编码).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Postcode(String);

impl Postcode {
    /// Parses six ASCII digits.
    pub fn parse(input: &str) -> Option<Postcode> {
        let code = input.trim();
        (code.len() == 6 && code.chars().all(|c| c.is_ascii_digit()))
            .then(|| Postcode(code.to_owned()))
    }

    /// The six digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An e-mail address, checked for its basic shape only (`name@host.domain`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    /// Parses an address of at most 100 characters.
    pub fn parse(input: &str) -> Option<Email> {
        let address = input.trim();
        let (local, domain) = address.split_once('@')?;
        let ok = address.len() <= 100
            && !local.is_empty()
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains('@')
            && address
                .chars()
                .all(|c| !c.is_whitespace() && !c.is_control());
        ok.then(|| Email(address.to_owned()))
    }

    /// The address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What a details form sends: every field as typed, empty when not filled. The form has
/// no field for state, items, institution or registration: a person can change only their
/// own details.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DetailsForm {
    /// 性别 (男/女); checked against the ID number.
    pub sex: String,
    /// 民族
    pub ethnicity: String,
    /// 学历, one of [`Education::ALL`]'s labels.
    pub education: String,
    /// 毕业院校
    pub school: String,
    /// 所学专业
    pub major: String,
    /// 技术职称
    pub title: String,
    /// 工作单位
    pub work_unit: String,
    /// 职务
    pub position: String,
    /// 手机
    pub mobile: String,
    /// 电子邮箱
    pub email: String,
    /// 省
    pub province: String,
    /// 市
    pub city: String,
    /// 区县
    pub district: String,
    /// 详细地址
    pub street: String,
    /// 邮政编码
    pub postcode: String,
}

impl DetailsForm {
    /// The required fields left blank as typed: the same fields as
    /// [`AssessorDetails::missing`] of what was saved, so that a form refused for another
    /// reason still marks each required field the person emptied.
    pub fn missing(&self) -> Vec<DetailField> {
        DetailField::REQUIRED
            .into_iter()
            .filter(|field| field.asked_when_required() && self.field(*field).trim().is_empty())
            .collect()
    }

    /// The text of one field as typed (empty for the name and the ID number, which the
    /// form does not hold).
    pub fn field(&self, field: DetailField) -> &str {
        match field {
            DetailField::Name | DetailField::ResidentId => "",
            DetailField::Sex => &self.sex,
            DetailField::Ethnicity => &self.ethnicity,
            DetailField::Education => &self.education,
            DetailField::School => &self.school,
            DetailField::Major => &self.major,
            DetailField::Title => &self.title,
            DetailField::WorkUnit => &self.work_unit,
            DetailField::Position => &self.position,
            DetailField::Mobile => &self.mobile,
            DetailField::Email => &self.email,
            DetailField::Province => &self.province,
            DetailField::City => &self.city,
            DetailField::District => &self.district,
            DetailField::Street => &self.street,
            DetailField::Postcode => &self.postcode,
        }
    }

    /// Sets one field's text (the name and the ID number are not the form's: ignored).
    pub fn set_field(&mut self, field: DetailField, value: String) {
        let slot = match field {
            DetailField::Name | DetailField::ResidentId => return,
            DetailField::Sex => &mut self.sex,
            DetailField::Ethnicity => &mut self.ethnicity,
            DetailField::Education => &mut self.education,
            DetailField::School => &mut self.school,
            DetailField::Major => &mut self.major,
            DetailField::Title => &mut self.title,
            DetailField::WorkUnit => &mut self.work_unit,
            DetailField::Position => &mut self.position,
            DetailField::Mobile => &mut self.mobile,
            DetailField::Email => &mut self.email,
            DetailField::Province => &mut self.province,
            DetailField::City => &mut self.city,
            DetailField::District => &mut self.district,
            DetailField::Street => &mut self.street,
            DetailField::Postcode => &mut self.postcode,
        };
        *slot = value;
    }

    /// A form from a lookup of each filled-in field by its code (a page's fields, a
    /// stored row's columns).
    pub fn from_fields(mut value: impl FnMut(DetailField) -> String) -> DetailsForm {
        let mut form = DetailsForm::default();
        for field in DetailField::FILLED_IN {
            form.set_field(field, value(field));
        }
        form
    }
}

/// A person's details as filled in: each value present is valid; some may be missing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AssessorDetails {
    sex: Option<Sex>,
    ethnicity: Option<Text>,
    education: Option<Education>,
    school: Option<Text>,
    major: Option<Text>,
    title: Option<Text>,
    work_unit: Option<Text>,
    position: Option<Text>,
    mobile: Option<MobilePhone>,
    email: Option<Email>,
    province: Option<Text>,
    city: Option<Text>,
    district: Option<Text>,
    street: Option<Text>,
    postcode: Option<Postcode>,
}

impl AssessorDetails {
    /// Parses a form for the person with this ID number. Every invalid field is reported
    /// at once; empty fields are not errors here (see [`AssessorDetails::missing`]).
    pub fn parse(form: &DetailsForm, id: &ResidentId) -> Result<AssessorDetails, Violations> {
        let mut problems = Vec::new();
        let mut text = |field: DetailField, input: &str| {
            Text::parse_optional(input, field.max_len())
                .map_err(|p| problems.push(field.text_problem(p)))
                .ok()
                .flatten()
        };
        let ethnicity = text(DetailField::Ethnicity, &form.ethnicity);
        let school = text(DetailField::School, &form.school);
        let major = text(DetailField::Major, &form.major);
        let title = text(DetailField::Title, &form.title);
        let work_unit = text(DetailField::WorkUnit, &form.work_unit);
        let position = text(DetailField::Position, &form.position);
        let province = text(DetailField::Province, &form.province);
        let city = text(DetailField::City, &form.city);
        let district = text(DetailField::District, &form.district);
        let street = text(DetailField::Street, &form.street);

        // The sex is the ID number's (its 17th digit): never asked, always known. A form
        // (an API client) that names one must agree with it.
        let sex = match form.sex.trim() {
            "" => Some(id.sex()),
            typed => match Sex::parse(typed) {
                Some(sex) if sex == id.sex() => Some(sex),
                Some(_) => {
                    problems.push(Violation::SexMismatch {
                        from_id: id.sex().label(),
                    });
                    None
                }
                None => {
                    problems.push(DetailField::Sex.bad_format("应为“男”或“女”"));
                    None
                }
            },
        };
        let education = match form.education.trim() {
            "" => None,
            typed => Education::parse(typed).or_else(|| {
                problems.push(DetailField::Education.bad_format("请从列表中选择"));
                None
            }),
        };
        let mobile = match form.mobile.trim() {
            "" => None,
            typed => MobilePhone::parse(typed).or_else(|| {
                problems.push(DetailField::Mobile.bad_format("应为11位手机号码，以13至19开头"));
                None
            }),
        };
        let email = match form.email.trim() {
            "" => None,
            typed => Email::parse(typed).or_else(|| {
                problems.push(DetailField::Email.bad_format("应形如 name@example.com"));
                None
            }),
        };
        let postcode = match form.postcode.trim() {
            "" => None,
            typed => Postcode::parse(typed).or_else(|| {
                problems.push(DetailField::Postcode.bad_format("应为6位数字"));
                None
            }),
        };
        if street
            .as_ref()
            .is_some_and(|s| s.as_str().chars().count() < 5)
        {
            problems.push(DetailField::Street.bad_format("应具体到街道、门牌号（至少5个字）"));
        }
        ok_or_violations(
            AssessorDetails {
                sex,
                ethnicity,
                education,
                school,
                major,
                title,
                work_unit,
                position,
                mobile,
                email,
                province,
                city,
                district,
                street,
                postcode,
            },
            problems,
        )
    }

    /// The form that shows these details, for editing them again.
    pub fn to_form(&self) -> DetailsForm {
        let text = |t: &Option<Text>| {
            t.as_ref()
                .map(|t| t.as_str().to_owned())
                .unwrap_or_default()
        };
        DetailsForm {
            sex: self.sex.map(|s| s.label().to_owned()).unwrap_or_default(),
            ethnicity: text(&self.ethnicity),
            education: self
                .education
                .map(|e| e.label().to_owned())
                .unwrap_or_default(),
            school: text(&self.school),
            major: text(&self.major),
            title: text(&self.title),
            work_unit: text(&self.work_unit),
            position: text(&self.position),
            mobile: self
                .mobile
                .as_ref()
                .map(|m| m.as_str().to_owned())
                .unwrap_or_default(),
            email: self
                .email
                .as_ref()
                .map(|e| e.as_str().to_owned())
                .unwrap_or_default(),
            province: text(&self.province),
            city: text(&self.city),
            district: text(&self.district),
            street: text(&self.street),
            postcode: self
                .postcode
                .as_ref()
                .map(|p| p.as_str().to_owned())
                .unwrap_or_default(),
        }
    }

    /// The required fields still empty (the sex, even when details saved before it was
    /// derived hold none, is told by the ID number; see [`DetailField::asked_when_required`]).
    pub fn missing(&self) -> Vec<DetailField> {
        DetailField::REQUIRED
            .into_iter()
            .filter(|field| field.asked_when_required())
            .filter(|field| match field {
                DetailField::Education => self.education.is_none(),
                DetailField::Title => self.title.is_none(),
                DetailField::WorkUnit => self.work_unit.is_none(),
                DetailField::Mobile => self.mobile.is_none(),
                DetailField::Province => self.province.is_none(),
                DetailField::City => self.city.is_none(),
                DetailField::Street => self.street.is_none(),
                DetailField::Postcode => self.postcode.is_none(),
                _ => false,
            })
            .collect()
    }

    /// Whether every required field is filled.
    pub fn is_complete(&self) -> bool {
        self.missing().is_empty()
    }

    /// The sex as saved (since it is derived from the ID number, always present in
    /// details saved through [`AssessorDetails::parse`]).
    pub fn sex(&self) -> Option<Sex> {
        self.sex
    }

    /// The mobile phone.
    pub fn mobile(&self) -> Option<&MobilePhone> {
        self.mobile.as_ref()
    }

    /// The e-mail address.
    pub fn email(&self) -> Option<&Email> {
        self.email.as_ref()
    }

    /// The work unit.
    pub fn work_unit(&self) -> Option<&str> {
        self.work_unit.as_ref().map(Text::as_str)
    }

    /// The mailing address on one line (province, city, district, detailed address), if
    /// the parts needed for mailing are present.
    pub fn mailing_address(&self) -> Option<String> {
        let (province, city, street) = (
            self.province.as_ref()?,
            self.city.as_ref()?,
            self.street.as_ref()?,
        );
        let district = self.district.as_ref().map(Text::as_str).unwrap_or("");
        Some(format!("{province}{city}{district}{street}"))
    }

    /// The postcode.
    pub fn postcode(&self) -> Option<&Postcode> {
        self.postcode.as_ref()
    }
}

/// Joins field labels for a message: 手机、邮政编码.
pub fn labels(fields: &[DetailField]) -> String {
    fields
        .iter()
        .map(|f| f.label())
        .collect::<Vec<_>>()
        .join("、")
}

/// A person of the register.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    /// The identifier.
    pub id: PersonId,
    /// The name, as recorded with the exam result.
    pub name: PersonName,
    /// The resident ID number.
    pub resident_id: ResidentId,
    /// The details the person fills in.
    pub details: AssessorDetails,
    /// The registration number, assigned when the first item is registered.
    pub registration_number: Option<RegistrationNumber>,
    /// The optimistic-lock version of the details: a save must name the version it read.
    pub version: i64,
}

#[cfg(test)]
mod tests;
