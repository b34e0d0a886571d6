//! What the decoders of functions, triggers and state machines know of the
//! sections decoded before them.

use std::collections::BTreeMap;

use super::declared::Declared;
use super::model::{Layer, Queue, Table};
use super::settings::Settings;

/// What function, trigger and state machine decoding needs from the
/// sections decoded before it.
pub struct Known<'a> {
    pub app: &'a str,
    pub stage: &'a str,
    pub tables: &'a BTreeMap<String, Table>,
    pub queues: &'a BTreeMap<String, Queue>,
    pub layers: &'a BTreeMap<String, Layer>,
    /// Whether `http.jwt` is written (even with errors of its own).
    pub has_jwt: bool,
    /// The names as written, for rules that must not repeat an entry's own
    /// errors.
    pub declared: &'a Declared,
    /// `defaults`, with the stage's defaults merged over them.
    pub defaults: &'a Settings,
}
