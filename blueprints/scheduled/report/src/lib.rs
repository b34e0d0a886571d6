//! A scheduled report. Two EventBridge rules invoke the function: a daily one,
//! which sends the scheduled event itself, and a weekly one, which sends a
//! fixed payload (`{"report": "weekly"}`) instead. Either way the function
//! works out the period to report on, the previous whole day or the previous
//! week from Monday to Monday (UTC), and returns the report. The logic is
//! here, free of the runtime, so that it is tested with the sample events.

use aws_lambda_events::event::eventbridge::EventBridgeEvent;
use chrono::{DateTime, Datelike, NaiveTime, SecondsFormat, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Period {
    Daily,
    Weekly,
}

/// The fixed payload of a schedule (its `payload:` in ferry.yaml).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Task {
    pub report: Period,
}

#[derive(Debug, PartialEq, Serialize)]
pub struct Report {
    pub report: Period,
    /// The period reported on: from (included) to (excluded), in RFC 3339.
    pub from: String,
    pub to: String,
    /// When the schedule fired.
    pub scheduled_at: String,
    /// The rule that sent the scheduled event; none for a fixed payload.
    pub rule: Option<String>,
}

/// The period of a report run at `at`: the previous day, or the previous
/// week from Monday 00:00 UTC.
pub fn period(report: Period, at: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
    let midnight = at.date_naive().and_time(NaiveTime::MIN).and_utc();
    match report {
        Period::Daily => (midnight - TimeDelta::days(1), midnight),
        Period::Weekly => {
            let monday = midnight - TimeDelta::days(at.weekday().num_days_from_monday().into());
            (monday - TimeDelta::weeks(1), monday)
        }
    }
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Handles one invocation: a scheduled event (a daily report at the event's
/// time) or a fixed payload (the report it names, at `now`).
pub fn handle(payload: Value, now: DateTime<Utc>) -> Result<Report, String> {
    let (report, at, rule) = if payload.get("detail-type").is_some() {
        let event: EventBridgeEvent = serde_json::from_value(payload)
            .map_err(|e| format!("not an EventBridge event: {e}"))?;
        if event.source != "aws.events" || event.detail_type != "Scheduled Event" {
            return Err(format!(
                "not a scheduled event: `{}` from `{}`",
                event.detail_type, event.source
            ));
        }
        let rule = event
            .resources
            .unwrap_or_default()
            .first()
            .and_then(|arn| arn.rsplit_once(":rule/").map(|(_, name)| name.to_string()));
        (Period::Daily, event.time.unwrap_or(now), rule)
    } else {
        let task: Task = serde_json::from_value(payload).map_err(|e| {
            format!("expected a scheduled event or {{\"report\": \"daily\" | \"weekly\"}}: {e}")
        })?;
        (task.report, now, None)
    };
    let (from, to) = period(report, at);
    Ok(Report {
        report,
        from: rfc3339(from),
        to: rfc3339(to),
        scheduled_at: rfc3339(at),
        rule,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event(name: &str) -> Value {
        let path = format!("{}/../events/{name}", env!("CARGO_MANIFEST_DIR"));
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    fn at(t: &str) -> DateTime<Utc> {
        t.parse().unwrap()
    }

    #[test]
    fn the_scheduled_event_reports_on_the_previous_day() {
        // `now` is late: the period follows the event's time.
        let r = handle(event("daily.json"), at("2026-11-23T06:00:42Z")).unwrap();
        assert_eq!(
            r,
            Report {
                report: Period::Daily,
                from: "2026-11-22T00:00:00Z".into(),
                to: "2026-11-23T00:00:00Z".into(),
                scheduled_at: "2026-11-23T06:00:00Z".into(),
                rule: Some("my-app-dev-ReportSchedule0-1A2B3C4D5E6F7".into()),
            }
        );
    }

    #[test]
    fn the_weekly_payload_reports_on_the_previous_week() {
        let monday = handle(event("weekly.json"), at("2026-11-23T06:30:00Z")).unwrap();
        assert_eq!(monday.report, Period::Weekly);
        assert_eq!(
            (monday.from.as_str(), monday.to.as_str()),
            ("2026-11-16T00:00:00Z", "2026-11-23T00:00:00Z")
        );
        assert_eq!(monday.rule, None);
        // Run by hand on a Sunday, it still reports on the last whole week.
        let sunday = handle(event("weekly.json"), at("2026-11-29T23:59:59Z")).unwrap();
        assert_eq!(
            (sunday.from.as_str(), sunday.to.as_str()),
            ("2026-11-16T00:00:00Z", "2026-11-23T00:00:00Z")
        );
    }

    #[test]
    fn a_report_is_returned_as_json() {
        let r = handle(json!({ "report": "daily" }), at("2026-03-01T06:00:00Z")).unwrap();
        assert_eq!(
            serde_json::to_value(r).unwrap(),
            json!({
                "report": "daily",
                "from": "2026-02-28T00:00:00Z",
                "to": "2026-03-01T00:00:00Z",
                "scheduled_at": "2026-03-01T06:00:00Z",
                "rule": null,
            })
        );
    }

    #[test]
    fn other_events_and_payloads_are_refused() {
        let now = at("2026-11-23T06:00:00Z");
        let mut other = event("daily.json");
        other["detail-type"] = json!("EC2 Instance State-change Notification");
        other["source"] = json!("aws.ec2");
        assert_eq!(
            handle(other, now).unwrap_err(),
            "not a scheduled event: `EC2 Instance State-change Notification` from `aws.ec2`"
        );
        assert!(
            handle(json!({ "report": "hourly" }), now)
                .unwrap_err()
                .starts_with("expected a scheduled event")
        );
        assert!(handle(json!({ "report": "weekly", "extra": 1 }), now).is_err());
    }
}
