//! The deploy layer's error: an AWS call that failed (its code kept), a
//! hotswap that failed, an interruption, or ferry's own reason to stop.
//! The command line renders it once, as its message.

use crate::aws::AwsError;

use super::hotswap;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An AWS call failed; `code` is AWS's error code when it gave one.
    #[error("{0}")]
    Aws(#[from] AwsError),
    /// A hotswap failed: which function, at which step, with AWS's error.
    #[error("{0}")]
    Hotswap(#[from] hotswap::Error),
    /// Ctrl-C: what was left behind, and how to follow it.
    #[error("{0}")]
    Interrupted(String),
    /// ferry stopped: a refusal, a timeout, a failed stack operation.
    #[error("{0}")]
    Stopped(String),
}

impl Error {
    /// AWS's error code, when an AWS call failed with one.
    pub fn code(&self) -> Option<&str> {
        match self {
            Error::Aws(e) => e.code(),
            Error::Hotswap(e) => e.code(),
            _ => None,
        }
    }
}

impl From<String> for Error {
    fn from(s: String) -> Self {
        Error::Stopped(s)
    }
}

impl From<&str> for Error {
    fn from(s: &str) -> Self {
        Error::Stopped(s.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_code_is_kept_and_the_message_rendered_as_is() {
        let e: Error = AwsError {
            code: Some("ResourceNotFoundException".into()),
            message: "GetFunction: Function not found".into(),
        }
        .into();
        assert_eq!(e.code(), Some("ResourceNotFoundException"));
        assert_eq!(e.to_string(), "GetFunction: Function not found");
        let e: Error = format!("stack {} does not exist", "shop-dev").into();
        assert_eq!(e.code(), None);
        assert_eq!(e.to_string(), "stack shop-dev does not exist");
    }
}
