//! `anpi publication`: record a publication decision (公表) about a record, show a
//! record's decisions, and the publication list of an incident, as a table, JSON or a
//! CSV file. R.

use std::path::Path;

use anpi_files::{OutEncoding, publication_heading, write_publication_csv};
use anpi_proto::v1;

use crate::PublicationCmd;
use crate::client::{self, explain};
use crate::export_csv::CsvEncoding;
use crate::output::{emit, jst_time};
use crate::table::render;

fn status_text(s: &v1::PublicationStatus) -> String {
    let mut text = format!(
        "安否情報 {}（収集した団体 {}{}）\n",
        s.record_id,
        s.origin,
        if s.collected_here {
            "：この団体"
        } else {
            "：他団体。判断は収集団体に確認したもの"
        }
    );
    match s.history.last() {
        None => {
            text += "公表の判断: まだありません（親族・同居者・知人以外からの照会には該当・非該当のみ回答します）\n"
        }
        Some(d) => text += &format!("公表の判断: {}（{}）\n", d.label, jst_time(&d.decided_at)),
    }
    if !s.history.is_empty() {
        let rows: Vec<Vec<String>> = s
            .history
            .iter()
            .map(|d| {
                vec![
                    jst_time(&d.decided_at),
                    d.label.clone(),
                    d.actor.clone(),
                    d.basis_label.clone(),
                    d.reason.clone(),
                    if d.confirmed_body.is_empty() {
                        String::new()
                    } else {
                        format!("{}：{}", d.confirmed_body, d.confirmed_contact)
                    },
                ]
            })
            .collect();
        text += &render(
            &["日時", "判断", "記録者", "根拠", "理由", "確認した収集団体"],
            &rows,
        );
    }
    text
}

fn age(p: &v1::PublishedPerson) -> String {
    if p.age < 0 {
        String::new()
    } else {
        p.age.to_string()
    }
}

pub async fn run(client: &mut client::NodeClient, command: PublicationCmd) -> anyhow::Result<()> {
    match command {
        PublicationCmd::Decide {
            record,
            publish,
            withhold,
            reason,
            contact,
            json,
        } => {
            let decision = match (publish, withhold) {
                (true, false) => "publish",
                (false, true) => "withhold",
                _ => anyhow::bail!(
                    "--publish（公表する）か --withhold（公表しない）のどちらかを指定してください"
                ),
            };
            let status = client
                .decide_publication(v1::DecidePublicationRequest {
                    record_id: record,
                    decision: decision.into(),
                    reason: reason.unwrap_or_default(),
                    contact: contact.unwrap_or_default(),
                })
                .await
                .map_err(explain)?
                .into_inner();
            emit(json, &status, |s| {
                format!("公表の判断を記録しました。\n{}", status_text(s))
            })
        }
        PublicationCmd::Show { record, json } => {
            let status = client
                .get_publication(v1::GetPublicationRequest { record_id: record })
                .await
                .map_err(explain)?
                .into_inner();
            emit(json, &status, status_text)
        }
        PublicationCmd::List {
            incident,
            csv,
            encoding,
            json,
        } => {
            let incident = crate::lookup::pick_incident(client, incident).await?;
            let list = client
                .list_publication(v1::ListPublicationRequest {
                    incident_id: incident.id.clone(),
                })
                .await
                .map_err(explain)?
                .into_inner();
            match csv {
                Some(path) => write_csv(&incident, &list, &path, encoding),
                None => emit(json, &list, |l| {
                    let rows: Vec<Vec<String>> = l
                        .people
                        .iter()
                        .map(|p| vec![p.name.clone(), age(p), p.municipality.clone()])
                        .collect();
                    format!(
                        "公表一覧 事案 {}（{}） {}人\n{}",
                        incident.name,
                        incident.mode_label,
                        l.people.len(),
                        render(&["氏名", "年齢", "市区町村"], &rows)
                    )
                }),
            }
        }
    }
}

/// The list as the console's `/publication.csv`: the heading line with the incident
/// and its mode, then 氏名, 年齢, 市区町村; written whole or not at all.
fn write_csv(
    incident: &v1::Incident,
    list: &v1::ListPublicationResponse,
    path: &Path,
    encoding: CsvEncoding,
) -> anyhow::Result<()> {
    let now =
        chrono::Utc::now().with_timezone(&chrono::FixedOffset::east_opt(9 * 3600).expect("offset"));
    let heading = publication_heading(
        &incident.name,
        incident.mode == "drill",
        &now.format("%Y-%m-%d %H:%M").to_string(),
    );
    let rows: Vec<[String; 3]> = list
        .people
        .iter()
        .map(|p| [p.name.clone(), age(p), p.municipality.clone()])
        .collect();
    let encoding = match encoding {
        CsvEncoding::Cp932 => OutEncoding::Cp932,
        CsvEncoding::Utf8 => OutEncoding::Utf8Bom,
    };
    let bytes = write_publication_csv(&rows, encoding, &heading).map_err(|e| anyhow::anyhow!(e))?;
    crate::out_file::write_atomically(path, &bytes, true, false)?;
    println!(
        "{}人を {} に書き出しました（事案 {}（{}））",
        rows.len(),
        path.display(),
        incident.name,
        incident.mode_label
    );
    Ok(())
}
