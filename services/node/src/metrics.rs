//! What an operator watches (issue 22, item 5): counters and histograms the node keeps
//! in memory since it started, and the Prometheus text format (version 0.0.4) they and
//! the gauges read at each scrape (`crate::metrics_listener`) are written in. A leaf:
//! the writer, the search and the login record here without depending on anything.
//!
//! One node runs per process, so the registry is the process's ([`METRICS`]). Nothing
//! here holds personal data: counts, durations and jurisdiction codes only.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::LazyLock;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// The process's registry.
pub static METRICS: LazyLock<Metrics> = LazyLock::new(Metrics::new);

/// A counter that only goes up.
#[derive(Debug, Default)]
pub struct Counter(AtomicU64);

impl Counter {
    pub fn add(&self, n: u64) {
        self.0.fetch_add(n, Ordering::Relaxed);
    }

    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// Observations counted into fixed buckets (upper bounds, ascending), with their sum.
#[derive(Debug)]
pub struct Histogram {
    bounds: &'static [f64],
    /// One count per bound (not cumulative; `render` sums them) and one for +Inf.
    counts: Vec<AtomicU64>,
    /// The sum of the observations, as f64 bits.
    sum: AtomicU64,
}

impl Histogram {
    pub fn new(bounds: &'static [f64]) -> Histogram {
        debug_assert!(bounds.windows(2).all(|w| w[0] < w[1]));
        Histogram {
            bounds,
            counts: (0..=bounds.len()).map(|_| AtomicU64::new(0)).collect(),
            sum: AtomicU64::new(0f64.to_bits()),
        }
    }

    pub fn observe(&self, value: f64) {
        let index = self
            .bounds
            .iter()
            .position(|bound| value <= *bound)
            .unwrap_or(self.bounds.len());
        self.counts[index].fetch_add(1, Ordering::Relaxed);
        let _ = self
            .sum
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |bits| {
                Some((f64::from_bits(bits) + value).to_bits())
            });
    }

    pub fn observe_duration(&self, elapsed: Duration) {
        self.observe(elapsed.as_secs_f64());
    }

    /// Cumulative counts per bound, then +Inf (= the count), and the sum.
    fn snapshot(&self) -> (Vec<u64>, f64) {
        let mut total = 0;
        let cumulative = self
            .counts
            .iter()
            .map(|count| {
                total += count.load(Ordering::Relaxed);
                total
            })
            .collect();
        (cumulative, f64::from_bits(self.sum.load(Ordering::Relaxed)))
    }
}

/// Seconds, from 0.5 ms to 10 s.
const SECONDS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
/// Events per group commit (the writer groups at most 1,024 commands).
const GROUP_SIZES: &[f64] = &[
    1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0, 1024.0, 4096.0,
];

/// How a search was asked (S-01..S-03): its `kind` and `area` labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct SearchKind {
    /// `exact` (tolerant exact) or `partial`.
    pub partial: bool,
    /// The shared replica rather than the private area.
    pub shared: bool,
}

