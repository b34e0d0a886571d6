//! The names each section declares, read from the keys as written before
//! any section is decoded, and references to them by name.

use std::collections::BTreeMap;

use foldhash::HashSet;

use super::decode::{Cx, RefSite};
use super::interp::{Ref, Section};
use super::yaml::{Key, Node};
use crate::diagnostic::did_you_mean;

/// The names each section declares, read from the keys as written, so that a
/// reference to an entry that has an error of its own is not reported again
/// as unknown.
#[derive(Default, Debug)]
pub struct Declared {
    pub names: BTreeMap<Section, Vec<String>>,
    index: BTreeMap<Section, HashSet<String>>,
    /// Tables with a `stream` key, even one with an invalid value.
    stream_tables: HashSet<String>,
    /// Whether `http.jwt` is written, even with errors.
    pub jwt: bool,
    /// Sections written with a value that is not a mapping, or with a
    /// misspelled key: their names are unknown, so references to them are
    /// not checked.
    broken: HashSet<Section>,
}

impl Declared {
    pub fn read(root: &[(Key, Node)]) -> Declared {
        let mut names = BTreeMap::new();
        let mut broken = HashSet::default();
        for section in [
            Section::Tables,
            Section::Queues,
            Section::Topics,
            Section::Buckets,
            Section::Functions,
            Section::StateMachines,
            Section::Layers,
            Section::Parameters,
            Section::Buses,
            Section::Secrets,
        ] {
            if unreadable_section(root, section.key()) {
                broken.insert(section);
            }
            let keys: Vec<String> = root
                .iter()
                .find(|(k, _)| k.name == section.key())
                .and_then(|(_, v)| v.as_map())
                .map(|m| m.iter().map(|(k, _)| k.name.clone()).collect())
                .unwrap_or_default();
            names.insert(section, keys);
        }
        let index = names
            .iter()
            .map(|(s, ns)| (*s, ns.iter().cloned().collect()))
            .collect();
        let section = |key: &str| {
            root.iter()
                .find(|(k, _)| k.name == key)
                .and_then(|(_, v)| v.as_map())
                .unwrap_or_default()
        };
        let has_key = |n: &Node, key: &str| {
            n.as_map()
                .is_some_and(|m| m.iter().any(|(k, _)| k.name == key))
        };
        let stream_tables = section("tables")
            .iter()
            .filter(|(_, t)| has_key(t, "stream"))
            .map(|(k, _)| k.name.clone())
            .collect();
        let jwt = section("http").iter().any(|(k, _)| k.name == "jwt");
        Declared {
            names,
            index,
            stream_tables,
            jwt,
            broken,
        }
    }

    /// Whether `section` is written with a value that is not a mapping, or
    /// under a misspelled key.
    pub fn is_broken(&self, section: Section) -> bool {
        self.broken.contains(&section)
    }

    /// Whether table `name` has a `stream` key (valid or not).
    pub fn has_stream(&self, name: &str) -> bool {
        self.stream_tables.contains(name)
    }

    pub fn has(&self, section: Section, name: &str) -> bool {
        self.index.get(&section).is_some_and(|s| s.contains(name))
    }

    pub fn list(&self, section: Section) -> &[String] {
        self.names.get(&section).map(Vec::as_slice).unwrap_or(&[])
    }
}

/// Whether top-level section `key` is written with a value that is not a
/// mapping, or under a misspelled key: either has an error of its own, and
/// what the section holds is not known.
pub fn unreadable_section(root: &[(Key, Node)], key: &str) -> bool {
    match root.iter().find(|(k, _)| k.name == key) {
        Some((_, n)) => n.as_map().is_none() && !n.is_null(),
        None => root.iter().any(|(k, _)| {
            super::vocab::ROOT.key(&k.name).is_none() && did_you_mean(&k.name, [key]).is_some()
        }),
    }
}

/// A name in a key such as `queue: ride-failures`, recorded for the check
/// that the entry exists.
pub fn named_ref(cx: &mut Cx, n: &Node, section: Section) -> Option<String> {
    let name = cx.nonempty(n)?;
    let loc = cx.loc(n.pos);
    cx.refs.push(RefSite {
        target: Ref::Named(section, name.clone()),
        loc,
    });
    Some(name)
}
