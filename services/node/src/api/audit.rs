//! The log verification RPC's stream (L-05, U-01): `app::audit` progress on the wire.

use anpi_core::chain::{Break, KeptHead};
use anpi_proto::v1;
use tokio::sync::mpsc::UnboundedReceiver;

use crate::app::AppError;
use crate::app::audit::VerifyProgress;

pub type VerifyStream = super::organise::ProgressStream<v1::VerifyLogProgress>;

pub fn verify_stream(
    receiver: UnboundedReceiver<Result<VerifyProgress, AppError>>,
) -> VerifyStream {
    super::organise::progress_stream(receiver, progress)
}

fn chain_break(found: &Break) -> v1::ChainBreak {
    let mut out = v1::ChainBreak {
        position: found.position(),
        description: found.describe(),
        ..Default::default()
    };
    out.kind = match found {
        Break::Missing { to, .. } => {
            out.to = *to;
            "missing"
        }
        Break::Altered { .. } => "altered",
        Break::Reordered { with, .. } => {
            out.with = *with;
            "reordered"
        }
        Break::Broken { .. } => "broken",
        Break::Unlinked { .. } => "unlinked",
    }
    .into();
    out
}

fn progress(progress: VerifyProgress) -> v1::VerifyLogProgress {
    let VerifyProgress {
        position,
        last,
        done,
    } = progress;
    let Some((verified, kept, seconds)) = done else {
        return v1::VerifyLogProgress {
            position,
            last,
            ..Default::default()
        };
    };
    v1::VerifyLogProgress {
        position,
        last,
        done: true,
        ok: verified.broke.is_none()
            && verified.rewritten.is_empty()
            && verified.head_mismatches.is_empty()
            && kept.as_ref().is_none_or(|k| *k == KeptHead::Holds),
        kept_head: match kept {
            None => "",
            Some(KeptHead::Holds) => "holds",
            Some(KeptHead::Shorter { .. }) => "shorter",
            Some(KeptHead::Differs { .. }) => "differs",
        }
        .into(),
        checked: verified.checked as i64,
        head_position: verified.head.map_or(0, |h| h.position),
        head_link: verified.head.map(|h| h.link.0.to_vec()).unwrap_or_default(),
        r#break: verified.broke.as_ref().map(chain_break),
        rewritten: verified
            .rewritten
            .iter()
            .map(|r| v1::ChildRewrite {
                from: r.from.clone(),
                seq: r.seq,
                position: r.position,
                at: r.at,
                recorded: r.recorded.0.to_vec(),
                claimed: r.claimed.0.to_vec(),
                description: r.describe(),
            })
            .collect(),
        head_mismatches: verified.head_mismatches,
        seconds,
    }
}
