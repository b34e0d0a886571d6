//! `buses:`, the EventBridge buses of the app, and how the manifest names a
//! bus elsewhere: an `event` trigger's `bus` and a `{ bus: X }` destination.
//!
//! A plain name that `buses:` declares is this app's bus (the declared bus
//! wins over any other bus of that name). Any other name, an ARN or a
//! string with references names a bus outside the app, as written; an ARN
//! always does. A plain name close to a declared bus is taken for a typo.

use std::collections::BTreeMap;

use super::declared::Declared;
use super::decode::Cx;
use super::interp::Section;
use super::model::{Bus, BusRef};
use super::yaml::Node;
use crate::diagnostic::did_you_mean;

/// Decodes `buses:`: each entry is `{}` (a bus takes no settings yet).
pub fn decode(cx: &mut Cx, node: &Node) -> BTreeMap<String, Bus> {
    cx.named(node, "bus", |cx, key, n| {
        let loc = cx.loc(key.pos);
        let f = cx.fields(n, &super::vocab::BUS)?;
        f.finish(cx);
        Some(Bus { loc })
    })
    .into_iter()
    .collect()
}

/// The bus named by `n`: this app's bus when `buses:` declares the name,
/// else the bus written (a name or an ARN of another bus).
pub fn bus_ref(cx: &mut Cx, n: &Node, declared: &Declared) -> Option<BusRef> {
    let text = cx.nonempty(n)?;
    let plain = !text.starts_with("arn:") && !text.contains("${");
    if plain {
        if declared.has(Section::Buses, &text) {
            return Some(BusRef::App(text));
        }
        let known = declared.list(Section::Buses);
        if let Some(hint) = did_you_mean(&text, known.iter().map(String::as_str)) {
            cx.error_hint(
                n.pos,
                format!("unknown bus `{text}`"),
                Some(format!(
                    "{hint} (a bus outside this app is named by its ARN)"
                )),
            );
            return None;
        }
    }
    Some(BusRef::External(cx.interp_text(n, &text)?))
}

#[cfg(test)]
mod tests {
    use crate::manifest::model::{BusRef, Destination, TriggerKind};
    use crate::manifest::{Disk, LoadError, load_str};
    use std::path::Path;

    fn load(text: &str) -> Result<crate::manifest::model::App, Vec<String>> {
        load_str(Path::new("ferry.yaml"), text, "dev", &Disk).map_err(|e| match e {
            LoadError::Invalid { diagnostics, .. } => diagnostics
                .into_iter()
                .map(|d| format!("{} {}", d.path, d.message))
                .collect(),
            LoadError::Plain(m) => vec![m],
        })
    }

    #[test]
    fn a_declared_name_is_the_apps_bus_and_others_are_external() {
        let app = load(
            "app: shop\nbuses: { orders: {} }\nfunctions:\n  a:\n    triggers:\n      - event: { bus: orders, pattern: { source: [x] } }\n      - event: { bus: partner-events, pattern: { source: [x] } }\n    async: { on_success: { bus: orders } }\n",
        )
        .unwrap();
        let f = &app.functions["a"];
        let buses: Vec<&BusRef> = f
            .triggers
            .iter()
            .filter_map(|t| match &t.kind {
                TriggerKind::Event(e) => e.bus.as_ref(),
                _ => None,
            })
            .collect();
        assert_eq!(buses[0], &BusRef::App("orders".into()));
        assert!(matches!(buses[1], BusRef::External(_)));
        assert_eq!(
            f.async_config.as_ref().unwrap().on_success,
            Some(Destination::Bus(BusRef::App("orders".into())))
        );
    }

    #[test]
    fn a_near_miss_of_a_declared_bus_is_an_error() {
        let e = load(
            "app: shop\nbuses: { orders: {} }\nfunctions:\n  a:\n    triggers:\n      - event: { bus: order, pattern: { source: [x] } }\n",
        )
        .unwrap_err();
        assert_eq!(
            e,
            vec!["functions.a.triggers[0].event.bus unknown bus `order`"]
        );
    }
}
