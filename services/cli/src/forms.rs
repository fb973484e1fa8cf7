//! `anpi form3`, `anpi form5`, `anpi form 1|2|4`: the ministerial forms as PDF
//! (`anpi-forms`). R: C-03, R-06, T-04, A-06.
//!
//! Form 3 (安否情報報告書) holds the chosen records of one incident, read from the node
//! as an export (logged in the read log); Form 5 (安否情報回答書) is the answer an
//! inquiry was given, from the inquiry's state as the node keeps it; Forms 1, 2 and 4
//! are blank (no node needed), or filled in from an entry file, a stored record or an
//! inquiry file. The records and inquiries come back from the wire as the domain's
//! values, so the PDF shows exactly what the domain decided. A form of a drill says
//! 【訓練】 on every page. Files are written whole or not at all (a temporary file
//! renamed into place), with mode 600 when they hold personal data.

use std::path::{Path, PathBuf};

use anpi_core::entry::{self, EntryDraft, FormKind};
use anpi_core::event::Actor;
use anpi_core::ids::{AccountId, IncidentId, RecordId};
use anpi_core::incident::{Incident, IncidentMode};
use anpi_core::inquiry::{InquiryDraft, InquiryState, InquiryStatus};
use anpi_core::jurisdiction::JurisdictionCode;
use anpi_core::private_area::{Deletion, Departure, RecordState};
use anpi_forms::{Filled, Form3Header, FormFont};
use anpi_proto::v1;
use anyhow::{Context, anyhow, bail};
use chrono::{DateTime, FixedOffset, NaiveDate, Utc};

use crate::client::{self, explain};
use crate::lookup::{all_records, pick_incident};
use crate::out_file::write_atomically;

/// `anpi form3`.
#[derive(clap::Args)]
pub struct Form3Args {
    /// The incident (ID or name); may be omitted when the node has exactly one, or
    /// when --record is given.
    #[arg(long)]
    incident: Option<String>,
    /// Only these records (repeat the option), in this order; default: every record
    /// of the incident.
    #[arg(long = "record")]
    records: Vec<String>,
    /// Include deleted records (shown as 削除 with the reason).
    #[arg(long)]
    include_deleted: bool,
    /// The reporting body as printed (e.g. 千代田区長); default: from the node's tier.
    #[arg(long)]
    body: Option<String>,
    /// 担当者 printed under the body (optional).
    #[arg(long)]
    officer: Option<String>,
    /// The PDF to write (default: 様式第3号_安否情報報告書_<事案>_<訓練|実事案>_<日時>.pdf).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Also write the report as a file (R-06: 書面には電磁的記録を含む): the same
    /// records as CSV in the registration template, which the receiving body imports
    /// with `anpi entry import` (CP932).
    #[arg(long)]
    csv: Option<PathBuf>,
}

/// `anpi form5`.
#[derive(clap::Args)]
pub struct Form5Args {
    /// The answered inquiry's ID.
    inquiry: String,
    /// The PDF to write (default: 様式第5号_安否情報回答書_<照会ID>_<訓練|実事案>.pdf).
    #[arg(long)]
    out: Option<PathBuf>,
}

/// `anpi form 1|2|4`.
#[derive(clap::Args)]
pub struct FormArgs {
    /// 1 (様式第1号), 2 (様式第2号) or 4 (様式第4号).
    #[arg(value_parser = ["1", "2", "4"])]
    number: String,
    /// Fill in Form 1 or 2 from an entry file (the JSON `anpi entry add` takes; one entry).
    #[arg(long, conflicts_with_all = ["record", "inquiry"])]
    entry: Option<PathBuf>,
    /// Fill in Form 1 or 2 from a stored record (needs the node).
    #[arg(long, conflicts_with = "inquiry")]
    record: Option<String>,
    /// Fill in Form 4 from an inquiry file (the JSON `anpi inquiry register` takes).
    #[arg(long)]
    inquiry: Option<PathBuf>,
    /// The PDF to write (default: 様式第N号_….pdf in this folder).
    #[arg(long)]
    out: Option<PathBuf>,
}

