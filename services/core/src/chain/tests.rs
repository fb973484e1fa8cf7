//! The chain's rules (L-05): links, the canonical payload text, and what a walk finds
//! for each kind of tampering.

use super::*;

/// A small log: `n` rows with payloads that differ.
struct Log {
    rows: Vec<(Kept, Link)>,
}

fn sample(position: i64) -> Kept {
    Kept {
        position,
        event_id: Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0000 + position as u128),
        kind: "EntryRecorded".into(),
        schema_version: 1,
        incident: Some(Uuid::from_u128(7)),
        record: Some(Uuid::from_u128(1000 + position as u128)),
        origin: "131016".into(),
        actor: "131016/clerk".into(),
        written_at: Some(1_700_000_000_000_000 + position),
        received_at: 1_700_000_000_100_000 + position,
        sender: None,
        payload: format!("{{\"name\": \"安否 {position}\"}}"),
        stored: Link::GENESIS,
    }
}

impl Log {
    fn new(n: i64) -> Log {
        let mut prev = Link::GENESIS;
        let mut rows = Vec::new();
        for position in 1..=n {
            let row = sample(position);
            let stored = link(&prev, &row.at(position));
            prev = stored;
            rows.push((row, stored));
        }
        Log { rows }
    }

    /// Re-links every row from index `from` on, as someone re-hashing the log would.
    fn relink_from(&mut self, from: usize) {
        let mut prev = if from == 0 {
            Link::GENESIS
        } else {
            self.rows[from - 1].1
        };
        for (row, stored) in &mut self.rows[from..] {
            *stored = link(&prev, &row.at(row.position));
            prev = *stored;
        }
    }

    fn walk(&self) -> Result<Option<ChainPoint>, Break> {
        let mut walk = Walk::new(1, Link::GENESIS);
        for (row, stored) in &self.rows {
            if let Step::Broke(found) = walk.push(&row.at(row.position), Some(*stored)) {
                return Err(found);
            }
        }
        walk.finish()
    }
}

#[test]
fn an_untouched_log_verifies_to_its_head() {
    let log = Log::new(50);
    let head = log.walk().expect("holds").expect("a head");
    assert_eq!(head.position, 50);
    assert_eq!(head.link, log.rows[49].1);
    assert_eq!(Log::new(0).walk(), Ok(None));
}

#[test]
fn every_field_is_covered_by_the_link() {
    let base = sample(3);
    let prev = Link([9; 32]);
    let original = link(&prev, &base.at(3));
    let mut changed = Vec::new();
    type Change = Box<dyn Fn(&mut Kept)>;
    let variants: Vec<Change> = vec![
        Box::new(|k| k.event_id = Uuid::from_u128(1)),
        Box::new(|k| k.kind = "EntryDeleted".into()),
        Box::new(|k| k.schema_version = 2),
        Box::new(|k| k.incident = None),
        Box::new(|k| k.record = Some(Uuid::from_u128(2))),
        Box::new(|k| k.origin = "131024".into()),
        Box::new(|k| k.actor = "131016/other".into()),
        Box::new(|k| k.written_at = None),
        Box::new(|k| k.received_at += 1),
        Box::new(|k| {
            k.sender = Some(ChainPoint {
                position: 3,
                link: Link([1; 32]),
            })
        }),
        Box::new(|k| k.payload.push(' ')),
    ];
    for change in &variants {
        let mut row = base.clone();
        change(&mut row);
        changed.push(link(&prev, &row.at(3)));
    }
    changed.push(link(&prev, &base.at(4)));
    changed.push(link(&Link([8; 32]), &base.at(3)));
    for (i, other) in changed.iter().enumerate() {
        assert_ne!(*other, original, "variant {i} gives the same link");
    }
    // Length prefixes: moving bytes between two text fields changes the link.
    let mut a = base.clone();
    a.origin = "13101".into();
    a.actor = "6131016/clerk".into();
    assert_ne!(link(&prev, &a.at(3)), original);
}

