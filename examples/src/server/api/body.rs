//! Reading request bodies by hand: the content type, the size limit (with a
//! bounded drain past it), the time limit, the JSON syntax, and then the
//! fields by the descriptors of the [`wire`](crate::wire) structs.
//!
//! Not axum's `Json` extractor nor a serde derive: their rejections would
//! reach the client in the framework's words and could quote the input, and
//! serde stops at the first bad field in key order without saying which
//! field, while each field has its own error code here and is checked in a
//! fixed order.

use axum::extract::Request;
use axum::http::{StatusCode, header};
use serde_json::{Map, Value};

use super::ApiError;
use super::json::{self, Parsed};
use crate::server::App;
use crate::wire::{Field, error_codes as code};

/// What reading a request body gave.
pub(crate) enum BodyRead {
    /// The whole body, within the limit.
    Complete(Vec<u8>),
    /// The body exceeds the limit (and was drained, up to a bound).
    TooLarge,
}

/// Reads the body up to `limit` bytes. Past the limit it keeps reading and
/// dropping, up to 8 × `limit` (at least 1 MiB), so that a client still
/// uploading receives the 413 instead of a reset connection (closing a socket
/// with unread data makes the kernel send RST, which can destroy the response
/// in flight). The caller bounds the time.
pub(crate) async fn read_body(req: Request, limit: usize) -> Result<BodyRead, axum::Error> {
    use http_body_util::BodyExt;
    let drain_cap = limit.saturating_mul(8).max(1 << 20);
    let mut body = req.into_body();
    let mut bytes = Vec::new();
    let mut seen = 0usize;
    while let Some(frame) = body.frame().await {
        let Ok(data) = frame?.into_data() else {
            continue; // trailers
        };
        seen = seen.saturating_add(data.len());
        if seen <= limit {
            bytes.extend_from_slice(&data);
        } else if seen > drain_cap {
            break;
        }
    }
    if seen > limit {
        Ok(BodyRead::TooLarge)
    } else {
        Ok(BodyRead::Complete(bytes))
    }
}

/// The fields of a JSON object body, all of them among those a request takes.
pub(crate) struct Fields(Map<String, Value>);

impl Fields {
    /// Reads a JSON object from `req` (content type, size and time limits,
    /// syntax) and refuses any field not in `allowed`. `limit` is the
    /// largest body read: [`App::body_limit`] for a create,
    /// [`SMALL_BODY_LIMIT`](crate::wire::SMALL_BODY_LIMIT) for the rest.
    pub(crate) async fn read(
        app: &App,
        req: Request,
        allowed: &[Field],
        limit: usize,
    ) -> Result<Self, ApiError> {
        let map = read_object(app, req, limit).await?;
        if map
            .keys()
            .all(|k| allowed.iter().any(|field| field.name == k))
        {
            Ok(Self(map))
        } else {
            Err(ApiError::bad(
                code::INVALID_REQUEST,
                format!(
                    "unexpected field; the request takes only {}",
                    name_list(allowed)
                ),
            ))
        }
    }

    /// A required string field.
    pub(crate) fn string(&self, field: Field) -> Result<&str, ApiError> {
        match self.0.get(field.name) {
            Some(Value::String(s)) => Ok(s),
            Some(_) => Err(invalid(field, "must be a string")),
            None => Err(ApiError::bad(
                code::INVALID_REQUEST,
                format!("missing field `{}`", field.name),
            )),
        }
    }

    /// An optional string field: `None` when absent or `null`.
    pub(crate) fn optional_string(&self, field: Field) -> Result<Option<&str>, ApiError> {
        match self.0.get(field.name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(invalid(field, "must be a string")),
        }
    }

    /// A field as sent, if it was.
    pub(crate) fn get(&self, field: Field) -> Option<&Value> {
        self.0.get(field.name)
    }
}

/// `400` with the field's code: "`name` {what}".
pub(crate) fn invalid(field: Field, what: &str) -> ApiError {
    ApiError::bad(field.code, format!("`{}` {what}", field.name))
}

/// "a", "a and b", "a, b and c".
fn name_list(fields: &[Field]) -> String {
    match fields {
        [] => String::new(),
        [only] => only.name.to_owned(),
        [rest @ .., last] => {
            let rest: Vec<&str> = rest.iter().map(|f| f.name).collect();
            format!("{} and {}", rest.join(", "), last.name)
        }
    }
}

async fn read_object(
    app: &App,
    req: Request,
    limit: usize,
) -> Result<Map<String, Value>, ApiError> {
    let is_json = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|essence| essence.trim().eq_ignore_ascii_case("application/json"));
    if !is_json {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            code::UNSUPPORTED_MEDIA_TYPE,
            "send the request as Content-Type: application/json",
        ));
    }
    let deadline = app.limits.body_read_timeout;
    let read = tokio::time::timeout(deadline, read_body(req, limit))
        .await
        .map_err(|_| ApiError::body_timeout(deadline))?;
    let bytes = match read {
        Ok(BodyRead::Complete(bytes)) => bytes,
        Ok(BodyRead::TooLarge) => {
            return Err(ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                code::TOO_LARGE,
                format!("the request body exceeds the limit of {limit} bytes"),
            ));
        }
        Err(_) => {
            return Err(ApiError::bad(
                code::INVALID_REQUEST,
                "the request body could not be read",
            ));
        }
    };
    match json::parse(&bytes) {
        Ok(Parsed::Object(map)) => Ok(map),
        Ok(Parsed::RepeatedKey) => Err(ApiError::bad(
            code::INVALID_REQUEST,
            "a field appears more than once in the request body",
        )),
        Ok(Parsed::NotObject) => Err(ApiError::bad(
            code::INVALID_REQUEST,
            "the request body must be a JSON object",
        )),
        Err(_) => Err(ApiError::bad(
            code::INVALID_JSON,
            "the request body is not valid JSON",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_lists_read_as_prose() {
        use crate::wire::v1::{CreateRequest, TakeRequest};
        assert_eq!(
            name_list(CreateRequest::FIELDS),
            "id, envelope and ttl_secs"
        );
        assert_eq!(name_list(TakeRequest::FIELDS), "claim");
        assert_eq!(name_list(&CreateRequest::FIELDS[..2]), "id and envelope");
        assert_eq!(
            name_list(crate::wire::v2::CreateRequest::FIELDS),
            "id, envelope, ttl_secs, passphrase_verifier and receipt_verifier"
        );
    }
}
