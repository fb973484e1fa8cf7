//! The public "is information held?" check (情報有無の検索). R.
//!
//! The guideline (第5 4(1)): 収集した安否情報の内、入力時に「一切の照会に対し回答することを
//! 希望せず及び回答に同意しない」としたデータ以外のデータについては、行政側が保有する情報で
//! あるか否かの点についてのみ、インターネットにより国民の誰もが名前等の個人を特定する情報に
//! より検索を行うことができる … 表記ゆれを許容した完全一致検索が実施される。
//!
//! Anyone may ask; the answer is only "held" or "not held". The query is the name (and
//! optionally the birth date), compared as canonical keys — never a partial match, so
//! the page cannot be used to list people. A person who refused every answer counts as
//! not held, and a deleted record is not held. The adapter fetches the records of the
//! published shared dataset with the query's keys; [`held`] decides.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use chrono::NaiveDate;

use crate::canon;
use crate::consent::Audience;
use crate::era;
use crate::ids::IncidentId;
use crate::incident::IncidentMode;
use crate::private_area::RecordState;
use crate::validation::FieldError;

/// Longest name accepted (characters): a longer one is not a name.
pub const MAX_NAME_CHARS: usize = 60;

/// What the page was asked, ready for an exact lookup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicQuery {
    /// The canonical name key (N-01..N-03), compared for equality.
    pub name_key: String,
    pub birth_date: Option<NaiveDate>,
}

impl PublicQuery {
    /// Reads the form; every problem is named by its field (`name`, `birth`), in
    /// Japanese.
    pub fn parse(name: &str, birth: &str) -> Result<PublicQuery, Vec<FieldError>> {
        let mut errors = Vec::new();
        let name = name.trim();
        let name_key = canon::name_key(name);
        if name.is_empty() || name_key.is_empty() {
            errors.push(FieldError::new("name", "氏名を入力してください"));
        } else if name.chars().count() > MAX_NAME_CHARS {
            errors.push(FieldError::new(
                "name",
                format!("氏名は{MAX_NAME_CHARS}文字以内で入力してください"),
            ));
        }
        let birth = birth.trim();
        let birth_date = if birth.is_empty() {
            None
        } else {
            match era::parse_date(birth) {
                Ok(date) => Some(date),
                Err(error) => {
                    errors.push(FieldError::new(
                        "birth",
                        format!(
                            "生年月日を読み取れません（{error}）。例: 昭和56年11月25日、1981-11-25"
                        ),
                    ));
                    None
                }
            }
        };
        if errors.is_empty() {
            Ok(PublicQuery {
                name_key,
                birth_date,
            })
        } else {
            Err(errors)
        }
    }

    /// Whether a record answers this query (the adapter's SQL asks the same).
    pub fn matches(&self, state: &RecordState) -> bool {
        canon::name_key(&state.entry.draft.name) == self.name_key
            && self
                .birth_date
                .is_none_or(|birth| state.entry.parsed.birth_date == Some(birth))
    }
}

/// Whether the person refused every answer: to family and cohabitants, to
/// acquaintances and to anyone else (第5 4(1) ※: treated as not held).
pub fn refused_everything(state: &RecordState) -> bool {
    let consent = &state.entry.parsed.consent;
    [Audience::Family, Audience::Acquaintance, Audience::Others]
        .into_iter()
        .all(|audience| consent.column(audience).fields().is_empty())
}

/// "Held" when some record of an actual incident answers the query, is not deleted,
/// and its person did not refuse every answer. `mode_of` tells each incident's mode
/// as the dataset holds it; a record of a drill (訓練) or of an incident the dataset
/// does not describe is never held: drill data never answers the public page
/// (T-04, T-06).
pub fn held(
    query: &PublicQuery,
    records: &[RecordState],
    mode_of: impl Fn(IncidentId) -> Option<IncidentMode>,
) -> bool {
    records.iter().any(|r| {
        mode_of(r.incident) == Some(IncidentMode::Actual)
            && r.deletion.is_none()
            && !refused_everything(r)
            && query.matches(r)
    })
}

/// What the page echoes back of what was typed: at most the accepted length, so a
/// 100,000-character "name" is not sent back whole.
pub fn echo(text: &str, max_chars: usize) -> String {
    text.chars().take(max_chars).collect()
}

/// Longest birth date echoed back (characters).
pub const MAX_BIRTH_CHARS: usize = 30;

