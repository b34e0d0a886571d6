//! The graph as SVG, laid out (ranks, crossing reduction, edge routing)
//! and drawn in-process by the `layout-rs` crate: no Graphviz needed.

use layout::backends::svg::SVGWriter;
use layout::core::base::Orientation;
use layout::core::color::Color;
use layout::core::format::{ClipHandle, RenderBackend};
use layout::core::geometry::Point;
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

/// layout-rs's SVG writer, with the drawing's true extent: the writer
/// counts a label's length as its height, which leaves a tall blank band
/// under a graph with long labels.
struct Bounded {
    svg: SVGWriter,
    max: (f64, f64),
}

impl Bounded {
    fn grow(&mut self, x: f64, y: f64) {
        self.max = (self.max.0.max(x), self.max.1.max(y));
    }

    fn finalize(&self) -> String {
        let doc = self.svg.finalize();
        let (w, h) = (self.max.0.ceil() + 10.0, self.max.1.ceil() + 10.0);
        match (doc.find("<svg "), doc.find(" xmlns=")) {
            (Some(a), Some(b)) if a < b => format!(
                "{}<svg width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\"{}",
                &doc[..a],
                &doc[b..]
            ),
            _ => doc,
        }
    }
}

impl RenderBackend for Bounded {
    fn draw_rect(
        &mut self,
        xy: Point,
        size: Point,
        look: &StyleAttr,
        properties: Option<String>,
        clip: Option<ClipHandle>,
    ) {
        self.grow(xy.x + size.x, xy.y + size.y);
        self.svg.draw_rect(xy, size, look, properties, clip);
    }

    fn draw_line(
        &mut self,
        start: Point,
        stop: Point,
        look: &StyleAttr,
        properties: Option<String>,
    ) {
        self.grow(start.x.max(stop.x), start.y.max(stop.y));
        self.svg.draw_line(start, stop, look, properties);
    }

    fn draw_circle(
        &mut self,
        xy: Point,
        size: Point,
        look: &StyleAttr,
        properties: Option<String>,
    ) {
        self.grow(xy.x + size.x, xy.y + size.y);
        self.svg.draw_circle(xy, size, look, properties);
    }

    fn draw_text(&mut self, xy: Point, text: &str, look: &StyleAttr) {
        let widest = text.lines().map(|l| l.chars().count()).max().unwrap_or(0);
        let lines = text.lines().count().max(1);
        let font = look.font_size as f64;
        self.grow(
            xy.x + widest as f64 * font * 0.3,
            xy.y + lines as f64 * font / 2.0,
        );
        self.svg.draw_text(xy, text, look);
    }

    fn draw_arrow(
        &mut self,
        path: &[(Point, Point)],
        dashed: bool,
        head: (bool, bool),
        look: &StyleAttr,
        properties: Option<String>,
        text: &str,
    ) {
        for (a, b) in path {
            self.grow(a.x.max(b.x), a.y.max(b.y));
        }
        self.svg
            .draw_arrow(path, dashed, head, look, properties, text);
    }

    fn create_clip(&mut self, xy: Point, size: Point, rounded_px: usize) -> ClipHandle {
        self.svg.create_clip(xy, size, rounded_px)
    }
}

/// The nodes grouped around each function (what triggers it, the function,
/// what it uses): the layout's starting order within each rank, which keeps
/// the chains of a large app apart.
fn clustered(g: &Graph) -> Vec<usize> {
    let mut order: Vec<usize> = Vec::new();
    let add = |i: usize, order: &mut Vec<usize>| {
        if !order.contains(&i) {
            order.push(i);
        }
    };
    let index = |id: &str| g.nodes.iter().position(|n| n.id == id);
    for (i, n) in g.nodes.iter().enumerate() {
        if !matches!(n.kind, Kind::Function | Kind::StateMachine) {
            continue;
        }
        for e in g.edges.iter().filter(|e| e.to == n.id) {
            if let Some(j) = index(&e.from) {
                add(j, &mut order);
            }
        }
        add(i, &mut order);
        for e in g.edges.iter().filter(|e| e.from == n.id) {
            if let Some(j) = index(&e.to) {
                add(j, &mut order);
            }
        }
    }
    for i in 0..g.nodes.len() {
        add(i, &mut order);
    }
    order
}

/// The SVG document of the graph, left to right.
pub fn svg(g: &Graph) -> String {
    if g.nodes.is_empty() {
        return "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\" height=\"10\"/>\n"
            .to_string();
    }
    let dir = Orientation::LeftToRight;
    let mut vg = VisualGraph::new(dir);
    let mut handles = vec![None; g.nodes.len()];
    for i in clustered(g) {
        let n = &g.nodes[i];
        let (fill, stroke) = n.kind.colors();
        let text = format!("{}\n{}", n.kind.noun(), n.label);
        let shape = ShapeKind::new_box(&text);
        let rounded = if n.kind.is_source() { 20 } else { 4 };
        let look = StyleAttr::new(color(stroke), 2, Some(color(fill)), rounded, FONT_SIZE);
        let size = get_shape_size(dir, &shape, FONT_SIZE, false);
        handles[i] = Some(vg.add_node(Element::create(shape, look, dir, size)));
    }
    for e in &g.edges {
        let (Some(Some(a)), Some(Some(b))) = (
            g.nodes
                .iter()
                .position(|n| n.id == e.from)
                .map(|i| handles[i]),
            g.nodes
                .iter()
                .position(|n| n.id == e.to)
                .map(|i| handles[i]),
        ) else {
            continue;
        };
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
        vg.add_edge(arrow, a, b);
    }
    let mut writer = Bounded {
        svg: SVGWriter::new(),
        max: (0.0, 0.0),
    };
    vg.do_it(false, false, false, &mut writer);
    writer.finalize()
}