impl FormArgs {
    /// Only a stored record needs the node.
    pub fn needs_node(&self) -> bool {
        self.record.is_some()
    }
}

fn load_font() -> anyhow::Result<FormFont> {
    FormFont::load().map_err(|error| anyhow!(error.message_ja()))
}

fn render_error(error: anpi_forms::FormError) -> anyhow::Error {
    anyhow!(error.message_ja())
}

/// Japan time now, for file names.
fn jst_now() -> DateTime<FixedOffset> {
    Utc::now().with_timezone(&FixedOffset::east_opt(9 * 3600).expect("offset"))
}

/// A file name safe on Windows and Unix: path and reserved characters become `_`.
fn file_name_part(text: &str) -> String {
    text.trim()
        .chars()
        .map(|c| match c {
            '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|' => '_',
            c if c.is_control() || c.is_whitespace() => '_',
            c => c,
        })
        .collect()
}

fn mode_word(mode: IncidentMode) -> &'static str {
    match mode {
        IncidentMode::Drill => "訓練",
        IncidentMode::Actual => "実事案",
    }
}

fn parse_time(text: &str, what: &str) -> anyhow::Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .with_context(|| format!("{what}を読み取れません: {text}"))
}

/// An incident from the wire.
pub(crate) fn incident_of(wire: &v1::Incident) -> anyhow::Result<Incident> {
    Ok(Incident {
        id: wire
            .id
            .parse::<IncidentId>()
            .with_context(|| format!("事案IDを読み取れません: {}", wire.id))?,
        name: wire.name.clone(),
        mode: IncidentMode::parse(&wire.mode)
            .with_context(|| format!("事案の種別を読み取れません: {}", wire.mode))?,
        created_at: parse_time(&wire.created_at, "事案の作成日時").unwrap_or_else(|_| Utc::now()),
    })
}

/// A record from the wire as the private area holds it: the entry validated again
/// from the raw draft (as the node did when it was recorded), the state from the
/// record's labels. The wire does not carry who deleted or recorded a departure, nor
/// when; those parts of the state take the record's own actor and 受信日時 (they are
/// not printed).
pub(crate) fn record_state(wire: v1::Record) -> anyhow::Result<RecordState> {
    let id = wire.record_id.clone();
    let draft = anpi_proto::draft_from_proto(wire.draft.unwrap_or_default())
        .map_err(|e| anyhow!("安否情報 {id} の記入内容を読み取れません: {e}"))?;
    let received_at = parse_time(&wire.received_at, "受信日時")?;
    let entry = entry::validate(&draft, received_at).map_err(|errors| {
        let problems: Vec<String> = errors
            .iter()
            .map(|e| format!("{}: {}", e.label, e.message))
            .collect();
        anyhow!(
            "安否情報 {id} の記入内容を確認できません: {}",
            problems.join("、")
        )
    })?;
    let incident = wire
        .incident
        .as_ref()
        .with_context(|| format!("安否情報 {id} の事案がわかりません"))?;
    let actor = {
        let (code, account) = wire
            .entered_by
            .split_once('/')
            .with_context(|| format!("記入者を読み取れません: {}", wire.entered_by))?;
        Actor {
            jurisdiction: JurisdictionCode::parse(code)
                .map_err(|e| anyhow!("記入者の団体コードを読み取れません: {e}"))?,
            account: AccountId::parse(account)
                .map_err(|e| anyhow!("記入者のIDを読み取れません: {e}"))?,
        }
    };
    let deletion = (wire.state == "deleted").then(|| Deletion {
        reason: wire.deleted_reason.clone(),
        at: received_at,
        actor: actor.clone(),
    });
    let departure = match wire.departed_on.trim() {
        "" => None,
        date => Some(Departure {
            date: NaiveDate::parse_from_str(date, "%Y-%m-%d")
                .with_context(|| format!("退去日を読み取れません: {date}"))?,
            at: received_at,
            actor: actor.clone(),
        }),
    };
    Ok(RecordState {
        record_id: id
            .parse::<RecordId>()
            .with_context(|| format!("安否情報IDを読み取れません: {id}"))?,
        incident: incident_of(incident)?.id,
        entry,
        origin: JurisdictionCode::parse(&wire.collected_by)
            .map_err(|e| anyhow!("収集した団体のコードを読み取れません: {e}"))?,
        actor,
        received_at,
        recorded_position: wire.recorded_position,
        last_position: wire.last_position,
        deletion,
        departure,
        duplicate_of: None,
    })
}

