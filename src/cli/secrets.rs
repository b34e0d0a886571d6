//! `ferry secrets set` / `list`: flags, reading the value, printing.

use std::io::{IsTerminal, Read, Write};

use super::{Cli, Failure, Outcome, Output, SecretsCommand, load};
use crate::manifest::model::App;

pub(super) fn run(cli: &Cli, command: &SecretsCommand) -> Outcome {
    let app = load(cli)?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::Message(format!("cannot start the async runtime: {e}")))?;
    match command {
        SecretsCommand::Set { name } => {
            let secret = known_secret(&app, name)?;
            let value = read_value(name, secret.id())?;
            rt.block_on(async {
                let aws = super::stack::connect(cli, Some(&app)).await?;
                crate::deploy::check_account(&aws, &app).await?;
                let done = crate::secrets::set(&aws, secret, &value)
                    .await
                    .map_err(|e| Failure::Message(e.message))?;
                match cli.output {
                    Output::Json => println!(
                        "{}",
                        serde_json::json!({
                            "secret": name,
                            "kind": secret.kind(),
                            "id": secret.id(),
                            "result": done,
                        })
                    ),
                    Output::Human if cli.quiet == 0 => println!(
                        "{} secret `{name}` ({} {}) for stage {}",
                        match done {
                            crate::secrets::Written::Created => "Created",
                            crate::secrets::Written::Updated => "Updated",
                        },
                        secret.kind(),
                        secret.id(),
                        app.stage
                    ),
                    Output::Human => {}
                }
                Ok(())
            })
        }
        SecretsCommand::List => rt.block_on(async {
            let aws = super::stack::connect(cli, Some(&app)).await?;
            let rows = crate::secrets::list(&aws, &app)
                .await
                .map_err(|e| Failure::Message(e.message))?;
            match cli.output {
                Output::Json => println!(
                    "{}",
                    serde_json::to_string_pretty(&rows).expect("rows serialize")
                ),
                Output::Human if rows.is_empty() => {
                    println!("{} declares no secrets", app.manifest.display())
                }
                Output::Human => print!("{}", crate::secrets::table(&rows)),
            }
            Ok(())
        }),
    }
}

fn known_secret<'a>(
    app: &'a App,
    name: &str,
) -> Result<&'a crate::manifest::model::Secret, Failure> {
    app.secrets.get(name).ok_or_else(|| {
        let hint = crate::diagnostic::did_you_mean(name, app.secrets.keys().map(String::as_str))
            .map(|h| format!(" ({h})"))
            .unwrap_or_else(|| " (declare it under `secrets:`)".into());
        Failure::Message(format!(
            "no secret `{name}` in {}{hint}",
            app.manifest.display()
        ))
    })
}

/// The value: typed without echo on a terminal, else all of standard input
/// (one line end dropped). An empty value is refused.
fn read_value(name: &str, id: &str) -> Result<String, Failure> {
    let value = if std::io::stdin().is_terminal() {
        let term = console::Term::stderr();
        let _ = write!(&term, "value of secret {name} ({id}), not shown: ");
        let _ = term.flush();
        term.read_secure_line()
            .map_err(|e| Failure::Message(format!("cannot read the value: {e}")))?
    } else {
        let mut v = String::new();
        std::io::stdin().read_to_string(&mut v).map_err(|e| {
            Failure::Message(format!("cannot read the value from standard input: {e}"))
        })?;
        crate::secrets::trim_line_end(v)
    };
    if value.is_empty() {
        return Err(Failure::Message(
            "the value is empty: nothing was written".into(),
        ));
    }
    Ok(value)
}
