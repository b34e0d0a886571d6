//! The decoding context: walks the spanned YAML tree, keeps the key path,
//! and collects every diagnostic instead of stopping at the first.
//!
//! Section decoders (`app`, `resources`, `function`, `trigger::*`, ...) are
//! written against this small API: `cx.fields(node, &vocab::SHAPE)` opens a
//! mapping of declared keys, `Fields::get`/`opt`/`req` take a key, the typed
//! readers (`Fields::int`, `duration`, `word`, `flag`, `number`) check the
//! value against the key's declared range or words at the value's own
//! location, `Fields::default` gives the declared default, and
//! `Fields::finish` reports undeclared keys (with a "did you mean" hint) and
//! missing required ones. `cx.map(node)` opens a mapping without a shape
//! (free keys: environment, tags, grants).

use std::path::PathBuf;

use super::interp::{self, Interp, Ref};
use super::model::{Duration, Loc, Tree};
use super::vocab::{Key as Decl, Shape, Ty};
use super::yaml::{Key, Node, Pos, Value};
use crate::diagnostic::Diagnostic;
use crate::diagnostic::{did_you_mean, valid_name};

/// One step of a key path.
#[derive(Clone, Copy, Debug)]
pub enum Seg<'s> {
    Key(&'s str),
    Index(usize),
}

impl<'s> From<&'s str> for Seg<'s> {
    fn from(s: &'s str) -> Seg<'s> {
        Seg::Key(s)
    }
}
impl<'s> From<&'s String> for Seg<'s> {
    fn from(s: &'s String) -> Seg<'s> {
        Seg::Key(s)
    }
}
impl From<usize> for Seg<'static> {
    fn from(i: usize) -> Seg<'static> {
        Seg::Index(i)
    }
}

/// A reference to a named entry, recorded while decoding and checked once
/// every section is known.
#[derive(Clone, Debug)]
pub struct RefSite {
    pub target: Ref,
    pub loc: Loc,
}

pub struct Cx<'a> {
    pub src: &'a str,
    /// Shared by every `Loc` made here.
    pub file: std::sync::Arc<std::path::Path>,
    /// The key path as it is printed, grown and cut back by `at`.
    path: String,
    pub diags: Vec<Diagnostic>,
    pub refs: Vec<RefSite>,
}

impl<'a> Cx<'a> {
    pub fn new(src: &'a str, file: PathBuf) -> Self {
        Cx {
            src,
            file: file.into(),
            path: String::new(),
            diags: Vec::new(),
            refs: Vec::new(),
        }
    }

    /// The current key path, e.g. `functions.a.triggers[0].queue`.
    pub fn path(&self) -> String {
        self.path.clone()
    }

