//! The YAML layer: turns manifest text into a tree of spanned nodes.
//!
//! The tree is built straight from the events of granit-parser (the parser
//! under serde-saphyr), keeping every node's place (line, column, byte span)
//! so that validation can report all errors at once, each at its exact
//! location, instead of stopping at the first one. Duplicate keys are passed
//! through and reported by validation. Scalars mean what they meant when
//! serde-saphyr read them (YAML 1.1 booleans, YAML 1.2 numbers, `<<` merge
//! keys), and the same limits hold against hostile input: 64 levels of
//! nesting, 250,000 values counting every copy an alias makes.

use granit_parser::{Event, ScalarStyle};

/// Where a node stands in its source text. Lines and columns are 1-based.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Pos {
    pub line: u32,
    pub column: u32,
    /// Byte offset of the node's first character, when known.
    pub offset: usize,
    /// Length of the node's text in bytes (0 when unknown).
    pub len: usize,
}

/// A mapping key with its place.
#[derive(Clone, Debug)]
pub struct Key {
    pub name: String,
    pub pos: Pos,
}

/// A YAML value with its place.
#[derive(Clone, Debug)]
pub struct Node {
    pub value: Value,
    pub pos: Pos,
}

#[derive(Clone, Debug)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    Map(Vec<(Key, Node)>),
}

impl Value {
    /// What a user would call this kind of value, for messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Null => "nothing",
            Value::Bool(_) => "a boolean",
            Value::Int(_) => "an integer",
            Value::Float(_) => "a number",
            Value::Str(_) => "a string",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }
}

impl Node {
    pub fn as_map(&self) -> Option<&[(Key, Node)]> {
        match &self.value {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self.value, Value::Null)
    }

    /// The text of a scalar as the user wrote it (for a plain scalar), or its
    /// string value. `None` for collections and null.
    pub fn scalar_text<'a>(&'a self, src: &'a str) -> Option<std::borrow::Cow<'a, str>> {
        match &self.value {
            Value::Str(s) => Some(s.as_str().into()),
            Value::Bool(_) | Value::Int(_) | Value::Float(_) => {
                let raw = src.get(self.pos.offset..self.pos.offset + self.pos.len);
                match raw {
                    Some(r) if !r.is_empty() => Some(r.trim().into()),
                    _ => Some(self.display_scalar().into()),
                }
            }
            _ => None,
        }
    }

    fn display_scalar(&self) -> String {
        match &self.value {
            Value::Bool(b) => b.to_string(),
            Value::Int(i) => i.to_string(),
            Value::Float(f) => f.to_string(),
            Value::Str(s) => s.clone(),
            _ => String::new(),
        }
    }
}

/// A YAML syntax error: the parser's message and where it stopped.
#[derive(Debug)]
pub struct SyntaxError {
    pub message: String,
    pub pos: Pos,
    pub hint: Option<String>,
}

/// Parses one YAML document into a spanned tree.
pub fn parse(src: &str) -> Result<Node, SyntaxError> {
    parse_document(src).map(|d| d.root)
}

/// A parsed document: its tree, and whether some mapping in it has a key
/// twice (found while each mapping is built, so that validation walks the
/// tree for the places only when there is something to report).
pub struct Document {
    pub root: Node,
    pub duplicate_keys: bool,
}

/// Parses one YAML document into a spanned tree, noting duplicate keys.
pub fn parse_document(src: &str) -> Result<Document, SyntaxError> {
    parse_once(src).map_err(|e| closer_to_the_cause(src, e))
}

/// How deep collections may nest.
const MAX_DEPTH: usize = 64;
/// How many values a document may hold, counting every copy an alias makes:
/// an alias repeated inside repeated anchors grows exponentially.
const MAX_NODES: usize = 250_000;

/// A collection being read, with the number of values inside it so far
/// (aliases counted at their full size).
struct Open {
    pos: Pos,
    anchor: usize,
    size: usize,
    items: Items,
}

enum Items {
    Seq(Vec<Node>),
    Map {
        entries: Vec<(Key, Node)>,
        /// The key read, waiting for its value.
        key: Option<(Node, bool)>,
        /// Values of `<<` keys, merged when the mapping ends.
        merges: Vec<Node>,
    },
}

