//! Where a login lands: the forced password change, the second factor's set-up, the
//! page an idle logout left (`next`, this site's workspaces only), or the account's home.

use registry_core::access::Account;

use crate::AppState;

/// The first page of a logged-in account: what must come first, or its home.
pub(crate) fn home_of(state: &AppState, account: &Account) -> &'static str {
    if account
        .password_change_due(state.today(), &state.config.passwords)
        .is_some()
    {
        return "/account/password";
    }
    if account.second_factor_required(&state.config.second_factor)
        && !account.second_factor_enrolled
    {
        return "/account/second-factor";
    }
    crate::pages::home_of_role(account.role)
}

/// Where a login lands: back to the page an idle logout left (`next`), unless the
/// password or the second factor's set-up comes first.
pub(crate) fn landing(state: &AppState, account: &Account, next: &str) -> String {
    let home = home_of(state, account);
    match safe_next(next) {
        Some(next) if home == crate::pages::home_of_role(account.role) => next.to_owned(),
        _ => home.to_owned(),
    }
}

/// The page a login returns to: a path of the workspaces of this site (never another
/// site's address: `//host`, `/\\host` or a scheme are refused), at most 200 characters.
pub(crate) fn safe_next(next: &str) -> Option<&str> {
    let path = next.split(['?', '#']).next().unwrap_or_default();
    let ours = ["/association", "/institution", "/account/"]
        .iter()
        .any(|p| path == p.trim_end_matches('/') || path.starts_with(p));
    (ours
        && next.len() <= 200
        && !next.starts_with("//")
        && !next.contains('\\')
        && !next.chars().any(char::is_control))
    .then_some(next)
}
