//! ferry: deploy serverless Rust apps to AWS Lambda from one manifest.
//!
//! See `ARCHITECTURE.md` for how the modules fit together.

pub mod aws;
pub mod blueprint;
pub mod build;
pub mod cli;
pub mod deploy;
pub mod diagnostic;
#[doc(hidden)]
pub mod fixtures;
pub mod graph;
pub mod iam;
pub mod info;
pub mod local;
pub mod logs;
pub mod manifest;
pub mod metrics;
pub mod names;
pub mod package;
pub mod payload;
pub mod pipeline;
pub mod schema;
pub mod secrets;
pub mod state;
pub mod synth;
pub mod watch;
