//! Generated manifests for benchmarks and scale tests.

use std::fmt::Write as _;

/// An app of `n` functions, each with an HTTP route, an SQS trigger on its
/// own queue, and write access to its own table: the shape the benchmarks
/// compare across tools.
pub fn app(n: usize) -> String {
    let mut s = String::from("app: bench\nhttp:\n  cors: { origins: [\"*\"] }\n");
    tables_and_queues(&mut s, n);
    s.push_str("functions:\n");
    for i in 0..n {
        let _ = write!(
            s,
            "  f{i}:\n    timeout: 10s\n    environment:\n      TABLE: ${{tables.t{i}.name}}\n    access:\n      tables: {{ t{i}: write }}\n    triggers:\n      - http: POST /f{i}\n      - queue: q{i}\n"
        );
    }
    s
}

/// An app of `n` functions, each writing its own table and sending to its
/// own queue behind an HTTP route; `second_user` gives table `t1` a second
/// function (`f0`); `removed` leaves one function (and only the function)
/// out. The growth scenarios of the placement tests.
pub fn grown(n: usize, second_user: bool, removed: Option<usize>) -> String {
    let mut s = String::from("app: grow\n");
    tables_and_queues(&mut s, n);
    s.push_str("functions:\n");
    for i in (0..n).filter(|i| Some(*i) != removed) {
        let extra = if second_user && i == 0 {
            ", t1: read"
        } else {
            ""
        };
        let _ = write!(
            s,
            "  f{i}:\n    environment: {{ TABLE: \"${{tables.t{i}.name}}\", QUEUE: \"${{queues.q{i}.url}}\" }}\n    access: {{ tables: {{ t{i}: write{extra} }}, queues: {{ q{i}: send }} }}\n    triggers: [ {{ http: POST /f{i} }} ]\n"
        );
    }
    s
}

/// `tables:` t0..t{n-1} and `queues:` q0..q{n-1}.
fn tables_and_queues(s: &mut String, n: usize) {
    s.push_str("tables:\n");
    for i in 0..n {
        let _ = writeln!(s, "  t{i}: {{ partition_key: id }}");
    }
    s.push_str("queues:\n");
    for i in 0..n {
        let _ = writeln!(s, "  q{i}: {{ visibility_timeout: 60s }}");
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn generated_app_validates() {
        let text = super::app(20);
        let app = crate::manifest::load_str(
            std::path::Path::new("ferry.yaml"),
            &text,
            "dev",
            &crate::manifest::Disk,
        )
        .unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(app.functions.len(), 20);
    }
}
