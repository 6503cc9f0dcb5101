//! The audit log in words: what each action, each recorded field and each actor is called
//! in Chinese, and how a value reads (a state's label, an item's name, 是/否). The log
//! stores stable codes (`holding.employ`, `state=invited`, `institution:3:gdjp`); the
//! pages show what is decided here, so that a clerk reads "聘用 · 压力容器制造" and never
//! a code.

use crate::holding::ItemState;
use crate::review_item::{ReviewItemCatalogue, ReviewItemCode};

/// What an action is called (`holding.employ` → 聘用); none for a code this version does
/// not know (an entry written by a later one), which is then shown as it is.
pub fn action_label(action: &str) -> Option<&'static str> {
    Some(match action {
        "account.change_password" => "修改登录密码",
        "account.create" => "创建账户",
        "account.reset_password" => "重置登录密码",
        "account.unlock" => "解除登录锁定",
        "account.login" => "登录",
        "account.lockout" => "登录被锁定",
        "account.enrol_second_factor" => "启用双因素认证",
        "account.reset_second_factor" => "重置双因素认证",
        "account.require_second_factor" => "设置是否要求双因素认证",
        "account.update" => "修改管理员角色或状态",
        "assessment.record" => "记录现场评审",
        "attendance.import" => "导入培训出勤",
        "attendance.record" => "记录培训出勤",
        "attendance.reverse" => "冲销培训出勤",
        "calendar.load" => "载入工作日历",
        "course.create" => "创建培训班",
        "cycle.create" => "设置注册周期",
        "cycle.update" => "修改注册周期",
        "document.create" => "生成证件",
        "document.mail" => "证件寄出",
        "document.void" => "证件作废",
        "employment.create" => "建立聘用关系",
        "employment.set_password" => "设置填报密码",
        "employment.unlock_entry" => "解除填报锁定",
        "export.full_id" => "导出完整身份证号",
        "holding.employ" => "聘用",
        "holding.expire" => "注册到期",
        "holding.register" => "注册",
        "holding.release" => "退回",
        "holding.undo_release" => "撤销退回",
        "holding.state" => "状态变更",
        "institution.create" => "创建机构",
        "institution.update" => "修改机构信息",
        "institution.reminders" => "修改提醒设置",
        "outbox.resend" => "重新发送提醒邮件",
        "provider.create" => "新增培训机构",
        "token.issue" => "签发接口令牌",
        "token.revoke" => "吊销接口令牌",
        "person.reminders" => "修改是否接收提醒",
        "person.create" => "录入人员",
        "person.request_correction" => "申请更正个人信息",
        "person.answer_correction" => "处理更正申请",
        "person.details" => "填报基本信息",
        "person.disclose_id" => "查看完整身份证号",
        "person.import" => "导入人员",
        "qualification.create" => "录入考核合格项目",
        "run.import" => "批量导入",
        "run.sweep" => "注册到期处理",
        _ => return None,
    })
}

