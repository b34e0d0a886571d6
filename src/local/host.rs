//! Builds functions for this machine (not for Lambda): one cargo run, in
//! the workspace's own target folder, so that it shares its cache with the
//! user's `cargo build` and `cargo test`.

use std::collections::BTreeMap;
use std::io::BufReader;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use cargo_metadata::Message;

use crate::build::{self, Error};
use crate::manifest::model::App;

/// The host binary of each function built.
pub type Binaries = BTreeMap<String, PathBuf>;

/// Builds `functions` (all built from a crate when empty) and returns their
/// binaries. `release` uses the release profile; the default is dev, which
/// compiles faster.
pub fn build(
    app: &App,
    functions: &[String],
    release: bool,
    quiet: bool,
) -> Result<Binaries, Error> {
    let Some((ws, jobs)) = build::resolve_functions(app, functions)? else {
        return Ok(Binaries::new());
    };
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(&cargo);
    cmd.current_dir(&ws.root)
        .arg("build")
        .arg("--message-format=json-render-diagnostics")
        .stdout(Stdio::piped());
    if release {
        cmd.arg("--release");
    }
    if quiet {
        cmd.arg("-q");
    }
    // The whole workspace selected, only the functions' binaries built:
    // dependencies get the features the workspace unifies, as in `cargo
    // build` and `cargo test` at its root, so that their cache is shared.
    // `-p PACKAGE` would resolve features for that package alone and, in a
    // workspace whose members enable different features, rebuild much of
    // the dependency graph for each function.
    // A binary name that two members share would make both write the same
    // file: then the functions' packages are named instead.
    if bins_are_unique(&ws, &jobs) {
        cmd.arg("--workspace");
        for b in build::bins(jobs.iter()) {
            cmd.arg("--bin").arg(b);
        }
    } else {
        build::select(&mut cmd, jobs.iter());
    }
    let run_cargo = |source: std::io::Error| Error::RunCargo {
        cargo: cargo.clone(),
        source,
    };
    let mut child = cmd.spawn().map_err(run_cargo)?;
    // (package id, binary) -> executable
    let mut executables: BTreeMap<(String, String), PathBuf> = BTreeMap::new();
    if let Some(out) = child.stdout.take() {
        for msg in Message::parse_stream(BufReader::new(out)).flatten() {
            if let Message::CompilerArtifact(a) = msg
                && let Some(exe) = a.executable
            {
                let pkg = a.target.name.clone();
                executables.insert((a.package_id.repr.clone(), pkg), exe.into_std_path_buf());
            }
        }
    }
    let status = child.wait().map_err(run_cargo)?;
    if !status.success() {
        return Err(Error::Cargo("this machine".into()));
    }
    let mut out = Binaries::new();
    for j in &jobs {
        // The target's name is the binary's; the package id names the package.
        let found = executables
            .iter()
            .find(|((id, bin), _)| bin == &j.bin && package_matches(id, &j.package))
            .map(|(_, p)| p.clone())
            .unwrap_or_else(|| {
                ws.target_dir
                    .join(if release { "release" } else { "debug" })
                    .join(&j.bin)
            });
        out.insert(j.function.clone(), found);
    }
    Ok(out)
}

/// Whether no member of the workspace has a binary of the same name as a
/// job's but another package (`--workspace --bin NAME` would build both).
fn bins_are_unique(ws: &build::workspace::Workspace, jobs: &[build::Job]) -> bool {
    jobs.iter().all(|j| {
        ws.packages
            .iter()
            .all(|p| p.name == j.package || !p.bins.contains(&j.bin))
    })
}

/// Whether a cargo package id (`path+file:///w/api#0.1.0`,
/// `path+file:///w/x#api@0.1.0`, or the older `api 0.1.0 (path+...)`) is
/// package `name`'s.
fn package_matches(id: &str, name: &str) -> bool {
    if let Some(rest) = id.strip_prefix(&format!("{name} ")) {
        return rest.contains('(');
    }
    let Some((url, frag)) = id.rsplit_once('#') else {
        return false;
    };
    match frag.split_once('@') {
        Some((n, _)) => n == name,
        None => url.trim_end_matches('/').rsplit('/').next() == Some(name),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_ids_name_their_package() {
        assert!(package_matches("path+file:///w/api#0.1.0", "api"));
        assert!(package_matches("path+file:///w/crates/x#api@0.1.0", "api"));
        assert!(package_matches("api 0.1.0 (path+file:///w/api)", "api"));
        assert!(!package_matches("path+file:///w/api#0.1.0", "ap"));
        assert!(!package_matches("path+file:///w/x#other@0.1.0", "api"));
    }

    #[test]
    fn a_binary_name_two_members_share_is_not_unique() {
        use crate::build::workspace::{Package, Workspace};
        use crate::manifest::model::Architecture;
        let package = |name: &str, bins: &[&str]| Package {
            name: name.into(),
            bins: bins.iter().map(|b| b.to_string()).collect(),
            dir: PathBuf::from(name),
        };
        let job = |package: &str, bin: &str| build::Job {
            function: bin.into(),
            package: package.into(),
            bin: bin.into(),
            arch: Architecture::Arm64,
            glibc: (2, 34),
            runtime: "provided.al2023",
        };
        let ws = |packages| Workspace {
            root: PathBuf::from("/w"),
            target_dir: PathBuf::from("/w/target"),
            packages,
        };
        let jobs = [job("api", "api"), job("worker", "worker")];
        let distinct = ws(vec![
            package("api", &["api"]),
            package("worker", &["worker"]),
            package("tools", &["migrate"]),
        ]);
        assert!(bins_are_unique(&distinct, &jobs));
        let shared = ws(vec![
            package("api", &["api"]),
            package("worker", &["worker"]),
            package("tools", &["api"]),
        ]);
        assert!(!bins_are_unique(&shared, &jobs));
        assert_eq!(build::bins([job("a", "x"), job("b", "x")].iter()), ["x"]);
    }
}