/// Reads the parser's events into a tree: collections on a stack, anchored
/// values kept (with their size) for the aliases that copy them.
fn parse_once(src: &str) -> Result<Document, SyntaxError> {
    let mut duplicate_keys = false;
    let mut options = granit_parser::Options::default();
    options.emit_comments = false;
    let mut parser = granit_parser::Parser::new_from_str_with_options(src, options);
    let mut stack: Vec<Open> = Vec::new();
    let mut anchors: Vec<Option<(Node, usize)>> = Vec::new();
    let mut root: Option<Node> = None;
    let mut documents = 0;
    let mut nodes = 0usize;
    let mut copied = 0usize;
    let mut end = Pos::default();
    while let Some(next) = parser.next_event() {
        let (event, span) = next.map_err(|e| scan_error(src, &e))?;
        let pos = pos_of(&span);
        end = pos;
        // A finished value: (node, size, anchor, is a `<<` key).
        let done: (Node, usize, usize, bool) = match event {
            Event::StreamStart | Event::StreamEnd | Event::DocumentEnd => continue,
            Event::DocumentStart(..) => {
                documents += 1;
                if documents > 1 {
                    return Err(error_at(src, pos, "multiple YAML documents in the input"));
                }
                continue;
            }
            Event::Anchor(..) | Event::UnresolvedAlias(_) => continue,
            Event::Alias(id) => {
                let Some(Some((node, size))) = anchors.get(id) else {
                    return Err(error_at(src, pos, "unknown anchor"));
                };
                copied += size;
                if nodes + copied > MAX_NODES {
                    return Err(too_many(src, pos));
                }
                let mut node = node.clone();
                place(&mut node, pos);
                (node, *size, 0, false)
            }
            Event::Scalar(text, style, anchor, tag) => {
                nodes += 1;
                if nodes + copied > MAX_NODES {
                    return Err(too_many(src, pos));
                }
                let merge = style == ScalarStyle::Plain
                    && text == "<<"
                    && tag.as_deref().is_none_or(|t| t.suffix() == "merge");
                let value = scalar(text, style, tag.as_deref())
                    .map_err(|message| error_at(src, pos, &message))?;
                (Node { value, pos }, 1, anchor, merge)
            }
            Event::SequenceStart(_, anchor, _) | Event::MappingStart(_, anchor, _) => {
                nodes += 1;
                if nodes + copied > MAX_NODES {
                    return Err(too_many(src, pos));
                }
                if stack.len() >= MAX_DEPTH {
                    return Err(SyntaxError {
                        message: "the document nests too deeply".into(),
                        pos,
                        hint: None,
                    });
                }
                let items = match event {
                    Event::SequenceStart(..) => Items::Seq(Vec::new()),
                    _ => Items::Map {
                        entries: Vec::new(),
                        key: None,
                        merges: Vec::new(),
                    },
                };
                stack.push(Open {
                    pos,
                    anchor,
                    size: 1,
                    items,
                });
                continue;
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let Some(open) = stack.pop() else { continue };
                let value = match open.items {
                    Items::Seq(items) => Value::Seq(items),
                    Items::Map {
                        entries, merges, ..
                    } => {
                        let entries = merge(entries, merges).map_err(|p| {
                            error_at(
                                src,
                                p,
                                "a merge key `<<` takes a mapping or a list of mappings",
                            )
                        })?;
                        duplicate_keys = duplicate_keys || has_duplicate_key(&entries);
                        Value::Map(entries)
                    }
                };
                let node = Node {
                    value,
                    pos: open.pos,
                };
                (node, open.size, open.anchor, false)
            }
            // Comments, when a crate in the build asks the parser for them.
            #[allow(unreachable_patterns)]
            _ => continue,
        };
        let (node, size, anchor, merge_key) = done;
        if anchor > 0 {
            if anchors.len() <= anchor {
                anchors.resize(anchor + 1, None);
            }
            anchors[anchor] = Some((node.clone(), size));
        }
        let Some(open) = stack.last_mut() else {
            root = Some(node);
            continue;
        };
        open.size += size;
        match &mut open.items {
            Items::Seq(items) => items.push(node),
            Items::Map {
                entries,
                key,
                merges,
            } => match key.take() {
                None => *key = Some((node, merge_key)),
                Some((_, true)) => merges.push(node),
                Some((k, false)) => {
                    let name = key_name(k.value).ok_or_else(|| {
                        error_at(src, k.pos, "a mapping key must be a plain string")
                    })?;
                    entries.push((Key { name, pos: k.pos }, node));
                }
            },
        }
    }
    // A document of nothing (or only comments) is null, placed where it ends.
    let root = root.unwrap_or(Node {
        value: Value::Null,
        pos: end,
    });
    Ok(Document {
        root,
        duplicate_keys,
    })
}

/// Up to this many keys, duplicates are found by comparing keys pairwise (a
/// set only pays for itself on longer mappings).
pub const SMALL_MAP: usize = 16;

/// Whether a key comes twice in one mapping: pairwise in small mappings (nearly
/// all), with a set in long ones.
fn has_duplicate_key(entries: &[(Key, Node)]) -> bool {
    if entries.len() <= SMALL_MAP {
        entries
            .iter()
            .enumerate()
            .any(|(i, (k, _))| entries[..i].iter().any(|(o, _)| o.name == k.name))
    } else {
        let mut seen = foldhash::HashSet::default();
        !entries.iter().all(|(k, _)| seen.insert(k.name.as_str()))
    }
}

