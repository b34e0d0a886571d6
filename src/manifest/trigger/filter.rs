//! Filter criteria of the event source mappings (`queue` and `stream`
//! triggers).

use crate::manifest::decode::Cx;
use crate::manifest::model::Tree;
use crate::manifest::vocab;
use crate::manifest::yaml::Node;

/// At most as many filters as declared (5), each a mapping.
pub(super) fn filters(cx: &mut Cx, n: &Node) -> Option<Vec<Tree>> {
    let max = vocab::TRIGGER_QUEUE
        .key("filter")
        .map_or(usize::MAX, |k| k.ty.max_items());
    let items = cx.list(n, |cx, i| {
        let t = cx.tree(i)?;
        if !matches!(t, Tree::Map(_)) {
            cx.error(
                i.pos,
                "a filter is a mapping, e.g. { body: { type: [ride] } }",
            );
            return None;
        }
        Some(t)
    })?;
    if items.len() > max {
        cx.error(
            n.pos,
            format!("at most {max} filters, found {}", items.len()),
        );
        return None;
    }
    Some(items)
}
