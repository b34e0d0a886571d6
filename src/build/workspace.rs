//! The cargo workspace around the manifest, and which package and binary
//! each function is built from.

use std::path::PathBuf;

use crate::diagnostic::did_you_mean;

#[derive(Clone, Debug)]
pub struct Package {
    pub name: String,
    pub bins: Vec<String>,
    /// The folder of its `Cargo.toml`.
    pub dir: PathBuf,
}

#[derive(Clone, Debug)]
pub struct Workspace {
    pub root: PathBuf,
    pub target_dir: PathBuf,
    pub packages: Vec<Package>,
}

/// `cargo metadata` could not read the workspace.
#[derive(Debug, thiserror::Error)]
#[error("cannot read the cargo workspace at {}: {}", dir.display(), summary(source))]
pub struct Error {
    pub dir: PathBuf,
    #[source]
    pub source: cargo_metadata::Error,
}

/// cargo's first error line, else the error as it says itself.
fn summary(e: &cargo_metadata::Error) -> String {
    match e {
        cargo_metadata::Error::CargoMetadata { stderr } => stderr
            .lines()
            .find(|l| l.contains("error"))
            .unwrap_or(stderr.trim())
            .trim_start_matches("error: ")
            .to_string(),
        other => other.to_string(),
    }
}

/// Reads the workspace with `cargo metadata` (no dependencies resolved).
pub fn load(dir: &std::path::Path) -> Result<Workspace, Error> {
    let meta = cargo_metadata::MetadataCommand::new()
        .current_dir(dir)
        .no_deps()
        .exec()
        .map_err(|source| Error {
            dir: dir.to_path_buf(),
            source,
        })?;
    let members: std::collections::HashSet<_> = meta.workspace_members.iter().collect();
    let packages = meta
        .packages
        .iter()
        .filter(|p| members.contains(&p.id))
        .map(|p| Package {
            dir: p
                .manifest_path
                .parent()
                .map(|d| d.to_path_buf().into_std_path_buf())
                .unwrap_or_default(),
            name: p.name.to_string(),
            bins: p
                .targets
                .iter()
                .filter(|t| t.is_bin())
                .map(|t| t.name.clone())
                .collect(),
        })
        .collect();
    Ok(Workspace {
        root: meta.workspace_root.into_std_path_buf(),
        target_dir: meta.target_directory.into_std_path_buf(),
        packages,
    })
}

/// Where a resolution failed: the key (`crate` or `bin`) and the message.
#[derive(Debug, PartialEq)]
pub struct ResolveError {
    pub key: &'static str,
    pub message: String,
    pub hint: Option<String>,
}

/// The package and binary of a function: `bin` when given, else the
/// package's only binary, else the binary named like the function.
pub fn resolve(
    ws: &Workspace,
    function: &str,
    package: &str,
    bin: Option<&str>,
) -> Result<(String, String), ResolveError> {
    let Some(p) = ws.packages.iter().find(|p| p.name == package) else {
        let names: Vec<&str> = ws.packages.iter().map(|p| p.name.as_str()).collect();
        return Err(ResolveError {
            key: "crate",
            message: format!(
                "no package `{package}` in the cargo workspace at {}",
                ws.root.display()
            ),
            hint: did_you_mean(package, names.iter().copied()).or_else(|| {
                (!names.is_empty()).then(|| format!("the workspace has: {}", names.join(", ")))
            }),
        });
    };
    match bin {
        Some(b) if p.bins.iter().any(|x| x == b) => Ok((p.name.clone(), b.to_string())),
        Some(b) => Err(ResolveError {
            key: "bin",
            message: format!("package `{package}` has no binary `{b}`"),
            hint: Some(if p.bins.is_empty() {
                format!("`{package}` has no binary target: add `src/main.rs` or a `[[bin]]`")
            } else {
                format!("its binaries are: {}", p.bins.join(", "))
            }),
        }),
        None => match p.bins.as_slice() {
            [only] => Ok((p.name.clone(), only.clone())),
            [] => Err(ResolveError {
                key: "crate",
                message: format!("package `{package}` has no binary target"),
                hint: Some("add `src/main.rs` or a `[[bin]]` section".into()),
            }),
            many if many.iter().any(|b| b == function) => {
                Ok((p.name.clone(), function.to_string()))
            }
            many => Err(ResolveError {
                key: "crate",
                message: format!(
                    "package `{package}` has several binaries ({}): say which with `bin`",
                    many.join(", ")
                ),
                hint: Some(format!("e.g. `bin: {}`", many[0])),
            }),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ws() -> Workspace {
        Workspace {
            root: "/w".into(),
            target_dir: "/w/target".into(),
            packages: vec![
                Package {
                    dir: "/w/hello".into(),
                    name: "hello".into(),
                    bins: vec!["hello".into()],
                },
                Package {
                    dir: "/w/multi".into(),
                    name: "multi".into(),
                    bins: vec!["a".into(), "b".into()],
                },
                Package {
                    dir: "/w/lib".into(),
                    name: "lib".into(),
                    bins: vec![],
                },
            ],
        }
    }

    #[test]
    fn resolves_the_only_binary() {
        assert_eq!(
            resolve(&ws(), "f", "hello", None).unwrap(),
            ("hello".into(), "hello".into())
        );
    }

    #[test]
    fn names_a_missing_package_with_a_hint() {
        let e = resolve(&ws(), "f", "helo", None).unwrap_err();
        assert_eq!(e.key, "crate");
        assert!(e.message.contains("no package `helo`"));
        assert_eq!(e.hint.as_deref(), Some("did you mean `hello`?"));
    }

    #[test]
    fn several_binaries_need_bin() {
        let e = resolve(&ws(), "f", "multi", None).unwrap_err();
        assert!(
            e.message.contains("several binaries (a, b)"),
            "{}",
            e.message
        );
        assert_eq!(resolve(&ws(), "b", "multi", None).unwrap().1, "b");
        assert_eq!(resolve(&ws(), "f", "multi", Some("a")).unwrap().1, "a");
    }

    #[test]
    fn a_missing_bin_lists_the_ones_that_exist() {
        let e = resolve(&ws(), "f", "multi", Some("c")).unwrap_err();
        assert_eq!(e.key, "bin");
        assert_eq!(e.hint.as_deref(), Some("its binaries are: a, b"));
        assert!(resolve(&ws(), "f", "lib", None).is_err());
    }
}
