//! Synthesizing a generated app of 100 and 1000 functions (each with an HTTP
//! route, an SQS trigger and a table write), nested stacks included.

use std::path::Path;

/// The binary's allocator, so the figures match `ferry synth`.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use criterion::{Criterion, criterion_group, criterion_main};
use ferry::manifest::{Disk, load_str};
use ferry::synth::{Artifacts, synth};

fn bench(c: &mut Criterion) {
    for n in [100, 1000] {
        let text = ferry::fixtures::app(n);
        let app = load_str(Path::new("ferry.yaml"), &text, "dev", &Disk).expect("valid");
        c.bench_function(&format!("synth {n} functions"), |b| {
            b.iter(|| synth(&app, &Artifacts::default()))
        });
        c.bench_function(&format!("validate+synth+json {n} functions"), |b| {
            b.iter(|| {
                let app = load_str(Path::new("ferry.yaml"), &text, "dev", &Disk).expect("valid");
                let s = synth(&app, &Artifacts::default());
                let mut bytes = s.root.to_json().len();
                for (_, t) in &s.nested {
                    bytes += t.to_json().len();
                }
                bytes
            })
        });
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
