//! Diagnostics: what ferry reports about a manifest, where, and how it is
//! printed (a source snippet for people, one JSON array for tools); the
//! "did you mean" hint, and the rules for the names a user gives.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};
use serde::Serialize;

use crate::manifest::yaml::Pos;

/// One problem found in the manifest or a file it names.
#[derive(Clone, Debug, PartialEq)]
pub struct Diagnostic {
    /// The file the problem is in.
    pub file: PathBuf,
    /// The key path, e.g. `functions.request-unicorn.timeout`.
    pub path: String,
    pub pos: Pos,
    /// One line saying what is wrong.
    pub message: String,
    /// What to do about it, e.g. "did you mean `memory`?".
    pub hint: Option<String>,
}

/// The JSON shape of a diagnostic (`--output json`).
#[derive(Serialize)]
struct JsonDiagnostic<'a> {
    file: String,
    path: &'a str,
    line: u32,
    column: u32,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    hint: Option<&'a str>,
}

/// The texts of the files diagnostics point into, for snippets.
#[derive(Clone, Debug, Default)]
pub struct Sources {
    files: BTreeMap<PathBuf, String>,
}

impl Sources {
    pub fn insert(&mut self, path: PathBuf, text: String) {
        self.files.insert(path, text);
    }

    pub fn get(&self, path: &Path) -> Option<&str> {
        self.files.get(path).map(String::as_str)
    }
}

/// Diagnostics sorted by file and place, as they are printed.
pub fn sorted(mut diags: Vec<Diagnostic>) -> Vec<Diagnostic> {
    diags.sort_by(|a, b| {
        (&a.file, a.pos.line, a.pos.column, &a.path, &a.message).cmp(&(
            &b.file,
            b.pos.line,
            b.pos.column,
            &b.path,
            &b.message,
        ))
    });
    diags.dedup();
    diags
}

/// Renders diagnostics as one JSON array.
pub fn to_json(diags: &[Diagnostic]) -> String {
    let items: Vec<JsonDiagnostic> = diags
        .iter()
        .map(|d| JsonDiagnostic {
            file: d.file.display().to_string(),
            path: &d.path,
            line: d.pos.line,
            column: d.pos.column,
            message: &d.message,
            hint: d.hint.as_deref(),
        })
        .collect();
    serde_json::to_string_pretty(&items).expect("diagnostics serialize")
}

/// Renders diagnostics for a person: a header line with the key path and the
/// message, `--> file:line:column`, the source line with a marker, and the hint.
pub fn render(diags: &[Diagnostic], sources: &Sources, color: bool) -> String {
    let renderer = if color {
        Renderer::styled()
    } else {
        Renderer::plain()
    };
    let mut out = String::new();
    for d in diags {
        let title = if d.path.is_empty() {
            d.message.clone()
        } else {
            format!("{}: {}", d.path, d.message)
        };
        let file = d.file.display().to_string();
        let mut groups = Vec::new();
        match sources.get(&d.file).filter(|s| snippet_fits(s, d.pos)) {
            Some(src) => {
                let span = marker_span(src, d.pos);
                groups.push(
                    Level::ERROR.primary_title(title.as_str()).element(
                        Snippet::source(src)
                            .path(file.as_str())
                            .annotation(AnnotationKind::Primary.span(span)),
                    ),
                );
            }
            None => {
                let at = format!("at {}:{}:{}", file, d.pos.line, d.pos.column);
                groups.push(
                    Level::ERROR
                        .primary_title(title.as_str())
                        .element(Level::NOTE.message(at)),
                );
            }
        }
        if let Some(h) = &d.hint {
            groups.push(Group::with_title(Level::HELP.secondary_title(h.as_str())));
        }
        out.push_str(&renderer.render(&groups));
        out.push_str("\n\n");
    }
    out
}

fn snippet_fits(src: &str, pos: Pos) -> bool {
    pos.offset <= src.len() && src.is_char_boundary(pos.offset)
}

/// The byte range to underline: the node's own text on its first line, or
/// one character.
fn marker_span(src: &str, pos: Pos) -> std::ops::Range<usize> {
    let start = pos.offset.min(src.len());
    let line_end = src[start..]
        .find('\n')
        .map(|i| start + i)
        .unwrap_or(src.len());
    let mut end = (start + pos.len.max(1)).min(line_end);
    if end <= start {
        end = (start + 1).min(src.len());
    }
    while end < src.len() && !src.is_char_boundary(end) {
        end += 1;
    }
    start..end
}

/// `^[a-z][a-z0-9-]{0,39}$`: the rule for every user-given entry name.
pub fn valid_name(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 40
        && b[0].is_ascii_lowercase()
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
}

/// "did you mean `x`?" for the closest known word, when one is close.
pub fn did_you_mean<'w>(word: &str, known: impl IntoIterator<Item = &'w str>) -> Option<String> {
    let mut best: Option<(f64, &str)> = None;
    for k in known {
        let score = strsim::jaro_winkler(&word.to_ascii_lowercase(), &k.to_ascii_lowercase());
        if score > best.map(|b| b.0).unwrap_or(0.0) {
            best = Some((score, k));
        }
    }
    best.filter(|(s, _)| *s >= 0.8)
        .map(|(_, k)| format!("did you mean `{k}`?"))
}

/// `^[A-Za-z][A-Za-z0-9]*$`: CloudFormation logical IDs, so parameter and
/// output names.
pub fn valid_logical_name(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 255
        && b[0].is_ascii_alphabetic()
        && b.iter().all(u8::is_ascii_alphanumeric)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn diag() -> Diagnostic {
        Diagnostic {
            file: PathBuf::from("ferry.yaml"),
            path: "functions.a.memory".into(),
            pos: Pos {
                line: 2,
                column: 9,
                offset: 15,
                len: 3,
            },
            message: "must be between 128 and 10240, got 100".into(),
            hint: Some("did you mean `128`?".into()),
        }
    }

    #[test]
    fn human_output_names_file_line_column_and_path() {
        let mut s = Sources::default();
        s.insert("ferry.yaml".into(), "app: x\nmemory: 100\n".into());
        let out = render(&[diag()], &s, false);
        assert!(out.contains("ferry.yaml:2:9"), "{out}");
        assert!(out.contains("functions.a.memory: must be between"), "{out}");
        assert!(out.contains("did you mean"), "{out}");
    }

    #[test]
    fn json_output_is_an_array_of_path_line_column_message() {
        let v: serde_json::Value = serde_json::from_str(&to_json(&[diag()])).unwrap();
        assert_eq!(v[0]["path"], "functions.a.memory");
        assert_eq!(v[0]["line"], 2);
        assert_eq!(v[0]["column"], 9);
        assert!(v[0]["message"].as_str().unwrap().contains("128"));
    }

    #[test]
    fn names_follow_the_rule() {
        assert!(valid_name("request-unicorn"));
        assert!(valid_name("a"));
        assert!(!valid_name("Request"));
        assert!(!valid_name("1abc"));
        assert!(!valid_name(""));
        assert!(!valid_name(&"a".repeat(41)));
        assert!(valid_logical_name("UserPoolId"));
        assert!(!valid_logical_name("user-pool"));
        assert!(!valid_logical_name("1Pool"));
    }

    #[test]
    fn suggests_close_words_only() {
        assert_eq!(
            did_you_mean("memroy", ["memory", "timeout"]).unwrap(),
            "did you mean `memory`?"
        );
        assert!(did_you_mean("zzz", ["memory", "timeout"]).is_none());
    }
}
