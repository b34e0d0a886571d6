//! Parsing and validating a generated manifest of 100 and 1000 functions
//! (each with an HTTP route, an SQS trigger and a table write).

use std::path::Path;

/// The binary's allocator, so the figures match `ferry validate`.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use criterion::{Criterion, criterion_group, criterion_main};
use ferry::manifest::{Disk, load_str, yaml};

fn validate(c: &mut Criterion) {
    for n in [100, 1000] {
        let text = ferry::fixtures::app(n);
        c.bench_function(&format!("parse yaml {n} functions"), |b| {
            b.iter(|| yaml::parse(&text).expect("valid"))
        });
        c.bench_function(&format!("validate {n} functions"), |b| {
            b.iter(|| load_str(Path::new("ferry.yaml"), &text, "dev", &Disk).expect("valid"))
        });
    }
}

criterion_group!(benches, validate);
criterion_main!(benches);