#[test]
fn a_payload_changed_in_place_is_found_at_its_position() {
    let mut log = Log::new(40);
    log.rows[16].0.payload = "{\"name\": \"改ざん\"}".into();
    assert_eq!(log.walk(), Err(Break::Altered { position: 17 }));
    // The last event altered: nothing after it, still found.
    let mut log = Log::new(40);
    log.rows[39].0.actor = "131016/intruder".into();
    assert_eq!(log.walk(), Err(Break::Altered { position: 40 }));
}

#[test]
fn a_deleted_event_is_found_as_missing() {
    let mut log = Log::new(30);
    log.rows.remove(11);
    assert_eq!(log.walk(), Err(Break::Missing { from: 12, to: 12 }));
    let mut log = Log::new(30);
    log.rows.drain(4..7);
    assert_eq!(log.walk(), Err(Break::Missing { from: 5, to: 7 }));
}

#[test]
fn swapped_events_are_found_whether_their_links_moved_or_not() {
    // Contents swapped, links left in place.
    let mut log = Log::new(30);
    let (a, b) = (9usize, 14usize);
    let content_a = log.rows[a].0.clone();
    let content_b = log.rows[b].0.clone();
    log.rows[a].0 = Kept {
        position: content_a.position,
        ..content_b.clone()
    };
    log.rows[b].0 = Kept {
        position: content_b.position,
        ..content_a.clone()
    };
    assert_eq!(
        log.walk(),
        Err(Break::Reordered {
            position: 10,
            with: 15
        })
    );

    // Whole rows swapped with their links (positions exchanged).
    for (a, b) in [(9usize, 10usize), (3, 20)] {
        let mut log = Log::new(30);
        let row_a = log.rows[a].clone();
        let row_b = log.rows[b].clone();
        log.rows[a] = (
            Kept {
                position: row_a.0.position,
                ..row_b.0.clone()
            },
            row_b.1,
        );
        log.rows[b] = (
            Kept {
                position: row_b.0.position,
                ..row_a.0.clone()
            },
            row_a.1,
        );
        assert_eq!(
            log.walk(),
            Err(Break::Reordered {
                position: a as i64 + 1,
                with: b as i64 + 1
            }),
            "rows {a} and {b}"
        );
    }
}

#[test]
fn an_event_altered_and_relinked_alone_breaks_the_link_after_it() {
    let mut log = Log::new(20);
    log.rows[7].0.payload = "{\"name\": \"改ざん\"}".into();
    // Its own link recomputed, but not the ones after it.
    let prev = log.rows[6].1;
    log.rows[7].1 = link(&prev, &log.rows[7].0.at(8));
    assert_eq!(log.walk(), Err(Break::Altered { position: 9 }));
    // Altered with every link after it recomputed: the log alone cannot tell; the
    // parent's recorded heads can (`check_heads`).
    let mut log = Log::new(20);
    log.rows[7].0.payload = "{\"name\": \"改ざん\"}".into();
    log.relink_from(7);
    assert!(log.walk().is_ok());
}

#[test]
fn a_changed_link_with_its_content_kept_breaks_there() {
    let mut log = Log::new(20);
    log.rows[5].1 = Link([3; 32]);
    // Row 6's content is intact but its stored link is not its link, and row 7 does
    // not follow from the stored one.
    assert_eq!(log.walk(), Err(Break::Broken { position: 6 }));
}

#[test]
fn a_missing_link_is_named() {
    let log = Log::new(5);
    let mut walk = Walk::new(1, Link::GENESIS);
    for (row, stored) in &log.rows[..2] {
        assert_eq!(
            walk.push(&row.at(row.position), Some(*stored)),
            Step::Continue
        );
    }
    let (row, _) = &log.rows[2];
    assert_eq!(
        walk.push(&row.at(3), None),
        Step::Broke(Break::Unlinked { position: 3 })
    );
}

#[test]
fn a_walk_may_start_in_the_middle() {
    let log = Log::new(30);
    let mut walk = Walk::new(11, log.rows[9].1);
    for (row, stored) in &log.rows[10..] {
        assert_eq!(
            walk.push(&row.at(row.position), Some(*stored)),
            Step::Continue
        );
    }
    assert_eq!(walk.checked(), 20);
    assert_eq!(walk.finish().unwrap().unwrap().position, 30);
}