/// The allowances a client's request is taken from: its own address, and the
/// network it belongs to — the /24 of an IPv4 address, the /64 of an IPv6 one (a
/// single subscriber usually holds a whole /64, and a neighbour's addresses in a /24
/// are easy to hop between). An IPv4-mapped IPv6 address counts as IPv4.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ClientKey {
    Address(IpAddr),
    Network(IpAddr),
}

impl ClientKey {
    pub fn of(address: IpAddr) -> [ClientKey; 2] {
        let address = match address {
            IpAddr::V6(v6) => v6
                .to_ipv4_mapped()
                .map(IpAddr::V4)
                .unwrap_or(IpAddr::V6(v6)),
            v4 => v4,
        };
        let network = match address {
            IpAddr::V4(v4) => {
                let [a, b, c, _] = v4.octets();
                IpAddr::V4(Ipv4Addr::new(a, b, c, 0))
            }
            IpAddr::V6(v6) => {
                let s = v6.segments();
                IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        };
        [ClientKey::Address(address), ClientKey::Network(network)]
    }
}

/// A per-client token bucket: `capacity` requests at once, refilled at
/// `per_minute` a minute. Time is passed in (seconds from any fixed start).
#[derive(Debug, Clone, PartialEq)]
pub struct Bucket {
    tokens: f64,
    at: f64,
}

impl Bucket {
    pub fn full(capacity: u32, now: f64) -> Bucket {
        Bucket {
            tokens: f64::from(capacity),
            at: now,
        }
    }