/// What a recorded field is called; none for a field this version does not know.
pub fn field_label(field: &str) -> Option<&'static str> {
    Some(match field {
        "active" => "启用",
        "answer" => "处理结果",
        "applicant_unit" => "申请单位",
        "client" => "客户端地址",
        "contact" => "联系人",
        "email" => "电子邮箱",
        "correction" => "更正内容",
        "course" => "培训班",
        "credit_code" => "统一社会信用代码",
        "cycle" => "注册周期",
        "cycle_years" => "周期年数",
        "end" => "结束日期",
        "entries" => "条数",
        "exam_age_limit" => "考核年龄上限",
        "certificate_due_working_days" => "证书发放期限（工作日）",
        "certificate_renewal_age_limit" => "换证年龄上限",
        "publication_due_working_days" => "注册公示期限（工作日）",
        "exam_date" => "考核日期",
        "expired" => "到期注册",
        "first_year" => "起始年份",
        "hours" => "学时",
        "hours_required" => "应修学时",
        "institution" => "机构",
        "item" => "评审项目",
        "items" => "评审项目",
        "job" => "批处理",
        "kind" => "证件类型",
        "last_year" => "结束年份",
        "message" => "说明",
        "late_hours" => "周期中途取得资格者的学时",
        "name" => "名称",
        "national_number" => "国家级资格编号",
        "new" => "新增行数",
        "number" => "编号",
        "outcome" => "结果",
        "overdue" => "逾期未发证件",
        "person" => "人员",
        "provincial_number" => "省级资格编号",
        "published_on" => "合格名单公布日期",
        "purpose" => "用途",
        "reason" => "原因",
        "rejected" => "错误行数",
        "registration_age_limit" => "注册年龄上限",
        "recovery_codes" => "恢复码数量",
        "registration_number" => "注册号",
        "release_reason" => "退回原因",
        "released_on" => "退回日期",
        "digest" => "提醒邮件",
        "reminder_awaiting_working_days" => "等待注册提醒（工作日）",
        "reminder_document_due_working_days" => "证书发放到期提醒（工作日）",
        "reminder_ending_days" => "注册到期提醒（到期前天数）",
        "reminder_fill_in_working_days" => "填报未完成提醒（工作日）",
        "reminder_hours_short_months" => "课时不足提醒（周期结束前月数）",
        "reminders_off" => "不接收的提醒",
        "renewal_window_months" => "换证窗口（月）",
        "require_item_coverage" => "须覆盖评审项目",
        "resident_id" => "身份证号",
        "reverses" => "冲销",
        "role" => "角色",
        "rows" => "行数",
        "second_factor" => "双因素认证",
        "second_factor_required" => "要求双因素认证",
        "serial" => "证件编号",
        "start" => "开始日期",
        "state" => "状态",
        "table" => "数据表",
        "unchanged" => "已有行数",
        "username" => "用户名",
        "valid_from" => "有效期起",
        "valid_until" => "有效期至",
        "working_days" => "工作日数",
        "certificate" => "资格证书",
        "mailed" => "寄出",
        // A person's details: the form's own labels.
        _ => {
            return crate::person::DetailField::ALL
                .iter()
                .find(|f| f.code() == field)
                .map(|f| f.label());
        }
    })
}

/// How a recorded value reads: a state by its label, items by their names, a flag as
/// 是/否, a document's kind in words; anything else as recorded.
pub fn value_text(field: &str, value: &str, catalogue: &ReviewItemCatalogue) -> String {
    let item_name = |code: &str| match ReviewItemCode::parse(code.trim()) {
        Ok(code) => catalogue.name_of(&code).to_owned(),
        Err(_) => code.trim().to_owned(),
    };
    match field {
        "state" => {
            ItemState::from_code(value).map_or_else(|| value.to_owned(), |s| s.label().to_owned())
        }
        "item" => item_name(value),
        "items" => value
            .split([',', '，', ' '])
            .filter(|c| !c.trim().is_empty())
            .map(item_name)
            .collect::<Vec<_>>()
            .join("、"),
        "active" | "require_item_coverage" | "second_factor" | "second_factor_required" => {
            match value {
                "true" => "是".to_owned(),
                "false" => "否".to_owned(),
                other => other.to_owned(),
            }
        }
        "purpose" => match value {
            "print.certificate" => "打印资格证书".to_owned(),
            "association person page" => "促进会查看人员页面".to_owned(),
            other => other.to_owned(),
        },
        "job" => crate::read::runs::Job::from_code(value)
            .map_or_else(|| value.to_owned(), |j| j.label().to_owned()),
        "outcome" => crate::read::runs::RunOutcome::from_code(value)
            .map_or_else(|| value.to_owned(), |o| o.label().to_owned()),
        "late_hours" => crate::policy::LateHours::from_code(value)
            .map_or_else(|| value.to_owned(), |l| l.label().to_owned()),
        "reminders_off" => value
            .split(',')
            .filter_map(crate::reminder::ReminderKind::from_code)
            .map(|k| k.label())
            .collect::<Vec<_>>()
            .join("、"),
        "kind" => match value {
            "certificate" => "资格证书".to_owned(),
            "card" => "注册信息卡".to_owned(),
            other => other.to_owned(),
        },
        _ => value.to_owned(),
    }
}