/// The incident named by ID or by name; the only one when not named.
async fn incident_by_id_or_name(
    client: &mut client::NodeClient,
    given: Option<String>,
) -> anyhow::Result<v1::Incident> {
    let Some(given) = given else {
        return pick_incident(client, None).await;
    };
    let incidents = client
        .list_incidents(v1::ListIncidentsRequest {})
        .await
        .map_err(explain)?
        .into_inner()
        .incidents;
    let wanted = given.trim();
    if let Some(found) = incidents.iter().find(|i| i.id == wanted) {
        return Ok(found.clone());
    }
    let named: Vec<&v1::Incident> = incidents
        .iter()
        .filter(|i| i.name.trim() == wanted)
        .collect();
    match named.as_slice() {
        [one] => Ok((*one).clone()),
        [] => bail!("事案 {wanted} が見つかりません。`anpi incident list` で確認してください"),
        _ => bail!("事案名「{wanted}」の事案が複数あります。--incident で事案IDを指定してください"),
    }
}

/// The head of the jurisdiction as Form 3 names the reporting body.
fn default_body(info: &v1::NodeInfo) -> (String, bool) {
    match info.tier.as_str() {
        "national" => ("総務大臣".to_string(), false),
        "prefecture" => {
            let name = JurisdictionCode::parse(&info.jurisdiction)
                .ok()
                .and_then(|code| anpi_core::prefecture::name_of(code.prefecture_number()));
            match name {
                Some(name) => (format!("{name}知事"), false),
                None => (format!("都道府県知事（{}）", info.jurisdiction), true),
            }
        }
        _ => (format!("市区町村長（{}）", info.jurisdiction), true),
    }
}