/// An alias's copy stands where the alias is: every value and key in it
/// takes the alias's place.
fn place(node: &mut Node, pos: Pos) {
    node.pos = pos;
    match &mut node.value {
        Value::Seq(items) => items.iter_mut().for_each(|n| place(n, pos)),
        Value::Map(entries) => entries.iter_mut().for_each(|(k, n)| {
            k.pos = pos;
            place(n, pos);
        }),
        _ => {}
    }
}

/// Entries of `<<` values after the mapping's own, each key only once: the
/// mapping's own keys win, then earlier merged mappings over later ones.
fn merge(mut entries: Vec<(Key, Node)>, merges: Vec<Node>) -> Result<Vec<(Key, Node)>, Pos> {
    if merges.is_empty() {
        return Ok(entries);
    }
    let mut seen: std::collections::HashSet<String> =
        entries.iter().map(|(k, _)| k.name.clone()).collect();
    for m in merges {
        let sources = match m.value {
            Value::Map(map) => vec![map],
            Value::Seq(items) => items
                .into_iter()
                .map(|n| match n.value {
                    Value::Map(map) => Ok(map),
                    _ => Err(n.pos),
                })
                .collect::<Result<_, _>>()?,
            _ => return Err(m.pos),
        };
        for (k, v) in sources.into_iter().flatten() {
            if seen.insert(k.name.clone()) {
                entries.push((k, v));
            }
        }
    }
    Ok(entries)
}

fn key_name(value: Value) -> Option<String> {
    Some(match value {
        Value::Str(s) => s,
        Value::Int(i) => i.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Float(f) => f.to_string(),
        Value::Null => "null".to_string(),
        Value::Seq(_) | Value::Map(_) => return None,
    })
}

fn pos_of(span: &granit_parser::Span) -> Pos {
    let offset = span.start.byte_offset().unwrap_or(0);
    Pos {
        line: span.start.line() as u32,
        column: span.start.col() as u32 + 1,
        offset,
        len: span
            .end
            .byte_offset()
            .map_or(0, |end| end.saturating_sub(offset)),
    }
}

fn error_at(src: &str, pos: Pos, message: &str) -> SyntaxError {
    SyntaxError {
        message: message.to_string(),
        pos: Pos {
            offset: offset_at(src, pos.line.max(1), pos.column.max(1)),
            ..pos
        },
        hint: None,
    }
}

fn too_many(src: &str, pos: Pos) -> SyntaxError {
    error_at(
        src,
        pos,
        "the document expands to too many values (are aliases repeated many times?)",
    )
}

fn scan_error(src: &str, e: &granit_parser::ScanError) -> SyntaxError {
    let mark = e.marker();
    let pos = Pos {
        line: mark.line() as u32,
        column: mark.col() as u32 + 1,
        offset: 0,
        len: 0,
    };
    let info = e.info();
    let message = info
        .lines()
        .next()
        .unwrap_or("")
        .trim()
        .trim_end_matches('.');
    let message = match message {
        "recursion limit exceeded" => "the document nests too deeply",
        "while parsing node, found unknown anchor" => "alias references unknown anchor",
        m => m,
    };
    error_at(
        src,
        pos,
        if message.is_empty() {
            "invalid YAML"
        } else {
            message
        },
    )
}

/// What a scalar means: YAML 1.1 booleans (`yes`, `on`), YAML 1.2 numbers,
/// null for `~`, `null` and nothing; quoted text and `!!str` stay strings;
/// `!!null`, `!!bool`, `!!int` and `!!float` ask for their type.
fn scalar(
    text: std::borrow::Cow<'_, str>,
    style: ScalarStyle,
    tag: Option<&granit_parser::Tag>,
) -> Result<Value, String> {
    let asked = tag.and_then(|t| match t.core_suffix() {
        Some(s) => Some(s),
        None if t
            .suffix_in_namespace("!")
            .is_some_and(|s| s.is_empty() || s == "!") =>
        {
            Some("str")
        }
        None => None,
    });
    let t = yaml_trim(&text);
    if tag
        .and_then(|t| t.suffix_in_namespace("tag:yaml.org,2002:"))
        .as_deref()
        == Some("binary")
    {
        return binary(&text);
    }
    match asked {
        Some("str") => return Ok(Value::Str(text.into_owned())),
        Some("null") => return Ok(Value::Null),
        Some("bool") => {
            return yaml11_bool(t)
                .map(Value::Bool)
                .ok_or_else(|| format!("invalid boolean `{t}`"));
        }
        Some("int") => {
            return int(t).ok_or_else(|| format!("invalid integer `{t}`"));
        }
        Some("float") => {
            return float(t)
                .map(Value::Float)
                .ok_or_else(|| format!("invalid floating point value `{t}`"))
                .and_then(|v| finite(v, t));
        }
        _ => {}
    }
    if style != ScalarStyle::Plain {
        return Ok(Value::Str(text.into_owned()));
    }
    if matches!(&*text, "" | "~" | "null" | "Null" | "NULL") {
        return Ok(Value::Null);
    }
    if let Some(b) = yaml11_bool(t) {
        return Ok(Value::Bool(b));
    }
    // Most plain scalars are words: only a sign, a digit or a dot can start
    // a number (`.inf` and `.nan` included).
    if t.starts_with(|c: char| c.is_ascii_digit() || matches!(c, '+' | '-' | '.')) {
        if let Some(i) = int(t) {
            return Ok(i);
        }
        if let Some(f) = float(t) {
            return finite(Value::Float(f), t);
        }
    }
    Ok(Value::Str(text.into_owned()))
}