/// Who acted, from the log's description of the actor (`association:admin`,
/// `institution:3:gdjp`, `assessor:17@3`, `system:sweep`): the kind in words, the account
/// or job in brackets; `institution_name` names an institution by its id.
pub fn actor_text(described: &str, institution_name: impl Fn(i64) -> Option<String>) -> String {
    let institution = |id: &str| {
        id.parse()
            .ok()
            .and_then(&institution_name)
            .unwrap_or_else(|| format!("机构 {id}"))
    };
    if let Some(account) = described.strip_prefix("association:") {
        return format!("促进会（{account}）");
    }
    if let Some(rest) = described.strip_prefix("institution:")
        && let Some((id, account)) = rest.split_once(':')
    {
        return format!("{}（{account}）", institution(id));
    }
    if let Some(rest) = described.strip_prefix("assessor:")
        && let Some((_, via)) = rest.split_once('@')
    {
        return format!("评审人员本人（经{}填报入口）", institution(via));
    }
    if let Some(job) = described.strip_prefix("system:") {
        let job = match job {
            "sweep" => "每日处理",
            "import" => "数据导入",
            "create-admin" => "创建管理员",
            "lockout" => "登录锁定机制",
            "demo" => "演示数据",
            other => other,
        };
        return format!("系统（{job}）");
    }
    if let Some(rest) = described.strip_prefix("token:")
        && let Some((token, holder)) = rest.split_once('@')
    {
        return match holder.split_once(':') {
            Some(("institution", id)) => format!("{}的接口令牌 {token}", institution(id)),
            Some(("provider", id)) => format!("培训机构 {id} 的接口令牌 {token}"),
            _ => format!("接口令牌 {token}"),
        };
    }
    described.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tokens_use_reads_as_its_holders_token() {
        let name = |id: i64| (id == 3).then(|| "甲中心".to_owned());
        assert_eq!(
            actor_text("token:7@institution:3", name),
            "甲中心的接口令牌 7"
        );
        assert_eq!(
            actor_text("token:8@provider:2", name),
            "培训机构 2 的接口令牌 8"
        );
    }

    #[test]
    fn codes_read_in_chinese() {
        let catalogue = crate::fixtures::review_items().expect("the shipped catalogue");
        assert_eq!(action_label("holding.employ"), Some("聘用"));
        assert_eq!(action_label("something.new"), None);
        assert_eq!(field_label("state"), Some("状态"));
        assert_eq!(field_label("mobile"), Some("手机"));
        assert_eq!(field_label("work_unit"), Some("工作单位"));
        assert_eq!(field_label("no_such_field"), None);
        assert_eq!(value_text("state", "invited", &catalogue), "待填报");
        assert_eq!(value_text("item", "RQ-ZZ", &catalogue), "压力容器制造");
        assert_eq!(value_text("active", "false", &catalogue), "否");
        let names = |id: i64| (id == 3).then(|| "福建省特种设备鉴定评审中心".to_owned());
        assert_eq!(
            actor_text("institution:3:fjjp", names),
            "福建省特种设备鉴定评审中心（fjjp）"
        );
        assert_eq!(actor_text("association:admin", names), "促进会（admin）");
        assert_eq!(
            actor_text("assessor:17@3", names),
            "评审人员本人（经福建省特种设备鉴定评审中心填报入口）"
        );
        assert_eq!(actor_text("system:sweep", names), "系统（每日处理）");
    }
}
