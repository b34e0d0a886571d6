//! Filter criteria of the event source mappings (`queue` and `stream`
//! triggers).

use crate::manifest::decode::Cx;
use crate::manifest::model::Tree;
use crate::manifest::yaml::Node;

/// At most 5 filters, each a mapping.
pub(super) fn filters(cx: &mut Cx, n: &Node) -> Option<Vec<Tree>> {
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
    if items.len() > 5 {
        cx.error(n.pos, format!("at most 5 filters, found {}", items.len()));
        return None;
    }
    Some(items)
}
