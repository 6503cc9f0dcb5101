//! A digest in words: the subject, a text part, an HTML part (a table per kind) and a
//! short text for a text message. Chinese, with the register's own links; the rows are
//! the core's, names and items only.

use registry_core::date::format_date;
use registry_core::reminder::{Milestone, Recipient, ReminderKind, ReminderRow, sections};
use time::Date;

/// A rendered digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    /// The subject.
    pub subject: String,
    /// The text part.
    pub text: String,
    /// The HTML part.
    pub html: String,
    /// A text message of it (the kinds and counts, and where to look).
    pub short: String,
}

/// Where a recipient looks in the register, and where an institution changes what it
/// gets.
fn links(recipient: Recipient, site: &str) -> Vec<(&'static str, String)> {
    let site = site.trim_end_matches('/');
    match recipient {
        Recipient::Association => vec![
            ("协会工作台", format!("{site}/association")),
            ("资格证书", format!("{site}/association/certificates")),
            ("注册卡", format!("{site}/association/cards")),
        ],
        Recipient::Institution(_) => vec![
            ("人员管理", format!("{site}/institution")),
            ("换证预览", format!("{site}/institution/renewals")),
            ("提醒设置", format!("{site}/institution/reminders")),
        ],
        Recipient::Person(_) => vec![(
            "评审人员信息填报（可在此停止接收提醒）",
            format!("{site}/self-service"),
        )],
    }
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn heading(kind: ReminderKind, rows: &[(Milestone, &ReminderRow)]) -> String {
    format!("{}（{} 项）", kind.label(), rows.len())
}

/// Renders the digest of `day` for `recipient` (called `name`) with its rows.
pub fn render(
    recipient: Recipient,
    name: &str,
    day: Date,
    rows: &[(Milestone, &ReminderRow)],
    site: &str,
) -> Mail {
    let grouped = sections(rows.iter().copied());
    let total = rows.len();
    let kinds: Vec<String> = grouped
        .iter()
        .map(|(kind, rows)| format!("{} {} 项", kind.label(), rows.len()))
        .collect();
    let subject = format!(
        "【特种设备鉴定评审人员注册系统】{} 提醒：{}",
        format_date(day),
        kinds.join("，")
    );
    let greeting = match recipient {
        Recipient::Association => "协会各位同事：".to_owned(),
        _ if name.is_empty() => "您好：".to_owned(),
        _ => format!("{name}：",),
    };
    let links = links(recipient, site);
    let mut text = format!(
        "{greeting}\n\n截至 {}，以下 {total} 项事项需要您关注。\n",
        format_date(day)
    );
    let mut html = format!(
        "<!DOCTYPE html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>{}</title></head>\
         <body style=\"font-family: sans-serif; color: #1f2328;\"><p>{}</p>\
         <p>截至 {}，以下 {total} 项事项需要您关注。</p>",
        escape(&subject),
        escape(&greeting),
        format_date(day)
    );
    for (kind, rows) in &grouped {
        text.push_str(&format!("\n■ {}\n", heading(*kind, rows)));
        html.push_str(&format!(
            "<h2 style=\"font-size: 1.1em;\">{}</h2>\
             <table style=\"border-collapse: collapse;\" border=\"1\" cellpadding=\"4\">\
             <thead><tr><th>人员或事项</th><th>评审项目</th><th>日期</th><th>说明</th></tr></thead><tbody>",
            escape(&heading(*kind, rows))
        ));
        for (_, row) in rows {
            let date = row.date.map(format_date).unwrap_or_default();
            let mut line = format!("- {}", row.who);
            for part in [row.item.as_str(), date.as_str()] {
                if !part.is_empty() {
                    line.push_str(&format!("｜{part}"));
                }
            }
            line.push_str(&format!("｜{}\n", row.note));
            text.push_str(&line);
            html.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(&row.who),
                escape(&row.item),
                escape(&date),
                escape(&row.note)
            ));
        }
        html.push_str("</tbody></table>");
    }
    text.push_str("\n请登录系统办理：\n");
    html.push_str("<p>请登录系统办理：</p><ul>");
    for (label, url) in &links {
        text.push_str(&format!("{label}：{url}\n"));
        html.push_str(&format!(
            "<li><a href=\"{}\">{}</a></li>",
            escape(url),
            escape(label)
        ));
    }
    let footer = "本邮件由特种设备鉴定评审人员注册系统自动发送，每天至多一封，请勿直接回复。";
    text.push_str(&format!("\n{footer}\n"));
    html.push_str(&format!(
        "</ul><p style=\"color: #59636e; font-size: 0.9em;\">{footer}</p></body></html>"
    ));
    let short = format!(
        "【鉴定评审人员注册系统】{}：{}。详见 {}",
        format_date(day),
        kinds.join("，"),
        links
            .first()
            .map(|(_, url)| url.as_str())
            .unwrap_or_default()
    );
    Mail {
        subject,
        text,
        html,
        short,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn a_digest_has_a_table_per_kind_and_escapes_what_it_shows() {
        let ending = ReminderRow {
            who: "张三<b>".to_owned(),
            item: "RQ-ZZ 锅炉".to_owned(),
            date: Some(date!(2027 - 01 - 30)),
            note: "注册还有 60 天到期".to_owned(),
        };
        let waiting = ReminderRow {
            who: "李四".to_owned(),
            item: String::new(),
            date: None,
            note: "等待注册".to_owned(),
        };
        let rows = [
            (
                Milestone {
                    kind: ReminderKind::RegistrationEnding,
                    days: Some(60),
                },
                &ending,
            ),
            (Milestone::of(ReminderKind::AwaitingRegistration), &waiting),
        ];
        let mail = render(
            Recipient::Institution(registry_core::ids::InstitutionId::new(1)),
            "甲机构",
            date!(2026 - 12 - 01),
            &rows,
            "https://registry.example.cn/",
        );
        assert_eq!(
            mail.subject,
            "【特种设备鉴定评审人员注册系统】2026-12-01 提醒：注册即将到期 1 项，已填报完整，等待注册 1 项"
        );
        assert!(mail.text.starts_with("甲机构："));
        assert!(
            mail.text
                .contains("- 张三<b>｜RQ-ZZ 锅炉｜2027-01-30｜注册还有 60 天到期")
        );
        assert!(mail.html.contains("<td>张三&lt;b&gt;</td>"));
        assert_eq!(mail.html.matches("<table").count(), 2);
        assert!(
            mail.text
                .contains("https://registry.example.cn/institution/reminders")
        );
        assert!(
            mail.short
                .contains("https://registry.example.cn/institution")
        );
    }
}
