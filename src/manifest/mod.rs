//! The manifest: `ferry.yaml` parsed, validated and resolved for one stage
//! into the typed model (`model::App`) that the rest of ferry reads.
//!
//! `yaml` keeps spans, `decode` walks the tree collecting diagnostics,
//! `app` reads the top level and hands each section to its decoder (`stage`,
//! `resources`, `buses`, `secrets`, `function`, `machines`, `http` with
//! `domain`, `outputs`, ...), every mapping read through its declared shape
//! (`vocab`), `interp` parses `${...}` references, `schedule` checks
//! schedule expressions, and `check` applies the rules that span sections.

pub mod access;
pub mod app;
pub mod buses;
pub mod check;
pub mod declared;
pub mod decode;
pub mod destination;
pub mod domain;
pub mod files;
pub mod function;
pub mod http;
pub mod interp;
pub mod known;
pub mod machines;
pub mod merge;
pub mod model;
pub mod outputs;
pub mod resources;
pub mod schedule;
pub mod secrets;
pub mod select;
pub mod settings;
pub mod stage;
pub mod trigger;
pub mod vocab;
pub mod yaml;

use std::path::{Path, PathBuf};

use crate::diagnostic::{Diagnostic, Sources, sorted};
pub use files::{Disk, Files};

/// The name ferry looks for.
pub const FILE_NAME: &str = "ferry.yaml";

/// Why a manifest could not be loaded.
#[derive(Debug)]
pub enum LoadError {
    /// The file could not be read, or the stage name is not valid.
    Plain(String),
    /// The manifest has errors; every one is listed.
    Invalid {
        diagnostics: Vec<Diagnostic>,
        sources: Sources,
    },
}

/// Finds `ferry.yaml` in `start` or the nearest folder above it.
pub fn find(start: &Path) -> Option<PathBuf> {
    start
        .ancestors()
        .map(|d| d.join(FILE_NAME))
        .find(|p| p.is_file())
}

/// Reads, validates and resolves the manifest at `path` for `stage`.
pub fn load(path: &Path, stage: &str) -> Result<model::App, LoadError> {
    let text = std::fs::read(path)
        .map_err(|e| LoadError::Plain(format!("cannot read {}: {e}", path.display())))?;
    let text = String::from_utf8(text)
        .map_err(|_| LoadError::Plain(format!("{} is not UTF-8 text", path.display())))?;
    load_str(path, &text, stage, &Disk)
}

