//! The event a function is invoked with (`ferry invoke`, `ferry local
//! invoke`): JSON text, `@file`, or `-` for standard input; checked to be
//! JSON before anything runs.

use std::io::Read;
use std::path::PathBuf;

/// Why the payload cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot read {}: {source}", path.display())]
    File {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}")]
    Stdin(#[source] std::io::Error),
    #[error("the payload is not JSON: {0}")]
    NotJson(#[source] serde_json::Error),
}

/// `{"a": 1}`, `@event.json`, or `-` for `stdin`: the bytes, once they
/// are known to be JSON.
pub fn read(p: &str, stdin: impl Read) -> Result<Vec<u8>, Error> {
    let bytes = if let Some(path) = p.strip_prefix('@') {
        std::fs::read(path).map_err(|source| Error::File {
            path: PathBuf::from(path),
            source,
        })?
    } else if p == "-" {
        let mut v = Vec::new();
        let mut stdin = stdin;
        stdin.read_to_end(&mut v).map_err(Error::Stdin)?;
        v
    } else {
        p.as_bytes().to_vec()
    };
    serde_json::from_slice::<serde_json::Value>(&bytes).map_err(Error::NotJson)?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_a_file_or_standard_input() {
        assert_eq!(read(r#"{"a":1}"#, std::io::empty()).unwrap(), br#"{"a":1}"#);
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("event.json");
        std::fs::write(&file, "[1, 2]").unwrap();
        assert_eq!(
            read(&format!("@{}", file.display()), std::io::empty()).unwrap(),
            b"[1, 2]"
        );
        assert_eq!(read("-", &b"\"hi\""[..]).unwrap(), b"\"hi\"");
    }

    #[test]
    fn a_missing_file_or_text_that_is_not_json_is_refused() {
        let e = read("@/no/such/event.json", std::io::empty()).unwrap_err();
        assert!(matches!(e, Error::File { .. }), "{e:?}");
        assert!(
            e.to_string()
                .starts_with("cannot read /no/such/event.json: "),
            "{e}"
        );
        let e = read("{not json", std::io::empty()).unwrap_err();
        assert!(matches!(e, Error::NotJson(_)), "{e:?}");
        assert!(
            e.to_string().starts_with("the payload is not JSON: "),
            "{e}"
        );
        let e = read("-", &b"nope"[..]).unwrap_err();
        assert!(matches!(e, Error::NotJson(_)), "{e:?}");
    }
}
