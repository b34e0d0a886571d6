//! EventBridge schedule expressions: `rate(5 minutes)` and
//! `cron(0 12 * * ? *)`, checked as AWS checks them.

use super::model::{Schedule, civil_from_days};

/// Parses and checks a schedule expression; the error says what is wrong.
pub fn parse(expr: &str) -> Result<Schedule, String> {
    let expr = expr.trim();
    if let Some(body) = expr.strip_prefix("rate(").and_then(|r| r.strip_suffix(')')) {
        check_rate(body.trim())?;
        return Ok(Schedule::Rate(expr.to_string()));
    }
    if let Some(body) = expr.strip_prefix("cron(").and_then(|r| r.strip_suffix(')')) {
        check_cron(body.trim())?;
        return Ok(Schedule::Cron(expr.to_string()));
    }
    Err(format!(
        "invalid schedule `{expr}`: expected `rate(N minutes|hours|days)` or `cron(minutes hours day-of-month month day-of-week year)`"
    ))
}

fn check_rate(body: &str) -> Result<(), String> {
    let mut words = body.split_whitespace();
    let (Some(n), Some(unit), None) = (words.next(), words.next(), words.next()) else {
        return Err(format!(
            "invalid rate `rate({body})`: expected `rate(N unit)`, e.g. `rate(5 minutes)`"
        ));
    };
    let n: u64 = n.parse().ok().filter(|n| *n > 0).ok_or_else(|| {
        format!("invalid rate `rate({body})`: `{n}` is not a positive whole number")
    })?;
    let singular = matches!(unit, "minute" | "hour" | "day");
    let plural = matches!(unit, "minutes" | "hours" | "days");
    if !singular && !plural {
        return Err(format!(
            "invalid rate unit `{unit}`: use minute(s), hour(s) or day(s)"
        ));
    }
    if n == 1 && plural {
        return Err(format!(
            "invalid rate `rate({body})`: a value of 1 takes the singular: `rate(1 {})`",
            unit.trim_end_matches('s')
        ));
    }
    if n > 1 && singular {
        return Err(format!(
            "invalid rate `rate({body})`: a value above 1 takes the plural: `rate({n} {unit}s)`"
        ));
    }
    Ok(())
}

const MONTHS: [&str; 12] = [
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];
const DAYS: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

fn check_cron(body: &str) -> Result<(), String> {
    let fields: Vec<&str> = body.split_whitespace().collect();
    if fields.len() != 6 {
        return Err(format!(
            "invalid cron `cron({body})`: expected 6 fields (minutes hours day-of-month month day-of-week year), found {}",
            fields.len()
        ));
    }
    let specs: [(&str, u32, u32, &[&str]); 6] = [
        ("minutes", 0, 59, &[]),
        ("hours", 0, 23, &[]),
        ("day-of-month", 1, 31, &[]),
        ("month", 1, 12, &MONTHS),
        ("day-of-week", 1, 7, &DAYS),
        ("year", 1970, 2199, &[]),
    ];
    for (field, (name, lo, hi, names)) in fields.iter().zip(specs) {
        check_cron_field(field, name, lo, hi, names)?;
    }
    let (dom, dow) = (fields[2], fields[4]);
    if (dom == "?") == (dow == "?") {
        return Err(format!(
            "invalid cron `cron({body})`: exactly one of day-of-month and day-of-week must be `?`"
        ));
    }
    Ok(())
}

fn check_cron_field(
    field: &str,
    name: &str,
    lo: u32,
    hi: u32,
    names: &[&str],
) -> Result<(), String> {
    let bad = || format!("invalid cron {name} field `{field}`");
    if field == "*" || (field == "?" && matches!(name, "day-of-month" | "day-of-week")) {
        return Ok(());
    }
    let value = |v: &str| -> Result<u32, String> {
        if let Some(i) = names.iter().position(|n| n.eq_ignore_ascii_case(v)) {
            return Ok(lo + i as u32);
        }
        let n: u32 = v.parse().map_err(|_| bad())?;
        if n < lo || n > hi {
            return Err(format!(
                "invalid cron {name} field `{field}`: {n} is outside {lo}-{hi}"
            ));
        }
        Ok(n)
    };
    for part in field.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((r, s)) => (r, Some(s)),
            None => (part, None),
        };
        if let Some(s) = step {
            s.parse::<u32>().ok().filter(|s| *s > 0).ok_or_else(bad)?;
        }
        match range {
            "*" => {}
            "L" if matches!(name, "day-of-month" | "day-of-week") => {}
            "LW" if name == "day-of-month" => {}
            r if name == "day-of-month" && r.ends_with('W') => {
                value(&r[..r.len() - 1])?;
            }
            r if name == "day-of-week" && r.contains('#') => {
                let (d, nth) = r.split_once('#').ok_or_else(bad)?;
                value(d)?;
                nth.parse::<u32>()
                    .ok()
                    .filter(|n| (1..=5).contains(n))
                    .ok_or_else(bad)?;
            }
            r if name == "day-of-week" && r.ends_with('L') && r.len() > 1 => {
                value(&r[..r.len() - 1])?;
            }
            r => match r.split_once('-') {
                Some((a, b)) => {
                    value(a)?;
                    value(b)?;
                }
                None => {
                    value(r)?;
                }
            },
        }
    }
    Ok(())
}