#[test]
fn the_canonical_text_is_postgresql_jsonb_text() {
    let value = serde_json::json!({
        "type": "EntryRecorded",
        "data": {"b": [1, -2, {"zz": null, "a": true}], "aa": "x", "a": false},
        "": 18446744073709551615u64,
    });
    assert_eq!(
        canonical_json(&value),
        r#"{"": 18446744073709551615, "data": {"a": false, "b": [1, -2, {"a": true, "zz": null}], "aa": "x"}, "type": "EntryRecorded"}"#
    );
    let text = serde_json::json!("引用\"\\ \u{8}\u{c}\n\r\t\u{1}\u{1f}\u{7f}é/");
    assert_eq!(
        canonical_json(&text),
        "\"引用\\\"\\\\ \\b\\f\\n\\r\\t\\u0001\\u001f\u{7f}é/\""
    );
    assert_eq!(canonical_json(&serde_json::json!({})), "{}");
    assert_eq!(canonical_json(&serde_json::json!([])), "[]");
}

#[test]
fn links_read_back_from_hex() {
    let l = Link([0xab; 32]);
    assert_eq!(Link::parse_hex(&l.hex()), Some(l));
    assert_eq!(Link::parse_hex(&l.hex().to_uppercase()), Some(l));
    assert_eq!(Link::parse_hex("abc"), None);
    assert_eq!(Link::from_slice(&[1; 31]), None);
    let json = serde_json::to_string(&ChainPoint {
        position: 4,
        link: l,
    })
    .unwrap();
    assert_eq!(serde_json::from_str::<ChainPoint>(&json).unwrap().link, l);
}

fn head(seq: i64, position: i64, link_byte: u8, since: Option<(i64, u8)>) -> ReceivedHead {
    ReceivedHead {
        from: "131016".into(),
        log_id: Uuid::from_u128(5),
        seq,
        position: 100 + seq,
        head: Some(ChainPoint {
            position,
            link: Link([link_byte; 32]),
        }),
        since: since.map(|(position, b)| ChainPoint {
            position,
            link: Link([b; 32]),
        }),
    }
}

#[test]
fn a_child_that_rewrote_reported_history_is_found_by_its_next_report() {
    let held = vec![
        head(1, 10, 1, None),
        head(2, 25, 2, Some((10, 1))),
        head(3, 40, 3, Some((25, 2))),
    ];
    assert!(check_heads(&held).is_empty());
    let rewritten = vec![
        head(3, 40, 3, Some((25, 9))),
        head(1, 10, 1, None),
        head(2, 25, 2, Some((10, 1))),
    ];
    let found = check_heads(&rewritten);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].seq, 3);
    assert_eq!(found[0].at, 25);
    assert_eq!(found[0].recorded, Link([2; 32]));
    assert_eq!(found[0].claimed, Link([9; 32]));
    assert!(found[0].describe().contains("report 3"));
    // Another child's reports are another sequence.
    let mut other = head(2, 25, 2, Some((10, 7)));
    other.from = "131024".into();
    assert!(check_heads(&[head(1, 10, 1, None), other]).is_empty());
}

