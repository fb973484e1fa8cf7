//! Search and organise queries over the stored search columns. R: S-01..S-04, P-04,
//! D-04, R-05.
//!
//! [`search`] turns an `anpi_core::search::Query` into SQL over a table with the
//! columns of `records` (the private area, or a shared-dataset replica): exact keys
//! for tolerant exact search; for partial search, `grams @> …` lets the GIN index
//! narrow the rows and `strpos` on the search key decides (ADR 0006); a partial query
//! whose grams are all common first reads the newest records ([`NEWEST_WINDOW`]).

use anpi_core::ids::{IncidentId, RecordId};
use anpi_core::private_area::RecordState;
use anpi_core::search::{NationalityQuery, Query};
use chrono::{DateTime, Utc};
use tokio_postgres::GenericClient;
use tokio_postgres::types::ToSql;
use uuid::Uuid;

use super::Result;

/// A table with the columns of `records`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Table<'a> {
    /// The private area.
    Records,
    /// Another table of the same shape (a replica or replay), by qualified name.
    Named(&'a str),
}

impl Table<'_> {
    fn sql(&self) -> &str {
        match self {
            Table::Records => "records",
            Table::Named(name) => name,
        }
    }
}

/// Builds `WHERE` conditions with numbered parameters.
#[derive(Default)]
struct Conditions {
    sql: Vec<String>,
    params: Vec<Box<dyn ToSql + Sync + Send>>,
}

impl Conditions {
    fn push<T: ToSql + Sync + Send + 'static>(&mut self, template: &str, value: T) {
        self.params.push(Box::new(value));
        let placeholder = format!("${}", self.params.len());
        self.sql.push(template.replace("$?", &placeholder));
    }

    fn push_plain(&mut self, sql: &str) {
        self.sql.push(sql.to_string());
    }

    fn where_clause(&self) -> String {
        if self.sql.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", self.sql.join(" AND "))
        }
    }

    fn params(&self) -> Vec<&(dyn ToSql + Sync)> {
        self.params
            .iter()
            .map(|p| p.as_ref() as &(dyn ToSql + Sync))
            .collect()
    }
}

/// The SQL conditions of a query; `grams` adds the gram-index condition (the
/// newest-first window leaves it out: `strpos` decides there, row by row).
fn conditions(query: &Query, incident: Option<IncidentId>, grams: bool) -> Conditions {
    let mut c = Conditions::default();
    if let Some(incident) = incident {
        c.push("incident_id = $?", incident.as_uuid());
    }
    let required = query.required_grams();
    if grams && !required.is_empty() {
        c.push("grams @> $?::text[]", required);
    }
    for (value, exact, partial) in [
        (&query.name, "name_key", "name_search"),
        (&query.kana, "kana_key", "kana_search"),
        (&query.address, "address_key", "address_search"),
    ] {
        if let Some(value) = value {
            if query.fuzzy {
                c.push(&format!("strpos({partial}, $?) > 0"), value.clone());
            } else {
                c.push(&format!("{exact} = $?"), value.clone());
            }
        }
    }
    if let Some(text) = &query.text {
        c.push("strpos(text_search, $?) > 0", text.clone());
    }
    if let Some(birth) = query.birth {
        c.push("birth_date = $?", birth);
    }
    if let Some(sex) = query.sex {
        c.push("sex = $?", sex.to_string());
    }
    match &query.nationality {
        Some(NationalityQuery::Japan) => c.push_plain("nationality = 'japan'"),
        Some(NationalityQuery::Unknown) => c.push_plain("nationality = 'unknown'"),
        Some(NationalityQuery::Other(key)) => c.push(
            "nationality = 'other' AND nationality_key = $?",
            key.clone(),
        ),
        None => {}
    }
    if query.red_cross {
        c.push_plain("nationality <> 'japan'");
    }
    c
}

/// At most this many of the newest records are read first (by the 記入日時 index) by a
/// partial search whose grams are all common, before it asks the gram index. R: S-02,
/// P-04.
///
/// Why: the planner estimates `grams @> '{a,b,c}'` as if the grams were independent,
/// so a query made of common grams that occur together (`cm前後、` at 10 M records:
/// 777,962 hits, estimated 4,678) is sent to a bitmap scan of the gram index that
/// reads most of the table, where walking the newest records finds the first hundred
/// hits at once. A window holding more than `limit` hits is exactly the answer (it is
/// a prefix of the order the search returns); otherwise the gram index answers, and
/// then there are few hits, which is what it is fast for.
pub const NEWEST_WINDOW: i64 = 20_000;

/// A gram held by at least this share of the rows is common: a query whose grams are
/// all common is tried on the newest records first.
pub const COMMON_GRAM_SHARE: f64 = 0.01;

