//! The wire types more than one part of the API answers with: an item with its state, the
//! empty answers (with or without a cookie) and a generated password shown once.

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
