//! The audit log in words, and moments on China's clocks: what the pages (操作日志, the
//! person file, 我的信息) and the API (`GET /association/audit`, a person's own data)
//! show alike, rendered with the core's vocabulary (`registry_core::read::audit`).

use crate::AppState;

/// An audit log entry as shown.
#[derive(Debug, Clone)]
pub(crate) struct AuditRow {
    pub(crate) at: String,
    /// Who, in words (`福建省特种设备鉴定评审中心（fjjp）`).
    pub(crate) actor: String,
    /// What, in words, with the item and institution it concerns (`聘用 · 压力容器制造 ·
    /// 福建省特种设备鉴定评审中心`).
    pub(crate) action: String,
    /// The stable code of the action (searched by the filter, never shown).
    pub(crate) code: String,
    /// The change, field by field: `状态：待填报 → 信息填报中`, or a field's value when it
    /// was recorded on one side only.
    pub(crate) changes: Vec<String>,
}

/// The audit log's words for ids: each institution's name by its id.
pub(crate) type InstitutionNames = std::collections::BTreeMap<i64, String>;

/// The institutions' names, for the audit log.
pub(crate) async fn institution_names(
    state: &AppState,
) -> Result<InstitutionNames, registry_core::ports::StoreError> {
    Ok(state
        .store
        .institutions()
        .await?
        .into_iter()
        .map(|l| {
            (
                l.institution.id.get(),
                l.institution.details.name.as_str().to_owned(),
            )
        })
        .collect())
}

/// An audit log entry as shown: the time in China, who and what in words (the core's
/// vocabulary, `read::audit`), and the change field by field.
pub(crate) fn audit_row(
    e: &registry_store::queries::AuditEntry,
    catalogue: &registry_core::review_item::ReviewItemCatalogue,
    names: &InstitutionNames,
) -> AuditRow {
    use registry_core::read::audit::{action_label, actor_text, field_label, value_text};
    let before = snapshot(e.before.as_deref());
    let after = snapshot(e.after.as_deref());
    let value = |field: &str, map: &serde_json::Map<String, serde_json::Value>| {
        map.get(field).map(|v| {
            let raw = v.as_str().map_or_else(|| v.to_string(), str::to_owned);
            if field == "institution" {
                raw.parse::<i64>()
                    .ok()
                    .and_then(|id| names.get(&id).cloned())
                    .unwrap_or(raw)
            } else {
                value_text(field, &raw, catalogue)
            }
        })
    };
    let mut action = action_label(&e.action).map_or_else(|| e.action.clone(), str::to_owned);
    for field in ["item", "institution"] {
        if let Some(v) = value(field, &after).or_else(|| value(field, &before)) {
            action.push_str(" · ");
            action.push_str(&v);
        }
    }
    let mut fields: Vec<&String> = after.keys().collect();
    fields.extend(before.keys().filter(|k| !after.contains_key(*k)));
    let changes = fields
        .into_iter()
        .filter(|f| !matches!(f.as_str(), "item" | "institution" | "person"))
        .filter_map(|field| {
            let label = field_label(field).map_or_else(|| field.clone(), str::to_owned);
            let (old, new) = (value(field, &before), value(field, &after));
            match (old, new) {
                (Some(old), Some(new)) if old == new => None,
                (Some(old), Some(new)) => Some(format!("{label}：{old} → {new}")),
                (None, Some(new)) if new.is_empty() => None,
                (None, Some(new)) => Some(format!("{label}：{new}")),
                (Some(old), None) => Some(format!("{label}：{old} → （无）")),
                (None, None) => None,
            }
        })
        .collect();
    AuditRow {
        at: china_time(e.at),
        actor: actor_text(&e.actor, |id| names.get(&id).cloned()),
        action,
        code: e.action.clone(),
        changes,
    }
}

/// A moment as China's clocks show it (`2026-11-30 09:15:02`).
pub(crate) fn china_time(at: time::OffsetDateTime) -> String {
    at.to_offset(registry_core::date::CHINA_STANDARD_TIME)
        .format(time::macros::format_description!(
            "[year]-[month]-[day] [hour]:[minute]:[second]"
        ))
        .unwrap_or_default()
}

/// An audit snapshot (a JSON object), or nothing.
fn snapshot(json: Option<&str>) -> serde_json::Map<String, serde_json::Value> {
    json.and_then(|text| serde_json::from_str(text).ok())
        .unwrap_or_default()
}
