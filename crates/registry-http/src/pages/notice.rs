//! The notices a page shows after a redirect ("注册成功。"): the redirect names one by its
//! code in the query string (`?notice=registered`), and the page shows the fixed sentence
//! of that code. Nothing from the request is ever shown as a notice: an unknown code shows
//! nothing, and the one number a notice carries is parsed as a number.

/// What a redirect tells the page it lands on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Notice {
    /// The association saved an institution's details.
    InstitutionSaved,
    /// An institution employed a person.
    Employed,
    /// An institution registered a person's items.
    Registered,
    /// An institution released a person's items.
    Released,
    /// An institution took back a release of the same day.
    ReleaseUndone,
    /// An institution lifted the lock of a person's fill-in entry.
    Unlocked,
    /// A lost document was replaced.
    Replaced,
    /// This many documents were marked mailed.
    Mailed(u32),
    /// The security administrator changed an administrator's duty or state.
    AccountSaved,
    /// The security administrator lifted a login's lockout.
    LoginUnlocked,
}

impl Notice {
    /// Its code, for a redirect's query string.
    pub(crate) fn code(self) -> String {
        match self {
            Notice::InstitutionSaved => "updated".to_owned(),
            Notice::Employed => "employed".to_owned(),
            Notice::Registered => "registered".to_owned(),
            Notice::Released => "released".to_owned(),
            Notice::ReleaseUndone => "release-undone".to_owned(),
            Notice::Unlocked => "unlocked".to_owned(),
            Notice::Replaced => "replaced".to_owned(),
            Notice::Mailed(count) => format!("mailed-{count}"),
            Notice::AccountSaved => "account-saved".to_owned(),
            Notice::LoginUnlocked => "login-unlocked".to_owned(),
        }
    }

    /// The notice of a code, if it is one.
    pub(crate) fn parse(code: &str) -> Option<Notice> {
        Some(match code {
            "updated" => Notice::InstitutionSaved,
            "employed" => Notice::Employed,
            "registered" => Notice::Registered,
            "released" => Notice::Released,
            "release-undone" => Notice::ReleaseUndone,
            "unlocked" => Notice::Unlocked,
            "replaced" => Notice::Replaced,
            "account-saved" => Notice::AccountSaved,
            "login-unlocked" => Notice::LoginUnlocked,
            other => Notice::Mailed(other.strip_prefix("mailed-")?.parse().ok()?),
        })
    }

    /// What the page says.
    pub(crate) fn text(self) -> String {
        match self {
            Notice::InstitutionSaved => "机构信息已保存。".to_owned(),
            Notice::Employed => "已聘用；填报密码沿用本机构此前为该人员设置的密码。新聘用的评审项目须本人用该密码确认信息后变为“等待注册”；密码遗失的，可在本页“重新生成填报密码”并打印通知单交给本人。".to_owned(),
            Notice::Registered => "注册成功。".to_owned(),
            Notice::Released => {
                "已退回。当天发现退回有误的，可以“撤销退回”（其他机构聘用该项目之前）。".to_owned()
            }
            Notice::ReleaseUndone => "已撤销退回，该评审项目恢复为退回前的状态。".to_owned(),
            Notice::Unlocked => {
                "已解除该人员填报入口的锁定，该人员可以重新输入填报密码。".to_owned()
            }
            Notice::Replaced => "已挂失：原证件作废，补发的新证件已列入待发放。".to_owned(),
            Notice::Mailed(count) => format!("已将 {count} 份证件标记为已寄出。"),
            Notice::AccountSaved => "账户已保存；角色的变更在该管理员下次操作时生效，停用的账户已退出登录。".to_owned(),
            Notice::LoginUnlocked => "已解除该账户的登录锁定。".to_owned(),
        }
    }
}

/// The sentence of a query's `notice` code; none for anything else.
pub(crate) fn from_query(code: &str) -> Option<String> {
    Notice::parse(code).map(Notice::text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_reads_back_and_nothing_else_is_a_notice() {
        for notice in [
            Notice::InstitutionSaved,
            Notice::Employed,
            Notice::Registered,
            Notice::Released,
            Notice::ReleaseUndone,
            Notice::Unlocked,
            Notice::Replaced,
            Notice::Mailed(12),
            Notice::AccountSaved,
            Notice::LoginUnlocked,
        ] {
            assert_eq!(Notice::parse(&notice.code()), Some(notice));
        }
        for text in [
            "",
            "12",
            "mailed-",
            "mailed-x",
            "mailed--1",
            "请致电 400-000",
            "<b>x</b>",
        ] {
            assert_eq!(from_query(text), None, "{text}");
        }
    }
}
