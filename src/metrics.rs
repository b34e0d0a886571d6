//! `ferry metrics`: the CloudWatch metrics of each function (namespace
//! `AWS/Lambda`, dimension `FunctionName`): which queries to ask for, in
//! batches of at most 500 per `GetMetricData` call, and what to make of the
//! answers (totals, percentiles, a sparkline).
//!
//! `read` sends the queries through `aws::Metrics`; the rest is pure, and
//! the command in `cli::stack` prints what `summarize` and `table` return.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::aws::{AwsError, MAX_METRIC_QUERIES, MetricQuery, MetricSeries, Metrics};

/// Why `ferry metrics` failed: a window CloudWatch cannot answer, or a
/// `GetMetricData` call that failed (AWS's code kept).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("--since goes back beyond the 455 days CloudWatch keeps metrics")]
    TooFarBack,
    #[error("--since holds more than {MAX_PERIODS} periods of --period: use a longer --period")]
    TooManyPeriods,
    #[error("{0}")]
    Aws(#[from] AwsError),
}

impl Error {
    /// AWS's error code, when `GetMetricData` failed with one.
    pub fn code(&self) -> Option<&str> {
        match self {
            Error::Aws(e) => e.code(),
            _ => None,
        }
    }
}

const NAMESPACE: &str = "AWS/Lambda";

/// The series asked for at `--period`, per function: (short name, metric,
/// statistic).
const SERIES: [(&str, &str, &str); 8] = [
    ("invocations", "Invocations", "Sum"),
    ("errors", "Errors", "Sum"),
    ("throttles", "Throttles", "Sum"),
    ("duration_p50", "Duration", "p50"),
    ("duration_p90", "Duration", "p90"),
    ("duration_p99", "Duration", "p99"),
    ("duration_max", "Duration", "Maximum"),
    ("concurrency_max", "ConcurrentExecutions", "Maximum"),
];

/// Percentiles over the whole window, asked for with one period spanning
/// it: percentiles of periods cannot be combined into one.
const WINDOW: [(&str, &str, &str); 3] = [
    ("window_p50", "Duration", "p50"),
    ("window_p90", "Duration", "p90"),
    ("window_p99", "Duration", "p99"),
];

/// The time range asked for: `end` is `now` rounded up to the minute and
/// `start` is `since` before it, rounded to whole periods, so that
/// CloudWatch's buckets line up with ours.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Window {
    pub start_s: i64,
    pub end_s: i64,
    pub period_s: i64,
}

/// At most this many periods in a window (a day of minutes).
pub const MAX_PERIODS: u64 = 1440;

impl Window {
    /// Refuses a window of more than `MAX_PERIODS` periods, or longer than
    /// the 455 days CloudWatch keeps.
    pub fn new(now_s: i64, since_s: u64, period_s: u64) -> Result<Window, Error> {
        const KEPT_S: u64 = 455 * 86_400;
        if since_s > KEPT_S {
            return Err(Error::TooFarBack);
        }
        let period = period_s.clamp(60, KEPT_S).div_ceil(60) * 60;
        if since_s.div_ceil(period) > MAX_PERIODS {
            return Err(Error::TooManyPeriods);
        }
        let period_s = period as i64;
        let end_s = (now_s + 59).div_euclid(60) * 60;
        let span = (since_s.max(1) as i64 + period_s - 1) / period_s * period_s;
        Ok(Window {
            start_s: end_s - span,
            end_s,
            period_s,
        })
    }

    /// The start of every period, oldest first.
    pub fn buckets(&self) -> Vec<i64> {
        (self.start_s..self.end_s)
            .step_by(self.period_s.max(1) as usize)
            .collect()
    }
}

/// A percentile (`p99`): CloudWatch's extended statistics, which some
/// emulators do not serve.
pub fn is_percentile(q: &MetricQuery) -> bool {
    q.stat.starts_with('p')
}