/// The in-memory series.
#[derive(Debug)]
pub struct Metrics {
    pub events_appended: Counter,
    pub writer_group_size: Histogram,
    pub writer_commit_seconds: Histogram,
    pub login_failures: Counter,
    search_seconds: Mutex<BTreeMap<SearchKind, Histogram>>,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        Metrics {
            events_appended: Counter::default(),
            writer_group_size: Histogram::new(GROUP_SIZES),
            writer_commit_seconds: Histogram::new(SECONDS),
            login_failures: Counter::default(),
            search_seconds: Mutex::new(BTreeMap::new()),
        }
    }

    /// One group commit of the writer: `events` appended in `elapsed`.
    pub fn committed(&self, events: usize, elapsed: Duration) {
        self.events_appended.add(events as u64);
        self.writer_group_size.observe(events as f64);
        self.writer_commit_seconds.observe_duration(elapsed);
    }

    pub fn searched(&self, kind: SearchKind, elapsed: Duration) {
        let mut map = self
            .search_seconds
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        map.entry(kind)
            .or_insert_with(|| Histogram::new(SECONDS))
            .observe_duration(elapsed);
    }

    /// The in-memory series in the text format.
    pub fn render(&self, out: &mut Exposition) {
        out.counter(
            "anpi_events_appended_total",
            "Events this node's writer appended to its log since the process started.",
            &[(&[], self.events_appended.get() as f64)],
        );
        out.histogram(
            "anpi_writer_group_size",
            "Events per group commit of the writer.",
            &[(&[], &self.writer_group_size)],
        );
        out.histogram(
            "anpi_writer_commit_seconds",
            "Time to write and commit one group of events.",
            &[(&[], &self.writer_commit_seconds)],
        );
        let searches = self
            .search_seconds
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let labels: Vec<([(&str, String); 2], &Histogram)> = searches
            .iter()
            .map(|(kind, histogram)| {
                (
                    [
                        (
                            "kind",
                            if kind.partial { "partial" } else { "exact" }.to_string(),
                        ),
                        (
                            "area",
                            if kind.shared { "shared" } else { "private" }.to_string(),
                        ),
                    ],
                    histogram,
                )
            })
            .collect();
        let series: Vec<(&[(&str, String)], &Histogram)> = labels
            .iter()
            .map(|(labels, histogram)| (labels.as_slice(), *histogram))
            .collect();
        out.histogram(
            "anpi_search_seconds",
            "Search latency by kind (exact or partial) and area (private or shared).",
            &series,
        );
        out.counter(
            "anpi_login_failures_total",
            "Refused logins (wrong password, unknown or locked account, throttled).",
            &[(&[], self.login_failures.get() as f64)],
        );
    }
}

/// A Prometheus text-format page being written.
#[derive(Debug, Default)]
pub struct Exposition {
    text: String,
}

