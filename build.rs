//! Rebuild ferry when a blueprint changes: they are embedded in the binary.
fn main() {
    println!("cargo:rerun-if-changed=blueprints");
    println!("cargo:rerun-if-changed=templates");
}
