//! The YAML layer: turns manifest text into a tree of spanned nodes.
//!
//! serde-saphyr does the parsing; this module keeps every node's place
//! (line, column, byte span) so that validation can report all errors at
//! once, each at its exact location, instead of stopping at the first one.
//! Duplicate keys are passed through and reported by validation.

use std::cell::RefCell;
use std::fmt;
use std::sync::mpsc;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::{DuplicateKeyPolicy, Spanned};

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

impl Pos {
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

/// Stack of the parsing thread. Deserializing takes tens of KB of stack per
/// nesting level in debug builds, so a document nested within the parser's
/// depth limit (64) could still overflow a small caller stack (a test
/// thread has 2 MB): the parser gets a stack of its own.
const PARSER_STACK: usize = 32 << 20;

type Reply = std::thread::Result<Result<Node, SyntaxError>>;
type Parser = mpsc::Sender<(String, mpsc::Sender<Reply>)>;

thread_local! {
    /// The parsing thread serving this thread, started on first use and
    /// kept, so that many parses (tests) do not each start a thread.
    static PARSER: RefCell<Option<Parser>> = const { RefCell::new(None) };
}

/// Parses one YAML document into a spanned tree.
pub fn parse(src: &str) -> Result<Node, SyntaxError> {
    let reply = PARSER.try_with(|parser| {
        let mut parser = parser.borrow_mut();
        if parser.is_none() {
            *parser = start_parser();
        }
        let (tx, rx) = mpsc::channel();
        let sent = parser.as_ref()?.send((src.to_string(), tx));
        let reply = sent.ok().and_then(|()| rx.recv().ok());
        if reply.is_none() {
            *parser = None;
        }
        reply
    });
    match reply {
        Ok(Some(Ok(result))) => result,
        Ok(Some(Err(panic))) => std::panic::resume_unwind(panic),
        // No parsing thread (none could be started, or this thread is
        // ending): parse here.
        _ => parse_here(src),
    }
}

fn start_parser() -> Option<Parser> {
    let (tx, rx) = mpsc::channel::<(String, mpsc::Sender<Reply>)>();
    std::thread::Builder::new()
        .name("yaml".into())
        .stack_size(PARSER_STACK)
        .spawn(move || {
            for (src, reply) in rx {
                let result = std::panic::catch_unwind(|| parse_here(&src));
                let _ = reply.send(result);
            }
        })
        .ok()?;
    Some(tx)
}

fn parse_here(src: &str) -> Result<Node, SyntaxError> {
    parse_once(src).map_err(|e| closer_to_the_cause(src, e))
}

fn parse_once(src: &str) -> Result<Node, SyntaxError> {
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
        Some(b) if b.starts_with("Nodes") || b.starts_with("Events") || b.starts_with("Alias") => {
            "the document expands to too many values (are aliases repeated many times?)".to_string()
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
}
