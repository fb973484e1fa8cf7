//! Search and organise queries over the stored search columns. R: S-01..S-04, P-04,
//! D-04, R-05.
//!
//! [`search`] turns an `anpi_core::search::Query` into SQL over a table with the
//! columns of `records` (the private area, or a shared-dataset replica): exact keys
//! for tolerant exact search; for partial search, `grams @> …` lets the GIN index
//! narrow the rows and `strpos` on the search key decides (ADR 0006); a partial query
//! whose grams are all common first reads the newest records ([`window_rows`], then
//! [`next_window_rows`]).

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

/// At most this many of the newest records are read (by the 記入日時 index) in one
/// window of a partial search (about half a second of walking at [`WALK_MICROS`]).
/// R: S-02, P-04.
///
/// Why: the planner estimates `grams @> '{a,b,c}'` as if the grams were independent,
/// so a query made of common grams that occur together (`cm前後、` at 10 M records:
/// 777,962 hits, estimated 4,678) is sent to a bitmap scan of the gram index that
/// reads most of the table, where walking the newest records finds the first hundred
/// hits at once. A window holding more than `limit` hits is exactly the answer (it is
/// a prefix of the order the search returns); otherwise a larger window sized from
/// the hits it held ([`next_window_rows`]), or the gram index.
pub const NEWEST_WINDOW: i64 = 100_000;

/// At most this many rows in the first window, whose density is known only as an
/// upper bound (the share of the query's rarest gram): a probe of about 100 ms at
/// [`WALK_MICROS`]; the windows after it are sized from the hits it held.
pub const FIRST_WINDOW: i64 = 20_000;

/// A gram held by at least this share of the rows is common: a query whose grams are
/// all common is tried on the newest records first, if walking them pays. At 10 M
/// records `番地の` (81,041 hits, its rarest gram held by under 1 %) took 907 ms in the
/// gram index when the first 20,000 rows hold about 160 of its hits.
pub const COMMON_GRAM_SHARE: f64 = 0.001;

/// The cost of reading one row of the newest window, in µs (EXPLAIN ANALYZE of the
/// windows at 10 M records: about 5 µs a row walked by the 記入日時 index when the rows
/// are not cached, in the run of 2026-12-07; 1.2 µs when they are, 2026-12-08).
pub const WALK_MICROS: f64 = 5.0;

/// The cost of one hit found through the gram index, in µs (the same run: `町2丁目1`,
/// 191,132 hits in 2,655 ms by a bitmap scan, posting lists and lossy heap blocks
/// included).
pub const BITMAP_MICROS_PER_HIT: f64 = 14.0;

/// Rows enough to hold twice `limit + 1` hits at `density`.
fn rows_for(density: f64, limit: i64) -> f64 {
    ((2 * (limit + 1)) as f64 / density).ceil()
}

/// Whether walking `rows` costs less than finding the `density * table_rows` hits
/// through the gram index.
fn walk_pays(rows: f64, density: f64, table_rows: f64) -> bool {
    WALK_MICROS * rows < BITMAP_MICROS_PER_HIT * density * table_rows
}

/// How many of the newest records a partial search reads first, if any: none unless
/// every gram it needs is common (`rarest_share`: the smallest share of rows holding
/// one of them, 0 when one is not among the table's most common grams); else enough to
/// hold twice `limit + 1` hits if the grams' combination is as common as its rarest
/// gram, at most [`FIRST_WINDOW`] and `max` rows, more than `limit`, and only when
/// walking them costs less than the gram index would for so many hits in
/// `table_rows`.
pub fn window_rows(rarest_share: f64, limit: i64, table_rows: f64, max: i64) -> Option<i64> {
    if rarest_share < COMMON_GRAM_SHARE {
        return None;
    }
    let rows = rows_for(rarest_share, limit).min(FIRST_WINDOW.min(max) as f64);
    (rows > limit as f64 && walk_pays(rows, rarest_share, table_rows)).then_some(rows as i64)
}

