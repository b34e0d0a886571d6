//! Functions named on the command line, looked up in the model: one by
//! name ([`App::function`]), or those chosen for a command that takes
//! several ([`App::chosen`]). A name the manifest does not declare is an
//! [`UnknownFunction`], with the closest declared name as a hint.

use std::path::PathBuf;

use super::model::{App, Function};
use crate::diagnostic::did_you_mean;

/// A function name the manifest does not declare.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("no function `{name}` in {}{}", manifest.display(), hint.as_ref().map(|h| format!(" ({h})")).unwrap_or_default())]
pub struct UnknownFunction {
    /// The name asked for.
    pub name: String,
    /// The manifest that does not declare it.
    pub manifest: PathBuf,
    /// "did you mean `x`?" when a declared name is close.
    pub hint: Option<String>,
}

impl App {
    /// The function called `name`.
    pub fn function(&self, name: &str) -> Result<&Function, UnknownFunction> {
        self.functions.get(name).ok_or_else(|| UnknownFunction {
            name: name.to_string(),
            manifest: self.manifest.clone(),
            hint: did_you_mean(name, self.functions.keys().map(String::as_str)),
        })
    }

    /// The functions named (each checked, in the order given), or every
    /// function of the app when none is named.
    pub fn chosen(&self, named: &[String]) -> Result<Vec<String>, UnknownFunction> {
        if named.is_empty() {
            return Ok(self.functions.keys().cloned().collect());
        }
        for name in named {
            self.function(name)?;
        }
        Ok(named.to_vec())
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    fn app() -> App {
        crate::manifest::load_str(
            Path::new("shop/ferry.yaml"),
            "app: shop\nfunctions:\n  api: {}\n  worker: {}\n",
            "dev",
            &crate::manifest::Disk,
        )
        .unwrap_or_else(|_| panic!("valid"))
    }

    use super::*;

    #[test]
    fn a_declared_function_is_found() {
        let app = app();
        assert_eq!(
            app.function("worker").map(|f| f.alias.as_str()),
            Ok(app.functions["worker"].alias.as_str())
        );
    }

    #[test]
    fn an_unknown_function_names_the_manifest_and_the_closest_name() {
        let e = app().function("wroker").unwrap_err();
        assert_eq!(e.name, "wroker");
        assert_eq!(e.hint.as_deref(), Some("did you mean `worker`?"));
        assert_eq!(
            e.to_string(),
            "no function `wroker` in shop/ferry.yaml (did you mean `worker`?)"
        );
        let e = app().function("zzz").unwrap_err();
        assert_eq!(e.hint, None);
        assert_eq!(e.to_string(), "no function `zzz` in shop/ferry.yaml");
    }

    #[test]
    fn none_named_chooses_every_function_and_named_ones_are_checked() {
        let app = app();
        assert_eq!(app.chosen(&[]), Ok(vec!["api".into(), "worker".into()]));
        assert_eq!(
            app.chosen(&["worker".into(), "api".into()]),
            Ok(vec!["worker".into(), "api".into()])
        );
        let e = app.chosen(&["api".into(), "nope".into()]).unwrap_err();
        assert_eq!(e.name, "nope");
    }
}
