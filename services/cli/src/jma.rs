//! `anpi rollcall jma evaluate FILE… [--conditions FILE] [--json]`: what a sequence of
//! the meteorological agency's earthquake telegrams (気象庁防災情報XML) would dispatch
//! or cancel under the roll-call conditions, and why. R: K-08 (issue 20 item 3).
//!
//! Nothing is sent and no node is needed: the files are read in the order given,
//! parsed by `anpi_files::jma::parse_telegram` and evaluated one after the other by a
//! fresh `anpi_core::rollcall::jma::Evaluator`, each at its own report time. Without
//! `--conditions` the built-in condition 「震度5弱以上（全国）」 is used: 震度5弱 or
//! more in any of the 47 prefectures asks every organisation. A file that cannot be
//! read or parsed is reported with its name and the error, the others are still
//! evaluated, and the command then exits 1. The conditions file and the example
//! telegrams: `schemas/jma/README.md`.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anpi_core::rollcall::Mode;
use anpi_core::rollcall::jma::{Condition, Decision, Evaluator, Telegram};
use anpi_files::jma::{
    JmaError, MAX_CONDITIONS_BYTES, MAX_TELEGRAM_BYTES, parse_conditions, parse_telegram,
};
use anyhow::{Context, bail};
use clap::Subcommand;
use serde::Serialize;

use crate::output::{jst_time, print_json};

