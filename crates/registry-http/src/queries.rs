//! The one parser of each kind of search a visitor types, shared by the pages and the API:
//! a search of people by name, whole ID number or registration number (人员查询 and the
//! association's 人员档案), and the person of an attendance entry (课时记录: an ID number
//! or a registration number) — each refusal with its stable code and one Chinese sentence.

use registry_core::registration_number::RegistrationNumber;
use registry_core::resident_id::ResidentId;
use registry_store::queries::PublicQuery;

/// The longest name searched for, in characters.
pub(crate) const NAME_CHARS: usize = 30;

/// Why a search of people is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refused {
    /// The stable code (`query.invalid`, `query.name`, `query.resident_id`,
    /// `query.registration_number`).
    pub(crate) code: &'static str,
    /// The sentence shown.
    pub(crate) message: String,
}

/// A search of people by `by` (`name`, `id` or `number`) for `q` (trimmed).
pub(crate) fn people_query(by: &str, q: &str, today: time::Date) -> Result<PublicQuery, Refused> {
    let q = q.trim();
    let refused = |code, message: String| Refused { code, message };
    match by {
        "name" if q.is_empty() => Err(refused("query.name", "请输入要查询的姓名".to_owned())),
        "name" if q.chars().count() > NAME_CHARS => Err(refused(
            "query.name",
            format!("姓名过长（至多 {NAME_CHARS} 个字）"),
        )),
        "name" => Ok(PublicQuery::Name(q.to_owned())),
        "id" => ResidentId::parse(q, today)
            .map(PublicQuery::ResidentId)
            .map_err(|e| refused("query.resident_id", e.to_string())),
        "number" => RegistrationNumber::parse(q)
            .map(PublicQuery::RegistrationNumber)
            .map_err(|e| refused("query.registration_number", e.to_string())),
        _ => Err(refused(
            "query.invalid",
            "请按姓名、身份证号或注册号查询（by = name、id 或 number）".to_owned(),
        )),
    }
}

/// The person an attendance entry names: a registration number (`JP…`) or a resident ID
/// number (the core's `PersonRef`), as the lookup of the register.
pub(crate) fn attendee_query(
    text: &str,
    today: time::Date,
) -> Result<(PublicQuery, String), registry_core::violation::Violation> {
    use registry_core::education::PersonRef;
    let person = PersonRef::parse(text, today)?;
    let query = match &person {
        PersonRef::ResidentId(r) => PublicQuery::ResidentId(r.clone()),
        PersonRef::Number(n) => PublicQuery::RegistrationNumber(*n),
    };
    Ok((query, person.describe()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn each_kind_of_search_parses_or_says_why_not() {
        let today = date!(2026 - 11 - 30);
        assert_eq!(
            people_query("name", " 张三 ", today),
            Ok(PublicQuery::Name("张三".into()))
        );
        assert_eq!(
            people_query("name", "", today).unwrap_err().code,
            "query.name"
        );
        assert_eq!(
            people_query("name", &"张".repeat(31), today)
                .unwrap_err()
                .code,
            "query.name"
        );
        assert_eq!(
            people_query("id", "110101", today).unwrap_err().code,
            "query.resident_id"
        );
        assert_eq!(
            people_query("number", "x", today).unwrap_err().code,
            "query.registration_number"
        );
        assert_eq!(
            people_query("phone", "1", today).unwrap_err().code,
            "query.invalid"
        );
    }
}
