//! `GET /api/openapi.json`: the OpenAPI 3.1 document of every route the
//! server has, the page's included.
//!
//! The schemas are derived from the [`wire`](crate::wire) structs
//! (`utoipa::ToSchema`), so a field renamed or added there shows here. The
//! operations are declared below, one function each, because the handlers
//! read their bodies by hand (see `api::body`) and so have no typed
//! signature to derive them from. Their error answers come from one table,
//! `errors`, which names the codes each status can carry: the document
//! narrows `error` to exactly those codes, per operation and status.
//!
//! The patterns are as strict as the server: a 32-byte value is 43
//! base64url characters whose last one carries two bits that must be zero
//! (`[AEIMQUYcgkosw048]`), and the shortest envelope of either version
//! (285 bytes) is 380 characters.
//!
//! A test compares the document's operations with the router's routes
//! (`examples/tests/openapi.rs`), so a route added without its description
//! here fails it.

use axum::Json;
use axum::response::{IntoResponse, Response};
use utoipa::OpenApi;
use utoipa::openapi::path::{HttpMethod, Operation};
use utoipa::openapi::schema::{AllOfBuilder, ObjectBuilder, Type};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};

use crate::wire::{ErrorBody, error_codes as code, v1, v2};

/// Where the server serves this document.
pub const PATH: &str = "/api/openapi.json";

/// The name of the create token's security scheme in the document.
const CREATE_TOKEN: &str = "create_token";

/// `GET /api/openapi.json`.
pub(super) async fn serve() -> Response {
    Json(document()).into_response()
}

/// The OpenAPI 3.1 document of the server's routes, with every error answer.
pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = Doc::openapi();
    let paths: Vec<String> = doc.paths.paths.keys().cloned().collect();
    for path in paths {
        let Some(item) = doc.paths.paths.get_mut(&path) else {
            continue;
        };
        if let Some(operation) = item.get.as_mut() {
            add_errors(operation, &errors(&path, &HttpMethod::Get));
        }
        if let Some(operation) = item.post.as_mut() {
            add_errors(operation, &errors(&path, &HttpMethod::Post));
        }
    }
    let components = doc.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        CREATE_TOKEN,
        SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
    );
    doc
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "oneshot",
        description = "One-time secrets: the client encrypts (AES-256-GCM), the server keeps only the envelope, and a take reads it once. Every error is an `ErrorBody` whose `error` is one of the codes listed for its status.",
        license(name = "MIT OR Apache-2.0", identifier = "MIT OR Apache-2.0"),
    ),
    paths(
        v1_create, v1_take, v1_config, v2_create, v2_take, v2_receipt, v2_burn,
        openapi_json, create_page, reveal_page, receipt_page, static_file, favicon,
    ),
    components(schemas(ErrorBody, v2::WrongPassphrase, v2::BurnRefused)),
    tags(
        (name = "v1", description = "Format v1 envelopes, and the limits both versions share."),
        (name = "v2", description = "Format v2 envelopes: passphrases, files, receipts."),
        (name = "page", description = "The browser page (encrypts and decrypts in the browser)."),
    ),
)]
struct Doc;

/// Where an error of `status` is documented: its codes and, for the two
/// answers with fields beside the code, the schema they have.
struct ErrorAnswer {
    status: u16,
    codes: Vec<&'static str>,
    schema: &'static str,
}