#[test]
fn the_direct_writer_gives_the_same_text_as_the_value_tree() {
    use crate::entry::synthetic::{Generator, reference_now};
    use crate::event::Payload;
    let generator = Generator::new(7);
    let mut payloads: Vec<Payload> = generator
        .drafts(0..300)
        .map(|draft| crate::entry::validate(&draft, reference_now()).expect("valid"))
        .map(|entry| Payload::EntryRecorded {
            record_id: crate::ids::RecordId::from_uuid(Uuid::from_u128(5)),
            entry: Box::new(entry),
            supersedes: Some(crate::ids::RecordId::from_uuid(Uuid::from_u128(6))),
        })
        .collect();
    payloads.push(Payload::EntryDeleted {
        record_id: crate::ids::RecordId::from_uuid(Uuid::from_u128(5)),
        reason: "「誤登録」\"引用\" \\ 改行\nあり".into(),
    });
    payloads.push(Payload::PrivateAreaPurged {
        reason: String::new(),
        records: -3,
    });
    for payload in &payloads {
        let direct = to_canonical(payload).expect("serialises");
        let tree = canonical_json(&serde_json::to_value(payload).unwrap());
        assert_eq!(direct, tree);
    }
    // Maps with keys of every length and kind, nested arrays, escapes, duplicates.
    let value = serde_json::json!({
        "s": "\u{1}\u{1f}\t\"\\\u{7f}\u{2028}😀",
        "": [[], {}, [1, [2, {"b": 1, "a": 2}]]],
        "長い": {"zz": null, "a": true, "ab": false},
        "n": [u64::MAX, i64::MIN, 0],
    });
    assert_eq!(to_canonical(&value).unwrap(), canonical_json(&value));
    let mut map = std::collections::BTreeMap::new();
    map.insert(10u32, "ten");
    map.insert(2u32, "two");
    assert_eq!(to_canonical(&map).unwrap(), r#"{"2": "two", "10": "ten"}"#);
    // Variants: unit, newtype, tuple and struct.
    #[derive(Serialize)]
    enum V {
        Unit,
        New(u8),
        Tuple(u8, u8),
        Fields { b: u8, a: u8 },
    }
    for (v, text) in [
        (V::Unit, r#""Unit""#),
        (V::New(1), r#"{"New": 1}"#),
        (V::Tuple(1, 2), r#"{"Tuple": [1, 2]}"#),
        (V::Fields { b: 1, a: 2 }, r#"{"Fields": {"a": 2, "b": 1}}"#),
    ] {
        assert_eq!(to_canonical(&v).unwrap(), text);
        assert_eq!(canonical_json(&serde_json::to_value(&v).unwrap()), text);
    }
}

/// Not a benchmark of record: how much the link costs the writer per event (run with
/// `cargo test --release -p anpi-core --features fixtures --lib chain::tests::cost -- --ignored --nocapture`).
#[test]
#[ignore]
fn cost() {
    use crate::entry::synthetic::{Generator, reference_now};
    let g = Generator::new(1);
    let payloads: Vec<crate::event::Payload> = g
        .drafts(0..2000)
        .map(|d| crate::entry::validate(&d, reference_now()).unwrap())
        .map(|e| crate::event::Payload::EntryRecorded {
            record_id: crate::ids::RecordId::from_uuid(Uuid::from_u128(5)),
            entry: Box::new(e),
            supersedes: None,
        })
        .collect();
    let per = |f: &dyn Fn(&crate::event::Payload) -> usize| {
        let t = std::time::Instant::now();
        let mut n = 0;
        for _ in 0..5 {
            for p in &payloads {
                n += f(p);
            }
        }
        std::hint::black_box(n);
        t.elapsed().as_secs_f64() / (5.0 * payloads.len() as f64) * 1e6
    };
    let plain = per(&|p| serde_json::to_string(p).unwrap().len());
    let tree = per(&|p| canonical_json(&serde_json::to_value(p).unwrap()).len());
    let direct = per(&|p| to_canonical(p).unwrap().len());
    eprintln!(
        "µs per EntryRecorded: serde_json {plain:.2}, value tree {tree:.2}, direct {direct:.2}"
    );
}

#[test]
fn a_kept_head_tells_a_shortened_or_rewritten_log() {
    let kept = ChainPoint {
        position: 40,
        link: Link([4; 32]),
    };
    assert_eq!(
        KeptHead::compare(kept, 55, Some(Link([4; 32]))),
        KeptHead::Holds
    );
    assert_eq!(
        KeptHead::compare(kept, 39, None),
        KeptHead::Shorter { kept: 40, last: 39 }
    );
    assert_eq!(
        KeptHead::compare(kept, 40, Some(Link([5; 32]))),
        KeptHead::Differs { position: 40 }
    );
    let text = format!("40:{}", Link([4; 32]).hex());
    assert_eq!(KeptHead::parse_point(&text), Some(kept));
    assert_eq!(KeptHead::parse_point(" 40 : 0404 "), None);
    assert_eq!(
        KeptHead::parse_point(&format!("0:{}", Link([4; 32]).hex())),
        None
    );
    assert_eq!(KeptHead::parse_point("40"), None);
}
