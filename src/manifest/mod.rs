//! The manifest: `ferry.yaml` parsed, validated and resolved for one stage
//! into the typed model (`model::App`) that the rest of ferry reads.
//!
//! `yaml` keeps spans, `decode` walks the tree collecting diagnostics,
//! `sections` and `function` decode each part, `interp` parses `${...}`
//! references, `schedule` checks schedule expressions, and `check` applies
//! the rules that span sections.

pub mod check;
pub mod decode;
pub mod function;
pub mod interp;
pub mod model;
pub mod schedule;
pub mod sections;
pub mod select;
pub mod yaml;

use std::path::{Path, PathBuf};

use crate::diagnostic::{Diagnostic, Sources, sorted};
pub use sections::{Disk, Files};

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
    if !sections::valid_stage(stage) {
        return Err(LoadError::Plain(format!(
            "invalid stage name `{stage}`: use lowercase letters, digits and `-`, starting with a letter, at most 40 characters"
        )));
    }
    let mut sources = Sources::default();
    sources.insert(path.to_path_buf(), text.to_string());
    let mut cx = decode::Cx::new(text, path.to_path_buf());
    let root = match yaml::parse(text) {
        Ok(root) => root,
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
    let decoded = sections::decode_app(&mut cx, &root, stage, files, &mut extra);
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
