//! `ferry watch`: from a saved file to code running on AWS. Changed files
//! are mapped to the functions they affect ([`affected`], pure); the loop
//! rebuilds those (one cargo run per architecture), hotswaps them, and
//! tails their logs in the same terminal. A manifest change shows the
//! preview and is applied only with `--yes`. A failing build keeps the last
//! good deploy running.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::aws::{CloudFormation, FunctionCode, Identity, Logs, Roles, Storage};
use crate::build::Record;
use crate::build::workspace::Workspace;
use crate::deploy::{self, Outcome, Pending, Ui};
use crate::manifest::model::{App, Code};
use crate::manifest::select::UnknownFunction;

/// Why `ferry watch` stopped before watching.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A hook failed and has printed why.
    #[error(transparent)]
    Hook(#[from] Reported),
    /// The stage may not be hotswapped.
    #[error("{0}")]
    Deploy(#[from] deploy::Error),
    #[error("no function `{}` in {}", .0.name, .0.manifest.display())]
    UnknownFunction(#[source] UnknownFunction),
    #[error("no function built from a crate to watch")]
    NothingToWatch,
    #[error(transparent)]
    Workspace(#[from] crate::build::workspace::Error),
    #[error("cannot watch {}: {source}", path.display())]
    Watch {
        path: PathBuf,
        #[source]
        source: notify::Error,
    },
}

impl Error {
    /// AWS's error code, when an AWS call failed with one.
    pub fn code(&self) -> Option<&str> {
        match self {
            Error::Deploy(e) => e.code(),
            _ => None,
        }
    }
}

/// A hook (the manifest's load, a build) failed; it has printed why
/// (diagnostics, compiler errors).
#[derive(Debug, thiserror::Error)]
#[error("already reported")]
pub struct Reported;

/// What a set of changed files calls for.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Change {
    /// The manifest changed: reload it, and deploy what it changes only
    /// with `--yes`.
    pub manifest: bool,
    /// The functions to rebuild (and hotswap when their zip changes).
    pub functions: BTreeSet<String>,
}

/// The functions (of `watched`) whose code may depend on `paths`: a file
/// in a function's package affects the functions built from it; a file of
/// another package of the workspace (a library) or the workspace's own
/// `Cargo.toml`/`Cargo.lock` affects them all; other files (docs, events
/// outside any package) affect none.
pub fn affected(
    paths: &[PathBuf],
    manifest: &Path,
    ws: &Workspace,
    app: &App,
    watched: &BTreeSet<String>,
) -> Change {
    let mut change = Change::default();
    let same = |a: &Path, b: &Path| {
        a == b
            || a.canonicalize()
                .ok()
                .is_some_and(|x| Some(x) == b.canonicalize().ok())
    };
    for p in paths {
        if same(p, manifest) {
            change.manifest = true;
            continue;
        }
        let package = ws
            .packages
            .iter()
            .filter(|pkg| p.starts_with(&pkg.dir))
            .max_by_key(|pkg| pkg.dir.components().count());
        let is_cargo_file = p
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| matches!(n, "Cargo.toml" | "Cargo.lock"));
        let all = || watched.iter().cloned().collect::<BTreeSet<_>>();
        match package {
            Some(pkg) => {
                let from_it: BTreeSet<&String> = app
                    .functions
                    .iter()
                    .filter(|(_, f)| matches!(&f.code, Code::Crate { package, .. } if *package == pkg.name))
                    .map(|(n, _)| n)
                    .collect();
                if from_it.is_empty() {
                    // A library of the workspace: its users are not known
                    // here, so every function is rebuilt (cargo rebuilds
                    // only what depends on it).
                    change.functions.extend(all());
                } else {
                    change.functions.extend(
                        from_it
                            .into_iter()
                            .filter(|f| watched.contains(*f))
                            .cloned(),
                    );
                }
            }
            None if is_cargo_file => change.functions.extend(all()),
            None => {}
        }
    }
    change
}

/// The functions `ferry watch` follows: those named, else every function
/// built from a crate.
pub fn watched(app: &App, names: &[String]) -> Result<BTreeSet<String>, Error> {
    for n in names {
        app.function(n).map_err(Error::UnknownFunction)?;
    }
    Ok(app
        .functions
        .iter()
        .filter(|(n, f)| {
            matches!(f.code, Code::Crate { .. }) && (names.is_empty() || names.contains(n))
        })
        .map(|(n, _)| n.clone())
        .collect())
}

/// Builds these functions of the app; `Err` when the build failed (already
/// printed).
pub type BuildFn<'a> = &'a (dyn Fn(&App, &[String]) -> Result<Record, Reported> + Sync);

/// How `run` builds and reports: the CLI's build (it prints compiler errors
/// and manifest diagnostics itself) and its manifest loader.
pub struct Hooks<'a> {
    /// Loads and validates the manifest; `Err` when it has errors (already
    /// printed).
    pub load: &'a (dyn Fn() -> Result<App, Reported> + Sync),
    pub build: BuildFn<'a>,
}

