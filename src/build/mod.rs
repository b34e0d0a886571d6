//! Build: cross-compile every function in one cargo run per architecture,
//! verify each binary, and pack reproducible zips under `.ferry/build/`.
//!
//! `workspace` resolves packages and binaries with cargo metadata,
//! `toolchain` checks targets, zig and cargo-zigbuild, `elf` verifies
//! machine and glibc, and `archive` writes the zips.

pub mod archive;
pub mod elf;
pub mod toolchain;
pub mod workspace;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde::{Deserialize, Serialize};

use crate::diagnostic::Diagnostic;
use crate::manifest::model::{App, Architecture, Code, LayerRef};
use crate::manifest::select::UnknownFunction;

/// What to build.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Only these functions; all when empty.
    pub functions: Vec<String>,
    /// The dev profile instead of release.
    pub debug: bool,
    /// Pass `-q` to cargo.
    pub quiet: bool,
}

/// One built zip.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Artifact {
    /// The zip, relative to the manifest's folder.
    pub path: PathBuf,
    pub size: u64,
    pub sha256: String,
    /// `arm64` or `x86_64` for functions; absent for layers.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub architecture: Option<String>,
}

/// Every artifact built so far, as recorded in `.ferry/build/artifacts.json`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Record {
    pub functions: BTreeMap<String, Artifact>,
    pub layers: BTreeMap<String, Artifact>,
}