    /// Runs `f` one step deeper in the key path.
    pub fn at<'s, T>(&mut self, seg: impl Into<Seg<'s>>, f: impl FnOnce(&mut Self) -> T) -> T {
        let len = self.path.len();
        match seg.into() {
            Seg::Key(k) => {
                if len > 0 {
                    self.path.push('.');
                }
                self.path.push_str(k);
            }
            Seg::Index(i) => push_index(&mut self.path, i),
        }
        let out = f(self);
        self.path.truncate(len);
        out
    }

    /// A place to remember for checks made after decoding.
    pub fn loc(&self, pos: Pos) -> Loc {
        Loc {
            file: self.file.clone(),
            path: self.path(),
            pos,
        }
    }

    pub fn error(&mut self, pos: Pos, message: impl Into<String>) {
        let loc = self.loc(pos);
        self.report(&loc, message, None);
    }

    pub fn error_hint(&mut self, pos: Pos, message: impl Into<String>, hint: Option<String>) {
        let loc = self.loc(pos);
        self.report(&loc, message, hint);
    }

    pub fn report(&mut self, loc: &Loc, message: impl Into<String>, hint: Option<String>) {
        self.diags.push(Diagnostic {
            file: loc.file.to_path_buf(),
            path: loc.path.clone(),
            pos: loc.pos,
            message: message.into(),
            hint,
        });
    }

    fn expected(&mut self, node: &Node, what: &str) {
        self.error(
            node.pos,
            format!("expected {what}, found {}", node.value.kind()),
        );
    }

    /// Opens a mapping of declared keys. Null is an empty mapping.
    pub fn fields<'n>(&mut self, node: &'n Node, shape: &'static Shape) -> Option<Fields<'n>> {
        let mut f = self.map(node)?;
        f.shaped(shape);
        Some(f)
    }

    /// Opens a mapping. Null (an empty value) is an empty mapping.
    pub fn map<'n>(&mut self, node: &'n Node) -> Option<Fields<'n>> {
        match &node.value {
            Value::Map(entries) => Some(Fields::new(node.pos, entries)),
            Value::Null => Some(Fields::new(node.pos, &[])),
            _ => {
                self.expected(node, "a mapping");
                None
            }
        }
    }

    /// The items of a list. A single value where a list is expected is not
    /// accepted: the manifest says which keys take lists.
    pub fn seq<'n>(&mut self, node: &'n Node) -> Option<&'n [Node]> {
        match &node.value {
            Value::Seq(items) => Some(items),
            Value::Null => Some(&[]),
            _ => {
                self.expected(node, "a list");
                None
            }
        }
    }

    /// Decodes each item of a list, one path step per index. Items with
    /// errors are left out (their errors are reported), so that later checks
    /// still see the good ones.
    pub fn list<T>(
        &mut self,
        node: &Node,
        mut item: impl FnMut(&mut Self, &Node) -> Option<T>,
    ) -> Option<Vec<T>> {
        let items = self.seq(node)?;
        let mut out = Vec::with_capacity(items.len());
        for (i, n) in items.iter().enumerate() {
            if let Some(v) = self.at(i, |cx| item(cx, n)) {
                out.push(v);
            }
        }
        Some(out)
    }

    /// A string. Plain scalars such as `8080` or `true` are taken as the
    /// text the user wrote.
    pub fn string(&mut self, node: &Node) -> Option<String> {
        match node.scalar_text(self.src) {
            Some(s) => Some(s.into_owned()),
            None => {
                self.expected(node, "a string");
                None
            }
        }
    }

    /// A non-empty string.
    pub fn nonempty(&mut self, node: &Node) -> Option<String> {
        let s = self.string(node)?;
        if s.trim().is_empty() {
            self.error(node.pos, "must not be empty");
            return None;
        }
        Some(s)
    }

    pub fn bool(&mut self, node: &Node) -> Option<bool> {
        match node.value {
            Value::Bool(b) => Some(b),
            _ => {
                self.expected(node, "`true` or `false`");
                None
            }
        }
    }

    pub fn int(&mut self, node: &Node) -> Option<i64> {
        match &node.value {
            Value::Int(i) => Some(*i),
            Value::Str(s) if s.trim().parse::<i64>().is_ok() => s.trim().parse().ok(),
            _ => {
                self.expected(node, "an integer");
                None
            }
        }
    }

    /// An integer in `lo..=hi`.
    pub fn int_in(&mut self, node: &Node, lo: i64, hi: i64) -> Option<i64> {
        let v = self.int(node)?;
        if v < lo || v > hi {
            self.error(node.pos, format!("must be between {lo} and {hi}, got {v}"));
            return None;
        }
        Some(v)
    }

    pub fn float_in(&mut self, node: &Node, lo: f64, hi: f64) -> Option<f64> {
        let v = match &node.value {
            Value::Int(i) => *i as f64,
            Value::Float(f) => *f,
            _ => {
                self.expected(node, "a number");
                return None;
            }
        };
        if !(lo..=hi).contains(&v) {
            self.error(node.pos, format!("must be between {lo} and {hi}, got {v}"));
            return None;
        }
        Some(v)
    }

    /// A duration: whole seconds, or a string with unit `s`, `m`, `h`, `d`.
    pub fn duration(&mut self, node: &Node) -> Option<Duration> {
        let bad = |cx: &mut Self, shown: &str| {
            cx.error(
                node.pos,
                format!("expected a duration such as `30s`, `15m`, `4h` or `2d`, got `{shown}`"),
            );
            None
        };
        match &node.value {
            Value::Int(i) if *i >= 0 => Some(Duration(*i as u64)),
            Value::Str(s) => match Duration::parse(s) {
                Some(d) => Some(d),
                None => bad(self, s),
            },
            _ => {
                let shown = node.scalar_text(self.src).map(|s| s.into_owned());
                match shown {
                    Some(s) => bad(self, &s),
                    None => {
                        self.expected(node, "a duration such as `30s`");
                        None
                    }
                }
            }
        }
    }

    /// A duration in `lo..=hi` seconds.
    pub fn duration_in(&mut self, node: &Node, lo: u64, hi: u64) -> Option<Duration> {
        let d = self.duration(node)?;
        if d.0 < lo || d.0 > hi {
            self.error(
                node.pos,
                format!(
                    "must be between {} and {}, got {}",
                    Duration(lo),
                    Duration(hi),
                    d
                ),
            );
            return None;
        }
        Some(d)
    }

    /// One of a fixed set of words, with a hint for a near miss.
    pub fn one_of<'w>(&mut self, node: &Node, words: &[&'w str]) -> Option<&'w str> {
        let s = self.string(node)?;
        if let Some(w) = words.iter().find(|w| **w == s) {
            return Some(w);
        }
        let hint = did_you_mean(&s, words.iter().copied())
            .unwrap_or_else(|| format!("expected one of: {}", words.join(", ")));
        self.error_hint(node.pos, format!("unknown value `{s}`"), Some(hint));
        None
    }

    /// A string that may hold `${...}` references; each reference is parsed,
    /// and recorded for the check that its target exists.
    pub fn interp(&mut self, node: &Node) -> Option<Interp> {
        let text = self.string(node)?;
        self.interp_text(node, &text)
    }

    /// Parses `${...}` references in `text`, the value of `node`.
    pub fn interp_text(&mut self, node: &Node, text: &str) -> Option<Interp> {
        match interp::parse(text) {
            Ok(parsed) => {
                for (r, off) in parsed.refs_with_offsets() {
                    let pos = self.pos_within(node, text, off);
                    let loc = self.loc(pos);
                    self.refs.push(RefSite {
                        target: r.clone(),
                        loc,
                    });
                }
                Some(parsed)
            }
            Err(e) => {
                let pos = self.pos_within(node, text, e.offset);
                self.error_hint(pos, e.message, e.hint);
                None
            }
        }
    }

    /// The place of byte `off` of a scalar's value, found in the source when
    /// the value is written on one line as it is; the scalar's start otherwise.
    pub fn pos_within(&self, node: &Node, text: &str, off: usize) -> Pos {
        let raw = self
            .src
            .get(node.pos.offset..node.pos.offset + node.pos.len)
            .unwrap_or("");
        // Plain or quoted scalars without escapes: the text appears as is.
        let start = if raw.starts_with(text) {
            Some(0)
        } else {
            raw.find(text)
        };
        if let Some(start) = start.filter(|_| !text.contains('\n')) {
            let col_shift = raw[..start + off].chars().count() as u32;
            let rest = text.get(off..).unwrap_or("");
            let len = rest.find('}').map(|i| i + 1).unwrap_or(rest.len());
            return Pos {
                line: node.pos.line,
                column: node.pos.column + col_shift,
                offset: node.pos.offset + start + off,
                len,
            };
        }
        node.pos
    }

    /// A free-form value (policy statements, event patterns, payloads,
    /// definitions): kept as a tree whose strings may hold references.
    pub fn tree(&mut self, node: &Node) -> Option<Tree> {
        Some(match &node.value {
            Value::Null => Tree::Null,
            Value::Bool(b) => Tree::Bool(*b),
            Value::Int(i) => Tree::Int(*i),
            Value::Float(f) => Tree::Float(*f),
            Value::Str(s) => Tree::Str(self.interp_text(node, s)?),
            Value::Seq(items) => {
                let mut out = Vec::with_capacity(items.len());
                let mut ok = true;
                for (i, n) in items.iter().enumerate() {
                    match self.at(i, |cx| cx.tree(n)) {
                        Some(t) => out.push(t),
                        None => ok = false,
                    }
                }
                if !ok {
                    return None;
                }
                Tree::Seq(out)
            }
            Value::Map(entries) => {
                let mut out = Vec::with_capacity(entries.len());
                let mut ok = true;
                for (k, n) in entries {
                    match self.at(&k.name, |cx| cx.tree(n)) {
                        Some(t) => out.push((k.name.clone(), t)),
                        None => ok = false,
                    }
                }
                if !ok {
                    return None;
                }
                Tree::Map(out)
            }
        })
    }

    /// Decodes a mapping of user-named entries (`tables`, `functions`, ...):
    /// each name must match `^[a-z][a-z0-9-]{0,39}$`.
    pub fn named<T>(
        &mut self,
        node: &Node,
        what: &str,
        mut entry: impl FnMut(&mut Self, &Key, &Node) -> Option<T>,
    ) -> Vec<(String, T)> {
        let Some(fields) = self.map(node) else {
            return Vec::new();
        };
        let mut out = Vec::with_capacity(fields.entries.len());
        for (k, v) in fields.entries {
            if !valid_name(&k.name) {
                self.at(&k.name, |cx| {
                    cx.error(
                        k.pos,
                        format!(
                            "invalid {what} name `{}`: use lowercase letters, digits and `-`, starting with a letter, at most 40 characters",
                            k.name
                        ),
                    )
                });
                continue;
            }
            // An entry with errors of its own is left out, so that the
            // rules checked across entries do not report their consequences.
            let before = self.diags.len();
            let t = self.at(&k.name, |cx| entry(cx, k, v));
            if let Some(t) = t.filter(|_| self.diags.len() == before) {
                out.push((k.name.clone(), t));
            }
        }
        out
    }

    /// A mapping of free keys to strings with references (environment, tags).
    pub fn string_map(
        &mut self,
        node: &Node,
        mut check_key: impl FnMut(&mut Self, &Key) -> bool,
    ) -> Vec<(String, Interp, Pos)> {
        let Some(fields) = self.map(node) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (k, v) in fields.entries {
            self.at(&k.name, |cx| {
                if !check_key(cx, k) {
                    return;
                }
                if let Some(i) = cx.interp(v) {
                    out.push((k.name.clone(), i, v.pos));
                }
            });
        }
        out
    }

    /// Reports every key that appears twice in one mapping, anywhere in the
    /// tree.
    pub fn check_duplicate_keys(&mut self, node: &Node) {
        match &node.value {
            Value::Map(entries) => {
                use foldhash::HashMapExt;
                // Small mappings (nearly all of them) are compared pairwise;
                // a set only pays for itself on long ones.
                let mut first_at: Option<foldhash::HashMap<&str, u32>> = (entries.len()
                    > super::yaml::SMALL_MAP)
                    .then(|| foldhash::HashMap::with_capacity(entries.len()));
                for (i, (k, v)) in entries.iter().enumerate() {
                    let first = match &mut first_at {
                        Some(seen) => match seen.get(k.name.as_str()) {
                            Some(line) => Some(*line),
                            None => {
                                seen.insert(&k.name, k.pos.line);
                                None
                            }
                        },
                        None => entries[..i]
                            .iter()
                            .find(|(other, _)| other.name == k.name)
                            .map(|(other, _)| other.pos.line),
                    };
                    if let Some(line) = first {
                        self.at(&k.name, |cx| {
                            cx.error(
                                k.pos,
                                format!("duplicate key `{}` (first set at line {line})", k.name),
                            )
                        });
                    }
                    if has_children(v) {
                        self.at(&k.name, |cx| cx.check_duplicate_keys(v));
                    }
                }
            }
            Value::Seq(items) => {
                for (i, n) in items.iter().enumerate() {
                    if has_children(n) {
                        self.at(i, |cx| cx.check_duplicate_keys(n));
                    }
                }
            }
            _ => {}
        }
    }
}