/// Options of `ferry watch`.
#[derive(Clone, Debug)]
pub struct Options {
    /// Apply manifest changes (through a change set) without asking.
    pub yes: bool,
    pub wait_timeout: Duration,
    /// How often logs are read.
    pub log_poll: Duration,
}

/// The watch loop; returns when Ctrl-C is pressed.
pub async fn run<A>(
    aws: &A,
    names: &[String],
    hooks: Hooks<'_>,
    opts: &Options,
    ui: &Ui,
) -> Result<(), Error>
where
    A: CloudFormation + Storage + Roles + Identity + FunctionCode + Logs,
{
    let mut app = (hooks.load)()?;
    deploy::check_hotswap_allowed(&app, "watch")?;
    let mut watched = watched(&app, names)?;
    if watched.is_empty() {
        return Err(Error::NothingToWatch);
    }
    let ws = crate::build::workspace::load(&app.root())?;
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let _watcher = crate::local::serve::watch(&ws.root, tx).map_err(|source| Error::Watch {
        path: ws.root.clone(),
        source,
    })?;
    // Debounced batches, from a task of their own so that a batch is never
    // lost to the log timer.
    let (batch_tx, mut batches) = tokio::sync::mpsc::unbounded_channel::<Vec<PathBuf>>();
    let debounce = tokio::spawn(async move {
        let mut rx = rx;
        while let Some(paths) = crate::local::serve::next_change(&mut rx).await {
            if batch_tx.send(paths).is_err() {
                break;
            }
        }
    });
    let mut logs = LogTail::new(&app, &watched);
    ui.info(&format!(
        "Watching {} for {} (Ctrl-C to stop)",
        ws.root.display(),
        watched.iter().cloned().collect::<Vec<_>>().join(", ")
    ));
    // First, bring AWS up to the code as it is now.
    let all: Vec<String> = watched.iter().cloned().collect();
    update(aws, &app, &all, &hooks, opts, ui).await;
    let mut tick = tokio::time::interval(opts.log_poll);
    let result = loop {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => break Ok(()),
            batch = batches.recv() => {
                let Some(paths) = batch else { break Ok(()) };
                let change = affected(&paths, &app.manifest, &ws, &app, &watched);
                if change.manifest {
                    match (hooks.load)() {
                        Ok(fresh) => {
                            app = fresh;
                            watched = self::watched(&app, names).unwrap_or_default();
                            logs = LogTail::new(&app, &watched);
                            let all: Vec<String> = watched.iter().cloned().collect();
                            update(aws, &app, &all, &hooks, opts, ui).await;
                        }
                        Err(_) => ui.info("The manifest has errors: nothing deployed; fix it and save again"),
                    }
                } else if !change.functions.is_empty() {
                    let fs: Vec<String> = change.functions.into_iter().collect();
                    update(aws, &app, &fs, &hooks, opts, ui).await;
                }
            }
            _ = tick.tick() => logs.poll(aws, ui).await,
        }
    };
    debounce.abort();
    ui.info("Stopped watching.");
    result
}