/// Every query for these functions (physical names), in batches of at most
/// `MAX_METRIC_QUERIES`. Query ids are `f<index>_<short name>`.
pub fn queries(physical: &[String], w: &Window) -> Vec<Vec<MetricQuery>> {
    let mut all = Vec::new();
    for (i, name) in physical.iter().enumerate() {
        let q = |short: &str, metric: &str, stat: &str, period: i64| MetricQuery {
            id: format!("f{i}_{short}"),
            namespace: NAMESPACE.to_string(),
            metric: metric.to_string(),
            dimensions: vec![("FunctionName".to_string(), name.clone())],
            stat: stat.to_string(),
            period_s: period.clamp(60, i32::MAX as i64) as i32,
        };
        for (short, metric, stat) in SERIES {
            all.push(q(short, metric, stat, w.period_s));
        }
        for (short, metric, stat) in WINDOW {
            all.push(q(short, metric, stat, w.end_s - w.start_s));
        }
    }
    all.chunks(MAX_METRIC_QUERIES).map(<[_]>::to_vec).collect()
}

/// What `read` got.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Read {
    pub series: Vec<MetricSeries>,
    /// Why the percentiles are unknown, when the service could not compute
    /// them.
    pub percentiles_unavailable: Option<AwsError>,
}

/// Every series of these functions (physical names) over the window, one
/// `GetMetricData` call per batch of `queries`. When a batch fails, it is
/// asked again without its percentiles, then the percentiles alone: a
/// service that cannot compute them (moto) leaves them unknown and the
/// other figures still count. Any other failure is an error.
pub async fn read<M: Metrics>(aws: &M, physical: &[String], w: &Window) -> Result<Read, Error> {
    let mut out = Read::default();
    for batch in queries(physical, w) {
        let e = match aws.metric_data(&batch, w.start_s, w.end_s).await {
            Ok(s) => {
                out.series.extend(s);
                continue;
            }
            Err(e) => e,
        };
        let (percentiles, plain): (Vec<MetricQuery>, Vec<MetricQuery>) =
            batch.into_iter().partition(is_percentile);
        if percentiles.is_empty() {
            return Err(e.into());
        }
        if !plain.is_empty() {
            out.series
                .extend(aws.metric_data(&plain, w.start_s, w.end_s).await?);
        }
        match aws.metric_data(&percentiles, w.start_s, w.end_s).await {
            Ok(s) => out.series.extend(s),
            Err(e) => out.percentiles_unavailable = Some(e),
        }
    }
    Ok(out)
}

/// The figures of one function over the window. `None`: no datapoint.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Summary {
    pub function: String,
    pub invocations: f64,
    pub errors: f64,
    /// Errors per invocation (0 to 1), when there were invocations.
    pub error_rate: Option<f64>,
    pub throttles: f64,
    /// Milliseconds.
    pub duration_p50: Option<f64>,
    pub duration_p90: Option<f64>,
    pub duration_p99: Option<f64>,
    pub duration_max: Option<f64>,
    pub concurrency_max: Option<f64>,
    /// Invocations per period, one value per bucket of the window.
    pub invocations_series: Vec<f64>,
    /// Every series as CloudWatch returned it, by short name.
    pub series: BTreeMap<String, Points>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Default)]
pub struct Points {
    pub timestamps: Vec<i64>,
    pub values: Vec<f64>,
}

/// The summaries of the functions (names as in the manifest, in the order
/// given to `queries`) from every series returned.
pub fn summarize(functions: &[String], w: &Window, series: &[MetricSeries]) -> Vec<Summary> {
    let by_id: BTreeMap<&str, &MetricSeries> = series.iter().map(|s| (s.id.as_str(), s)).collect();
    functions
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let get = |short: &str| by_id.get(format!("f{i}_{short}").as_str()).copied();
            let values = |short: &str| get(short).map(|s| s.values.clone()).unwrap_or_default();
            // From +0.0: an empty sum is then 0, never -0.
            let sum = |short: &str| values(short).iter().fold(0.0, |a, v| a + v);
            let max = |short: &str| values(short).into_iter().reduce(f64::max);
            // A window percentile; should CloudWatch split the window in
            // two periods, the larger value (never understating).
            let pct = |short: &str| max(short);
            let invocations = sum("invocations");
            let errors = sum("errors");
            let buckets = w.buckets();
            let mut per_bucket = vec![0.0; buckets.len()];
            if let Some(s) = get("invocations") {
                for (t, v) in s.timestamps.iter().zip(&s.values) {
                    if let Some(b) = buckets.iter().rposition(|b| b <= t) {
                        per_bucket[b] += v;
                    }
                }
            }
            Summary {
                function: f.clone(),
                invocations,
                errors,
                error_rate: (invocations > 0.0).then(|| errors / invocations),
                throttles: sum("throttles"),
                duration_p50: pct("window_p50"),
                duration_p90: pct("window_p90"),
                duration_p99: pct("window_p99"),
                duration_max: max("duration_max"),
                concurrency_max: max("concurrency_max"),
                invocations_series: per_bucket,
                series: SERIES
                    .iter()
                    .map(|(short, _, _)| {
                        let p = get(short)
                            .map(|s| Points {
                                timestamps: s.timestamps.clone(),
                                values: s.values.clone(),
                            })
                            .unwrap_or_default();
                        (short.to_string(), p)
                    })
                    .collect(),
            }
        })
        .collect()
}

