//! `anpi audit verify`: the log's hash chain and the children's reported heads, as the
//! node walks them (L-05, U-01). Exits non-zero when anything is found.

use anpi_proto::v1;

use crate::client::{self, explain};
use crate::output::{emit, follow_progress};

/// The first 16 hex digits of a link, as the node's messages shorten it.
fn short(link: &[u8]) -> String {
    link.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

/// What a break means, in Japanese.
fn break_text(found: &v1::ChainBreak) -> String {
    let p = found.position;
    match found.kind.as_str() {
        "missing" if found.to == p => {
            format!("位置 {p} のイベントがありません（削除されています）")
        }
        "missing" => format!(
            "位置 {p}〜{} のイベントがありません（削除されています）",
            found.to
        ),
        "altered" => format!(
            "位置 {p} のイベントが改変されています（内容がハッシュと一致しません。後続のイベントはそのハッシュから続いています）"
        ),
        "reordered" => format!(
            "位置 {p} と位置 {} のイベントが入れ替えられています",
            found.with
        ),
        "broken" => format!(
            "位置 {p} で連鎖が途切れています（このイベントがハッシュごと書き換えられたか、直前のイベントが改変されてハッシュを付け直されています）"
        ),
        "unlinked" => format!("位置 {p} のイベントにハッシュがありません"),
        _ => found.description.clone(),
    }
}

pub async fn verify(
    client: &mut client::NodeClient,
    from: i64,
    expect: &str,
    json: bool,
) -> anyhow::Result<()> {
    let stream = client
        .verify_log(v1::VerifyLogRequest {
            from,
            expect: expect.to_string(),
        })
        .await
        .map_err(explain)?
        .into_inner();
    let done =
        follow_progress(stream, json, "検査中", |p| p.done, |p| (p.position, p.last)).await?;
    emit(json, &done, |d| {
        let mut text = String::new();
        match &d.r#break {
            None => {
                text += &format!(
                    "ハッシュの連鎖は保たれています: {}件を検査、{:.1}秒\n",
                    d.checked, d.seconds
                );
                // The head in full, to keep outside the node (--expect later).
                text += &format!(
                    "末尾（控えておくと --expect で照合できます）: {}:{}\n",
                    d.head_position,
                    d.head_link
                        .iter()
                        .map(|b| format!("{b:02x}"))
                        .collect::<String>()
                );
            }
            Some(found) => {
                text += &format!("改ざんを検出しました: {}\n", break_text(found));
                text += &format!(
                    "  それまでの {}件は連鎖が保たれています（位置 {} まで）\n",
                    d.checked, d.head_position
                );
            }
        }
        for r in &d.rewritten {
            text += &format!(
                "下位団体 {} が報告済みの履歴を書き換えています: 報告 {}（この団体の位置 {} で受信）は、{} の位置 {} のハッシュを {}… としていますが、前回の報告では {}… でした\n",
                r.from,
                r.seq,
                r.position,
                r.from,
                r.at,
                short(&r.claimed),
                short(&r.recorded)
            );
        }
        match d.kept_head.as_str() {
            "holds" => text += "控えた末尾のハッシュは、いまもログにあります\n",
            "shorter" => {
                text += "控えた末尾の位置までログがありません（末尾のイベントが削除されています）\n"
            }
            "differs" => {
                text += "控えた末尾の位置のハッシュが控えと一致しません（それまでの履歴が書き換えられています）\n"
            }
            _ => {}
        }
        for m in &d.head_mismatches {
            text += &format!("報告の末尾ハッシュが受信したイベントと一致しません: {m}\n");
        }
        text
    })?;
    if !done.ok {
        anyhow::bail!("the log's hash chain or a child's reported history does not verify");
    }
    Ok(())
}