/// Appends `[i]` to a key path.
fn push_index(path: &mut String, i: usize) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    let mut n = i;
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    path.push('[');
    path.extend(digits[at..].iter().map(|&d| char::from(d)));
    path.push(']');
}

/// Whether a value is a mapping or a list with something in it.
fn has_children(node: &Node) -> bool {
    match &node.value {
        Value::Map(entries) => !entries.is_empty(),
        Value::Seq(items) => !items.is_empty(),
        _ => false,
    }
}

/// The keys of one mapping being decoded. Keys taken with `get` are known;
/// `finish` reports the rest as unknown.
pub struct Fields<'n> {
    pub pos: Pos,
    pub entries: &'n [(Key, Node)],
    used: Vec<bool>,
    asked: Vec<&'static str>,
    /// Required keys that are absent, reported by `finish`.
    missing: Vec<&'static str>,
    /// The declared keys of this mapping: unknown keys, required keys and
    /// the typed readers' ranges and words come from it.
    shape: Option<&'static Shape>,
}

impl<'n> Fields<'n> {
    fn new(pos: Pos, entries: &'n [(Key, Node)]) -> Self {
        Fields {
            pos,
            entries,
            used: vec![false; entries.len()],
            asked: Vec::new(),
            missing: Vec::new(),
            shape: None,
        }
    }