/// `anpi form3`.
pub async fn form3(client: &mut client::NodeClient, args: Form3Args) -> anyhow::Result<()> {
    // The font first: nothing is read (and logged) when the form cannot be printed.
    let font = load_font()?;
    let info = client
        .get_node_info(v1::GetNodeInfoRequest {})
        .await
        .map_err(explain)?
        .into_inner();
    let (wire_incident, wire_records) = if args.records.is_empty() {
        let incident = incident_by_id_or_name(client, args.incident).await?;
        let records = all_records(
            client,
            incident.id.clone(),
            args.include_deleted,
            true,
            |n| {
                eprintln!("読み込み中: {n}件");
            },
        )
        .await?;
        (incident, records)
    } else {
        let mut records = Vec::new();
        for id in &args.records {
            let record = client
                .get_record(v1::GetRecordRequest {
                    record_id: id.clone(),
                })
                .await
                .map_err(explain)?
                .into_inner();
            records.push(record);
        }
        let incident = match args.incident {
            Some(given) => incident_by_id_or_name(client, Some(given)).await?,
            None => records[0]
                .incident
                .clone()
                .context("安否情報の事案がわかりません")?,
        };
        // T-04: one report, one incident; drill and actual data never share a form.
        if let Some(other) = records
            .iter()
            .find(|r| r.incident.as_ref().map(|i| &i.id) != Some(&incident.id))
        {
            bail!(
                "安否情報 {} は事案「{}」のものではありません。1つの報告書には1つの事案の安否情報だけを記載します（訓練と実事案は混ぜません）",
                other.record_id,
                incident.name
            );
        }
        (incident, records)
    };
    let incident = incident_of(&wire_incident)?;
    eprintln!("事案: {}（{}）", incident.name, wire_incident.mode_label);
    let csv_rows = match &args.csv {
        Some(_) => Some(
            wire_records
                .iter()
                .cloned()
                .map(crate::export_csv::export_row)
                .collect::<anyhow::Result<Vec<_>>>()?,
        ),
        None => None,
    };
    let records = wire_records
        .into_iter()
        .map(record_state)
        .collect::<anyhow::Result<Vec<_>>>()?;
    let body = match args.body {
        Some(body) if !body.trim().is_empty() => body,
        _ => {
            let (body, guessed) = default_body(&info);
            if guessed {
                eprintln!(
                    "報告者を「{body}」としました。団体名で記載する場合は --body \"千代田区長\" のように指定してください"
                );
            }
            body
        }
    };
    let header = Form3Header {
        reported_at: Utc::now(),
        body,
        officer: args.officer,
    };
    let bytes = anpi_forms::form3(&font, &header, &records, &incident).map_err(render_error)?;
    let path = args.out.unwrap_or_else(|| {
        PathBuf::from(format!(
            "様式第3号_安否情報報告書_{}_{}_{}.pdf",
            file_name_part(&incident.name),
            mode_word(incident.mode),
            jst_now().format("%Y%m%d%H%M")
        ))
    });
    let csv = match (&args.csv, csv_rows) {
        (Some(csv), Some(rows)) => {
            let heading = anpi_files::export_heading(
                &format!(
                    "{}（様式第3号 安否情報報告書 {}）",
                    incident.name, header.body
                ),
                incident.mode == IncidentMode::Drill,
                &format!("{}（日本時間）", jst_now().format("%Y-%m-%d %H:%M")),
            );
            let bytes =
                anpi_files::write_entries_csv(&rows, anpi_files::OutEncoding::Cp932, &heading)
                    .map_err(|e| anyhow!("{e}（--csv の文字コードは Shift_JIS です）"))?;
            Some((csv, bytes))
        }
        _ => None,
    };
    write_atomically(&path, &bytes, true, false)?;
    println!(
        "様式第3号（安否情報報告書）{}件を {} に書き出しました（事案 {}（{}））",
        records.len(),
        path.display(),
        incident.name,
        mode_word(incident.mode)
    );
    if let Some((csv, bytes)) = csv {
        write_atomically(csv, &bytes, true, false)?;
        println!(
            "同じ{}件を取込様式のCSV {} に書き出しました（報告先で `anpi entry import` で取り込めます）",
            records.len(),
            csv.display()
        );
    }
    Ok(())
}

/// The answering body as the stored Form 5 text names it: the first line after the
/// addressee's (…殿).
pub(crate) fn answering_body_of(form5: &str) -> Option<String> {
    let mut lines = form5.lines().skip_while(|l| !l.trim_end().ends_with('殿'));
    lines.next()?;
    lines
        .map(str::trim)
        .find(|l| !l.is_empty())
        .map(str::to_string)
}

/// `anpi form5`.
pub async fn form5(client: &mut client::NodeClient, args: Form5Args) -> anyhow::Result<()> {
    let font = load_font()?;
    let view = client
        .get_inquiry(v1::InquiryRequest {
            inquiry_id: args.inquiry.clone(),
        })
        .await
        .map_err(explain)?
        .into_inner();
    let state: InquiryState = serde_json::from_str(&view.state_json)
        .context("照会の状態を読み取れません（ノードと anpi のバージョンを確認してください）")?;
    let answered = match (state.status(), &state.answered) {
        (InquiryStatus::Answered, Some(answered)) => answered,
        (InquiryStatus::Refused, _) => bail!(
            "照会 {} は回答を拒否しています。回答書（様式第5号）はありません",
            view.inquiry_id
        ),
        _ => bail!(
            "照会 {} はまだ回答していません（状態: {}）。`anpi inquiry answer {}` で回答してから様式第5号を出力してください",
            view.inquiry_id,
            view.status_label,
            view.inquiry_id
        ),
    };
    let incident = incident_of(view.incident.as_ref().context("照会の事案がわかりません")?)?;
    let body = answering_body_of(&answered.form5)
        .context("回答書の回答者（市区町村長など）を読み取れません")?;
    let bytes = anpi_forms::form5(
        &font,
        &state.inquiry,
        &answered.answer,
        &incident,
        &body,
        answered.step.at,
    )
    .map_err(render_error)?;
    let path = args.out.unwrap_or_else(|| {
        PathBuf::from(format!(
            "様式第5号_安否情報回答書_{}_{}.pdf",
            file_name_part(&view.inquiry_id),
            mode_word(incident.mode)
        ))
    });
    write_atomically(&path, &bytes, true, false)?;
    println!(
        "様式第5号（安否情報回答書）を {} に書き出しました（事案 {}（{}））",
        path.display(),
        incident.name,
        mode_word(incident.mode)
    );
    Ok(())
}