/// How many of the newest records a partial search reads first, if any: none unless
/// every gram it needs is common (`rarest_share`: the smallest share of rows holding
/// one of them, 0 when one is not among the table's most common grams); else enough to
/// hold twice `limit + 1` hits if the grams' combination is as common as its rarest
/// gram, at most `max` rows, and more than `limit`.
pub fn window_rows(rarest_share: f64, limit: i64, max: i64) -> Option<i64> {
    if rarest_share < COMMON_GRAM_SHARE {
        return None;
    }
    let rows = ((2 * (limit + 1)) as f64 / rarest_share).ceil() as i64;
    Some(rows.min(max)).filter(|rows| *rows > limit)
}

/// The smallest share of `table`'s rows holding one of `grams`, from the planner's
/// statistics (`pg_stats.most_common_elems` of `grams`, gathered by ANALYZE); 0 when
/// one of them is not among the most common elements (or the table has no statistics).
pub async fn rarest_gram_share<C: GenericClient>(
    client: &C,
    table: Table<'_>,
    grams: &[String],
) -> Result<f64> {
    if grams.is_empty() {
        return Ok(0.0);
    }
    let row = client
        .query_one(
            "SELECT count(DISTINCT e.elem), min(e.freq)::float8
             FROM pg_class c
             JOIN pg_namespace n ON n.oid = c.relnamespace
             JOIN pg_stats s ON s.schemaname = n.nspname AND s.tablename = c.relname
                            AND s.attname = 'grams'
             CROSS JOIN LATERAL unnest(s.most_common_elems::text::text[],
                                       s.most_common_elem_freqs) AS e(elem, freq)
             WHERE c.oid = to_regclass($1) AND e.elem = ANY($2)",
            &[&table.sql(), &grams],
        )
        .await?;
    let found: i64 = row.get(0);
    let share: Option<f64> = row.get(1);
    Ok(if found as usize == grams.len() {
        share.unwrap_or(0.0)
    } else {
        0.0
    })
}

/// One statement of a search, with its parameters.
pub struct Statement {
    pub sql: String,
    conditions: Conditions,
}

impl Statement {
    pub fn params(&self) -> Vec<&(dyn ToSql + Sync)> {
        self.conditions.params()
    }
}

/// The statements a search runs: the newest window first when its grams are common
/// ([`window_rows`]), then, unless the window held more than `limit` hits, the
/// statement over the whole table.
pub struct Plan {
    pub window: Option<Statement>,
    pub full: Statement,
}

/// How `search` will read `query`'s rows from `table`, with a newest window of at most
/// `window` rows.
pub async fn plan<C: GenericClient>(
    client: &C,
    table: Table<'_>,
    query: &Query,
    incident: Option<IncidentId>,
    limit: i64,
    window: i64,
) -> Result<Plan> {
    let order = format!("ORDER BY written_at DESC, record_id LIMIT {}", limit + 1);
    let full = conditions(query, incident, true);
    let full = Statement {
        sql: format!(
            "SELECT data FROM {} {} {order}",
            table.sql(),
            full.where_clause()
        ),
        conditions: full,
    };
    let grams = query.required_grams();
    let rows = if grams.is_empty() {
        None
    } else {
        window_rows(
            rarest_gram_share(client, table, &grams).await?,
            limit,
            window,
        )
    };
    let window = if let Some(rows) = rows {
        let c = conditions(query, incident, false);
        Some(Statement {
            sql: format!(
                "SELECT data FROM (SELECT * FROM {} ORDER BY written_at DESC, record_id
                 LIMIT {rows}) newest {} {order}",
                table.sql(),
                c.where_clause()
            ),
            conditions: c,
        })
    } else {
        None
    };
    Ok(Plan { window, full })
}

async fn fetch<C: GenericClient>(client: &C, statement: &Statement) -> Result<Vec<RecordState>> {
    client
        .query(&statement.sql, &statement.params())
        .await?
        .iter()
        .map(|row| Ok(serde_json::from_value(row.get::<_, serde_json::Value>(0))?))
        .collect()
}

/// Records matching `query`, newest 記入日時 first; `true` when more than `limit` match.
pub async fn search<C: GenericClient>(
    client: &C,
    table: Table<'_>,
    query: &Query,
    incident: Option<IncidentId>,
    limit: i64,
) -> Result<(Vec<RecordState>, bool)> {
    search_with_window(client, table, query, incident, limit, NEWEST_WINDOW).await
}

/// [`search`] with a newest window of at most `window` rows (tests use a small one).
pub async fn search_with_window<C: GenericClient>(
    client: &C,
    table: Table<'_>,
    query: &Query,
    incident: Option<IncidentId>,
    limit: i64,
    window: i64,
) -> Result<(Vec<RecordState>, bool)> {
    let plan = plan(client, table, query, incident, limit, window).await?;
    let cut = |mut states: Vec<RecordState>| {
        let truncated = states.len() as i64 > limit;
        states.truncate(limit as usize);
        (states, truncated)
    };
    if let Some(first) = &plan.window {
        let states = fetch(client, first).await?;
        if states.len() as i64 > limit {
            return Ok(cut(states));
        }
    }
    Ok(cut(fetch(client, &plan.full).await?))
}

