//! The keys of a stage that bind it to where it is deployed:
//! `stages.<name>.account` and `stages.<name>.region`.

use super::decode::Cx;
use super::sections::valid_region;
use super::yaml::{Node, Value};

/// `account: "123456789012"`: twelve digits, written as a string (a YAML
/// number would lose a leading zero).
pub fn account(cx: &mut Cx, n: &Node) -> Option<String> {
    if let Value::Int(_) = n.value {
        let shown = cx.string(n)?;
        cx.error_hint(
            n.pos,
            format!("write the account id as a string: `\"{shown}\"`"),
            Some("an unquoted number loses leading zeros; quote the 12 digits".into()),
        );
        return None;
    }
    let s = cx.string(n)?;
    if s.len() != 12 || !s.bytes().all(|b| b.is_ascii_digit()) {
        cx.error_hint(
            n.pos,
            format!("`{s}` is not an AWS account id (12 digits)"),
            Some("e.g. `account: \"123456789012\"`".into()),
        );
        return None;
    }
    Some(s)
}

/// `region: eu-west-1`: overrides the top-level `region` for the stage.
pub fn region(cx: &mut Cx, n: &Node) -> Option<String> {
    let s = cx.string(n)?;
    if !valid_region(&s) {
        cx.error(
            n.pos,
            format!("invalid region `{s}`: expected a region such as `us-east-1`"),
        );
        return None;
    }
    Some(s)
}

#[cfg(test)]
mod tests {
    use crate::manifest::{LoadError, load_str, sections::Disk};
    use std::path::Path;

    const STAGES: &str = "app: shop\nregion: us-east-1\nstages:\n  prod: { account: \"123456789012\", region: eu-west-1, protected: true }\nfunctions: { a: {} }\n";

    #[test]
    fn the_stage_binds_account_and_region() {
        let prod = load_str(Path::new("ferry.yaml"), STAGES, "prod", &Disk).unwrap();
        assert_eq!(prod.account.as_deref(), Some("123456789012"));
        assert_eq!(prod.region.as_deref(), Some("eu-west-1"));
        assert!(prod.protected);
        let dev = load_str(Path::new("ferry.yaml"), STAGES, "dev", &Disk).unwrap();
        assert_eq!(dev.account, None);
        assert_eq!(dev.region.as_deref(), Some("us-east-1"));
        assert!(!dev.protected);
    }

    #[test]
    fn an_account_is_twelve_digits_in_quotes() {
        let text = "app: shop\nstages:\n  prod: { account: 123456789012 }\n  qa: { account: \"1234\", region: mars }\nfunctions: { a: {} }\n";
        let Err(LoadError::Invalid { diagnostics, .. }) =
            load_str(Path::new("ferry.yaml"), text, "dev", &Disk)
        else {
            panic!("should fail")
        };
        let got: Vec<String> = diagnostics
            .iter()
            .map(|d| format!("{} {}", d.path, d.message))
            .collect();
        assert_eq!(
            got,
            [
                "stages.prod.account write the account id as a string: `\"123456789012\"`",
                "stages.qa.account `1234` is not an AWS account id (12 digits)",
                "stages.qa.region invalid region `mars`: expected a region such as `us-east-1`",
            ]
        );
    }
}
