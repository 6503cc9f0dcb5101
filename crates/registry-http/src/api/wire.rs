//! The wire types more than one part of the API answers with or reads: an item with its
//! state, the empty answers (with or without a cookie), a generated password shown once,
//! and a review item's code as a request sends it.

use std::borrow::Cow;

use poem_openapi::registry::{MetaSchema, MetaSchemaRef};
use poem_openapi::types::{
    ParseError, ParseFromJSON, ParseFromParameter, ParseResult, ToJSON, Type,
};
use poem_openapi::{ApiResponse, Object};
use registry_core::holding::ItemState;
use registry_core::review_item::ReviewItemCode;

use crate::AppState;

/// An item and its state.
#[derive(Object, Debug, Clone)]
pub(crate) struct ItemOut {
    code: String,
    name: String,
    /// invited, filling, awaiting_registration, registered, expired or released.
    state: String,
    /// 待填报, 信息填报中, 等待注册, 已注册, 已过期 or 已退回.
    state_label: String,
    valid_until: Option<String>,
}

/// An item in state `s`, with the last day of its registration when it is registered.
pub(crate) fn item_out(
    state: &AppState,
    code: &ReviewItemCode,
    s: ItemState,
    valid_until: Option<time::Date>,
) -> ItemOut {
    ItemOut {
        code: code.as_str().to_owned(),
        name: state.catalogue.name_of(code).to_owned(),
        state: s.code().to_owned(),
        state_label: s.label().to_owned(),
        valid_until: valid_until
            .filter(|_| s == ItemState::Registered)
            .map(registry_core::date::format_date),
    }
}

/// An empty answer.
#[derive(ApiResponse, Debug)]
pub(crate) enum Done {
    /// 完成
    #[oai(status = 204)]
    NoContent,
}

/// An empty answer that sets or clears a cookie.
#[derive(ApiResponse, Debug)]
pub(crate) enum CookieDone {
    /// 完成
    #[oai(status = 204)]
    NoContent(#[oai(header = "Set-Cookie")] String),
}

// A generated password, shown once.
#[derive(Object, Debug)]
pub(crate) struct Secret {
    /// Shown once; only its hash is kept.
    pub(crate) password: String,
}

/// What was created.
#[derive(Object, Debug)]
pub(crate) struct Created {
    pub(crate) id: i64,
}

/// A review item's code as the document says it (`RQ-ZZ`: 2 to 16 capital letters, digits
/// and `-`), checked by hand rather than by poem-openapi's `pattern` validator, which
/// compiles its expression for every value it checks: a list of codes costs a stranger
/// nothing more than reading it. The core checks the code against the catalogue.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct ItemCodeText(pub(crate) String);

/// The pattern [`ItemCodeText`] keeps, as the document says it.
const ITEM_CODE_PATTERN: &str = "^[A-Z0-9-]{2,16}$";

impl ItemCodeText {
    fn fits(text: &str) -> bool {
        (2..=16).contains(&text.len())
            && text
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-')
    }

    fn parse(text: String) -> ParseResult<Self> {
        if Self::fits(&text) {
            Ok(ItemCodeText(text))
        } else {
            Err(ParseError::custom(format!(
                "评审项目代码应形如 RQ-ZZ（{ITEM_CODE_PATTERN}）"
            )))
        }
    }
}

impl std::ops::Deref for ItemCodeText {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl Type for ItemCodeText {
    const IS_REQUIRED: bool = true;
    type RawValueType = Self;
    type RawElementValueType = Self;

    fn name() -> Cow<'static, str> {
        "string(item-code)".into()
    }

    fn schema_ref() -> MetaSchemaRef {
        let mut schema = MetaSchema::new("string");
        schema.pattern = Some(ITEM_CODE_PATTERN.to_owned());
        schema.min_length = Some(2);
        schema.max_length = Some(16);
        MetaSchemaRef::Inline(Box::new(schema))
    }

    fn as_raw_value(&self) -> Option<&Self::RawValueType> {
        Some(self)
    }

    fn raw_element_iter<'a>(
        &'a self,
    ) -> Box<dyn Iterator<Item = &'a Self::RawElementValueType> + 'a> {
        Box::new(self.as_raw_value().into_iter())
    }
}

impl ParseFromJSON for ItemCodeText {
    fn parse_from_json(value: Option<serde_json::Value>) -> ParseResult<Self> {
        match value.unwrap_or_default() {
            serde_json::Value::String(text) => Self::parse(text),
            other => Err(ParseError::expected_type(other)),
        }
    }
}

impl ParseFromParameter for ItemCodeText {
    fn parse_from_parameter(value: &str) -> ParseResult<Self> {
        Self::parse(value.to_owned())
    }
}

impl ToJSON for ItemCodeText {
    fn to_json(&self) -> Option<serde_json::Value> {
        Some(serde_json::Value::String(self.0.clone()))
    }
}

/// The codes as sent, for the core's forms.
pub(crate) fn item_codes(items: &[ItemCodeText]) -> Vec<String> {
    items.iter().map(|i| i.0.clone()).collect()
}
