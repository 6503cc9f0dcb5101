//! `registry audit verify`: walks the audit chain (`registry_store::audit_chain`) and names
//! the first broken row. Exit 0 when the chain holds, 1 when it is broken (or cannot be
//! read), 2 on a usage error.

use std::process::ExitCode;

use registry_store::Store;

use crate::{DatabaseArg, FAILURE, USAGE, fail, runtime};

/// `registry audit verify`.
pub(crate) fn verify(database: &DatabaseArg) -> ExitCode {
    let url = match database.url() {
        Ok(url) => url,
        Err(message) => return fail(message, USAGE),
    };
    let runtime = match runtime() {
        Ok(runtime) => runtime,
        Err(message) => return fail(message, FAILURE),
    };
    runtime.block_on(async move {
        // The chain holds no ID number in clear: any key opens the store for it.
        let store = match Store::connect(&url, registry_store::DataKey::from_bytes([0; 32])).await {
            Ok(store) => store,
            Err(e) => return fail(e, FAILURE),
        };
        let report = match store.verify_audit_chain().await {
            Ok(report) => report,
            Err(e) => return fail(e, FAILURE),
        };
        match report.broken {
            None => {
                println!(
                    "操作日志链完整：共 {} 条记录（{}），链头第 {} 条 {}",
                    report.rows, report.digest, report.head.seq, report.head.hash
                );
                ExitCode::SUCCESS
            }
            Some(broken) => {
                println!(
                    "操作日志链在第 {} 条记录处断开{}：{}（此前 {} 条记录完整）",
                    broken.seq,
                    broken
                        .id
                        .map(|id| format!("（id {id}）"))
                        .unwrap_or_default(),
                    broken.reason,
                    report.rows
                );
                ExitCode::from(FAILURE)
            }
        }
    })
}