/// Why a build failed, or why the artifacts are not complete.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Problems tied to a place in the manifest (`crate`, `bin`), reported
    /// as diagnostics.
    #[error("the manifest has {} problem{}", .0.len(), if .0.len() == 1 { "" } else { "s" })]
    Diagnostics(Vec<Diagnostic>),
    #[error(transparent)]
    UnknownFunction(#[from] UnknownFunction),
    #[error(transparent)]
    Workspace(#[from] workspace::Error),
    #[error(transparent)]
    Toolchain(#[from] toolchain::Error),
    #[error(transparent)]
    TooLarge(#[from] archive::TooLarge),
    /// A folder or file of `.ferry/build` could not be made.
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        /// `create` or `write`.
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("layer `{name}`: cannot read {}: {source}", path.display())]
    Layer {
        name: String,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("function `{function}`: cannot read {}: {source}", path.display())]
    Binary {
        function: String,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The binary is not an ELF file ferry can read.
    #[error("function `{function}`: {}: {source}", path.display())]
    Elf {
        function: String,
        path: PathBuf,
        #[source]
        source: Box<elf::Error>,
    },
    /// The binary is for another CPU or a newer glibc.
    #[error("function `{function}` would not run on Lambda: {} {source}", path.display())]
    NotForLambda {
        function: String,
        path: PathBuf,
        #[source]
        source: Box<elf::Error>,
    },
    #[error("function `{function}`: {source}")]
    Zip {
        function: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot run {cargo}: {source}")]
    RunCargo {
        cargo: String,
        #[source]
        source: std::io::Error,
    },
    /// cargo failed; it printed its errors. The target triple, or `this
    /// machine`.
    #[error("cargo could not build the functions for {0} (its errors are above)")]
    Cargo(String),
    #[error("function `{0}` has not been built: run `ferry build` (or deploy without --no-build)")]
    FunctionNotBuilt(String),
    #[error("layer `{0}` has not been built: run `ferry build`")]
    LayerNotBuilt(String),
}

fn io(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> Error {
    let path = path.to_path_buf();
    move |source| Error::Io {
        action,
        path,
        source,
    }
}

/// `.ferry/build` next to the manifest.
pub fn out_dir(app: &App) -> PathBuf {
    app.root().join(".ferry").join("build")
}

fn record_path(app: &App) -> PathBuf {
    out_dir(app).join("artifacts.json")
}

/// The artifacts recorded by earlier builds (empty when none).
pub fn read_record(app: &App) -> Record {
    std::fs::read(record_path(app))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default()
}

/// The artifacts a deploy or package needs: the last build's record
/// (`.ferry/build/artifacts.json`) with `fresh` over it, checked by
/// [`complete`].
pub fn deployable(app: &App, fresh: Record) -> Result<Record, Error> {
    complete(app, read_record(app), fresh)
}

/// `last` with `fresh` over it, when every function built from a crate and
/// every layer has an artifact; else which one has not been built.
pub fn complete(app: &App, last: Record, fresh: Record) -> Result<Record, Error> {
    let mut full = last;
    full.functions.extend(fresh.functions);
    full.layers.extend(fresh.layers);
    for (name, f) in &app.functions {
        if matches!(f.code, Code::Crate { .. }) && !full.functions.contains_key(name) {
            return Err(Error::FunctionNotBuilt(name.clone()));
        }
    }
    for name in app.layers.keys() {
        if !full.layers.contains_key(name) {
            return Err(Error::LayerNotBuilt(name.clone()));
        }
    }
    Ok(full)
}

/// A function's binary: the package and binary target it is built from.
#[derive(Clone, Debug)]
pub struct Job {
    pub function: String,
    pub package: String,
    pub bin: String,
    pub arch: Architecture,
    pub glibc: (u32, u32),
    pub runtime: &'static str,
}

/// The binaries of the functions named (all when `names` is empty) that are
/// built from a crate, resolved against the cargo workspace around the
/// manifest. `None` when no selected function is built from a crate.
pub fn resolve_functions(
    app: &App,
    names: &[String],
) -> Result<Option<(workspace::Workspace, Vec<Job>)>, Error> {
    for name in names {
        app.function(name)?;
    }
    let selected: Vec<(&String, &crate::manifest::model::Function)> = app
        .functions
        .iter()
        .filter(|(n, _)| names.is_empty() || names.contains(n))
        .filter(|(_, f)| matches!(f.code, Code::Crate { .. }))
        .collect();
    if selected.is_empty() {
        return Ok(None);
    }
    let ws = workspace::load(&app.root())?;
    let mut jobs = Vec::new();
    let mut diags = Vec::new();
    for (name, f) in &selected {
        let Code::Crate { package, bin } = &f.code else {
            continue;
        };
        match workspace::resolve(&ws, name, package, bin.as_deref()) {
            Ok((package, bin)) => jobs.push(Job {
                function: (*name).clone(),
                package,
                bin,
                arch: f.architecture,
                glibc: f.runtime.glibc(),
                runtime: f.runtime.id(),
            }),
            Err(e) => diags.push(Diagnostic {
                file: f.loc.file.to_path_buf(),
                path: format!("{}.{}", f.loc.path, e.key),
                pos: f.loc.pos,
                message: e.message,
                hint: e.hint,
            }),
        }
    }
    if !diags.is_empty() {
        return Err(Error::Diagnostics(diags));
    }
    Ok(Some((ws, jobs)))
}

/// Builds the selected functions and every layer; returns what was built.
pub fn build(app: &App, opts: &Options) -> Result<Record, Error> {
    let resolved = resolve_functions(app, &opts.functions)?;
    let dir = out_dir(app);
    std::fs::create_dir_all(&dir).map_err(io("create", &dir))?;
    let mut record = read_record(app);
    let mut built = Record::default();

    // Layers first: their sizes count toward each function's limit.
    let mut layer_sizes = BTreeMap::new();
    for (name, layer) in &app.layers {
        let src = app.root().join(&layer.path);
        let (zip, unzipped) = archive::folder_zip(&src).map_err(|source| Error::Layer {
            name: name.clone(),
            path: src.clone(),
            source,
        })?;
        archive::check_limits(&format!("layer `{name}`"), zip.len() as u64, unzipped)?;
        let rel = PathBuf::from(".ferry/build/layers").join(format!("{name}.zip"));
        write_if_changed(&app.root().join(&rel), &zip)?;
        layer_sizes.insert(name.clone(), unzipped);
        let a = Artifact {
            path: rel,
            size: zip.len() as u64,
            sha256: archive::sha256_hex(&zip),
            architecture: None,
        };
        built.layers.insert(name.clone(), a);
    }

    if let Some((ws, jobs)) = resolved {
        toolchain::check_zig()?;
        let profile_dir = if opts.debug { "debug" } else { "release" };
        let tuning = profile_tuning(&ws.root);
        for arch in [Architecture::Arm64, Architecture::X86_64] {
            let group: Vec<&Job> = jobs.iter().filter(|j| j.arch == arch).collect();
            if group.is_empty() {
                continue;
            }
            // One glibc per architecture: the oldest any function needs runs
            // on every newer runtime.
            let glibc = group.iter().map(|j| j.glibc).min().unwrap_or((2, 34));
            let triple = arch.triple();
            toolchain::check_target(triple)?;
            cargo_build(&ws.root, &group, triple, glibc, opts, &tuning)?;
            for j in group {
                let bin_path = ws.target_dir.join(triple).join(profile_dir).join(&j.bin);
                let bytes = std::fs::read(&bin_path).map_err(|source| Error::Binary {
                    function: j.function.clone(),
                    path: bin_path.clone(),
                    source,
                })?;
                let info = elf::inspect(&bytes).map_err(|source| Error::Elf {
                    function: j.function.clone(),
                    path: bin_path.clone(),
                    source: Box::new(source),
                })?;
                elf::verify(&info, j.arch, j.glibc, j.runtime).map_err(|source| {
                    Error::NotForLambda {
                        function: j.function.clone(),
                        path: bin_path.clone(),
                        source: Box::new(source),
                    }
                })?;
                let zip = archive::function_zip(&bytes).map_err(|source| Error::Zip {
                    function: j.function.clone(),
                    source,
                })?;
                let layers: u64 = app.functions[&j.function]
                    .layers
                    .iter()
                    .filter_map(|l| match l {
                        LayerRef::Named(n) => layer_sizes.get(n).copied(),
                        LayerRef::Arn(_) => None,
                    })
                    .sum();
                archive::check_limits(
                    &format!("function `{}`", j.function),
                    zip.len() as u64,
                    bytes.len() as u64 + layers,
                )?;
                let rel = PathBuf::from(".ferry/build").join(format!("{}.zip", j.function));
                write_if_changed(&app.root().join(&rel), &zip)?;
                built.functions.insert(
                    j.function.clone(),
                    Artifact {
                        path: rel,
                        size: zip.len() as u64,
                        sha256: archive::sha256_hex(&zip),
                        architecture: Some(j.arch.id().to_string()),
                    },
                );
            }
        }
    }

    record.functions.extend(built.functions.clone());
    record.layers = built.layers.clone();
    record
        .functions
        .retain(|n, _| app.functions.contains_key(n));
    let json = serde_json::to_vec_pretty(&record).expect("record serializes");
    write_if_changed(&record_path(app), &json)?;
    Ok(built)
}

/// Writes `bytes` unless the file already holds them (keeps its mtime).
fn write_if_changed(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    if std::fs::read(path).ok().as_deref() == Some(bytes) {
        return Ok(());
    }
    if let Some(p) = path.parent() {
        std::fs::create_dir_all(p).map_err(io("create", p))?;
    }
    std::fs::write(path, bytes).map_err(io("write", path))
}

/// ferry's release settings for Lambda, each given to cargo only when the
/// workspace's own `[profile.release]` does not set it: small, fast
/// binaries (`lto = "thin"`, `codegen-units = 1`, `strip = true`). Panics
/// keep unwinding, so that the runtime reports a handler's panic as an error
/// and the instance stays warm.
pub fn profile_tuning(workspace_root: &Path) -> Vec<String> {
    let own: toml::Table = std::fs::read_to_string(workspace_root.join("Cargo.toml"))
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_default();
    let release = own
        .get("profile")
        .and_then(|p| p.get("release"))
        .and_then(|r| r.as_table())
        .cloned()
        .unwrap_or_default();
    [
        ("lto", "\"thin\""),
        ("codegen-units", "1"),
        ("strip", "true"),
    ]
    .into_iter()
    .filter(|(k, _)| !release.contains_key(*k))
    .map(|(k, v)| format!("profile.release.{k}={v}"))
    .collect()
}

/// `-p PACKAGE` and `--bin BIN` for each job, once each: what one cargo run
/// builds.
pub fn select<'a>(cmd: &mut Command, jobs: impl Iterator<Item = &'a Job> + Clone) {
    let mut packages: Vec<&str> = jobs.clone().map(|j| j.package.as_str()).collect();
    packages.sort_unstable();
    packages.dedup();
    for p in packages {
        cmd.arg("-p").arg(p);
    }
    for b in bins(jobs) {
        cmd.arg("--bin").arg(b);
    }
}

/// The binary targets of `jobs`, once each.
pub fn bins<'a>(jobs: impl Iterator<Item = &'a Job>) -> Vec<&'a str> {
    let mut bins: Vec<&str> = jobs.map(|j| j.bin.as_str()).collect();
    bins.sort_unstable();
    bins.dedup();
    bins
}

fn cargo_build(
    root: &Path,
    group: &[&Job],
    triple: &str,
    glibc: (u32, u32),
    opts: &Options,
    tuning: &[String],
) -> Result<(), Error> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(&cargo);
    cmd.current_dir(root)
        .arg("zigbuild")
        .arg("--target")
        .arg(format!("{triple}.{}.{}", glibc.0, glibc.1));
    if !opts.debug {
        cmd.arg("--release");
        for t in tuning {
            cmd.arg("--config").arg(t);
        }
    }
    if opts.quiet {
        cmd.arg("-q");
    }
    select(&mut cmd, group.iter().copied());
    let status = cmd.status().map_err(|source| Error::RunCargo {
        cargo: cargo.clone(),
        source,
    })?;
    if !status.success() {
        return Err(Error::Cargo(triple.to_string()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app() -> App {
        let text = "app: shop\nlayers:\n  shared: { path: layers/shared }\nfunctions:\n  api: {}\n  worker: {}\n  container:\n    image: 123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop:latest\n";
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("layers/shared")).unwrap();
        let path = dir.path().join("ferry.yaml");
        match crate::manifest::load_str(&path, text, "dev", &crate::manifest::Disk) {
            Ok(app) => app,
            Err(crate::manifest::LoadError::Plain(m)) => panic!("{m}"),
            Err(crate::manifest::LoadError::Invalid { diagnostics, .. }) => {
                panic!(
                    "{:?}",
                    diagnostics.iter().map(|d| &d.message).collect::<Vec<_>>()
                )
            }
        }
    }

    fn artifact(sha: &str) -> Artifact {
        Artifact {
            path: PathBuf::from(format!("{sha}.zip")),
            size: 1,
            sha256: sha.into(),
            architecture: None,
        }
    }

    fn record(functions: &[(&str, &str)], layers: &[(&str, &str)]) -> Record {
        let map = |items: &[(&str, &str)]| {
            items
                .iter()
                .map(|(n, sha)| (n.to_string(), artifact(sha)))
                .collect()
        };
        Record {
            functions: map(functions),
            layers: map(layers),
        }
    }

    #[test]
    fn a_fresh_build_goes_over_the_last_one() {
        let last = record(&[("api", "old"), ("worker", "old")], &[("shared", "old")]);
        let fresh = record(&[("api", "new")], &[]);
        let full = complete(&app(), last, fresh).unwrap();
        assert_eq!(full.functions["api"].sha256, "new");
        assert_eq!(full.functions["worker"].sha256, "old");
        assert_eq!(full.layers["shared"].sha256, "old");
        assert!(!full.functions.contains_key("container"));
    }

    #[test]
    fn every_crate_function_and_layer_needs_an_artifact() {
        let e = complete(&app(), Record::default(), record(&[("api", "a")], &[]))
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("function `worker` has not been built"), "{e}");
        let e = complete(
            &app(),
            Record::default(),
            record(&[("api", "a"), ("worker", "w")], &[]),
        )
        .unwrap_err();
        assert!(
            matches!(&e, Error::LayerNotBuilt(l) if l == "shared"),
            "{e:?}"
        );
        assert_eq!(
            e.to_string(),
            "layer `shared` has not been built: run `ferry build`"
        );
    }
}
