//! Pinyin order of people's names, the same on SQLite and PostgreSQL.
//!
//! A clerk looks for 张三 after 吴 and before 赵, as in a dictionary, not where Unicode
//! happens to put the character (何, 刘, 吴, 张 … by code point). Neither engine can sort
//! by pinyin on its own in the same way (PostgreSQL's ICU collation exists only where the
//! server was built with ICU; SQLite has none), so each name is stored with a **sort key**
//! (`people.name_key`) written beside it, and lists order by that key, compared byte by
//! byte on both engines (`COLLATE "C"` on PostgreSQL, `BINARY` on SQLite).
//!
//! The key is ASCII, then the name itself:
//! - each character's reading in toneless pinyin followed by its tone (1–4, 5 for the
//!   neutral tone), `ü` written `v` (as input methods do, so 吕 `lv3` comes after 卢 `lu2`);
//! - the first character read as a surname where its surname reading differs from the
//!   everyday one (曾 `zeng1`, 单 `shan4`, 解 `xie4`, 仇 `qiu2` …);
//! - Latin letters lowercased, digits kept; anything else without a reading (the middle dot
//!   of 阿依古丽·买买提, spaces) leaves no mark;
//! - then a space, lower than any letter, so that 张 sorts before 张三, and the name, so that
//!   two names read alike (张三, 章三) always come out in the same order.
//!
//! Compared as bytes, `li3` comes before `lin2` (a digit is lower than a letter): 李 before
//! 林, as in a dictionary.

use pinyin::ToPinyin;

/// Readings of a surname that differ from the character's everyday reading (the pinyin
/// data gives the everyday one).
const SURNAMES: &[(char, &str)] = &[
    ('曾', "zeng1"),
    ('单', "shan4"),
    ('解', "xie4"),
    ('仇', "qiu2"),
    ('区', "ou1"),
    ('查', "zha1"),
    ('朴', "piao2"),
    ('盖', "ge3"),
    ('乐', "yue4"),
    ('尉', "yu4"),
    ('召', "shao4"),
    ('缪', "miao4"),
    ('翟', "zhai2"),
    ('覃', "qin2"),
    ('任', "ren2"),
    ('华', "hua4"),
    ('纪', "ji3"),
    ('宁', "ning4"),
    ('沈', "shen3"),
    ('燕', "yan1"),
    ('秘', "bi4"),
    ('重', "chong2"),
    ('种', "chong2"),
    ('朝', "chao2"),
    ('柏', "bai3"),
    ('藏', "zang4"),
    ('隗', "wei3"),
    ('员', "yun4"),
];

/// The longest key kept: a name is at most a few dozen characters, and a key longer than
/// this orders as well by its prefix and the name behind it.
const MAX_READINGS: usize = 256;

/// The sort key of a person's name (see the module's documentation).
pub fn name_key(name: &str) -> String {
    let mut key = String::with_capacity(name.len() * 3 + 1);
    for (position, (ch, reading)) in name.chars().zip(name.to_pinyin()).enumerate() {
        if key.len() >= MAX_READINGS {
            break;
        }
        if position == 0
            && let Some((_, surname)) = SURNAMES.iter().find(|(c, _)| *c == ch)
        {
            key.push_str(surname);
            continue;
        }
        match reading {
            Some(reading) => {
                key.extend(
                    reading
                        .plain()
                        .chars()
                        .map(|c| if c == 'ü' { 'v' } else { c }),
                );
                let tone = reading
                    .with_tone_num_end()
                    .chars()
                    .last()
                    .filter(char::is_ascii_digit)
                    .unwrap_or('5');
                key.push(tone);
            }
            None if ch.is_ascii_alphanumeric() => key.push(ch.to_ascii_lowercase()),
            None => {}
        }
    }
    key.push(' ');
    key.push_str(name);
    key
}

#[cfg(test)]
mod tests {
    use super::name_key;

    fn sorted(names: &[&str]) -> Vec<String> {
        let mut names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
        names.sort_by_key(|n| name_key(n));
        names
    }

    #[test]
    fn surnames_come_in_dictionary_order() {
        assert_eq!(
            sorted(&["赵", "张", "吴", "刘", "何", "陈", "包", "阿"]),
            ["阿", "包", "陈", "何", "刘", "吴", "张", "赵"]
        );
    }

    #[test]
    fn a_shorter_reading_comes_first() {
        assert_eq!(
            sorted(&["林芳", "李明", "张三", "张"]),
            ["李明", "林芳", "张", "张三"]
        );
    }

    #[test]
    fn surname_readings_and_u_umlaut() {
        // 曾 read zeng as a surname: after 张 (zhang), not beside 陈 (chen)
        assert_eq!(sorted(&["曾强", "陈强", "张强"]), ["陈强", "曾强", "张强"]);
        assert_eq!(sorted(&["吕伟", "卢伟", "罗伟"]), ["卢伟", "罗伟", "吕伟"]);
        assert!(name_key("单明").starts_with("shan4"));
    }

    #[test]
    fn the_key_is_ascii_then_the_name() {
        let key = name_key("阿依古丽·买买提");
        assert_eq!(key, "a1yi1gu3li4mai3mai3ti2 阿依古丽·买买提");
        assert!(name_key("Anna李").starts_with("annali3 "));
    }
}