/// The error answers of `method path`: what the handler, the body reader and
/// the layers can give. Every route can be `503 busy` (load shedding, before
/// any handler) and `500 internal` (a bug).
fn errors(path: &str, method: &HttpMethod) -> Vec<ErrorAnswer> {
    let error = |status, codes: &[&'static str]| ErrorAnswer {
        status,
        codes: codes.to_vec(),
        schema: "ErrorBody",
    };
    let body = || {
        vec![
            error(408, &[code::TIMEOUT]),
            error(413, &[code::TOO_LARGE]),
            error(415, &[code::UNSUPPORTED_MEDIA_TYPE]),
        ]
    };
    let mut out = match (path, method) {
        (v1::CREATE_PATH, HttpMethod::Post) | (v2::CREATE_PATH, HttpMethod::Post) => {
            let mut bad = vec![
                code::INVALID_JSON,
                code::INVALID_REQUEST,
                code::INVALID_ID,
                code::INVALID_ENVELOPE,
                code::INVALID_TTL,
            ];
            if path == v2::CREATE_PATH {
                bad.extend([
                    code::INVALID_PASSPHRASE_VERIFIER,
                    code::INVALID_RECEIPT_VERIFIER,
                ]);
            }
            let mut out = vec![
                error(400, &bad),
                error(401, &[code::UNAUTHORIZED]),
                error(409, &[code::ALREADY_EXISTS]),
                // Over the client's create rate (`--create-rate`).
                error(429, &[code::RATE_LIMITED]),
                error(
                    503,
                    &[
                        code::BUSY,
                        code::UNAVAILABLE,
                        code::STORE_FULL,
                        code::INDETERMINATE,
                    ],
                ),
            ];
            out.extend(body());
            out
        }
        (v1::TAKE_PATH, HttpMethod::Post) => {
            let mut out = vec![
                error(
                    400,
                    &[
                        code::INVALID_JSON,
                        code::INVALID_REQUEST,
                        code::INVALID_CLAIM,
                    ],
                ),
                error(404, &[code::NOT_FOUND]),
                error(503, &[code::BUSY, code::UNAVAILABLE, code::INDETERMINATE]),
            ];
            out.extend(body());
            out
        }
        (v2::TAKE_PATH, HttpMethod::Post) => {
            let mut out = vec![
                error(
                    400,
                    &[
                        code::INVALID_JSON,
                        code::INVALID_REQUEST,
                        code::INVALID_CLAIM,
                        code::INVALID_PASSPHRASE_PROOF,
                        code::PASSPHRASE_REQUIRED,
                    ],
                ),
                ErrorAnswer {
                    status: 403,
                    codes: vec![code::WRONG_PASSPHRASE],
                    schema: "WrongPassphrase",
                },
                error(404, &[code::NOT_FOUND]),
                error(503, &[code::BUSY, code::UNAVAILABLE, code::INDETERMINATE]),
            ];
            out.extend(body());
            out
        }
        (v2::RECEIPT_PATH | v2::BURN_PATH, HttpMethod::Post) => {
            let mut out = vec![
                error(
                    400,
                    &[
                        code::INVALID_JSON,
                        code::INVALID_REQUEST,
                        code::INVALID_ID,
                        code::INVALID_RECEIPT_CLAIM,
                    ],
                ),
                error(404, &[code::NOT_FOUND]),
            ];
            if path == v2::BURN_PATH {
                out.push(ErrorAnswer {
                    status: 409,
                    codes: vec![code::ALREADY_READ, code::ALREADY_BURNED, code::EXPIRED],
                    schema: "BurnRefused",
                });
                out.push(error(
                    503,
                    &[code::BUSY, code::UNAVAILABLE, code::INDETERMINATE],
                ));
            } else {
                // Reading a receipt changes nothing: every store failure is
                // `unavailable`, safe to repeat.
                out.push(error(503, &[code::BUSY, code::UNAVAILABLE]));
            }
            out.extend(body());
            out
        }
        ("/static/{file}", _) => vec![error(404, &[code::NOT_FOUND]), error(503, &[code::BUSY])],
        _ => vec![error(503, &[code::BUSY])],
    };
    out.push(error(500, &[code::INTERNAL]));
    out
}

/// Adds each error answer to `operation`: `schema`, with `error` narrowed to
/// the answer's codes.
fn add_errors(operation: &mut Operation, answers: &[ErrorAnswer]) {
    for answer in answers {
        let codes = ObjectBuilder::new().property(
            "error",
            ObjectBuilder::new()
                .schema_type(Type::String)
                .enum_values(Some(answer.codes.iter().copied())),
        );
        let schema = AllOfBuilder::new()
            .item(Ref::from_schema_name(answer.schema))
            .item(codes)
            .build();
        let list: Vec<String> = answer.codes.iter().map(|c| format!("`{c}`")).collect();
        let response = ResponseBuilder::new()
            .description(list.join(", "))
            .content(
                "application/json",
                ContentBuilder::new()
                    .schema(Some(utoipa::openapi::Schema::AllOf(schema)))
                    .build(),
            )
            .build();
        operation
            .responses
            .responses
            .insert(answer.status.to_string(), response.into());
    }
}

// The operations. Each function exists for its `#[utoipa::path]` only: the
// handlers that serve these routes are in `api` and `assets`.

#[utoipa::path(
    post, path = v1::CREATE_PATH, tag = "v1", operation_id = "v1_create",
    summary = "Store a v1 envelope under its id",
    description = "The fields are checked in order: `id`, `envelope` (a v1 envelope only), `ttl_secs`. With a create token set on the server, `Authorization: Bearer <token>` is required.",
    request_body = v1::CreateRequest,
    responses((status = 201, description = "Stored.", body = v1::CreateResponse)),
    security((), ("create_token" = [])),
)]
#[expect(dead_code, reason = "only its OpenAPI description is used")]
fn v1_create() {}

#[utoipa::path(
    post, path = v1::TAKE_PATH, tag = "v1", operation_id = "v1_take",
    summary = "Take (read and delete) a v1 secret by its claim",
    request_body = v1::TakeRequest,
    responses((status = 200, description = "The envelope; the secret is gone.", body = v1::TakeResponse)),
)]
#[expect(dead_code, reason = "only its OpenAPI description is used")]
fn v1_take() {}

