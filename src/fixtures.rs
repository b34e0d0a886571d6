//! Generated manifests for benchmarks and scale tests.

use std::fmt::Write as _;

/// An app of `n` functions, each with an HTTP route, an SQS trigger on its
/// own queue, and write access to its own table: the shape the benchmarks
/// compare across tools.
pub fn app(n: usize) -> String {
    let mut s = String::from("app: bench\nhttp:\n  cors: { origins: [\"*\"] }\ntables:\n");
    for i in 0..n {
        let _ = writeln!(s, "  t{i}: {{ partition_key: id }}");
    }
    s.push_str("queues:\n");
    for i in 0..n {
        let _ = writeln!(s, "  q{i}: {{ visibility_timeout: 60s }}");
    }
    s.push_str("functions:\n");
    for i in 0..n {
        let _ = write!(
            s,
            "  f{i}:\n    timeout: 10s\n    environment:\n      TABLE: ${{tables.t{i}.name}}\n    access:\n      tables: {{ t{i}: write }}\n    triggers:\n      - http: POST /f{i}\n      - queue: q{i}\n"
        );
    }
    s
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