/// One sample's labels.
pub type Labels<'a> = &'a [(&'a str, String)];

impl Exposition {
    pub fn into_text(self) -> String {
        self.text
    }

    fn header(&mut self, name: &str, help: &str, kind: &str) {
        let _ = writeln!(self.text, "# HELP {name} {help}");
        let _ = writeln!(self.text, "# TYPE {name} {kind}");
    }

    fn sample(&mut self, name: &str, labels: Labels<'_>, extra: Option<(&str, &str)>, value: f64) {
        self.text.push_str(name);
        let mut all: Vec<(&str, &str)> = labels.iter().map(|(k, v)| (*k, v.as_str())).collect();
        all.extend(extra);
        if !all.is_empty() {
            self.text.push('{');
            for (i, (key, value)) in all.iter().enumerate() {
                if i > 0 {
                    self.text.push(',');
                }
                let _ = write!(self.text, "{key}=\"{}\"", escape(value));
            }
            self.text.push('}');
        }
        let _ = writeln!(self.text, " {}", number(value));
    }

    pub fn counter(&mut self, name: &str, help: &str, samples: &[(Labels<'_>, f64)]) {
        self.header(name, help, "counter");
        for (labels, value) in samples {
            self.sample(name, labels, None, *value);
        }
    }

    pub fn gauge(&mut self, name: &str, help: &str, samples: &[(Labels<'_>, f64)]) {
        self.header(name, help, "gauge");
        for (labels, value) in samples {
            self.sample(name, labels, None, *value);
        }
    }

    pub fn histogram(&mut self, name: &str, help: &str, series: &[(Labels<'_>, &Histogram)]) {
        self.header(name, help, "histogram");
        let bucket = format!("{name}_bucket");
        for (labels, histogram) in series {
            let (cumulative, sum) = histogram.snapshot();
            for (bound, count) in histogram.bounds.iter().zip(&cumulative) {
                let le = number(*bound);
                self.sample(&bucket, labels, Some(("le", &le)), *count as f64);
            }
            let count = *cumulative.last().unwrap_or(&0) as f64;
            self.sample(&bucket, labels, Some(("le", "+Inf")), count);
            self.sample(&format!("{name}_sum"), labels, None, sum);
            self.sample(&format!("{name}_count"), labels, None, count);
        }
    }
}

/// A label value with `\`, `"` and newlines escaped.
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// A sample value: integers without a fraction, the rest as Rust prints them.
fn number(value: f64) -> String {
    if value.is_finite() && value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{}", value as i64)
    } else if value.is_nan() {
        "NaN".into()
    } else if value.is_infinite() {
        if value > 0.0 { "+Inf" } else { "-Inf" }.into()
    } else {
        format!("{value}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histograms_are_cumulative_with_sum_and_count() {
        let metrics = Metrics::new();
        metrics.committed(1, Duration::from_millis(2));
        metrics.committed(100, Duration::from_millis(40));
        metrics.committed(5000, Duration::from_secs(30));
        let mut out = Exposition::default();
        metrics.render(&mut out);
        let text = out.into_text();
        assert!(
            text.contains(
                "# TYPE anpi_events_appended_total counter\nanpi_events_appended_total 5101\n"
            ),
            "{text}"
        );
        assert!(text.contains("anpi_writer_group_size_bucket{le=\"1\"} 1\n"));
        assert!(text.contains("anpi_writer_group_size_bucket{le=\"64\"} 1\n"));
        assert!(text.contains("anpi_writer_group_size_bucket{le=\"128\"} 2\n"));
        assert!(text.contains("anpi_writer_group_size_bucket{le=\"4096\"} 2\n"));
        assert!(text.contains("anpi_writer_group_size_bucket{le=\"+Inf\"} 3\n"));
        assert!(text.contains("anpi_writer_group_size_sum 5101\nanpi_writer_group_size_count 3\n"));
        assert!(text.contains("anpi_writer_commit_seconds_bucket{le=\"0.0025\"} 1\n"));
        assert!(text.contains("anpi_writer_commit_seconds_bucket{le=\"0.05\"} 2\n"));
        assert!(text.contains("anpi_writer_commit_seconds_bucket{le=\"10\"} 2\n"));
        assert!(text.contains("anpi_writer_commit_seconds_count 3\n"));
    }

    #[test]
    fn searches_are_labelled_by_kind_and_area() {
        let metrics = Metrics::new();
        let partial_shared = SearchKind {
            partial: true,
            shared: true,
        };
        metrics.searched(partial_shared, Duration::from_millis(3));
        metrics.searched(
            SearchKind {
                partial: false,
                shared: false,
            },
            Duration::from_micros(300),
        );
        metrics.login_failures.add(2);
        let mut out = Exposition::default();
        metrics.render(&mut out);
        let text = out.into_text();
        assert!(text.contains(
            "anpi_search_seconds_bucket{kind=\"partial\",area=\"shared\",le=\"0.005\"} 1\n"
        ));
        assert!(text.contains(
            "anpi_search_seconds_bucket{kind=\"partial\",area=\"shared\",le=\"0.0025\"} 0\n"
        ));
        assert!(text.contains(
            "anpi_search_seconds_bucket{kind=\"exact\",area=\"private\",le=\"0.0005\"} 1\n"
        ));
        assert!(text.contains("anpi_search_seconds_count{kind=\"exact\",area=\"private\"} 1\n"));
        assert!(text.contains("anpi_login_failures_total 2\n"));
        // Every sample line is `name[{labels}] value`, every family typed once.
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let (_, value) = line.rsplit_once(' ').unwrap();
            assert!(value.parse::<f64>().is_ok() || value == "+Inf", "{line}");
        }
        assert_eq!(text.matches("# TYPE anpi_search_seconds ").count(), 1);
    }

    #[test]
    fn label_values_are_escaped() {
        let mut out = Exposition::default();
        out.gauge(
            "anpi_x",
            "help",
            &[(&[("child", "a\"b\\c\nd".to_string())], 1.5)],
        );
        assert!(
            out.into_text()
                .contains("anpi_x{child=\"a\\\"b\\\\c\\nd\"} 1.5\n")
        );
    }
}