/// A `!!binary` value: base64 of UTF-8 text.
fn binary(text: &str) -> Result<Value, String> {
    use base64::Engine;
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    base64::engine::general_purpose::STANDARD
        .decode(compact)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .map(Value::Str)
        .ok_or_else(|| "a `!!binary` value must be base64 of UTF-8 text".to_string())
}

fn yaml_trim(s: &str) -> &str {
    s.trim_matches(|c| matches!(c, ' ' | '\t' | '\r' | '\n'))
}

fn yaml11_bool(t: &str) -> Option<bool> {
    let is = |words: [&str; 4]| words.iter().any(|w| t.eq_ignore_ascii_case(w));
    if is(["true", "yes", "y", "on"]) {
        Some(true)
    } else if is(["false", "no", "n", "off"]) {
        Some(false)
    } else {
        None
    }
}

/// A YAML 1.2 integer (`0x`, `0o`, `0b`, `_` between digits; no leading
/// zero); one above `i64` becomes a float.
fn int(t: &str) -> Option<Value> {
    let (negative, rest) = match t.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let (radix, digits) = if let Some(d) = rest.strip_prefix("0x").or(rest.strip_prefix("0X")) {
        (16, d)
    } else if let Some(d) = rest.strip_prefix("0o").or(rest.strip_prefix("0O")) {
        (8, d)
    } else if let Some(d) = rest.strip_prefix("0b").or(rest.strip_prefix("0B")) {
        (2, d)
    } else {
        if rest.starts_with('0') && rest != "0" {
            return None;
        }
        (10, rest)
    };
    let magnitude = digits_value(digits, radix)?;
    if negative {
        let v = i128::try_from(magnitude).ok()?.checked_neg()?;
        i64::try_from(v).ok().map(Value::Int)
    } else {
        let v = u64::try_from(magnitude).ok()?;
        Some(i64::try_from(v).map_or(Value::Float(v as f64), Value::Int))
    }
}

/// Digits of `radix`, with single `_` between them.
fn digits_value(digits: &str, radix: u32) -> Option<u128> {
    let bytes = digits.as_bytes();
    let mut value: u128 = 0;
    let mut any = false;
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'_' {
            let between =
                i > 0 && bytes[i - 1] != b'_' && bytes.get(i + 1).is_some_and(|&n| n != b'_');
            if !between {
                return None;
            }
            continue;
        }
        let d = (b as char).to_digit(radix)?;
        value = value
            .checked_mul(u128::from(radix))?
            .checked_add(u128::from(d))?;
        any = true;
    }
    any.then_some(value)
}

/// A YAML 1.2 float: `.inf`, `.nan` and decimal forms; a numeral too large
/// for `f64` is infinite.
fn float(t: &str) -> Option<f64> {
    let (negative, unsigned) = match t.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    match unsigned {
        ".nan" | ".NaN" | ".NAN" => return Some(f64::NAN),
        ".inf" | ".Inf" | ".INF" if negative => return Some(f64::NEG_INFINITY),
        ".inf" | ".Inf" | ".INF" => return Some(f64::INFINITY),
        _ => {}
    }
    match t.parse::<f64>() {
        Ok(v) if v.is_finite() => Some(v),
        Ok(v) if v.is_infinite() && unsigned.as_bytes().first().is_some_and(u8::is_ascii_digit) => {
            Some(v)
        }
        _ => None,
    }
}

fn finite(v: Value, text: &str) -> Result<Value, String> {
    match v {
        Value::Float(f) if !f.is_finite() => Err(format!(
            "`{text}` is not a finite number: quote it to keep it as text"
        )),
        v => Ok(v),
    }
}

/// The byte offset of 1-based `line` and `column` (in characters) in `src`,
/// kept within the line.
fn offset_at(src: &str, line: u32, column: u32) -> usize {
    let start: usize = src
        .split_inclusive('\n')
        .take(line.saturating_sub(1) as usize)
        .map(str::len)
        .sum();
    let text = src[start..].split('\n').next().unwrap_or("");
    start
        + text
            .char_indices()
            .nth(column.saturating_sub(1) as usize)
            .map_or(text.len(), |(i, _)| i)
}