/// The widest sparkline: longer series are summed into this many columns.
pub const SPARKLINE_WIDTH: usize = 60;

/// `▁▂▄█`: one block per value (adjacent values summed beyond
/// `SPARKLINE_WIDTH`), scaled to the largest.
pub fn sparkline(values: &[f64]) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let group = values.len().div_ceil(SPARKLINE_WIDTH).max(1);
    let values: Vec<f64> = values
        .chunks(group)
        .map(|c| c.iter().fold(0.0, |a, v| a + v))
        .collect();
    let top = values.iter().copied().fold(0.0_f64, f64::max);
    values
        .iter()
        .map(|v| {
            if top <= 0.0 || *v <= 0.0 {
                BARS[0]
            } else {
                let i = ((v / top) * 7.0).round() as usize;
                BARS[i.clamp(1, 7)]
            }
        })
        .collect()
}

fn count(v: f64) -> String {
    format!("{}", v.round() as i64)
}

fn ms(v: Option<f64>) -> String {
    match v {
        None => "-".to_string(),
        Some(v) if v >= 1000.0 => format!("{:.2} s", v / 1000.0),
        Some(v) if v >= 10.0 => format!("{v:.0} ms"),
        Some(v) => format!("{v:.1} ms"),
    }
}

/// `1m`, `5m`, `1h`: the period as the flags write it.
fn period_label(s: i64) -> String {
    if s % 3600 == 0 {
        format!("{}h", s / 3600)
    } else {
        format!("{}m", s / 60)
    }
}