/// After a window of `read` rows held `hits` (no more than `limit`: not the answer),
/// the next window, if any: enough rows for twice `limit + 1` hits at the density the
/// window showed, larger than `read`, at most `max`; none when it held no hit (the
/// hits are rare: the gram index finds them cheaply) or the gram index is cheaper.
pub fn next_window_rows(
    read: i64,
    hits: i64,
    limit: i64,
    table_rows: f64,
    max: i64,
) -> Option<i64> {
    if hits <= 0 || hits > limit || read <= 0 {
        return None;
    }
    let density = hits as f64 / read as f64;
    let rows = rows_for(density, limit);
    (rows > read as f64 && rows <= max as f64 && walk_pays(rows, density, table_rows))
        .then_some(rows as i64)
}

/// What the planner's statistics (gathered by ANALYZE) say about a table and a
/// query's grams.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GramStatistics {
    /// The smallest share of rows holding one of the grams (`pg_stats`'
    /// `most_common_elems` of `grams`); 0 when one of them is not among the most
    /// common elements, or the table has no statistics.
    pub rarest_share: f64,
    /// The table's estimated number of rows (`pg_class.reltuples`, 0 if unknown).
    pub table_rows: f64,
}

/// [`GramStatistics`] of `grams` in `table`.
pub async fn gram_statistics<C: GenericClient>(
    client: &C,
    table: Table<'_>,
    grams: &[String],
) -> Result<GramStatistics> {
    let row = client
        .query_one(
            "SELECT count(DISTINCT e.elem), min(e.freq)::float8,
                    (SELECT greatest(reltuples, 0)::float8 FROM pg_class
                     WHERE oid = to_regclass($1))
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
    let table_rows: Option<f64> = row.get(2);
    Ok(GramStatistics {
        rarest_share: match share {
            Some(share) if !grams.is_empty() && found as usize == grams.len() => share,
            _ => 0.0,
        },
        table_rows: table_rows.unwrap_or(0.0),
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

/// The statements a search runs: newest windows first when its grams are common
/// ([`window_rows`], then [`next_window_rows`]), then, unless a window held more than
/// `limit` hits, the statement over the whole table.
pub struct Plan<'a> {
    table: Table<'a>,
    query: &'a Query,
    incident: Option<IncidentId>,
    limit: i64,
    /// The rows of the first window, if one is read.
    pub window: Option<i64>,
    /// At most this many rows in any window.
    pub max_window: i64,
    pub statistics: GramStatistics,
    pub full: Statement,
}

/// The order a search returns (a window's and the whole table's), one row past
/// `limit` to tell whether more match.
fn order(limit: i64) -> String {
    format!("ORDER BY written_at DESC, record_id LIMIT {}", limit + 1)
}

impl Plan<'_> {
    /// The statement reading the newest `rows` records.
    pub fn window_statement(&self, rows: i64) -> Statement {
        let c = conditions(self.query, self.incident, false);
        Statement {
            sql: format!(
                "SELECT data FROM (SELECT * FROM {} ORDER BY written_at DESC, record_id
                 LIMIT {rows}) newest {} {}",
                self.table.sql(),
                c.where_clause(),
                order(self.limit)
            ),
            conditions: c,
        }
    }

    /// The window after one of `read` rows held `hits`.
    pub fn next_window(&self, read: i64, hits: i64) -> Option<i64> {
        next_window_rows(
            read,
            hits,
            self.limit,
            self.statistics.table_rows,
            self.max_window,
        )
    }
}

/// How `search` will read `query`'s rows from `table`, with newest windows of at most
/// `max_window` rows.
pub async fn plan<'a, C: GenericClient>(
    client: &C,
    table: Table<'a>,
    query: &'a Query,
    incident: Option<IncidentId>,
    limit: i64,
    max_window: i64,
) -> Result<Plan<'a>> {
    let grams = query.required_grams();
    let statistics = if grams.is_empty() {
        GramStatistics {
            rarest_share: 0.0,
            table_rows: 0.0,
        }
    } else {
        gram_statistics(client, table, &grams).await?
    };
    let full = conditions(query, incident, true);
    Ok(Plan {
        table,
        query,
        incident,
        limit,
        window: window_rows(
            statistics.rarest_share,
            limit,
            statistics.table_rows,
            max_window,
        ),
        max_window,
        statistics,
        full: Statement {
            sql: format!(
                "SELECT data FROM {} {} {}",
                table.sql(),
                full.where_clause(),
                order(limit)
            ),
            conditions: full,
        },
    })
}