/// Validates and resolves manifest text; `path` names it in diagnostics and
/// is the base of the relative paths it holds.
pub fn load_str(
    path: &Path,
    text: &str,
    stage: &str,
    files: &dyn Files,
) -> Result<model::App, LoadError> {
    if !stage::valid_stage(stage) {
        return Err(LoadError::Plain(format!(
            "invalid stage name `{stage}`: use lowercase letters, digits and `-`, starting with a letter, at most 40 characters"
        )));
    }
    let mut sources = Sources::default();
    sources.insert(path.to_path_buf(), text.to_string());
    let mut cx = decode::Cx::new(text, path.to_path_buf());
    let doc = match yaml::parse_document(text) {
        Ok(doc) => doc,
        Err(e) => {
            let (message, hint) = if text.trim().is_empty() {
                ("the manifest is empty".to_string(), None)
            } else {
                (format!("invalid YAML: {}", e.message), e.hint)
            };
            cx.error_hint(e.pos, message, hint);
            return Err(LoadError::Invalid {
                diagnostics: cx.diags,
                sources,
            });
        }
    };
    let mut extra = Vec::new();
    let decoded = app::decode_app(&mut cx, &doc, stage, files, &mut extra);
    if let Some((app, declared)) = &decoded {
        check::check(&mut cx, app, declared);
    }
    for (p, t) in extra {
        sources.insert(p, t);
    }
    match decoded {
        Some((app, _)) if cx.diags.is_empty() => Ok(app),
        _ => Err(LoadError::Invalid {
            diagnostics: sorted(cx.diags),
            sources,
        }),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};
    use std::path::Path;

    /// A module of `manifest` as its path below it (`[]` is `manifest`
    /// itself, `["trigger", "http"]` is `manifest::trigger::http`).
    type Module = Vec<String>;

    fn name(m: &Module) -> String {
        std::iter::once("manifest")
            .chain(m.iter().map(String::as_str))
            .collect::<Vec<_>>()
            .join("::")
    }

    /// Every module under `dir`, with the text of its file.
    fn modules(dir: &Path, prefix: &Module, out: &mut BTreeMap<Module, String>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .expect("src/manifest is readable")
            .map(|e| e.expect("a directory entry").path())
            .collect();
        entries.sort();
        for path in entries {
            let stem = path
                .file_stem()
                .and_then(|s| s.to_str())
                .expect("a UTF-8 file name")
                .to_string();
            let mut m = prefix.clone();
            if path.is_dir() {
                m.push(stem);
                modules(&path, &m, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                if stem != "mod" {
                    m.push(stem);
                }
                let text = std::fs::read_to_string(&path).expect("a readable source file");
                out.insert(m, text);
            }
        }
    }

    /// The code of a file without its comments and its test module (the
    /// tests may use anything).
    fn code(text: &str) -> String {
        text.lines()
            .take_while(|l| !l.trim_start().starts_with("#[cfg(test)]"))
            .filter(|l| !l.trim_start().starts_with("//"))
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// The paths of a `use` tree or an expression path starting at `i`
    /// (`a::b::{c, d::e}` gives `a::b::c` and `a::b::d::e`), and the index
    /// after it.
    fn paths(s: &[u8], mut i: usize) -> (Vec<Vec<String>>, usize) {
        let ws = |s: &[u8], mut i: usize| {
            while s.get(i).is_some_and(|c| c.is_ascii_whitespace()) {
                i += 1;
            }
            i
        };
        let mut prefix: Vec<String> = Vec::new();
        loop {
            i = ws(s, i);
            match s.get(i) {
                Some(b'{') => {
                    i += 1;
                    let mut out = Vec::new();
                    loop {
                        i = ws(s, i);
                        match s.get(i) {
                            None => return (out, i),
                            Some(b'}') => return (out, i + 1),
                            Some(b',') => i += 1,
                            Some(_) => {
                                let (sub, j) = paths(s, i);
                                if j == i {
                                    return (out, i);
                                }
                                out.extend(sub.into_iter().map(|p| [prefix.clone(), p].concat()));
                                i = j;
                            }
                        }
                    }
                }
                Some(b'*') => return (vec![prefix], i + 1),
                _ => {}
            }
            let start = i;
            while s
                .get(i)
                .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_')
            {
                i += 1;
            }
            if i == start {
                return (vec![prefix], i);
            }
            prefix.push(String::from_utf8_lossy(&s[start..i]).into_owned());
            if s[i..].starts_with(b"::") {
                i += 2;
            } else {
                return (vec![prefix], i);
            }
        }
    }

    /// The modules of `manifest` that module `m` uses: through `super::`,
    /// `crate::manifest::`, `self::` or the name of one of its own
    /// submodules, in `use` items and in paths written in the code.
    fn uses(m: &Module, text: &str, all: &BTreeMap<Module, String>) -> BTreeSet<Module> {
        let code = code(text);
        let s = code.as_bytes();
        let is_ident = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
        let mut out = BTreeSet::new();
        let mut i = 0;
        while i < s.len() {
            let starts = is_ident(s[i]) && (i == 0 || !(is_ident(s[i - 1]) || s[i - 1] == b':'));
            if !starts {
                i += 1;
                continue;
            }
            let (found, end) = paths(s, i);
            i = end.max(i + 1);
            // A lone word (`pub(super)`, a variable) names no module.
            for path in found.into_iter().filter(|p| p.len() > 1) {
                let mut segs = path.into_iter().peekable();
                let mut base: Module = match segs.peek().map(String::as_str) {
                    Some("crate") => {
                        segs.next();
                        if segs.next().as_deref() != Some("manifest") {
                            continue;
                        }
                        Vec::new()
                    }
                    Some("super") | Some("self") => {
                        let mut b = m.clone();
                        while let Some(seg) = segs.next_if(|s| s == "super" || s == "self") {
                            if seg == "super" {
                                b.pop();
                            }
                        }
                        b
                    }
                    Some(first) => {
                        let mut child = m.clone();
                        child.push(first.to_string());
                        if !all.contains_key(&child) {
                            continue;
                        }
                        m.clone()
                    }
                    None => continue,
                };
                for seg in segs {
                    let mut next = base.clone();
                    next.push(seg);
                    if !all.contains_key(&next) {
                        break;
                    }
                    base = next;
                }
                if base != *m {
                    out.insert(base);
                }
            }
        }
        out
    }

    /// A cycle in `graph`, as the modules along it, if there is one.
    fn cycle(graph: &BTreeMap<Module, BTreeSet<Module>>) -> Option<Vec<Module>> {
        fn visit(
            m: &Module,
            graph: &BTreeMap<Module, BTreeSet<Module>>,
            done: &mut BTreeSet<Module>,
            stack: &mut Vec<Module>,
        ) -> Option<Vec<Module>> {
            if let Some(at) = stack.iter().position(|s| s == m) {
                let mut c = stack[at..].to_vec();
                c.push(m.clone());
                return Some(c);
            }
            if done.contains(m) {
                return None;
            }
            stack.push(m.clone());
            for next in graph.get(m).into_iter().flatten() {
                if let Some(c) = visit(next, graph, done, stack) {
                    return Some(c);
                }
            }
            stack.pop();
            done.insert(m.clone());
            None
        }
        let mut done = BTreeSet::new();
        graph
            .keys()
            .find_map(|m| visit(m, graph, &mut done, &mut Vec::new()))
    }

    #[test]
    fn modules_of_the_manifest_do_not_use_each_other_in_a_cycle() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/manifest");
        let mut all = BTreeMap::new();
        modules(&dir, &Vec::new(), &mut all);
        let graph: BTreeMap<Module, BTreeSet<Module>> = all
            .iter()
            .map(|(m, text)| (m.clone(), uses(m, text, &all)))
            .collect();
        // The reading of paths finds the edges it should.
        let m = |s: &str| -> Module { s.split("::").map(String::from).collect() };
        assert!(graph[&m("check")].contains(&m("declared")), "{graph:?}");
        assert!(
            graph[&m("trigger")].contains(&m("trigger::http")),
            "{graph:?}"
        );
        assert!(
            graph[&m("trigger::stream")].contains(&m("destination")),
            "{graph:?}"
        );
        assert!(graph[&Vec::new()].contains(&m("app")), "{graph:?}");
        if let Some(c) = cycle(&graph) {
            let names: Vec<String> = c.iter().map(name).collect();
            panic!(
                "the modules of manifest use each other in a cycle: {}",
                names.join(" -> ")
            );
        }
    }

    #[test]
    fn a_cycle_is_found_and_named() {
        let m = |s: &str| -> Module { s.split("::").map(String::from).collect() };
        let mut all = BTreeMap::new();
        all.insert(m("a"), "use super::b::X;\n".to_string());
        all.insert(m("b"), "use crate::manifest::{c::Y, yaml};\n".to_string());
        all.insert(
            m("c"),
            "fn f() { super::a::g() }\n#[cfg(test)]\nuse super::d;".to_string(),
        );
        all.insert(m("d"), "pub(super) fn f() {}\nuse super::a;".to_string());
        let graph: BTreeMap<Module, BTreeSet<Module>> = all
            .iter()
            .map(|(k, text)| (k.clone(), uses(k, text, &all)))
            .collect();
        let c = cycle(&graph).expect("a cycle");
        let names: Vec<String> = c.iter().map(name).collect();
        assert_eq!(
            names.join(" -> "),
            "manifest::a -> manifest::b -> manifest::c -> manifest::a"
        );
    }
}
