//! Blueprints: the app skeletons `ferry init` writes. Each is a folder of
//! `blueprints/`, embedded in the binary so an installed ferry works
//! anywhere. `blueprint.toml` describes it; files ending in `.hbs` are
//! handlebars templates (the suffix is dropped), every other file is copied
//! as it is. Crate manifests are templates (`Cargo.toml.hbs`) so that the
//! blueprint folders are not cargo packages inside ferry's own.
//!
//! Rendering is pure ([`render`]); [`write`] is the only I/O.

use std::path::{Path, PathBuf};

use handlebars::Handlebars;
use include_dir::{Dir, include_dir};
use serde::Deserialize;

static BLUEPRINTS: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/blueprints");

/// The blueprint `ferry init` uses without `--blueprint`.
pub const DEFAULT: &str = "http-api";

const META: &str = "blueprint.toml";
const TEMPLATE_SUFFIX: &str = ".hbs";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Meta {
    description: String,
    #[serde(default)]
    next: Vec<String>,
}

/// Why `ferry init` could not choose, render or write a blueprint.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("no blueprint `{name}`{}; the blueprints are: {}", hint.as_ref().map(|h| format!(" ({h})")).unwrap_or_default(), known.join(", "))]
    UnknownBlueprint {
        name: String,
        /// "did you mean `x`?" when one is close.
        hint: Option<String>,
        known: Vec<String>,
    },
    #[error("blueprint `{blueprint}`: {file} is not UTF-8")]
    NotUtf8 { blueprint: String, file: String },
    #[error("blueprint `{blueprint}`: {file}: {source}")]
    Template {
        blueprint: String,
        file: String,
        #[source]
        source: Box<handlebars::RenderError>,
    },
    #[error("cannot read the current folder: {0}")]
    CurrentDir(#[source] std::io::Error),
    /// Not a valid `app:` name; `from_folder`: it is the folder's name.
    #[error(
        "invalid app name `{name}`: use lowercase letters, digits and `-`, starting with a letter, at most 40 characters{}",
        if *from_folder { "; pass --app NAME" } else { "" }
    )]
    InvalidAppName { name: String, from_folder: bool },
    #[error("{} is not empty: choose a new folder, or pass --force to write into it", .0.display())]
    NotEmpty(PathBuf),
    #[error("{} exists and is not a folder", .0.display())]
    NotAFolder(PathBuf),
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        /// `create` or `write`.
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// One embedded blueprint.
#[derive(Debug)]
pub struct Blueprint {
    pub name: String,
    /// One line, for `ferry blueprints`.
    pub description: String,
    /// Commands to run first, from the app's folder.
    pub next: Vec<String>,
    dir: &'static Dir<'static>,
}