    /// Reads this mapping as `shape` from now on (a trigger item, once its
    /// kind is known).
    pub fn shaped(&mut self, shape: &'static Shape) {
        self.shape = Some(shape);
    }

    /// The declaration of `key` in this mapping's shape.
    fn decl(&self, key: &str) -> Option<&'static Decl> {
        let decl = self.shape.and_then(|s| s.key(key));
        debug_assert!(
            self.shape.is_none() || decl.is_some(),
            "key `{key}` is read but not declared in `{}`",
            self.shape.map(|s| s.path).unwrap_or_default()
        );
        decl
    }

    /// A declared integer key, checked against its declared range.
    pub fn int(&mut self, cx: &mut Cx, key: &'static str) -> Option<i64> {
        let (lo, hi) = match self.decl(key).map(|d| &d.ty) {
            Some(Ty::Int { min, max, .. }) => (*min, *max),
            _ => (i64::MIN, i64::MAX),
        };
        self.opt(cx, key, |cx, n| cx.int_in(n, lo, hi))
    }

    /// A declared number key, checked against its declared range.
    pub fn number(&mut self, cx: &mut Cx, key: &'static str) -> Option<f64> {
        let (lo, hi) = match self.decl(key).map(|d| &d.ty) {
            Some(Ty::Number { min, max }) => (*min, *max),
            _ => (f64::MIN, f64::MAX),
        };
        self.opt(cx, key, |cx, n| cx.float_in(n, lo, hi))
    }

    /// A declared duration key, checked against its declared range.
    pub fn duration(&mut self, cx: &mut Cx, key: &'static str) -> Option<Duration> {
        let (lo, hi) = match self.decl(key).map(|d| &d.ty) {
            Some(Ty::Duration { min, max }) => (*min, *max),
            _ => (0, u64::MAX),
        };
        self.opt(cx, key, |cx, n| cx.duration_in(n, lo, hi))
    }

    /// A declared word key: one of its declared words.
    pub fn word(&mut self, cx: &mut Cx, key: &'static str) -> Option<&'static str> {
        let words: &'static [&'static str] = match self.decl(key).map(|d| &d.ty) {
            Some(Ty::Words(w)) => w,
            _ => &[],
        };
        self.opt(cx, key, |cx, n| cx.one_of(n, words))
    }

    /// A declared boolean key.
    pub fn flag(&mut self, cx: &mut Cx, key: &'static str) -> Option<bool> {
        self.decl(key);
        self.opt(cx, key, |cx, n| cx.bool(n))
    }

    /// A declared boolean key, or its declared default when absent.
    pub fn flag_or_default(&mut self, cx: &mut Cx, key: &'static str) -> bool {
        self.flag(cx, key)
            .or_else(|| self.default(key))
            .unwrap_or_default()
    }

    /// A declared integer key, or its declared default when absent.
    pub fn int_or_default(&mut self, cx: &mut Cx, key: &'static str) -> i64 {
        self.int(cx, key)
            .or_else(|| self.default(key))
            .unwrap_or_default()
    }

    /// A declared duration key, or its declared default when absent.
    pub fn duration_or_default(&mut self, cx: &mut Cx, key: &'static str) -> Duration {
        self.duration(cx, key)
            .or_else(|| self.default_duration(key))
            .unwrap_or_default()
    }

    /// The declared default of `key`, parsed as `T` (numbers, booleans).
    pub fn default<T: std::str::FromStr>(&self, key: &str) -> Option<T> {
        self.decl(key)?;
        self.shape?.default(key)
    }

    /// The declared default of a word key.
    pub fn default_word(&self, key: &str) -> Option<&'static str> {
        self.decl(key)?.default
    }

    /// The declared default of a duration key.
    pub fn default_duration(&self, key: &str) -> Option<Duration> {
        self.decl(key)?;
        self.shape?.default_duration(key)
    }

    /// Takes a key's value (the first one if it is duplicated).
    pub fn get(&mut self, key: &'static str) -> Option<&'n Node> {
        // Only the debug check that `key` is declared: the typed readers
        // look their declaration up themselves, and `get` is on every read.
        #[cfg(debug_assertions)]
        self.decl(key);
        // With a shape, the known keys are the declared ones; what was asked
        // matters only to the debug check in `finish`.
        if self.shape.is_none() || cfg!(debug_assertions) {
            self.asked.push(key);
        }
        let mut found = None;
        for (i, (k, v)) in self.entries.iter().enumerate() {
            if k.name == key {
                self.used[i] = true;
                if found.is_none() {
                    found = Some(v);
                }
            }
        }
        found
    }

    /// The key entry itself, for its position.
    pub fn key(&self, key: &str) -> Option<&'n Key> {
        self.entries
            .iter()
            .find(|(k, _)| k.name == key)
            .map(|(k, _)| k)
    }

    /// The keys no decoder has asked for so far.
    pub fn unused(&self) -> impl Iterator<Item = &'n Key> + '_ {
        self.entries
            .iter()
            .zip(&self.used)
            .filter(|(_, used)| !**used)
            .map(|((k, _), _)| k)
    }

    /// Whether `key` is written, or misspelled as a key no decoder has asked
    /// for yet (and so reported as unknown): either way the user meant to
    /// set it, and rules that read its default would report a consequence
    /// of that error.
    pub fn written(&self, key: &str) -> bool {
        // A declared key is itself, not a misspelling of another.
        self.has(key)
            || self
                .unused()
                .filter(|k| self.shape.is_none_or(|s| s.key(&k.name).is_none()))
                .any(|k| did_you_mean(&k.name, [key]).is_some())
    }

    pub fn has(&self, key: &str) -> bool {
        self.entries.iter().any(|(k, _)| k.name == key)
    }

    /// Takes a key and decodes its value one path step deeper.
    pub fn opt<T>(
        &mut self,
        cx: &mut Cx,
        key: &'static str,
        dec: impl FnOnce(&mut Cx, &'n Node) -> Option<T>,
    ) -> Option<T> {
        let node = self.get(key)?;
        cx.at(key, |cx| dec(cx, node))
    }

    /// Like `opt`, and reports the key as missing (in `finish`) when it is
    /// absent.
    pub fn req<T>(
        &mut self,
        cx: &mut Cx,
        key: &'static str,
        dec: impl FnOnce(&mut Cx, &'n Node) -> Option<T>,
    ) -> Option<T> {
        match self.get(key) {
            Some(node) => cx.at(key, |cx| dec(cx, node)),
            None => {
                self.missing.push(key);
                None
            }
        }
    }

    /// Reports the keys that no decoder asked for, and the required keys
    /// that are absent. A misspelled required key is reported once, as
    /// unknown with a hint, not also as missing.
    pub fn finish(mut self, cx: &mut Cx) {
        if let Some(shape) = self.shape {
            // The declaration says which keys exist and which are required;
            // the keys asked for are the declared ones.
            for k in shape.keys {
                debug_assert!(
                    !self.has(k.name) || self.asked.contains(&k.name),
                    "`{}` is declared in `{}` but no decoder reads it",
                    k.name,
                    shape.path
                );
                if k.required && !self.has(k.name) && !self.missing.contains(&k.name) {
                    self.missing.push(k.name);
                }
            }
        }
        for (i, (k, _)) in self.entries.iter().enumerate() {
            if self.used[i] || self.shape.and_then(|s| s.key(&k.name)).is_some() {
                continue;
            }
            // With a shape, the known keys are the declared ones.
            if let Some(shape) = self.shape.take() {
                self.asked = shape.names().collect();
            }
            let misspelled = self
                .missing
                .iter()
                .position(|m| did_you_mean(&k.name, [*m]).is_some());
            let hint = misspelled.map(|m| format!("did you mean `{}`?", self.missing.remove(m)));
            let hint = hint
                .or_else(|| did_you_mean(&k.name, self.asked.iter().copied()))
                .or_else(|| {
                    let mut known: Vec<&str> = self.asked.clone();
                    known.sort_unstable();
                    known.dedup();
                    (!known.is_empty()).then(|| format!("known keys here: {}", known.join(", ")))
                });
            cx.at(&k.name, |cx| {
                cx.error_hint(k.pos, format!("unknown key `{}`", k.name), hint)
            });
        }
        for key in self.missing {
            cx.error(self.pos, format!("missing required key `{key}`"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_paths_name_keys_and_indexes() {
        let mut cx = Cx::new("", PathBuf::from("ferry.yaml"));
        let pos = Pos::default();
        cx.at("functions", |cx| {
            cx.at("a", |cx| {
                cx.at(12usize, |cx| cx.at("queue", |cx| cx.error(pos, "x")))
            });
            cx.at(0usize, |cx| cx.error(pos, "y"));
        });
        cx.at("", |cx| cx.at("b", |cx| cx.error(pos, "z")));
        let paths: Vec<&str> = cx.diags.iter().map(|d| d.path.as_str()).collect();
        assert_eq!(paths, ["functions.a[12].queue", "functions[0]", "b"]);
        assert_eq!(cx.path(), "");
    }

    #[test]
    fn duplicate_keys_in_long_and_short_mappings_and_in_lists() {
        let mut text = String::from("big:\n");
        for i in 0..20 {
            text.push_str(&format!("  k{i}: 1\n"));
        }
        text.push_str("  k3: 2\n  k3: 3\nlist:\n  - {a: 1, b: 2, a: 3}\n");
        let root = super::super::yaml::parse(&text).unwrap();
        let mut cx = Cx::new(&text, PathBuf::from("ferry.yaml"));
        cx.check_duplicate_keys(&root);
        let got: Vec<(&str, u32, &str)> = cx
            .diags
            .iter()
            .map(|d| (d.path.as_str(), d.pos.line, d.message.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("big.k3", 22, "duplicate key `k3` (first set at line 5)"),
                ("big.k3", 23, "duplicate key `k3` (first set at line 5)"),
                ("list[0].a", 25, "duplicate key `a` (first set at line 25)"),
            ]
        );
    }
}