#[utoipa::path(
    get, path = v1::CONFIG_PATH, tag = "v1", operation_id = "config",
    summary = "The server's limits, for both versions",
    responses((status = 200, description = "The limits.", body = v1::ConfigResponse)),
)]
#[expect(dead_code, reason = "only its OpenAPI description is used")]
fn v1_config() {}

#[utoipa::path(
    post, path = v2::CREATE_PATH, tag = "v2", operation_id = "v2_create",
    summary = "Store a v2 envelope under its id, with its verifiers",
    description = "The fields are checked in order: `id`, `envelope` (a v2 envelope only), `ttl_secs`, `passphrase_verifier`, `receipt_verifier`. With a create token set on the server, `Authorization: Bearer <token>` is required.",
    request_body = v2::CreateRequest,
    responses((status = 201, description = "Stored.", body = v2::CreateResponse)),
    security((), ("create_token" = [])),
)]
#[expect(dead_code, reason = "only its OpenAPI description is used")]
fn v2_create() {}

#[utoipa::path(
    post, path = v2::TAKE_PATH, tag = "v2", operation_id = "v2_take",
    summary = "Take (read and delete) a v2 secret by its claim and passphrase proof",
    request_body = v2::TakeRequest,
    responses((status = 200, description = "The envelope; the secret is gone.", body = v2::TakeResponse)),
)]
#[expect(dead_code, reason = "only its OpenAPI description is used")]
fn v2_take() {}

#[utoipa::path(
    post, path = v2::RECEIPT_PATH, tag = "v2", operation_id = "v2_receipt",
    summary = "Read a secret's receipt (changes nothing)",
    request_body = v2::ReceiptRequest,
    responses((status = 200, description = "The receipt.", body = v2::ReceiptResponse)),
)]
#[expect(dead_code, reason = "only its OpenAPI description is used")]
fn v2_receipt() {}

#[utoipa::path(
    post, path = v2::BURN_PATH, tag = "v2", operation_id = "v2_burn",
    summary = "Burn an unread secret through its receipt",
    request_body = v2::BurnRequest,
    responses((status = 200, description = "Burned: the receipt, now `burned` by `sender`.", body = v2::ReceiptResponse)),
)]
#[expect(dead_code, reason = "only its OpenAPI description is used")]
fn v2_burn() {}

#[utoipa::path(
    get, path = PATH, tag = "v1", operation_id = "openapi",
    summary = "This document",
    responses((status = 200, description = "The OpenAPI 3.1 document.", content_type = "application/json")),
)]
#[expect(dead_code, reason = "only its OpenAPI description is used")]
fn openapi_json() {}

#[utoipa::path(
    get, path = "/", tag = "page", operation_id = "create_page",
    summary = "The create page",
    responses((status = 200, description = "HTML.", body = String, content_type = "text/html")),
)]
#[expect(dead_code, reason = "only its OpenAPI description is used")]
fn create_page() {}

#[utoipa::path(
    get, path = "/s", tag = "page", operation_id = "reveal_page",
    summary = "The reveal page (the key travels in the fragment, `/s#<key>`)",
    responses((status = 200, description = "HTML.", body = String, content_type = "text/html")),
)]
#[expect(dead_code, reason = "only its OpenAPI description is used")]
fn reveal_page() {}

#[utoipa::path(
    get, path = "/r", tag = "page", operation_id = "receipt_page",
    summary = "The receipt page (the receipt travels in the fragment, `/r#<receipt>`)",
    responses((status = 200, description = "HTML.", body = String, content_type = "text/html")),
)]
#[expect(dead_code, reason = "only its OpenAPI description is used")]
fn receipt_page() {}

#[utoipa::path(
    get, path = "/static/{file}", tag = "page", operation_id = "static_file",
    summary = "The page's scripts, style sheet and icon",
    params(("file" = String, Path, description = "style.css, format.js, format2.js, common.js, create.js, reveal.js, receipt.js or favicon.svg")),
    responses((status = 200, description = "The file.", content(
        (String = "text/css"), (String = "text/javascript"), (String = "image/svg+xml"),
    ))),
)]
#[expect(dead_code, reason = "only its OpenAPI description is used")]
fn static_file() {}

#[utoipa::path(
    get, path = "/favicon.ico", tag = "page", operation_id = "favicon",
    summary = "The icon (SVG)",
    responses((status = 200, description = "SVG.", body = String, content_type = "image/svg+xml")),
)]
#[expect(dead_code, reason = "only its OpenAPI description is used")]
fn favicon() {}