/// One row of the organise screen.
pub struct OrganiseRow {
    pub state: RecordState,
    pub reported: bool,
    pub suspect_key: Option<String>,
}

/// A group of live records sharing name and birth date (D-04).
pub struct SuspectGroup {
    pub key: String,
    pub records: Vec<RecordId>,
}

/// A flagged pair whose records are both still live (D-02, 例3).
pub struct Flag {
    pub older: RecordId,
    pub newer: RecordId,
    pub flagged_at: DateTime<Utc>,
}

/// Everything the organise screen shows (D-04, D-05, R-05).
pub struct Organise {
    pub rows: Vec<OrganiseRow>,
    pub groups: Vec<SuspectGroup>,
    pub flags: Vec<Flag>,
    pub total: i64,
    pub unreported: i64,
}

/// The organise screen: records changed since the last report first, then the rest,
/// each in recording order; suspected-duplicate groups and open flags.
pub async fn organise<C: GenericClient>(
    client: &C,
    incident: Option<IncidentId>,
    limit: i64,
    offset: i64,
) -> Result<Organise> {
    let incident = incident.map(|i| i.as_uuid());
    let reported_through: i64 = client
        .query_one(
            "SELECT COALESCE(max(through_position), 0) FROM reports_sent",
            &[],
        )
        .await?
        .get(0);
    let counts = client
        .query_one(
            // A local drill's records are never reported (T-06): not "not yet reported".
            &format!(
                "SELECT count(*), count(*) FILTER (WHERE last_position > $2 AND {}) FROM records
                 WHERE ($1::uuid IS NULL OR incident_id = $1)",
                super::reader::NOT_LOCAL
            ),
            &[&incident, &reported_through],
        )
        .await?;
    let rows = client
        .query(
            "SELECT data, last_position > $2, suspect_key FROM records
             WHERE ($1::uuid IS NULL OR incident_id = $1)
             ORDER BY last_position > $2 DESC, recorded_position
             LIMIT $3 OFFSET $4",
            &[&incident, &reported_through, &limit, &offset],
        )
        .await?;
    let rows = rows
        .iter()
        .map(|row| {
            Ok(OrganiseRow {
                state: serde_json::from_value(row.get(0))?,
                reported: !row.get::<_, bool>(1),
                suspect_key: row.get(2),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let groups = client
        .query(
            "SELECT suspect_key, array_agg(record_id ORDER BY recorded_position) FROM records
             WHERE ($1::uuid IS NULL OR incident_id = $1)
               AND suspect_key IS NOT NULL AND state <> 'deleted'
             GROUP BY suspect_key HAVING count(*) > 1
             ORDER BY min(recorded_position) LIMIT 500",
            &[&incident],
        )
        .await?
        .iter()
        .map(|row| SuspectGroup {
            key: row.get(0),
            records: row
                .get::<_, Vec<Uuid>>(1)
                .into_iter()
                .map(RecordId::from_uuid)
                .collect(),
        })
        .collect();
    let flags = client
        .query(
            "SELECT f.older, f.newer, f.flagged_at FROM duplicate_flags f
             JOIN records a ON a.record_id = f.older AND a.state <> 'deleted'
             JOIN records b ON b.record_id = f.newer AND b.state <> 'deleted'
             WHERE ($1::uuid IS NULL OR f.incident_id = $1)
             ORDER BY f.position LIMIT 500",
            &[&incident],
        )
        .await?
        .iter()
        .map(|row| Flag {
            older: RecordId::from_uuid(row.get(0)),
            newer: RecordId::from_uuid(row.get(1)),
            flagged_at: row.get(2),
        })
        .collect();
    Ok(Organise {
        rows,
        groups,
        flags,
        total: counts.get(0),
        unreported: counts.get(1),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_common_grams_try_the_newest_window_first() {
        let max = NEWEST_WINDOW;
        assert_eq!(
            window_rows(0.078, 100, max),
            Some(2_590),
            "202 hits at 7.8 %"
        );
        assert_eq!(
            window_rows(COMMON_GRAM_SHARE, 100, max),
            Some(max),
            "at most max"
        );
        assert_eq!(window_rows(0.5, 100, max), Some(404));
        assert_eq!(
            window_rows(0.009, 100, max),
            None,
            "a rare gram: the gram index"
        );
        assert_eq!(
            window_rows(0.0, 100, max),
            None,
            "no statistics: the gram index"
        );
        assert_eq!(
            window_rows(0.5, 100, 100),
            None,
            "a window no larger than the limit"
        );
    }
}
