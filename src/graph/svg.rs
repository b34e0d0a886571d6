//! The graph as SVG, laid out (ranks, crossing reduction, edge routing)
//! and drawn in-process by the `layout-rs` crate: no Graphviz needed.

use layout::backends::svg::SVGWriter;
use layout::core::base::Orientation;
use layout::core::color::Color;
use layout::core::style::{LineStyleKind, StyleAttr};
use layout::std_shapes::render::get_shape_size;
use layout::std_shapes::shapes::{Arrow, Element, LineEndKind, ShapeKind};
use layout::topo::layout::VisualGraph;

use super::{Graph, Kind};

const FONT_SIZE: usize = 14;

/// `#rrggbb` as layout-rs's RGBA colour.
fn color(hex: &str) -> Color {
    let rgb = u32::from_str_radix(hex.trim_start_matches('#'), 16).unwrap_or(0);
    Color::new((rgb << 8) | 0xff)
}

/// The SVG document of the graph, left to right.
pub fn svg(g: &Graph) -> String {
    let dir = Orientation::LeftToRight;
    let mut vg = VisualGraph::new(dir);
    let mut handles = Vec::new();
    for n in &g.nodes {
        let (fill, stroke) = n.kind.colors();
        let text = format!("{}\n{}", n.kind.noun(), n.label);
        let shape = match n.kind {
            Kind::Function | Kind::StateMachine => ShapeKind::new_box(&text),
            _ => ShapeKind::new_box(&text),
        };
        let rounded = if n.kind.is_source() { 20 } else { 4 };
        let look = StyleAttr::new(color(stroke), 2, Some(color(fill)), rounded, FONT_SIZE);
        let size = get_shape_size(dir, &shape, FONT_SIZE, false);
        handles.push(vg.add_node(Element::create(shape, look, dir, size)));
    }
    for e in &g.edges {
        let (Some(a), Some(b)) = (
            g.nodes.iter().position(|n| n.id == e.from),
            g.nodes.iter().position(|n| n.id == e.to),
        ) else {
            continue;
        };
        if a == b {
            continue;
        }
        let look = StyleAttr::new(color("#555555"), 1, None, 0, FONT_SIZE - 3);
        let arrow = Arrow::new(
            LineEndKind::None,
            LineEndKind::Arrow,
            LineStyleKind::Normal,
            &e.label,
            &look,
            &None,
            &None,
        );
        vg.add_edge(arrow, handles[a], handles[b]);
    }
    let mut writer = SVGWriter::new();
    vg.do_it(false, false, false, &mut writer);
    writer.finalize()
}