fn kind_of(number: &str) -> FormKind {
    match number {
        "2" => FormKind::Form2,
        _ => FormKind::Form1,
    }
}

fn check_kind(number: &str, form: FormKind) -> anyhow::Result<()> {
    let wanted = kind_of(number);
    if number == "4" {
        bail!(
            "様式第4号は照会ファイル（--inquiry）から記入します。--entry / --record は様式第1号・第2号に使います"
        );
    }
    if form != wanted {
        bail!(
            "この記入は{}です。`anpi form {}` で出力してください",
            form.label_ja(),
            if form == FormKind::Form2 { "2" } else { "1" }
        );
    }
    Ok(())
}

/// One entry of an entry file, and the drill it was exported from, if any.
fn read_entry(path: &Path) -> anyhow::Result<(EntryDraft, Option<Incident>)> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("{} を読み取れません", path.display()))?;
    let file =
        crate::entry_file::parse_file(&text).map_err(|e| anyhow!("{}: {e}", path.display()))?;
    let mut entries = file.entries;
    if entries.len() != 1 {
        bail!(
            "{} には{}件の記入があります。様式は1件ずつ出力します（1件だけのファイルを指定してください）",
            path.display(),
            entries.len()
        );
    }
    let (_, draft) = entries.remove(0);
    let draft = draft.map_err(|e| anyhow!("{}: {e}", path.display()))?;
    // T-04: an export of a drill prints as a drill.
    let drill = file.export.filter(|e| e.mode == "drill").map(|e| Incident {
        id: e.incident_id.parse().unwrap_or_else(|_| {
            "00000000-0000-0000-0000-000000000000"
                .parse()
                .expect("the nil UUID")
        }),
        name: e.incident_name,
        mode: IncidentMode::Drill,
        created_at: Utc::now(),
    });
    Ok((draft, drill))
}

fn read_inquiry(path: &Path) -> anyhow::Result<anpi_core::inquiry::Inquiry> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("{} を読み取れません", path.display()))?;
    let draft: InquiryDraft = serde_json::from_str(text.trim_start_matches('\u{feff}'))
        .map_err(|e| anyhow!("{} を照会ファイルとして読み取れません: {e}", path.display()))?;
    anpi_core::inquiry::validate(&draft, Utc::now()).map_err(|errors| {
        let problems: Vec<String> = errors
            .iter()
            .map(|e| format!("{}: {}", e.label, e.message))
            .collect();
        anyhow!(
            "{} の照会に誤りがあります: {}",
            path.display(),
            problems.join("、")
        )
    })
}

fn default_form_path(number: &str, what: &str) -> PathBuf {
    PathBuf::from(format!("様式第{number}号_{}.pdf", file_name_part(what)))
}

