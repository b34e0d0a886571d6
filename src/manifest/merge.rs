//! A more specific value merged over a more general one: a function's
//! settings over the defaults of its stage over the app's, a stage's tags
//! over the app's.

use std::collections::BTreeMap;

/// A value that a more specific one can be merged over.
pub trait Merge {
    /// `self` over `base`: what `self` sets wins.
    fn over(self, base: Self) -> Self;
}

/// One value: the override wins when it is set.
impl<T> Merge for Option<T> {
    fn over(self, base: Self) -> Self {
        self.or(base)
    }
}

/// A mapping: the override's entries extend the base's, and replace those
/// with the same key.
impl<K: Ord, V> Merge for BTreeMap<K, V> {
    fn over(self, mut base: Self) -> Self {
        base.extend(self);
        base
    }
}

/// Defines a struct whose fields are each `Merge`, and its `Merge` field by
/// field: adding a field needs no merge code.
macro_rules! merged_field_by_field {
    (
        $(#[$attr:meta])*
        $vis:vis struct $name:ident {
            $( $(#[$field_attr:meta])* $field_vis:vis $field:ident : $ty:ty ),* $(,)?
        }
    ) => {
        $(#[$attr])*
        $vis struct $name {
            $( $(#[$field_attr])* $field_vis $field: $ty ),*
        }

        impl $crate::manifest::merge::Merge for $name {
            fn over(self, base: Self) -> Self {
                $name {
                    $( $field: $crate::manifest::merge::Merge::over(self.$field, base.$field) ),*
                }
            }
        }
    };
}

pub(crate) use merged_field_by_field;

#[cfg(test)]
mod tests {
    use super::*;

    merged_field_by_field! {
        #[derive(Debug, Default, PartialEq)]
        struct Example {
            memory: Option<u32>,
            timeout: Option<u32>,
            environment: BTreeMap<&'static str, &'static str>,
        }
    }

    #[test]
    fn the_override_wins_and_mappings_extend() {
        let base = Example {
            memory: Some(128),
            timeout: Some(3),
            environment: BTreeMap::from([("A", "base"), ("B", "base")]),
        };
        let over = Example {
            memory: Some(512),
            timeout: None,
            environment: BTreeMap::from([("B", "over"), ("C", "over")]),
        };
        assert_eq!(
            over.over(base),
            Example {
                memory: Some(512),
                timeout: Some(3),
                environment: BTreeMap::from([("A", "base"), ("B", "over"), ("C", "over")]),
            }
        );
        assert_eq!(
            Example::default().over(Example::default()),
            Example::default()
        );
    }
}
