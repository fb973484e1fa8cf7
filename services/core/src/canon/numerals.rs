//! Kanji numerals (漢数字) → Arabic numbers. R: E-04, E-15.
//!
//! Two notations are read: positional (`一九八一` = 1981, `二〇` = 20) and the
//! multiplicative one with 十/百/千 (`二十三` = 23, `百五` = 105, `千二百` = 1200). The
//! formal digits 壱/弐/参/拾 of old lot numbers (壱番地) count too, and so do their
//! traditional forms 壹/貳/參, which the variant table folds to them. 万 and larger units
//! are not read: no date or lot needs them and 万 occurs in place names (万世橋).

/// Value of a single kanji digit, `None` for anything else. R: E-04, E-15.
pub fn digit_value(c: char) -> Option<u64> {
    Some(match c {
        '〇' | '零' => 0,
        '一' | '壱' | '壹' => 1,
        '二' | '弐' | '貳' => 2,
        '三' | '参' | '參' => 3,
        '四' => 4,
        '五' => 5,
        '六' => 6,
        '七' => 7,
        '八' => 8,
        '九' => 9,
        _ => return None,
    })
}

/// Value of the units 十/拾, 百, 千. R: E-04, E-15.
fn unit_value(c: char) -> Option<u64> {
    match c {
        '十' | '拾' => Some(10),
        '百' => Some(100),
        '千' => Some(1000),
        _ => None,
    }
}

/// Whether `c` is a kanji digit or one of the units 十/拾/百/千. R: E-04, E-15.
pub fn is_kanji_numeral(c: char) -> bool {
    digit_value(c).is_some() || unit_value(c).is_some()
}

/// Value of a run of kanji numerals, or `None` when the run is not a well-formed
/// number (`十十`, `二三十`, an empty run) or would overflow. R: E-04, E-15.
pub fn parse_kanji_number(run: &str) -> Option<u64> {
    let chars: Vec<char> = run.chars().collect();
    if chars.is_empty() {
        return None;
    }
    if chars.iter().all(|c| digit_value(*c).is_some()) {
        return chars.iter().try_fold(0u64, |acc, c| {
            acc.checked_mul(10)?.checked_add(digit_value(*c)?)
        });
    }
    let mut total = 0u64;
    let mut pending: Option<u64> = None;
    let mut last_unit = u64::MAX;
    for c in chars {
        if let Some(digit) = digit_value(c) {
            if pending.is_some() {
                return None;
            }
            pending = Some(digit);
        } else {
            let unit = unit_value(c)?;
            if unit >= last_unit {
                return None;
            }
            let multiplier = pending.take().unwrap_or(1);
            if multiplier == 0 {
                return None;
            }
            total += multiplier * unit;
            last_unit = unit;
        }
    }
    Some(total + pending.unwrap_or(0))
}

/// Replaces every maximal run of kanji numerals in `text` by its Arabic value
/// (`昭和五十六年十一月` → `昭和56年11月`). Runs that are not well-formed numbers are
/// kept as written: nothing is guessed. R: E-04, E-15.
pub fn replace_kanji_numerals(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut run = String::new();
    for c in text.chars() {
        if is_kanji_numeral(c) {
            run.push(c);
            continue;
        }
        flush_run(&mut out, &mut run);
        out.push(c);
    }
    flush_run(&mut out, &mut run);
    out
}

/// Writes a finished run of kanji numerals, converted if well-formed. R: E-04, E-15.
fn flush_run(out: &mut String, run: &mut String) {
    if run.is_empty() {
        return;
    }
    match parse_kanji_number(run) {
        Some(value) => out.push_str(&value.to_string()),
        None => out.push_str(run),
    }
    run.clear();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers() {
        let cases = [
            ("一", Some(1)),
            ("十", Some(10)),
            ("十二", Some(12)),
            ("二十", Some(20)),
            ("二十三", Some(23)),
            ("五十六", Some(56)),
            ("百", Some(100)),
            ("百五", Some(105)),
            ("三百十", Some(310)),
            ("千二百三十四", Some(1234)),
            ("一九八一", Some(1981)),
            ("二〇二四", Some(2024)),
            ("〇", Some(0)),
            ("壱", Some(1)),
            ("弐拾参", Some(23)),
            ("", None),
            ("十十", None),
            ("二三十", None),
            ("百千", None),
            ("〇十", None),
            ("四谷", None),
        ];
        for (run, value) in cases {
            assert_eq!(parse_kanji_number(run), value, "{run}");
        }
    }

    #[test]
    fn traditional_formal_digits() {
        use crate::canon::{address_key, split_address};

        assert_eq!(parse_kanji_number("壹"), Some(1));
        assert_eq!(parse_kanji_number("貳拾參"), Some(23));
        // Found by the `address` fuzz target (`-市4參`): the key folds 參 to the numeral
        // 参, so the splitter must read it as a numeral too, or splitting the address
        // changes its key (`4-3` split, `43` whole).
        let texts = [
            "-市4參",
            "千代田区霞が関1番地參",
            "千代田区霞が関壹丁目貳番參号",
        ];
        for text in texts {
            let parts = split_address(text);
            let lot = format!("{} {}", parts.lot, parts.rest);
            assert_eq!(
                address_key(&parts.prefecture, &parts.municipality, &parts.town, &lot),
                address_key("", "", text, ""),
                "{text}: {parts:?}"
            );
        }
    }

    #[test]
    fn overflow_is_not_a_number() {
        let long: String = std::iter::repeat_n('九', 40).collect();
        assert_eq!(parse_kanji_number(&long), None);
        assert_eq!(replace_kanji_numerals(&long), long);
    }

    #[test]
    fn replacement_in_text() {
        let cases = [
            ("昭和五十六年十一月二十五日", "昭和56年11月25日"),
            ("霞ヶ関二丁目一番二号", "霞ヶ関2丁目1番2号"),
            ("百五番地", "105番地"),
            ("十十日", "十十日"),
            ("abc", "abc"),
            ("", ""),
        ];
        for (text, expected) in cases {
            assert_eq!(replace_kanji_numerals(text), expected, "{text}");
        }
    }
}