/// Every blueprint, by name.
pub fn all() -> Vec<Blueprint> {
    let mut out: Vec<Blueprint> = BLUEPRINTS
        .dirs()
        .filter_map(|dir| {
            let name = dir.path().file_name()?.to_str()?.to_string();
            let text = dir.get_file(dir.path().join(META))?.contents_utf8()?;
            // Every blueprint.toml is checked by the tests, so a bad one is a
            // bug of this build: leave it out rather than fail every command.
            let meta: Meta = toml::from_str(text).ok()?;
            Some(Blueprint {
                name,
                description: meta.description,
                next: meta.next,
                dir,
            })
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

/// The blueprint called `name`, or a message listing the others.
pub fn find(name: &str) -> Result<Blueprint, Error> {
    let mut all = all();
    match all.iter().position(|b| b.name == name) {
        Some(i) => Ok(all.swap_remove(i)),
        None => {
            let known: Vec<String> = all.into_iter().map(|b| b.name).collect();
            Err(Error::UnknownBlueprint {
                name: name.to_string(),
                hint: crate::diagnostic::did_you_mean(name, known.iter().map(String::as_str)),
                known,
            })
        }
    }
}

/// What a blueprint's templates may use.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Vars {
    /// The app's name (`app:` in ferry.yaml).
    pub app: String,
    /// The version of ferry that wrote the app.
    pub ferry_version: String,
}

impl Vars {
    pub fn new(app: &str) -> Vars {
        Vars {
            app: app.to_string(),
            ferry_version: env!("CARGO_PKG_VERSION").to_string(),
        }
    }
}

/// One file of a rendered app, its path relative to the app's folder.
#[derive(Debug, Clone, PartialEq)]
pub struct File {
    pub path: PathBuf,
    pub contents: Vec<u8>,
}

/// The files of the app `bp` makes with `vars`, in path order.
pub fn render(bp: &Blueprint, vars: &Vars) -> Result<Vec<File>, Error> {
    let mut hb = Handlebars::new();
    hb.set_strict_mode(true);
    hb.register_escape_fn(handlebars::no_escape);
    let mut out = Vec::new();
    collect(&bp.name, bp.dir, bp.dir.path(), &hb, vars, &mut out)?;
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

fn collect(
    blueprint: &str,
    dir: &Dir<'static>,
    base: &Path,
    hb: &Handlebars,
    vars: &Vars,
    out: &mut Vec<File>,
) -> Result<(), Error> {
    for file in dir.files() {
        let rel = file.path().strip_prefix(base).unwrap_or(file.path());
        if rel == Path::new(META) {
            continue;
        }
        let name = rel.to_string_lossy();
        match name.strip_suffix(TEMPLATE_SUFFIX) {
            Some(target) => {
                let text = file.contents_utf8().ok_or_else(|| Error::NotUtf8 {
                    blueprint: blueprint.to_string(),
                    file: name.to_string(),
                })?;
                let rendered =
                    hb.render_template(text, vars)
                        .map_err(|source| Error::Template {
                            blueprint: blueprint.to_string(),
                            file: name.to_string(),
                            source: Box::new(source),
                        })?;
                out.push(File {
                    path: PathBuf::from(target),
                    contents: rendered.into_bytes(),
                });
            }
            None => out.push(File {
                path: rel.to_path_buf(),
                contents: file.contents().to_vec(),
            }),
        }
    }
    for sub in dir.dirs() {
        collect(blueprint, sub, base, hb, vars, out)?;
    }
    Ok(())
}

/// The app name `ferry init DIR` uses without `--app`: the folder's name.
pub fn app_name_for(dir: &Path) -> Result<String, Error> {
    let abs = if dir.is_absolute() {
        dir.to_path_buf()
    } else {
        std::env::current_dir()
            .map_err(Error::CurrentDir)?
            .join(dir)
    };
    let name = abs
        .components()
        .filter_map(|c| match c {
            std::path::Component::Normal(s) => Some(s.to_string_lossy().to_string()),
            _ => None,
        })
        .next_back()
        .unwrap_or_default();
    if !crate::diagnostic::valid_name(&name) {
        return Err(Error::InvalidAppName {
            name,
            from_folder: true,
        });
    }
    Ok(name)
}

/// The rule of `app:` in ferry.yaml.
pub fn check_app_name(name: &str) -> Result<(), Error> {
    if crate::diagnostic::valid_name(name) {
        Ok(())
    } else {
        Err(Error::InvalidAppName {
            name: name.to_string(),
            from_folder: false,
        })
    }
}

/// Writes `files` under `dir`. A folder that exists and is not empty is
/// refused unless `force`; with `force`, the blueprint's files replace
/// files of the same path and other files are left alone.
pub fn write(dir: &Path, files: &[File], force: bool) -> Result<(), Error> {
    if !force
        && let Ok(mut entries) = std::fs::read_dir(dir)
        && entries.next().is_some()
    {
        return Err(Error::NotEmpty(dir.to_path_buf()));
    }
    if dir.exists() && !dir.is_dir() {
        return Err(Error::NotAFolder(dir.to_path_buf()));
    }
    let io = |action: &'static str, path: &Path| {
        let path = path.to_path_buf();
        move |source| Error::Io {
            action,
            path,
            source,
        }
    };
    for f in files {
        let path = dir.join(&f.path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(io("create", parent))?;
        }
        std::fs::write(&path, &f.contents).map_err(io("write", &path))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_blueprint_has_metadata_and_a_manifest() {
        let names: Vec<String> = BLUEPRINTS
            .dirs()
            .map(|d| d.path().display().to_string())
            .collect();
        let all = all();
        assert_eq!(all.len(), names.len(), "a blueprint.toml failed to parse");
        for bp in &all {
            assert!(!bp.description.is_empty());
            assert!(!bp.description.contains('\n'), "{}: one line", bp.name);
            let files = render(bp, &Vars::new("demo-app")).unwrap();
            let manifest = files
                .iter()
                .find(|f| f.path == Path::new("ferry.yaml"))
                .unwrap_or_else(|| panic!("{} has no ferry.yaml", bp.name));
            let text = String::from_utf8(manifest.contents.clone()).unwrap();
            assert!(text.contains("app: demo-app"), "{}", bp.name);
            assert!(
                files
                    .iter()
                    .all(|f| !f.path.to_string_lossy().ends_with(".hbs"))
            );
            assert!(files.iter().all(|f| f.path != Path::new(META)));
        }
        assert!(all.iter().any(|b| b.name == DEFAULT));
    }

    #[test]
    fn unknown_blueprint_suggests_the_closest() {
        let e = find("wild-ryde").unwrap_err();
        assert!(
            matches!(&e, Error::UnknownBlueprint { hint: Some(h), .. } if h == "did you mean `wild-rydes`?"),
            "{e:?}"
        );
        assert!(
            e.to_string()
                .contains("(did you mean `wild-rydes`?); the blueprints are: "),
            "{e}"
        );
    }

    #[test]
    fn app_names_follow_the_manifest_rule() {
        assert_eq!(app_name_for(Path::new("/tmp/my-app")).unwrap(), "my-app");
        assert_eq!(app_name_for(Path::new("/tmp/x/orders/")).unwrap(), "orders");
        let e = app_name_for(Path::new("/tmp/My_App"))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("invalid app name `My_App`") && e.contains("--app"),
            "{e}"
        );
        assert!(check_app_name("a".repeat(41).as_str()).is_err());
    }
}
