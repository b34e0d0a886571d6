//! Splitting an app that is larger than one template into nested stacks.
use super::{Stacks, Template};

/// Returns the template as the root of a one-template stack.
pub fn split(t: Template) -> Stacks {
    Stacks {
        root: t,
        nested: Vec::new(),
    }
}
