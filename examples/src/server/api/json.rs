//! Parsing a request body's JSON: an object whose every key appears once.
//!
//! `serde_json::Value` keeps the last of two equal keys, while other JSON
//! readers keep the first or refuse: a proxy or a client library that
//! checked `{"id": a, "id": b}` would have seen another request than the one
//! the server runs. So a repeated key is refused, as the wire structs'
//! derived `Deserialize` refuses it (found by the `api_request` fuzz target).

use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

/// What a body that is JSON holds, at the top.
pub(crate) enum Parsed {
    /// An object, each key once.
    Object(Map<String, Value>),
    /// An object with some key twice or more.
    RepeatedKey,
    /// Valid JSON, but not an object.
    NotObject,
}

/// Parses `bytes` as one JSON value (nothing after it); `Err` when it is
/// not JSON.
pub(crate) fn parse(bytes: &[u8]) -> Result<Parsed, serde_json::Error> {
    serde_json::from_slice(bytes)
}

impl<'de> Deserialize<'de> for Parsed {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(TopLevel)
    }
}

struct TopLevel;

impl<'de> Visitor<'de> for TopLevel {
    type Value = Parsed;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Parsed, A::Error> {
        let mut out = Map::new();
        let mut repeated = false;
        while let Some(key) = map.next_key::<String>()? {
            let value: Value = map.next_value()?;
            repeated |= out.insert(key, value).is_some();
        }
        Ok(if repeated {
            Parsed::RepeatedKey
        } else {
            Parsed::Object(out)
        })
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Parsed, A::Error> {
        // Read as values, not skipped: serde_json skips a string without
        // checking its UTF-8, which would let bytes that are not JSON pass.
        while seq.next_element::<Value>()?.is_some() {}
        Ok(Parsed::NotObject)
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Parsed, E> {
        Ok(Parsed::NotObject)
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Parsed, E> {
        Ok(Parsed::NotObject)
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Parsed, E> {
        Ok(Parsed::NotObject)
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Parsed, E> {
        Ok(Parsed::NotObject)
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Parsed, E> {
        Ok(Parsed::NotObject)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Parsed, E> {
        Ok(Parsed::NotObject)
    }
}

#[cfg(test)]
mod tests {
    use super::{Parsed, parse};

    fn kind(text: &str) -> &'static str {
        match parse(text.as_bytes()) {
            Ok(Parsed::Object(_)) => "object",
            Ok(Parsed::RepeatedKey) => "repeated",
            Ok(Parsed::NotObject) => "not an object",
            Err(_) => "not JSON",
        }
    }

    #[test]
    fn objects_with_repeated_keys_are_told_apart() {
        assert_eq!(kind(r#"{"a": 1, "b": {"c": [1, {"d": null}]}}"#), "object");
        assert_eq!(kind(r#"{"a": 1, "a": 1}"#), "repeated");
        assert_eq!(kind(r#"{"a": 1, "b": 2, "a": 3}"#), "repeated");
        // A key repeated in a nested object is the field's value's business.
        assert_eq!(kind(r#"{"a": {"b": 1, "b": 2}}"#), "object");
        for not_object in ["[1, [2]]", "1", "-1", "1.5", "\"s\"", "true", "null"] {
            assert_eq!(kind(not_object), "not an object", "{not_object}");
        }
        for not_json in ["", "{", "{} {}", "{\"a\": 1,}", "[1, }"] {
            assert_eq!(kind(not_json), "not JSON", "{not_json}");
        }
        // Found by the `api_request` fuzz target: bytes that are not UTF-8
        // in a string inside an array.
        assert!(parse(b"[1,\"pa\xff\xffss\"]").is_err());
        assert!(parse(b"{\"a\":[\"\xff\"]}").is_err());
        match parse(br#"{"a": "x", "b": [1]}"#) {
            Ok(Parsed::Object(map)) => {
                assert_eq!(map["a"], "x");
                assert_eq!(map["b"][0], 1);
            }
            _ => panic!("an object"),
        }
    }
}