/// The parser stops where it can no longer go on, which is often after the
/// mistake: a tab is reported at the end of the previous scalar, a `[` left
/// open at the line where the text stops making sense as a list. Points
/// those errors at their cause.
fn closer_to_the_cause(src: &str, e: SyntaxError) -> SyntaxError {
    let lines: Vec<(usize, &str)> = src
        .split_inclusive('\n')
        .scan(0, |off, l| {
            let start = *off;
            *off += l.len();
            Some((start, l))
        })
        .collect();
    let first = (e.pos.line.max(1) - 1) as usize;
    if e.message.contains("tab") && !e.message.contains("table") {
        let indent_tab = lines
            .iter()
            .enumerate()
            .skip(first)
            .find_map(|(i, (start, l))| {
                let indent = l.len() - l.trim_start_matches([' ', '\t']).len();
                l[..indent].find('\t').map(|t| (i, start + t, t))
            });
        if let Some((i, offset, t)) = indent_tab {
            return SyntaxError {
                message: "a tab in the indentation: YAML indents with spaces only".into(),
                pos: Pos {
                    line: i as u32 + 1,
                    column: t as u32 + 1,
                    offset,
                    len: 1,
                },
                hint: Some("replace the tab with spaces".into()),
            };
        }
    }
    if e.message.starts_with("multiple YAML documents") {
        let separator = lines[..(first + 1).min(lines.len())]
            .iter()
            .enumerate()
            .rev()
            .find(|(_, (_, l))| l.starts_with("---"));
        let pos = match separator {
            Some((i, (offset, _))) => Pos {
                line: i as u32 + 1,
                column: 1,
                offset: *offset,
                len: 3,
            },
            None => e.pos,
        };
        return SyntaxError {
            message: "more than one YAML document: a manifest is a single document".into(),
            pos,
            hint: Some("remove the `---` separator and merge the documents".into()),
        };
    }
    // A bracket or quote left open on an earlier line: the text before the
    // line where the parser stopped already fails with "unclosed ...".
    // Parsing again is slow for long files, so only when something may be
    // open at all.
    let before = lines
        .get(first)
        .filter(|_| first > 0)
        .map(|(start, _)| &src[..*start]);
    let maybe_open = |t: &str| {
        let count = |c: char| t.matches(c).count();
        count('[') > count(']')
            || count('{') > count('}')
            || count('"') % 2 == 1
            || count('\'') % 2 == 1
    };
    if let Some(Err(open)) = before.filter(|t| maybe_open(t)).map(parse_once) {
        if open.message.starts_with("unclosed") {
            return SyntaxError {
                hint: Some(format!(
                    "it is still open at line {}, column {}, where the parser stopped: {}",
                    e.pos.line, e.pos.column, e.message
                )),
                ..open
            };
        }
    }
    if e.message.contains("did not find expected key") {
        return SyntaxError {
            hint: Some(
                "check this line's indentation: the keys of one mapping start in the same column"
                    .into(),
            ),
            ..e
        };
    }
    e
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_positions_of_nested_values() {
        let n = parse("app: x\nfunctions:\n  a:\n    memory: 512\n").unwrap();
        let top = n.as_map().unwrap();
        let funcs = top[1].1.as_map().unwrap();
        let a = funcs[0].1.as_map().unwrap();
        assert_eq!(a[0].0.name, "memory");
        assert_eq!((a[0].0.pos.line, a[0].0.pos.column), (4, 5));
        assert_eq!((a[0].1.pos.line, a[0].1.pos.column), (4, 13));
    }

    #[test]
    fn duplicate_keys_pass_through() {
        let n = parse("app: x\napp: y\n").unwrap();
        assert_eq!(n.as_map().unwrap().len(), 2);
    }

    #[test]
    fn syntax_error_has_place_and_plain_message() {
        let e = parse("app: [x\n").unwrap_err();
        assert_eq!(e.pos.line, 1);
        assert!(e.message.contains("unclosed"), "{}", e.message);
        assert!(!e.message.contains("line 1"), "{}", e.message);
    }

    #[test]
    fn unclosed_bracket_is_reported_where_it_opens() {
        let e = parse("a:\n  m: [128\n  t: 3s\n").unwrap_err();
        assert_eq!((e.pos.line, e.pos.column), (2, 6));
        assert!(e.message.contains("unclosed bracket"), "{}", e.message);
        assert!(e.hint.unwrap().contains("line 3"));
    }

    #[test]
    fn tab_in_indentation_is_pointed_at() {
        let e = parse("a:\n  - x\n\t- y\n").unwrap_err();
        assert_eq!((e.pos.line, e.pos.column), (3, 1));
        assert!(e.message.contains("tab"), "{}", e.message);
    }

    #[test]
    fn second_document_is_reported_at_its_separator() {
        let e = parse("a: 1\n---\na: 2\n").unwrap_err();
        assert_eq!((e.pos.line, e.pos.column), (2, 1));
        assert!(!e.message.contains("from_str"), "{}", e.message);
    }

    #[test]
    fn syntax_errors_have_a_byte_offset() {
        let src = "app: x\nfunctions:\n  a: é: [1\n";
        let e = parse(src).unwrap_err();
        let at = offset_at(src, e.pos.line, e.pos.column);
        assert_eq!(e.pos.offset, at);
        assert!(e.pos.offset > 0, "{e:?}");
        assert_eq!(offset_at("ab\ncd", 2, 2), 4);
        assert_eq!(offset_at("ab\ncd", 9, 9), 5);
    }

    #[test]
    fn duplicate_keys_are_noted_in_short_long_and_nested_mappings() {
        let dup = |src: &str| parse_document(src).unwrap().duplicate_keys;
        assert!(!dup("a: 1\nb: 2\n"));
        assert!(dup("a: 1\nb: 2\na: 3\n"));
        let long: String = (0..20).map(|i| format!("k{i}: {i}\n")).collect();
        assert!(!dup(&long));
        assert!(dup(&format!("{long}k7: again\n")));
        assert!(dup("list:\n  - { x: 1, y: 2 }\n  - { x: 1, x: 2 }\n"));
        assert!(!dup("list:\n  - { x: 1, y: 2 }\n  - { x: 1, y: 2 }\n"));
        // A merged key is overridden, not duplicated.
        assert!(!dup("base: &b { x: 1 }\nc:\n  <<: *b\n  x: 2\n"));
    }

    #[test]
    fn parser_limits_are_said_plainly() {
        let e = parse(&"[".repeat(10_000)).unwrap_err();
        assert!(e.message.contains("nests too deeply"), "{}", e.message);
        let mut lol = "x0: &a0 [l, l, l, l, l, l, l, l, l, l]\n".to_string();
        for i in 1..10 {
            let refs = vec![format!("*a{}", i - 1); 10].join(", ");
            lol.push_str(&format!("x{i}: &a{i} [{refs}]\n"));
        }
        let e = parse(&lol).unwrap_err();
        assert!(e.message.contains("too many values"), "{}", e.message);
    }

    #[test]
    fn plain_scalar_keeps_its_text() {
        let src = "v: 1.10\n";
        let n = parse(src).unwrap();
        let v = &n.as_map().unwrap()[0].1;
        assert_eq!(v.scalar_text(src).unwrap(), "1.10");
    }

    /// Every manifest of the test corpus, its truncations, and the corner
    /// cases of scalars, tags, anchors and errors read as serde-saphyr read
    /// them.
    #[test]
    fn same_tree_as_before() {
        std::thread::Builder::new()
            .stack_size(256 << 20)
            .spawn(compare_with_before)
            .unwrap()
            .join()
            .unwrap();
    }

    fn compare_with_before() {
        let mut inputs: Vec<String> = Vec::new();
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/manifests");
        let mut dirs = vec![root];
        while let Some(d) = dirs.pop() {
            for e in std::fs::read_dir(&d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    dirs.push(p);
                } else if let Ok(t) = std::fs::read_to_string(&p) {
                    let good = p.to_string_lossy().contains("/good/");
                    if good {
                        for (i, _) in t.char_indices().step_by(7) {
                            inputs.push(t[..i].to_string());
                        }
                    }
                    inputs.push(t);
                }
            }
        }
        inputs.push(crate::fixtures::app(20));
        for s in [
            "",
            "# c\n",
            "\n\n",
            "a: 1\n---\na: 2\n",
            "a: 1\n---\n",
            "---\na: 1\n",
            "a: 1\n...\n",
            "yes",
            "No",
            "on",
            "OFF",
            "y",
            "n",
            "~",
            "null",
            "NULL",
            "0x1F",
            "0o17",
            "0b101",
            "1_000",
            "1__0",
            "0127",
            "-0127",
            "+5",
            "-5",
            "1e999",
            "-1e999",
            ".inf",
            "-.inf",
            ".nan",
            "1.10",
            "1e5",
            ".5",
            "5.",
            "inf",
            "nan",
            "infinity",
            "99999999999999999999",
            "18446744073709551615",
            "9223372036854775808",
            "-9223372036854775808",
            "-9223372036854775809",
            "\"123\"",
            "'yes'",
            "!!str 123",
            "!!int \"12\"",
            "!!bool yes",
            "!!float 1",
            "! 123",
            "!Ref x",
            "!!null x",
            "!!str",
            "!!int x",
            "!!bool x",
            "!!float x",
            "! ~",
            "!!str ~",
            "a: |\n  block\n  two\n",
            "a: >-\n  folded\n",
            "a: &x {b: 1}\nc: *x\n",
            "a: &x [1, 2]\nc: [*x, *x]\n",
            "base: &b {x: 1, y: 2}\nd:\n  <<: *b\n  y: 3\n",
            "a: &a {x: 1}\nb: &b {x: 2, y: 2}\nc:\n  <<: [*a, *b]\n  z: 3\n",
            "? [a]\n: 1\n",
            "[a, b]: 1\n",
            "{a: 1}: 2\n",
            "1: a\ntrue: b\n~: c\n1.5: d\n",
            "a:\n\t- x\n",
            "a: [x\n",
            "a: {x: 1\n",
            "a: \"x\n",
            "a: 'x\n",
            "a: b: c\n",
            "a:\n  b: 1\n c: 2\n",
            "*x\n",
            "a: *x\n",
            "- a\nb: 1\n",
            "%YAML 1.2\n---\na: 1\n",
            "a: 1\na: 2\n",
            "\u{feff}a: 1\n",
            "a: \"\\u00e9\"\n",
            "é: ü\n",
            "a:\n  - b: 1\n    c: 2\n",
            "[1, [2, [3]]]",
            "{a: [b, {c: d}]}",
            "- - - x\n",
            "a: !!binary aGVsbG8=\n",
            "a: 0o8\n",
            "a: 0x\n",
            "a: +.inf\n",
            "a: 1_\n",
            "a: _1\n",
            "a: 12:30\n",
            "a: 2001-12-14\n",
        ] {
            inputs.push(s.to_string());
        }
        for n in [62, 63, 64, 65, 66, 300] {
            inputs.push(format!("{}{}", "[".repeat(n), "]".repeat(n)));
            inputs.push("[".repeat(n));
            inputs.push(format!("{}x", "- ".repeat(n)));
            let mut nested = String::new();
            for i in 0..n {
                nested.push_str(&format!("{}k:\n", "  ".repeat(i)));
            }
            inputs.push(nested);
        }
        let mut lol = "x0: &a0 [l, l, l, l, l, l, l, l, l, l]\n".to_string();
        for i in 1..10 {
            let refs = vec![format!("*a{}", i - 1); 10].join(", ");
            lol.push_str(&format!("x{i}: &a{i} [{refs}]\n"));
            inputs.push(lol.clone());
        }
        let mut differ = Vec::new();
        for src in &inputs {
            let new = format!("{:?}", parse(src));
            let old = format!(
                "{:?}",
                before::parse_once(src).map_err(|e| closer_to_the_cause(src, e))
            );
            let improved = |m: &str| {
                m.ends_with("rejected by the configured policy")
                    || [
                        "invalid u64",
                        "invalid i64",
                        "invalid boolean",
                        "invalid floating point",
                    ]
                    .contains(&m)
            };
            if let (Err(n), Err(o)) = (parse(src), before::parse_once(src)) {
                if improved(&o.message) && (n.pos, &n.hint) == (o.pos, &o.hint) {
                    continue;
                }
            }
            if new != old {
                let at = new
                    .char_indices()
                    .zip(old.chars())
                    .find(|((_, a), b)| a != b)
                    .map_or(0, |((i, _), _)| i.saturating_sub(150));
                differ.push(format!(
                    "input {src:.200?}\n new {:.400}\n old {:.400}",
                    &new[at..],
                    old.get(at..).unwrap_or("")
                ));
            }
        }
        assert!(
            differ.is_empty(),
            "{} of {} differ:\n{}",
            differ.len(),
            inputs.len(),
            differ
                .iter()
                .take(40)
                .cloned()
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
}

/// The serde-saphyr reading this module replaced, kept while comparing.
#[cfg(test)]
mod before {
    use super::*;
    use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
    use serde_saphyr::{DuplicateKeyPolicy, Spanned};
    use std::fmt;

    impl Pos {
        #[allow(dead_code)]
        fn from_location(loc: &serde_saphyr::Location) -> Pos {
            let span = loc.span();
            Pos {
                line: loc.line() as u32,
                column: loc.column() as u32,
                offset: span.byte_offset().unwrap_or(0) as usize,
                len: span.byte_len().unwrap_or(0) as usize,
            }
        }
    }

    pub(super) fn parse_once(src: &str) -> Result<Node, SyntaxError> {
        let options = serde_saphyr::options! {
            duplicate_keys: DuplicateKeyPolicy::PassThrough,
        };
        serde_saphyr::from_str_with_options::<Node>(src, options).map_err(|e| {
            let mut pos = e.location().map(|l| Pos::from_location(&l)).unwrap_or(Pos {
                line: 1,
                column: 1,
                offset: 0,
                len: 0,
            });
            // The parser's errors carry a line and column but no byte offset,
            // which the snippet of the human output needs.
            pos.offset = offset_at(src, pos.line, pos.column);
            SyntaxError {
                message: syntax_message(&e),
                pos,
                hint: None,
            }
        })
    }

    /// The parser's message without its own location prefix and snippet: ferry
    /// prints those itself.
    fn syntax_message(e: &serde_saphyr::Error) -> String {
        let full = e.without_snippet().to_string();
        let first = full.lines().next().unwrap_or("").trim();
        let first = first.strip_prefix("error: ").unwrap_or(first);
        // "line 4 column 5: message" -> "message"
        let msg = match first.strip_prefix("line ") {
            Some(rest) => rest.split_once(": ").map(|(_, m)| m).unwrap_or(rest),
            None => first,
        };
        let msg = msg
            .split(" at line ")
            .next()
            .unwrap_or(msg)
            .trim_end_matches('.')
            .to_string();
        if msg.is_empty() {
            return "invalid YAML".to_string();
        }
        // The parser's safety limits, said in the manifest's terms rather than
        // as the parser's internal names (`budget breached: Depth { depth: 65 }`).
        let breach = msg.strip_prefix("budget breached: ");
        if msg == "recursion limit exceeded" || breach.is_some_and(|b| b.starts_with("Depth")) {
            return "the document nests too deeply".to_string();
        }
        match breach {
            Some(b)
                if b.starts_with("Nodes") || b.starts_with("Events") || b.starts_with("Alias") =>
            {
                "the document expands to too many values (are aliases repeated many times?)"
                    .to_string()
            }
            Some(_) => "the document is too large or too complex to read".to_string(),
            None => msg,
        }
    }

    impl<'de> Deserialize<'de> for Node {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            let s = Spanned::<Value>::deserialize(d)?;
            Ok(Node {
                pos: Pos::from_location(&s.referenced),
                value: s.value,
            })
        }
    }

    impl<'de> Deserialize<'de> for Key {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            let s = Spanned::<Value>::deserialize(d)?;
            let pos = Pos::from_location(&s.referenced);
            let name = match s.value {
                Value::Str(s) => s,
                Value::Int(i) => i.to_string(),
                Value::Bool(b) => b.to_string(),
                Value::Float(f) => f.to_string(),
                Value::Null => "null".to_string(),
                Value::Seq(_) | Value::Map(_) => {
                    return Err(serde::de::Error::custom(
                        "a mapping key must be a plain string",
                    ));
                }
            };
            Ok(Key { name, pos })
        }
    }

    impl<'de> Deserialize<'de> for Value {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct ValueVisitor;
            impl<'de> Visitor<'de> for ValueVisitor {
                type Value = Value;
                fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                    f.write_str("any YAML value")
                }
                fn visit_unit<E>(self) -> Result<Value, E> {
                    Ok(Value::Null)
                }
                fn visit_none<E>(self) -> Result<Value, E> {
                    Ok(Value::Null)
                }
                fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
                    Value::deserialize(d)
                }
                fn visit_bool<E>(self, b: bool) -> Result<Value, E> {
                    Ok(Value::Bool(b))
                }
                fn visit_i64<E>(self, i: i64) -> Result<Value, E> {
                    Ok(Value::Int(i))
                }
                fn visit_u64<E>(self, u: u64) -> Result<Value, E> {
                    Ok(i64::try_from(u)
                        .map(Value::Int)
                        .unwrap_or(Value::Float(u as f64)))
                }
                fn visit_i128<E>(self, i: i128) -> Result<Value, E> {
                    Ok(i64::try_from(i)
                        .map(Value::Int)
                        .unwrap_or(Value::Float(i as f64)))
                }
                fn visit_u128<E>(self, u: u128) -> Result<Value, E> {
                    Ok(i64::try_from(u)
                        .map(Value::Int)
                        .unwrap_or(Value::Float(u as f64)))
                }
                fn visit_f64<E>(self, f: f64) -> Result<Value, E> {
                    Ok(Value::Float(f))
                }
                fn visit_str<E>(self, s: &str) -> Result<Value, E> {
                    Ok(Value::Str(s.to_string()))
                }
                fn visit_string<E>(self, s: String) -> Result<Value, E> {
                    Ok(Value::Str(s))
                }
                fn visit_bytes<E>(self, b: &[u8]) -> Result<Value, E> {
                    Ok(Value::Str(String::from_utf8_lossy(b).into_owned()))
                }
                fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Value, A::Error> {
                    let mut items = Vec::new();
                    while let Some(n) = a.next_element()? {
                        items.push(n);
                    }
                    Ok(Value::Seq(items))
                }
                fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Value, A::Error> {
                    let mut entries = Vec::new();
                    while let Some(entry) = a.next_entry()? {
                        entries.push(entry);
                    }
                    Ok(Value::Map(entries))
                }
            }
            d.deserialize_any(ValueVisitor)
        }
    }
}
