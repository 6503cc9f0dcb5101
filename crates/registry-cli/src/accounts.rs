//! `registry create-admin NAME --role system|security|audit`: an administrator of the
//! association with one of the three separated duties (三员分立) and a generated password,
//! printed once. `registry totp-code SECRET`: the current second-factor code of a secret.

use std::path::Path;
use std::process::ExitCode;

use crate::{DatabaseArg, FAILURE, USAGE, data_key, fail, runtime};

/// Opens the register (migrating it) and creates the administrator.
pub(crate) fn create_admin(
    database: &DatabaseArg,
    data_key_file: Option<&Path>,
    username: &str,
    duty: registry_core::access::Duty,
) -> ExitCode {
    let url = match database.url() {
        Ok(url) => url,
        Err(message) => return fail(message, USAGE),
    };
    let key = match data_key(data_key_file, &url) {
        Ok(key) => key,
        Err(message) => return fail(message, USAGE),
    };
    let runtime = match runtime() {
        Ok(runtime) => runtime,
        Err(message) => return fail(message, FAILURE),
    };
    runtime.block_on(async move {
        let store = match registry_store::Store::connect(&url, key).await {
            Ok(store) => store,
            Err(e) => return fail(e, FAILURE),
        };
        if let Err(e) = store.migrate().await {
            return fail(e, FAILURE);
        }
        let state = match registry_http::AppState::load(
            store,
            registry_http::Config::default(),
            std::sync::Arc::new(registry_http::SystemClock),
        )
        .await
        {
            Ok(state) => state,
            Err(message) => return fail(message, FAILURE),
        };
        match registry_http::create_admin(&state, username, duty).await {
            Ok(password) => {
                println!(
                    "已创建促进会{}账户 {}，初始密码：{password}",
                    duty.label(),
                    username.trim().to_ascii_lowercase()
                );
                println!("该密码只显示这一次；首次登录时须修改。");
                ExitCode::SUCCESS
            }
            Err(message) => fail(message, 1),
        }
    })
}

/// Prints the current code of a base32 secret.
pub(crate) fn totp_code(secret: &str) -> ExitCode {
    match registry_http::totp::current_code(secret, time::OffsetDateTime::now_utc()) {
        Some(code) => {
            println!("{code}");
            ExitCode::SUCCESS
        }
        None => fail("不是 base32 编码的密钥", USAGE),
    }
}

/// `--role`: a duty by its code (the core's `Duty::parse`).
pub(crate) fn parse_duty(code: &str) -> Result<registry_core::access::Duty, String> {
    registry_core::access::Duty::parse(code).ok_or_else(|| {
        let codes: Vec<&str> = registry_core::access::Duty::ALL
            .iter()
            .map(|d| d.code())
            .collect();
        format!("应为 {} 之一", codes.join("、"))
    })
}