#[derive(Subcommand)]
pub enum JmaCmd {
    /// Evaluate telegram files (XML, UTF-8) as one sequence, in the order given, and
    /// print what each would dispatch or cancel and why. Sends nothing.
    Evaluate {
        /// Telegram files, oldest first.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// The conditions (JSON, `schemas/jma/README.md`); default: the built-in
        /// 「震度5弱以上（全国）」, every organisation.
        #[arg(long)]
        conditions: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
}

pub fn run(command: JmaCmd) -> anyhow::Result<ExitCode> {
    let JmaCmd::Evaluate {
        files,
        conditions,
        json,
    } = command;
    let conditions = match &conditions {
        Some(path) => read_conditions(path)?,
        None => vec![Condition::nationwide()],
    };
    let inputs: Vec<(String, Result<Vec<u8>, String>)> = files
        .iter()
        .map(|path| (path.display().to_string(), read_telegram(path)))
        .collect();
    let outcomes = evaluate(&conditions, inputs);
    if json {
        print_json(&outcomes)?;
    } else {
        if conditions.len() == 1 && conditions[0] == Condition::nationwide() {
            eprintln!(
                "条件: 組み込みの「{}」（全組織）。--conditions で条件ファイルを指定できます",
                conditions[0].name
            );
        }
        print!("{}", text(&outcomes));
    }
    let failed = outcomes.iter().filter(|o| o.error.is_some()).count();
    if failed > 0 {
        eprintln!("{failed}件のファイルを読めませんでした");
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

/// Reads and checks a conditions file; every problem at once.
pub(crate) fn read_conditions(path: &Path) -> anyhow::Result<Vec<Condition>> {
    let size = std::fs::metadata(path)
        .with_context(|| format!("条件ファイル {} を読み取れません", path.display()))?
        .len();
    if size > MAX_CONDITIONS_BYTES as u64 {
        bail!(
            "条件ファイル {} が大きすぎます（{size}バイト、{MAX_CONDITIONS_BYTES}バイトまで）",
            path.display()
        );
    }
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("条件ファイル {} を UTF-8 として読めません", path.display()))?;
    parse_conditions(&text).map_err(|problems| {
        anyhow::anyhow!(
            "条件ファイル {} に誤りがあります:\n{}",
            path.display(),
            problems
                .iter()
                .map(|p| format!("  {p}"))
                .collect::<Vec<_>>()
                .join("\n")
        )
    })
}

/// Reads a telegram file, refusing an over-size one before reading it.
fn read_telegram(path: &Path) -> Result<Vec<u8>, String> {
    let file = std::fs::File::open(path).map_err(|error| format!("読み取れません（{error}）"))?;
    let size = file
        .metadata()
        .map_err(|error| format!("読み取れません（{error}）"))?
        .len();
    if size > MAX_TELEGRAM_BYTES as u64 {
        return Err(JmaError::TooLarge {
            bytes: usize::try_from(size).unwrap_or(usize::MAX),
        }
        .to_string());
    }
    let mut bytes = Vec::new();
    file.take(MAX_TELEGRAM_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|error| format!("読み取れません（{error}）"))?;
    Ok(bytes)
}

/// One file's result: the telegram and the decisions, or why it could not be read.
#[derive(Debug, Serialize)]
pub(crate) struct Outcome {
    pub file: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub telegram: Option<Telegram>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decisions: Option<Vec<Decision>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Evaluates the files' contents in order with a fresh evaluator, each telegram at its
/// report time. A file that could not be read or parsed gets its error and changes
/// nothing.
pub(crate) fn evaluate(
    conditions: &[Condition],
    inputs: Vec<(String, Result<Vec<u8>, String>)>,
) -> Vec<Outcome> {
    let mut evaluator = Evaluator::new();
    inputs
        .into_iter()
        .map(|(file, bytes)| {
            let parsed = bytes.and_then(|bytes| parse_telegram(&bytes).map_err(|e| e.to_string()));
            match parsed {
                Ok(telegram) => {
                    let decisions = evaluator.evaluate(conditions, &telegram, telegram.report_time);
                    Outcome {
                        file,
                        telegram: Some(telegram),
                        decisions: Some(decisions),
                        error: None,
                    }
                }
                Err(error) => Outcome {
                    file,
                    telegram: None,
                    decisions: None,
                    error: Some(error),
                },
            }
        })
        .collect()
}

/// The outcomes for people.
pub(crate) fn text(outcomes: &[Outcome]) -> String {
    let mut out = String::new();
    for outcome in outcomes {
        out.push_str(&format!("■ {}\n", outcome.file));
        if let Some(error) = &outcome.error {
            out.push_str(&format!("  読めません: {error}\n\n"));
            continue;
        }
        let (Some(telegram), Some(decisions)) = (&outcome.telegram, &outcome.decisions) else {
            continue;
        };
        out.push_str(&format!("  {}\n", telegram_line(telegram)));
        let mut facts = Vec::new();
        if let Some(max) = telegram.max_intensity {
            facts.push(format!("最大{max}"));
        }
        if let Some(hypocentre) = &telegram.hypocentre {
            facts.push(format!("震源 {hypocentre}"));
        }
        if let Some(magnitude) = &telegram.magnitude {
            facts.push(magnitude.clone());
        }
        if !facts.is_empty() {
            out.push_str(&format!("  {}\n", facts.join("　")));
        }
        for decision in decisions {
            out.push_str(&decision_lines(decision));
        }
        out.push('\n');
    }
    out
}

/// 「震度速報（VXSE51）　通常・発表　EventID 20261206085812　情報番号1　2026-12-06 09:00」
fn telegram_line(telegram: &Telegram) -> String {
    let code = telegram.kind.code();
    let kind = if code.is_empty() {
        telegram.title.clone()
    } else {
        format!("{}（{code}）", telegram.title)
    };
    let mut parts = vec![
        kind,
        format!(
            "{}・{}",
            telegram.status.label(),
            telegram.info_type.label()
        ),
    ];
    if !telegram.event_id.is_empty() {
        parts.push(format!("EventID {}", telegram.event_id));
    }
    if !telegram.serial.is_empty() {
        parts.push(format!("情報番号{}", telegram.serial));
    }
    parts.push(format!(
        "{} 発表",
        jst_time(&telegram.report_time.to_rfc3339())
    ));
    parts.join("　")
}

fn decision_lines(decision: &Decision) -> String {
    match decision {
        Decision::Dispatch {
            condition,
            orgs,
            mode,
            title,
            at,
            reason,
            ..
        } => {
            let whom = if orgs.is_empty() {
                "全組織".to_string()
            } else {
                orgs.iter()
                    .map(|org| org.as_str())
                    .collect::<Vec<_>>()
                    .join("、")
            };
            let kind = match mode {
                Mode::Actual => "送信",
                Mode::Drill => "送信（訓練）",
            };
            format!(
                "  → {kind}: 条件「{condition}」 組織 {whom} 件名「{title}」 予定 {}\n    理由: {reason}\n",
                jst_time(&at.to_rfc3339())
            )
        }
        Decision::Cancel {
            condition, reason, ..
        } => format!("  → 取消: 条件「{condition}」\n    理由: {reason}\n"),
        Decision::Ignore { reason } => format!("  → 送信しない\n    理由: {reason}\n"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example(name: &str) -> (String, Result<Vec<u8>, String>) {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../schemas/jma/examples")
            .join(name);
        (name.to_string(), Ok(std::fs::read(path).unwrap()))
    }

    fn example_conditions() -> Vec<Condition> {
        let path =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../schemas/jma/conditions.example.json");
        read_conditions(&path).unwrap()
    }

    #[test]
    fn the_example_conditions_file_is_read() {
        let conditions = example_conditions();
        assert_eq!(conditions.len(), 2);
        assert_eq!(conditions[0].name, "首都圏 震度5弱以上");
        assert!(conditions[0].drill_on_training);
        assert_eq!(conditions[1].delay_minutes, 10);
    }

    #[test]
    fn a_wrong_conditions_file_names_every_problem() {
        let problems = parse_conditions("[{\"name\": \"x\",").unwrap_err();
        assert!(problems[0].starts_with("1行"), "{problems:?}");
        assert!(
            problems[0].contains("JSON として読めません"),
            "{problems:?}"
        );
        let problems = parse_conditions(
            r#"[{"name": "x", "min_intensity": "3", "targets": [{"areas": ["9"]}]}]"#,
        )
        .unwrap_err();
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems[0].contains("震度4以上"), "{problems:?}");
        assert!(
            problems[1].contains("細分区域コードは半角数字3桁"),
            "{problems:?}"
        );
        assert_eq!(
            parse_conditions("[]").unwrap_err(),
            ["条件が1つもありません"]
        );
    }

    #[test]
    fn a_bad_file_is_reported_and_the_others_still_evaluated() {
        let outcomes = evaluate(
            &[Condition::nationwide()],
            vec![
                (
                    "missing.xml".into(),
                    Err("読み取れません（No such file）".into()),
                ),
                example("08-malformed.xml"),
                example("01-vxse51-shindo-sokuhou.xml"),
            ],
        );
        assert_eq!(
            outcomes[0].error.as_deref(),
            Some("読み取れません（No such file）")
        );
        let malformed = outcomes[1].error.as_deref().unwrap();
        assert!(
            malformed.contains("XMLとして正しくありません"),
            "{malformed}"
        );
        assert!(malformed.contains("バイト目"), "{malformed}");
        let decisions = outcomes[2].decisions.as_ref().unwrap();
        assert!(
            matches!(decisions[0], Decision::Dispatch { .. }),
            "{decisions:?}"
        );
    }

    #[test]
    fn the_text_names_the_telegram_and_each_decision_with_its_reason() {
        let outcomes = evaluate(
            &example_conditions(),
            vec![
                example("01-vxse51-shindo-sokuhou.xml"),
                example("04-vxse53-torikeshi.xml"),
                example("08-malformed.xml"),
            ],
        );
        let text = text(&outcomes);
        for expected in [
            "■ 01-vxse51-shindo-sokuhou.xml",
            "震度速報（VXSE51）　通常・発表　EventID 20261206085812　情報番号1　2026-12-06 09:00 発表",
            "最大震度5強",
            "→ 送信: 条件「首都圏 震度5弱以上」 組織 honsha 件名「東京都２３区で震度5強の地震（安否確認）」 予定 2026-12-06 09:00",
            "→ 送信しない\n    理由: 「震度速報」",
            "震度6弱に達していない",
            "→ 取消: 条件「首都圏 震度5弱以上」",
            "■ 08-malformed.xml\n  読めません: XMLとして正しくありません",
        ] {
            assert!(text.contains(expected), "{expected}\n---\n{text}");
        }
    }
}
