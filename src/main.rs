//! Browser entry point: a thin mount. Everything else lives in the library.

fn main() {
    console_error_panic_hook::set_once();
    frontline::mount_into_document();
}
