//! The page: static files embedded in the binary, no build step.

use axum::extract::Path;
use axum::extract::rejection::PathRejection;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use super::api::not_found;

const CREATE_HTML: &str = include_str!("../../static/index.html");
const REVEAL_HTML: &str = include_str!("../../static/s.html");
const RECEIPT_HTML: &str = include_str!("../../static/r.html");
const STYLE_CSS: &str = include_str!("../../static/style.css");
const FORMAT_JS: &str = include_str!("../../static/format.js");
const FORMAT2_JS: &str = include_str!("../../static/format2.js");
const COMMON_JS: &str = include_str!("../../static/common.js");
const CREATE_JS: &str = include_str!("../../static/create.js");
const REVEAL_JS: &str = include_str!("../../static/reveal.js");
const RECEIPT_JS: &str = include_str!("../../static/receipt.js");
const FAVICON_SVG: &str = include_str!("../../static/favicon.svg");

const HTML: &str = "text/html; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";
const SVG: &str = "image/svg+xml";

fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [(header::CONTENT_TYPE, HeaderValue::from_static(content_type))],
        body,
    )
        .into_response()
}

/// `GET /`: write a secret, get a link.
pub(super) async fn create_page() -> Response {
    asset(HTML, CREATE_HTML)
}

/// `GET /s`: the page a link opens; reveals only when asked.
pub(super) async fn reveal_page() -> Response {
    asset(HTML, REVEAL_HTML)
}

/// `GET /r`: the sender's receipt page (the receipt travels in the
/// fragment, `/r#<receipt>`); shows the state, burns only when asked.
pub(super) async fn receipt_page() -> Response {
    asset(HTML, RECEIPT_HTML)
}

/// `GET /favicon.ico`: browsers ask for it whatever the page says.
pub(super) async fn favicon() -> Response {
    asset(SVG, FAVICON_SVG)
}

/// `GET /static/<file>`.
pub(super) async fn static_file(file: Result<Path<String>, PathRejection>) -> Response {
    let file = file.map(|Path(f)| f).unwrap_or_default();
    match file.as_str() {
        "style.css" => asset(CSS, STYLE_CSS),
        "format.js" => asset(JS, FORMAT_JS),
        "format2.js" => asset(JS, FORMAT2_JS),
        "common.js" => asset(JS, COMMON_JS),
        "create.js" => asset(JS, CREATE_JS),
        "reveal.js" => asset(JS, REVEAL_JS),
        "receipt.js" => asset(JS, RECEIPT_JS),
        "favicon.svg" => asset(SVG, FAVICON_SVG),
        _ => not_found().await.into_response(),
    }
}