async fn fetch<C: GenericClient>(client: &C, statement: &Statement) -> Result<Vec<RecordState>> {
    client
        .query(&statement.sql, &statement.params())
        .await?
        .iter()
        .map(|row| crate::store::decoded(row, 0))
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

/// [`search`] with newest windows of at most `max_window` rows (tests use small ones).
pub async fn search_with_window<C: GenericClient>(
    client: &C,
    table: Table<'_>,
    query: &Query,
    incident: Option<IncidentId>,
    limit: i64,
    max_window: i64,
) -> Result<(Vec<RecordState>, bool)> {
    let plan = plan(client, table, query, incident, limit, max_window).await?;
    let cut = |mut states: Vec<RecordState>| {
        let truncated = states.len() as i64 > limit;
        states.truncate(limit as usize);
        (states, truncated)
    };
    let mut window = plan.window;
    while let Some(rows) = window {
        let states = fetch(client, &plan.window_statement(rows)).await?;
        if states.len() as i64 > limit {
            return Ok(cut(states));
        }
        window = plan.next_window(rows, states.len() as i64);
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
                state: crate::store::decoded(row, 0)?,
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
        let (max, national) = (NEWEST_WINDOW, 10_000_000.0);
        assert_eq!(
            window_rows(0.078, 100, national, max),
            Some(2_590),
            "202 hits at 7.8 %"
        );
        assert_eq!(
            window_rows(0.01, 100, national, max),
            Some(FIRST_WINDOW),
            "20,200 rows for 202 hits: the first window is a probe of at most 20,000"
        );
        assert_eq!(
            window_rows(0.0081, 100, national, max),
            Some(FIRST_WINDOW),
            "番地の: 81,041 hits in 10 M, about 162 in the newest 20,000"
        );
        assert_eq!(window_rows(0.01, 100, national, 5_000), Some(5_000));
        assert_eq!(
            window_rows(COMMON_GRAM_SHARE, 100, national, max),
            Some(FIRST_WINDOW),
            "100 ms of walking against 140 ms in the gram index"
        );
        assert_eq!(
            window_rows(COMMON_GRAM_SHARE, 100, 1_000_000.0, max),
            None,
            "1,000 hits in 1 M: the gram index"
        );
        assert_eq!(window_rows(0.5, 100, 1_500.0, max), Some(404));
        assert_eq!(
            window_rows(0.05, 100, 1_500.0, max),
            None,
            "4,040 rows to walk for 75 hits: the gram index is cheaper"
        );
        assert_eq!(
            window_rows(0.0009, 100, national, max),
            None,
            "a rare gram: the gram index"
        );
        assert_eq!(
            window_rows(0.0, 100, national, max),
            None,
            "no statistics: the gram index"
        );
        assert_eq!(
            window_rows(0.5, 100, national, 100),
            None,
            "a window no larger than the limit"
        );
    }

    /// The 10 M run's worst partial query, `町2丁目1`: 23 hits in a first window of
    /// 1,457 rows, then the gram index for 2,655 ms; a second window of 12,797 rows
    /// holds about 202 hits.
    #[test]
    fn a_short_window_sizes_the_next_from_the_hits_it_held() {
        let (max, national) = (NEWEST_WINDOW, 10_000_000.0);
        assert_eq!(
            next_window_rows(1_457, 23, 100, national, max),
            Some(12_797)
        );
        assert_eq!(
            next_window_rows(1_000, 100, 100, national, max),
            Some(2_020)
        );
        assert_eq!(
            next_window_rows(1_457, 23, 100, 1_000_000.0, max),
            Some(12_797),
            "at 1 M the gram index would still take 15,800 hits"
        );
        assert_eq!(
            next_window_rows(1_457, 23, 100, 100_000.0, max),
            None,
            "at 100,000 rows the gram index finds 1,580 hits sooner"
        );
        assert_eq!(
            next_window_rows(1_457, 0, 100, national, max),
            None,
            "no hit: they are rare"
        );
        assert_eq!(
            next_window_rows(20_000, 30, 100, national, max),
            None,
            "134,667 rows: more than max"
        );
        assert_eq!(
            next_window_rows(1_457, 101, 100, national, max),
            None,
            "the window was the answer"
        );
    }
}
