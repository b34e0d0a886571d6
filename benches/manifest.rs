//! Parsing and validating a generated manifest of 1000 functions.

use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};
use ferry::manifest::{Disk, load_str};

fn validate(c: &mut Criterion) {
    for n in [100, 1000] {
        let text = ferry::fixtures::app(n);
        c.bench_function(&format!("validate {n} functions"), |b| {
            b.iter(|| load_str(Path::new("ferry.yaml"), &text, "dev", &Disk).expect("valid"))
        });
    }
}

criterion_group!(benches, validate);
criterion_main!(benches);
