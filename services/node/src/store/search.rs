//! Search and organise queries over the stored search columns. R: S-01..S-04, P-04,
//! D-04, R-05.
//!
//! [`search`] turns an `anpi_core::search::Query` into SQL over a table with the
//! columns of `records` (the private area, or a shared-dataset replica): exact keys
//! for tolerant exact search; for partial search, `grams @> …` lets the GIN index
//! narrow the rows and `strpos` on the search key decides (ADR 0006).

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

/// The SQL conditions of a query (shared by search and the benchmark's plans).
fn conditions(query: &Query, incident: Option<IncidentId>) -> Conditions {
    let mut c = Conditions::default();
    if let Some(incident) = incident {
        c.push("incident_id = $?", incident.as_uuid());
    }
    let grams = query.required_grams();
    if !grams.is_empty() {
        c.push("grams @> $?::text[]", grams);
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

/// Records matching `query`, newest 記入日時 first; `true` when more than `limit` match.
pub async fn search<C: GenericClient>(
    client: &C,
    table: Table<'_>,
    query: &Query,
    incident: Option<IncidentId>,
    limit: i64,
) -> Result<(Vec<RecordState>, bool)> {
    let c = conditions(query, incident);
    let sql = format!(
        "SELECT data FROM {} {} ORDER BY written_at DESC, record_id LIMIT {}",
        table.sql(),
        c.where_clause(),
        limit + 1
    );
    let rows = client.query(&sql, &c.params()).await?;
    let mut states = rows
        .iter()
        .map(|row| Ok(serde_json::from_value(row.get::<_, serde_json::Value>(0))?))
        .collect::<Result<Vec<RecordState>>>()?;
    let truncated = states.len() as i64 > limit;
    states.truncate(limit as usize);
    Ok((states, truncated))
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