/// The period of a `rate(...)` expression, in seconds.
pub fn rate_seconds(expr: &str) -> Option<u64> {
    let body = expr.trim().strip_prefix("rate(")?.strip_suffix(')')?;
    let mut words = body.split_whitespace();
    let n: u64 = words.next()?.parse().ok()?;
    let unit = match words.next()?.trim_end_matches('s') {
        "minute" => 60,
        "hour" => 3600,
        "day" => 86400,
        _ => return None,
    };
    Some(n * unit)
}

/// The first time (Unix seconds, a whole minute) after `after` that a
/// `cron(...)` expression fires, in UTC, searched up to five years ahead.
/// None when the expression uses `L`, `W` or `#`, which are not computed
/// here, or when it never fires in that span.
pub fn next_cron(expr: &str, after: u64) -> Option<u64> {
    let body = expr.trim().strip_prefix("cron(")?.strip_suffix(')')?;
    let f: Vec<&str> = body.split_whitespace().collect();
    if f.len() != 6 || f.iter().any(|x| x.contains(['L', 'W', '#'])) {
        return None;
    }
    let minutes = cron_set(f[0], 0, 59, &[])?;
    let hours = cron_set(f[1], 0, 23, &[])?;
    let dom = cron_set(f[2], 1, 31, &[])?;
    let months = cron_set(f[3], 1, 12, &MONTHS)?;
    let dow = cron_set(f[4], 1, 7, &DAYS)?;
    let years = cron_set(f[5], 1970, 2199, &[])?;
    let mut day = after / 86400;
    let last = day + 5 * 366;
    while day <= last {
        let (y, m, d) = civil_from_days(day as i64);
        // 1970-01-01 was a Thursday; cron counts SUN as 1.
        let weekday = ((day + 4) % 7) as u32 + 1;
        let day_ok = (f[2] == "?" || dom.contains(&d)) && (f[4] == "?" || dow.contains(&weekday));
        if years.contains(&(y as u32)) && months.contains(&m) && day_ok {
            for h in &hours {
                for min in &minutes {
                    let t = day * 86400 + u64::from(*h) * 3600 + u64::from(*min) * 60;
                    if t > after {
                        return Some(t);
                    }
                }
            }
        }
        day += 1;
    }
    None
}

/// The values a cron field allows (`*`, `?`, lists, ranges, steps, names).
fn cron_set(field: &str, lo: u32, hi: u32, names: &[&str]) -> Option<Vec<u32>> {
    if field == "*" || field == "?" {
        return Some((lo..=hi).collect());
    }
    let value = |v: &str| -> Option<u32> {
        names
            .iter()
            .position(|n| n.eq_ignore_ascii_case(v))
            .map(|i| lo + i as u32)
            .or_else(|| v.parse().ok())
    };
    let mut out = Vec::new();
    for part in field.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((r, s)) => (r, s.parse::<u32>().ok().filter(|s| *s > 0)?),
            None => (part, 1),
        };
        let (a, b) = match range {
            "*" => (lo, hi),
            r => match r.split_once('-') {
                Some((a, b)) => (value(a)?, value(b)?),
                None if part.contains('/') => (value(r)?, hi),
                None => (value(r)?, value(r)?),
            },
        };
        out.extend((a..=b).step_by(step as usize));
    }
    out.sort_unstable();
    out.dedup();
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_aws_examples() {
        for e in [
            "rate(5 minutes)",
            "rate(1 hour)",
            "rate(7 days)",
            "cron(0 10 * * ? *)",
            "cron(15 12 * * ? *)",
            "cron(0 18 ? * MON-FRI *)",
            "cron(0 8 1 * ? *)",
            "cron(0/15 * * * ? *)",
            "cron(0/10 * ? * MON-FRI *)",
            "cron(0/5 8-17 ? * MON-FRI *)",
            "cron(0 9 ? * 2#1 *)",
            "cron(0 0 L * ? *)",
        ] {
            parse(e).unwrap_or_else(|m| panic!("{e}: {m}"));
        }
    }

    #[test]
    fn periods_and_next_times() {
        assert_eq!(rate_seconds("rate(5 minutes)"), Some(300));
        assert_eq!(rate_seconds("rate(1 day)"), Some(86_400));
        // 2025-12-02T08:00:00Z is a Tuesday.
        let t = 1_764_662_400;
        assert_eq!(next_cron("cron(0 12 * * ? *)", t), Some(t + 4 * 3600));
        assert_eq!(next_cron("cron(0/15 * * * ? *)", t), Some(t + 900));
        // The next Monday at 09:00.
        assert_eq!(
            next_cron("cron(0 9 ? * MON *)", t),
            Some(t + 6 * 86_400 + 3600)
        );
        assert_eq!(next_cron("cron(0 0 L * ? *)", t), None);
    }

    #[test]
    fn rejects_common_mistakes() {
        for (e, why) in [
            ("rate(1 minutes)", "singular"),
            ("rate(5 minute)", "plural"),
            ("rate(0 minutes)", "positive"),
            ("rate(5 weeks)", "unit"),
            ("cron(0 12 * * *)", "6 fields"),
            ("cron(0 12 * * * *)", "exactly one"),
            ("cron(0 25 * * ? *)", "outside"),
            ("every 5 minutes", "expected"),
        ] {
            let m = parse(e).unwrap_err();
            assert!(m.contains(why), "{e}: {m}");
        }
    }
}
