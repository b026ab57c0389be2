//! Reading request bodies by hand: the content type, the size limit (with a
//! bounded drain past it), the time limit, the JSON syntax, and then the
//! fields by the descriptors of the [`wire`](crate::wire) structs.
//!
//! Not axum's `Json` extractor nor a serde derive: their rejections would
//! reach the client in the framework's words and could quote the input, and
//! serde stops at the first bad field in key order without saying which
//! field, while each field has its own error code here and is checked in a
//! fixed order.

use super::ApiError;
use super::json::{self, Member, MemberValue, Parsed};
use crate::server::App;
use crate::wire::{Field, error_codes as code};
use axum::extract::Request;
use axum::http::{StatusCode, header};
use serde_json::Value;

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
    use axum::body::HttpBody as _;
    use http_body_util::BodyExt;
    let drain_cap = limit.saturating_mul(8).max(1 << 20);
    let mut body = req.into_body();
    // Sized once from Content-Length (the lower bound hyper reports), within
    // the limit: no growth while reading.
    let expected = usize::try_from(body.size_hint().lower()).unwrap_or(usize::MAX);
    let mut bytes = Vec::with_capacity(expected.min(limit));
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
pub(crate) struct Fields {
    /// The body as read: spans of `members` point into it.
    bytes: Vec<u8>,
    members: Vec<Member>,
}

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
        let (bytes, members) = read_object(app, req, limit).await?;
        let fields = Self { bytes, members };
        if fields.members.iter().all(|m| {
            let key = m.key.as_str(&fields.bytes);
            allowed.iter().any(|field| field.name == key)
        }) {
            Ok(fields)
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

    fn value(&self, field: Field) -> Option<&MemberValue> {
        self.members
            .iter()
            .find(|m| m.key.as_str(&self.bytes) == field.name)
            .map(|m| &m.value)
    }

    /// A required string field.
    pub(crate) fn string(&self, field: Field) -> Result<&str, ApiError> {
        match self.value(field) {
            Some(MemberValue::Str(s)) => Ok(s.as_str(&self.bytes)),
            Some(_) => Err(invalid(field, "must be a string")),
            None => Err(ApiError::bad(
                code::INVALID_REQUEST,
                format!("missing field `{}`", field.name),
            )),
        }
    }

    /// An optional string field: `None` when absent or `null`.
    pub(crate) fn optional_string(&self, field: Field) -> Result<Option<&str>, ApiError> {
        match self.value(field) {
            None | Some(MemberValue::Other(Value::Null)) => Ok(None),
            Some(MemberValue::Str(s)) => Ok(Some(s.as_str(&self.bytes))),
            Some(_) => Err(invalid(field, "must be a string")),
        }
    }

    /// An optional whole-number field: `Ok(None)` when absent or `null`,
    /// `Err(())` when it is anything but a number that fits a `u64`.
    pub(crate) fn optional_u64(&self, field: Field) -> Result<Option<u64>, ()> {
        match self.value(field) {
            None | Some(MemberValue::Other(Value::Null)) => Ok(None),
            Some(MemberValue::Other(number)) => number.as_u64().map(Some).ok_or(()),
            Some(MemberValue::Str(_)) => Err(()),
        }
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
) -> Result<(Vec<u8>, Vec<Member>), ApiError> {
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
        Ok(Parsed::Object(members)) => Ok((bytes, members)),
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