/// The table of `ferry metrics`, one row per function.
pub fn table(rows: &[Summary], w: &Window) -> String {
    let head = [
        "FUNCTION".to_string(),
        "INVOCATIONS".to_string(),
        "ERRORS".to_string(),
        "ERROR %".to_string(),
        "THROTTLES".to_string(),
        "P50".to_string(),
        "P90".to_string(),
        "P99".to_string(),
        "MAX".to_string(),
        "CONCURRENCY".to_string(),
        format!(
            "INVOCATIONS PER {}",
            period_label(w.period_s * w.buckets().len().div_ceil(SPARKLINE_WIDTH).max(1) as i64)
        ),
    ];
    let mut cells: Vec<Vec<String>> = vec![head.to_vec()];
    for r in rows {
        cells.push(vec![
            r.function.clone(),
            count(r.invocations),
            count(r.errors),
            r.error_rate
                .map(|e| format!("{:.1}%", e * 100.0))
                .unwrap_or_else(|| "-".into()),
            count(r.throttles),
            ms(r.duration_p50),
            ms(r.duration_p90),
            ms(r.duration_p99),
            ms(r.duration_max),
            r.concurrency_max.map(count).unwrap_or_else(|| "-".into()),
            sparkline(&r.invocations_series),
        ]);
    }
    let cols = head.len();
    let widths: Vec<usize> = (0..cols)
        .map(|c| {
            cells
                .iter()
                .map(|r| r[c].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for row in &cells {
        let mut line = String::new();
        for (c, cell) in row.iter().enumerate() {
            let pad = widths[c] - cell.chars().count();
            if c == 0 || c == cols - 1 {
                line.push_str(cell);
                if c != cols - 1 {
                    line.push_str(&" ".repeat(pad));
                }
            } else {
                line.push_str(&" ".repeat(pad));
                line.push_str(cell);
            }
            if c != cols - 1 {
                line.push_str("  ");
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(id: &str, points: &[(i64, f64)]) -> MetricSeries {
        MetricSeries {
            id: id.into(),
            timestamps: points.iter().map(|p| p.0).collect(),
            values: points.iter().map(|p| p.1).collect(),
        }
    }

    #[test]
    fn the_window_lines_up_with_minutes_and_periods() {
        let w = Window::new(1_000_030, 3600, 60).unwrap();
        assert_eq!(w.end_s % 60, 0);
        assert!(w.end_s >= 1_000_030);
        assert_eq!(w.end_s - w.start_s, 3600);
        assert_eq!(w.buckets().len(), 60);
        let w = Window::new(1_000_030, 600, 90).unwrap();
        assert_eq!(w.period_s, 120);
        assert_eq!(w.end_s - w.start_s, 600);
        assert!(Window::new(1_000_030, 86_400, 60).is_ok());
        assert!(Window::new(1_000_030, 86_401, 60).is_err());
        assert!(Window::new(1_000_030, 1000 * 86_400, 86_400).is_err());
    }

    #[test]
    fn queries_are_batched_by_500() {
        let w = Window::new(1_000_000, 3600, 60).unwrap();
        let names: Vec<String> = (0..50).map(|i| format!("app-dev-f{i}")).collect();
        let batches = queries(&names, &w);
        let n: usize = batches.iter().map(Vec::len).sum();
        assert_eq!(n, 50 * 11);
        assert_eq!(batches.len(), 2);
        assert!(batches.iter().all(|b| b.len() <= 500));
        let many: Vec<String> = (0..100).map(|i| format!("app-dev-f{i}")).collect();
        let sizes: Vec<usize> = queries(&many, &w).iter().map(Vec::len).collect();
        assert_eq!(sizes, [500, 500, 100]);
        let q = &batches[0][0];
        assert_eq!(q.id, "f0_invocations");
        assert_eq!(q.dimensions, [("FunctionName".into(), "app-dev-f0".into())]);
        let p99 = batches[0].iter().find(|q| q.id == "f0_window_p99").unwrap();
        assert_eq!(p99.period_s, 3600);
        assert_eq!(p99.stat, "p99");
    }

    /// GetMetricData as recorded: answers per query id, or a failure for
    /// the calls of percentiles (as moto answers them).
    struct Recorded {
        answers: Vec<MetricSeries>,
        fail_percentiles: bool,
        calls: std::cell::RefCell<Vec<usize>>,
    }

    impl Metrics for Recorded {
        async fn metric_data(
            &self,
            queries: &[MetricQuery],
            _: i64,
            _: i64,
        ) -> crate::aws::AwsResult<Vec<MetricSeries>> {
            self.calls.borrow_mut().push(queries.len());
            if self.fail_percentiles && queries.iter().any(is_percentile) {
                return Err(crate::aws::AwsError {
                    code: None,
                    message: "GetMetricData: HTTP 500".into(),
                });
            }
            Ok(self
                .answers
                .iter()
                .filter(|a| queries.iter().any(|q| q.id == a.id))
                .cloned()
                .collect())
        }
    }

    /// GetMetricData refusing every call with this code.
    struct Refusing(&'static str);

    impl Metrics for Refusing {
        async fn metric_data(
            &self,
            _: &[MetricQuery],
            _: i64,
            _: i64,
        ) -> crate::aws::AwsResult<Vec<MetricSeries>> {
            Err(AwsError {
                code: Some(self.0.into()),
                message: "GetMetricData: Rate exceeded".into(),
            })
        }
    }

    #[test]
    fn a_failure_without_percentiles_to_drop_keeps_its_code() {
        let w = Window {
            start_s: 0,
            end_s: 3600,
            period_s: 60,
        };
        let e = block_on(read(&Refusing("Throttling"), &["app-dev-api".into()], &w)).unwrap_err();
        assert_eq!(e.code(), Some("Throttling"));
        assert_eq!(e.to_string(), "GetMetricData: Rate exceeded");
        assert_eq!(
            Window::new(0, 456 * 86_400, 86_400).unwrap_err().code(),
            None
        );
    }

    fn block_on<F: std::future::Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(f)
    }

    #[test]
    fn percentiles_from_recorded_answers_and_their_absence() {
        let w = Window {
            start_s: 0,
            end_s: 3600,
            period_s: 60,
        };
        let answers = vec![
            series("f0_invocations", &[(0, 90.0), (60, 10.0)]),
            series("f0_duration_p50", &[(0, 11.0), (60, 13.0)]),
            series("f0_window_p50", &[(0, 12.0)]),
            series("f0_window_p90", &[(0, 48.5)]),
            series("f0_window_p99", &[(0, 230.0)]),
            series("f0_duration_max", &[(0, 250.0), (60, 120.0)]),
        ];
        let aws = Recorded {
            answers: answers.clone(),
            fail_percentiles: false,
            calls: Default::default(),
        };
        let r = block_on(read(&aws, &["app-dev-api".into()], &w)).unwrap();
        // One call for the 11 queries of one function.
        assert_eq!(*aws.calls.borrow(), [11]);
        assert_eq!(r.percentiles_unavailable, None);
        let rows = summarize(&["api".into()], &w, &r.series);
        assert_eq!(
            (
                rows[0].duration_p50,
                rows[0].duration_p90,
                rows[0].duration_p99
            ),
            (Some(12.0), Some(48.5), Some(230.0))
        );
        assert_eq!(rows[0].duration_max, Some(250.0));
        assert_eq!(rows[0].series["duration_p50"].values, [11.0, 13.0]);
        let t = table(&rows, &w);
        assert!(
            t.contains("12 ms") && t.contains("48 ms") && t.contains("230 ms"),
            "{t}"
        );

        let moto = Recorded {
            answers,
            fail_percentiles: true,
            calls: Default::default(),
        };
        let r = block_on(read(&moto, &["app-dev-api".into()], &w)).unwrap();
        // Refused with its percentiles, asked again without, then for them.
        assert_eq!(*moto.calls.borrow(), [11, 5, 6]);
        assert_eq!(
            r.percentiles_unavailable
                .as_ref()
                .map(|e| e.message.as_str()),
            Some("GetMetricData: HTTP 500")
        );
        let rows = summarize(&["api".into()], &w, &r.series);
        assert_eq!(rows[0].invocations, 100.0);
        assert_eq!(rows[0].duration_p99, None);
    }

    #[test]
    fn sums_rates_percentiles_and_the_sparkline() {
        let w = Window {
            start_s: 0,
            end_s: 240,
            period_s: 60,
        };
        let s = vec![
            series("f0_invocations", &[(0, 10.0), (120, 30.0), (180, 0.0)]),
            series("f0_errors", &[(0, 1.0), (120, 2.0)]),
            series("f0_duration_max", &[(0, 80.0), (120, 250.0)]),
            series("f0_window_p99", &[(0, 240.0)]),
            series("f0_concurrency_max", &[(0, 2.0), (120, 5.0)]),
        ];
        let rows = summarize(&["api".into(), "idle".into()], &w, &s);
        assert_eq!(rows[0].invocations, 40.0);
        assert_eq!(rows[0].errors, 3.0);
        assert_eq!(rows[0].error_rate, Some(0.075));
        assert_eq!(rows[0].duration_p99, Some(240.0));
        assert_eq!(rows[0].duration_p50, None);
        assert_eq!(rows[0].duration_max, Some(250.0));
        assert_eq!(rows[0].concurrency_max, Some(5.0));
        assert_eq!(rows[0].invocations_series, [10.0, 0.0, 30.0, 0.0]);
        assert_eq!(sparkline(&rows[0].invocations_series), "▃▁█▁");
        let day: Vec<f64> = (0..1440).map(|i| (i / 24) as f64).collect();
        let line = sparkline(&day);
        assert_eq!(line.chars().count(), 60);
        assert!(line.ends_with('█'));
        let day = Window::new(86_400 * 100, 86_400, 60).unwrap();
        assert!(table(&[], &day).contains("INVOCATIONS PER 24m"));
        assert_eq!(rows[1].error_rate, None);
        assert!(rows[1].errors.is_sign_positive());
        let t = table(&rows, &w);
        assert!(t.contains("7.5%"), "{t}");
        assert!(t.contains("240 ms"), "{t}");
        assert!(t.contains("INVOCATIONS PER 1m"), "{t}");
    }
}