/// Builds `functions` and deploys them: a hotswap when only their code
/// changed; otherwise the preview, applied only with `--yes`.
async fn update<A>(
    aws: &A,
    app: &App,
    functions: &[String],
    hooks: &Hooks<'_>,
    opts: &Options,
    ui: &Ui,
) where
    A: CloudFormation + Storage + Roles + Identity + FunctionCode,
{
    let record = match (hooks.build)(app, functions) {
        Ok(r) => r,
        Err(_) => {
            ui.info("The build failed: the last good deploy keeps running; fix it and save again");
            return;
        }
    };
    let dopts = deploy::Options {
        yes: opts.yes,
        hotswap: true,
        hotswap_only: !opts.yes,
        wait_timeout: opts.wait_timeout,
        ..deploy::Options::default()
    };
    let pending = Pending::default();
    match deploy::deploy(aws, app, &record, &dopts, ui, &pending).await {
        Ok(Outcome::NoChanges) => ui.info("Up to date: nothing to deploy"),
        Ok(Outcome::Hotswapped { .. }) => {}
        Ok(Outcome::NeedsChangeSet { .. }) => {
            match deploy::diff(aws, app, &record, ui, &pending, opts.wait_timeout).await {
                Ok(rows) if !rows.is_empty() => ui.info(&format!(
                    "{}{}\nNot applied: save again after `ferry deploy`, or run `ferry watch --yes` to apply manifest changes",
                    deploy::preview::table(&rows),
                    deploy::preview::summary(&rows)
                )),
                Ok(_) => ui.info("No changes."),
                Err(e) => ui.info(&format!("error: {e}")),
            }
        }
        Ok(Outcome::Deployed { status, .. }) => {
            ui.info(&format!("Stack {} is {status}", app.stack_name()))
        }
        Ok(Outcome::Kept { change_set, .. }) => ui.info(&format!("Change set kept: {change_set}")),
        Err(e) => ui.info(&format!("error: {e}\nThe last good deploy keeps running")),
    }
}

/// New log lines of the watched functions since the watch started, merged
/// by time with the follow cursor of `ferry logs`.
struct LogTail(crate::logs::Tail);

impl LogTail {
    fn new(app: &App, watched: &BTreeSet<String>) -> Self {
        let now_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0);
        let functions: Vec<String> = watched.iter().cloned().collect();
        LogTail(crate::logs::Tail::new(app, &functions, now_ms, None, None))
    }

    async fn poll<A: Logs>(&mut self, aws: &A, ui: &Ui) {
        // A failed poll prints nothing; the next one returns its lines.
        let Ok(lines) = self.0.poll(aws).await else {
            return;
        };
        for l in lines {
            ui.info(&format!(
                "{} | {}",
                l.function,
                crate::logs::message(&l.event.message)
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::build::workspace::Package;

    fn app() -> App {
        crate::manifest::load_str(
            Path::new("/ws/ferry.yaml"),
            "app: w\nfunctions:\n  api: {}\n  worker: { crate: jobs }\n",
            "dev",
            &crate::manifest::Disk,
        )
        .unwrap()
    }

    fn ws() -> Workspace {
        let pkg = |name: &str| Package {
            name: name.into(),
            bins: vec![name.into()],
            dir: PathBuf::from(format!("/ws/{name}")),
        };
        Workspace {
            root: PathBuf::from("/ws"),
            target_dir: PathBuf::from("/ws/target"),
            packages: vec![pkg("api"), pkg("jobs"), pkg("shared")],
        }
    }

    #[test]
    fn a_file_affects_the_functions_built_from_its_package() {
        let a = app();
        let all = watched(&a, &[]).unwrap();
        let m = Path::new("/ws/ferry.yaml");
        let c = affected(&[PathBuf::from("/ws/jobs/src/main.rs")], m, &ws(), &a, &all);
        assert_eq!(c.functions, BTreeSet::from(["worker".to_string()]));
        assert!(!c.manifest);
        let c = affected(
            &[PathBuf::from("/ws/shared/src/lib.rs")],
            m,
            &ws(),
            &a,
            &all,
        );
        assert_eq!(c.functions, all, "a library affects every function");
        let c = affected(&[PathBuf::from("/ws/Cargo.lock")], m, &ws(), &a, &all);
        assert_eq!(c.functions, all);
        let c = affected(&[PathBuf::from("/ws/README.md")], m, &ws(), &a, &all);
        assert!(c.functions.is_empty());
        let c = affected(&[m.to_path_buf()], m, &ws(), &a, &all);
        assert!(c.manifest && c.functions.is_empty());
        // Only the watched functions.
        let only_api = watched(&a, &["api".to_string()]).unwrap();
        let c = affected(
            &[PathBuf::from("/ws/jobs/src/main.rs")],
            m,
            &ws(),
            &a,
            &only_api,
        );
        assert!(c.functions.is_empty());
        let e = watched(&a, &["wroker".to_string()]).unwrap_err();
        assert!(
            matches!(&e, Error::UnknownFunction(u) if u.name == "wroker"),
            "{e:?}"
        );
        assert_eq!(e.to_string(), "no function `wroker` in /ws/ferry.yaml");
    }
}