    /// Takes one request if the client has one left.
    pub fn take(&mut self, capacity: u32, per_minute: u32, now: f64) -> bool {
        let elapsed = (now - self.at).max(0.0);
        self.tokens =
            (self.tokens + elapsed * f64::from(per_minute) / 60.0).min(f64::from(capacity));
        self.at = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    /// Whether the bucket is full again (the client can be forgotten).
    pub fn is_full(&self, capacity: u32, per_minute: u32, now: f64) -> bool {
        let elapsed = (now - self.at).max(0.0);
        self.tokens + elapsed * f64::from(per_minute) / 60.0 >= f64::from(capacity)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::consent::{ConsentMatrix, FieldSet};
    use crate::entry::fixtures::evacuee;
    use crate::entry::validate;
    use crate::event::{Actor, Event, NewEvent, Payload};
    use crate::ids::{AccountId, EventId, IncidentId, RecordId};
    use crate::jurisdiction::JurisdictionCode;
    use crate::private_area::{self, Deletion};
    use chrono::{TimeZone, Utc};
    use uuid::Uuid;

    fn actual() -> IncidentId {
        IncidentId::from_uuid(Uuid::from_u128(7))
    }

    fn drill() -> IncidentId {
        IncidentId::from_uuid(Uuid::from_u128(8))
    }

    /// The dataset's incidents: 7 actual, 8 a drill, anything else unknown.
    fn modes(id: IncidentId) -> Option<IncidentMode> {
        if id == actual() {
            Some(IncidentMode::Actual)
        } else if id == drill() {
            Some(IncidentMode::Drill)
        } else {
            None
        }
    }

    fn held(query: &PublicQuery, records: &[RecordState]) -> bool {
        super::held(query, records, modes)
    }

    fn record(consent: Option<ConsentMatrix>) -> RecordState {
        let mut entry = validate(
            &evacuee(),
            Utc.with_ymd_and_hms(2026, 11, 22, 0, 0, 0).unwrap(),
        )
        .unwrap();
        if let Some(consent) = consent {
            entry.parsed.consent = consent;
        }
        let code = JurisdictionCode::parse("131016").unwrap();
        let event = Event {
            position: 1,
            event: NewEvent {
                id: EventId::from_uuid(Uuid::now_v7()),
                incident: Some(actual()),
                origin: code.clone(),
                actor: Actor {
                    jurisdiction: code,
                    account: AccountId::parse("clerk").unwrap(),
                },
                written_at: None,
                received_at: Utc.with_ymd_and_hms(2026, 11, 21, 6, 0, 0).unwrap(),
                sender: None,
                payload: Payload::EntryRecorded {
                    record_id: RecordId::from_uuid(Uuid::now_v7()),
                    entry: Box::new(entry),
                    supersedes: None,
                },
            },
        };
        private_area::apply(None, &event).unwrap()
    }

    #[test]
    fn tolerant_exact_name_and_optional_birth_date() {
        let taro = record(None);
        for name in ["消防太郎", "消防　太郎", "消防 太郎", " 消防太郎 "] {
            let q = PublicQuery::parse(name, "").unwrap();
            assert!(held(&q, std::slice::from_ref(&taro)), "{name}");
        }
        let q = PublicQuery::parse("消防太郎", "昭和56年11月25日").unwrap();
        assert!(held(&q, std::slice::from_ref(&taro)));
        let q = PublicQuery::parse("消防太郎", "1981-11-26").unwrap();
        assert!(!held(&q, std::slice::from_ref(&taro)), "another birth date");
        // Never a partial match: a part of the name is another name.
        for name in ["太郎", "消防", "消防太"] {
            let q = PublicQuery::parse(name, "").unwrap();
            assert!(!held(&q, std::slice::from_ref(&taro)), "{name}");
        }
    }

    #[test]
    fn refusing_everything_or_deleted_counts_as_not_held() {
        let q = PublicQuery::parse("消防太郎", "").unwrap();
        let refused = ConsentMatrix {
            family: FieldSet::none(),
            acquaintance: FieldSet::none(),
            others: FieldSet::none(),
        };
        let hidden = record(Some(refused));
        assert!(refused_everything(&hidden));
        assert!(!held(&q, std::slice::from_ref(&hidden)));
        // Refusing only some audiences still counts as held.
        let family_only = ConsentMatrix {
            acquaintance: FieldSet::none(),
            ..ConsentMatrix::table_4_3()
        };
        assert!(held(&q, &[record(Some(family_only))]));
        let mut deleted = record(None);
        deleted.deletion = Some(Deletion {
            reason: "誤登録".into(),
            at: Utc::now(),
            actor: deleted.actor.clone(),
        });
        assert!(!held(&q, &[deleted]));
        assert!(!held(&q, &[]));
    }

    // R: T-04, T-06 — a person who exists only in a drill is not held; the same
    // person in an actual incident is. Found by a hostile test: the page answered
    // 保有しています for a drill-only person.
    #[test]
    fn drill_data_never_answers_the_public_page() {
        let q = PublicQuery::parse("消防太郎", "").unwrap();
        let mut practice = record(None);
        practice.incident = drill();
        assert!(!held(&q, std::slice::from_ref(&practice)));
        let mut unknown = record(None);
        unknown.incident = IncidentId::from_uuid(Uuid::from_u128(9));
        assert!(
            !held(&q, &[unknown]),
            "an incident the dataset does not describe"
        );
        assert!(held(&q, &[practice, record(None)]));
    }

    #[test]
    fn echo_is_cut_to_the_accepted_length() {
        let long = "あ".repeat(100_000);
        assert_eq!(echo(&long, MAX_NAME_CHARS).chars().count(), MAX_NAME_CHARS);
        assert_eq!(echo("消防太郎", MAX_NAME_CHARS), "消防太郎");
    }

    #[test]
    fn clients_count_by_address_and_by_network() {
        let a: IpAddr = "127.0.0.2".parse().unwrap();
        let b: IpAddr = "127.0.0.3".parse().unwrap();
        assert_ne!(ClientKey::of(a)[0], ClientKey::of(b)[0]);
        assert_eq!(ClientKey::of(a)[1], ClientKey::of(b)[1], "same /24");
        let c: IpAddr = "127.0.1.2".parse().unwrap();
        assert_ne!(ClientKey::of(a)[1], ClientKey::of(c)[1]);
        let x: IpAddr = "2001:db8:1:2::1".parse().unwrap();
        let y: IpAddr = "2001:db8:1:2:ffff::9".parse().unwrap();
        let z: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(ClientKey::of(x)[1], ClientKey::of(y)[1], "same /64");
        assert_ne!(ClientKey::of(x)[1], ClientKey::of(z)[1]);
        let mapped: IpAddr = "::ffff:127.0.0.2".parse().unwrap();
        assert_eq!(ClientKey::of(mapped), ClientKey::of(a));
    }

    #[test]
    fn bad_input_is_named() {
        let errors = PublicQuery::parse("  ", "昭和99年1月1日").unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["name", "birth"]);
        let long = "あ".repeat(MAX_NAME_CHARS + 1);
        assert_eq!(PublicQuery::parse(&long, "").unwrap_err()[0].field, "name");
    }

    #[test]
    fn a_bucket_refuses_beyond_its_capacity_and_refills() {
        let mut bucket = Bucket::full(3, 0.0);
        assert!((0..3).all(|_| bucket.take(3, 6, 0.0)));
        assert!(!bucket.take(3, 6, 1.0), "the fourth at once is refused");
        assert!(!bucket.is_full(3, 6, 1.0));
        // 6 a minute: one token every 10 s.
        assert!(bucket.take(3, 6, 11.0));
        assert!(!bucket.take(3, 6, 12.0));
        assert!(bucket.is_full(3, 6, 60.0));
    }
}
