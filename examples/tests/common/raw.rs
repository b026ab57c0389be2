//! Raw requests to the API and the checks of the error answers.

use oneshot_examples::wire::ErrorBody;
use serde_json::Value;

use super::api::Api;

/// A raw request for [`expect_error`].
pub(crate) struct Req {
    method: &'static str,
    path: String,
    content_type: Option<&'static str>,
    body: Vec<u8>,
}

impl Req {
    /// A JSON `POST`.
    pub(crate) fn post(path: &str, body: Vec<u8>) -> Self {
        Self {
            method: "POST",
            path: path.to_owned(),
            content_type: JSON,
            body,
        }
    }

    /// A bodiless request without a content type.
    pub(crate) fn bare(method: &'static str, path: &str) -> Self {
        Self {
            method,
            path: path.to_owned(),
            content_type: None,
            body: Vec::new(),
        }
    }

    pub(crate) fn content_type(mut self, content_type: Option<&'static str>) -> Self {
        self.content_type = content_type;
        self
    }
}

/// Sends a raw request and checks the JSON error.
pub(crate) async fn expect_error(api: &Api, req: Req, status: u16, code: &str) {
    let Req {
        method,
        path,
        content_type,
        body,
    } = req;
    let mut builder = api
        .http
        .request(method.parse().unwrap(), format!("{}{path}", api.base));
    if let Some(ct) = content_type {
        builder = builder.header("content-type", ct);
    }
    let r = builder.body(body.clone()).send().await.unwrap_or_else(|e| {
        panic!("{method} {path} ({content_type:?}), expecting {status} {code}: {e:?}")
    });
    let got = r.status().as_u16();
    let ct = r
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let text = r.text().await.unwrap();
    assert_eq!(got, status, "{method} {path} ({content_type:?}): {text}");
    assert!(
        ct.starts_with("application/json"),
        "{method} {path}: content-type {ct}"
    );
    let v: ErrorBody = serde_json::from_str(&text).expect("JSON error body");
    assert_eq!(v.error, code, "{method} {path}: {text}");
    assert!(!v.message.is_empty(), "{text}");
    // No error repeats what was sent: no string of the request (a key, a
    // claim, a proof, an envelope) shows up in the answer. (Answers are
    // short: the strings of a request of megabytes are not worth parsing.)
    let parsed = (body.len() <= 64 * 1024)
        .then(|| serde_json::from_slice::<Value>(&body).ok())
        .flatten();
    if let Some(sent) = parsed {
        for value in strings(&sent) {
            assert!(
                value.len() < 12 || !text.contains(value),
                "{method} {path}: the answer repeats the input: {text}"
            );
        }
    }
}

pub(crate) const JSON: Option<&str> = Some("application/json");

pub(crate) fn b(v: &impl serde::Serialize) -> Vec<u8> {
    serde_json::to_vec(v).unwrap()
}

/// Every string inside a JSON value.
fn strings(value: &Value) -> Vec<&str> {
    match value {
        Value::String(s) => vec![s],
        Value::Array(items) => items.iter().flat_map(strings).collect(),
        Value::Object(fields) => fields.values().flat_map(strings).collect(),
        _ => Vec::new(),
    }
}