fn stem(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// `anpi form 1|2|4` without a stored record: no node needed.
pub fn local_form(args: FormArgs) -> anyhow::Result<std::process::ExitCode> {
    let font = load_font()?;
    let number = args.number.as_str();
    let (bytes, path, personal) = match (number, &args.entry, &args.inquiry) {
        ("4", Some(_), _) => bail!(
            "様式第4号は照会ファイル（--inquiry）から記入します。--entry は様式第1号・第2号に使います"
        ),
        ("4", None, Some(file)) => {
            let inquiry = read_inquiry(file)?;
            let bytes = anpi_forms::form4(&font, Some(&inquiry), None).map_err(render_error)?;
            (bytes, default_form_path(number, &stem(file)), true)
        }
        ("4", None, None) => {
            let bytes = anpi_forms::form4(&font, None, None).map_err(render_error)?;
            (bytes, default_form_path(number, "空欄"), false)
        }
        (_, _, Some(_)) => bail!("--inquiry は様式第4号（anpi form 4）に使います"),
        (_, Some(file), None) => {
            let (draft, drill) = read_entry(file)?;
            check_kind(number, draft.form)?;
            let bytes = anpi_forms::collection_form(
                &font,
                draft.form,
                Filled::Draft(&draft),
                drill.as_ref(),
            )
            .map_err(render_error)?;
            let mut name = stem(file);
            if drill.is_some() {
                name.push_str("_訓練");
            }
            (bytes, default_form_path(number, &name), true)
        }
        (_, None, None) => {
            let bytes = anpi_forms::collection_form(&font, kind_of(number), Filled::Blank, None)
                .map_err(render_error)?;
            (bytes, default_form_path(number, "空欄"), false)
        }
    };
    let path = args.out.unwrap_or(path);
    // A blank form may replace an earlier print of itself; a filled one never does.
    write_atomically(&path, &bytes, personal, !personal)?;
    println!("様式第{number}号を {} に書き出しました", path.display());
    Ok(std::process::ExitCode::SUCCESS)
}

/// `anpi form 1|2 --record ID`.
pub async fn record_form(client: &mut client::NodeClient, args: FormArgs) -> anyhow::Result<()> {
    let Some(id) = args.record.clone() else {
        local_form(args)?;
        return Ok(());
    };
    let number = args.number.as_str();
    if number == "4" {
        check_kind(number, FormKind::Form1)?;
    }
    let font = load_font()?;
    let wire = client
        .get_record(v1::GetRecordRequest {
            record_id: id.clone(),
        })
        .await
        .map_err(explain)?
        .into_inner();
    let incident = wire.incident.as_ref().map(incident_of).transpose()?;
    let record = record_state(wire)?;
    check_kind(number, record.entry.draft.form)?;
    let bytes = anpi_forms::collection_form(
        &font,
        record.entry.draft.form,
        Filled::Record(&record),
        incident.as_ref(),
    )
    .map_err(render_error)?;
    let mode = incident.as_ref().map(|i| mode_word(i.mode)).unwrap_or("");
    let path = args
        .out
        .unwrap_or_else(|| default_form_path(number, &format!("{}_{mode}", record.record_id)));
    write_atomically(&path, &bytes, true, false)?;
    println!("様式第{number}号を {} に書き出しました", path.display());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_answering_body_is_the_line_after_the_addressee() {
        let text = "【訓練】\n様式第5号（第4条関係）\n\n安否情報回答書\n\n令和8年11月22日\n\n消防　花子　殿\n\n千代田区長\n\n令和8年11月22日付けで…\n";
        assert_eq!(answering_body_of(text).as_deref(), Some("千代田区長"));
        assert_eq!(answering_body_of("様式第5号"), None);
    }

    #[test]
    fn file_names_lose_path_characters() {
        assert_eq!(file_name_part("訓練：地震/津波 A"), "訓練：地震_津波_A");
    }

    #[test]
    fn the_default_body_comes_from_the_tier() {
        let info = |tier: &str, code: &str| v1::NodeInfo {
            tier: tier.into(),
            jurisdiction: code.into(),
            ..Default::default()
        };
        assert_eq!(default_body(&info("national", "000001")).0, "総務大臣");
        assert_eq!(
            default_body(&info("prefecture", "130001")),
            ("東京都知事".to_string(), false)
        );
        assert_eq!(
            default_body(&info("municipality", "131016")),
            ("市区町村長（131016）".to_string(), true)
        );
    }
}
