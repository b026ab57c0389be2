//! Parsing a request body's JSON: an object whose every key appears once,
//! its keys and string values left in the body where they have no escapes.
//!
//! Why refuse a repeated key: `serde_json::Value` keeps the last of two equal
//! keys, while other JSON readers keep the first or refuse: a proxy or a
//! client library that checked `{"id": a, "id": b}` would have seen another
//! request than the one the server runs. So a repeated key is refused, as
//! the wire structs' derived `Deserialize` refuses it (found by the
//! `api_request` fuzz target).
//!
//! Why spans and not a `serde_json::Map`: a map copies every key and string
//! value into a `String` of its own (five of a create's heap allocations,
//! and a copy of the envelope's text). Here a key or a string without
//! escapes is where serde_json found it in the body, as a byte range; only
//! an escaped one is copied. Every byte is still read by serde_json's own
//! parser (strings, numbers, nested values), so what is valid JSON is
//! exactly what `serde_json::from_slice::<Value>` accepts.

use std::fmt;
use std::ops::Range;

use serde::Deserialize;
use serde::de::value::{MapAccessDeserializer, SeqAccessDeserializer};
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Number, Value};

/// What a body that is JSON holds, at the top.
pub(crate) enum Parsed {
    /// An object, each key once, in the order sent.
    Object(Vec<Member>),
    /// An object with some key twice or more.
    RepeatedKey,
    /// Valid JSON, but not an object.
    NotObject,
}

/// One `"key": value` of the top-level object.
pub(crate) struct Member {
    pub(crate) key: Text,
    pub(crate) value: MemberValue,
}

/// A member's value.
pub(crate) enum MemberValue {
    /// A string.
    Str(Text),
    /// Anything else (a number, `null`, an array, an object…).
    Other(Value),
}

/// A string of the body: where it is, or (escaped in the body) its text.
pub(crate) enum Text {
    /// These bytes of the body, valid UTF-8.
    Span(Range<usize>),
    /// The unescaped text.
    Owned(String),
}

impl Text {
    /// The text, reading spans in `body` (the bytes that were parsed).
    pub(crate) fn as_str<'a>(&'a self, body: &'a [u8]) -> &'a str {
        match self {
            // A span is a `&str` serde_json handed out, so it is UTF-8.
            Text::Span(range) => body
                .get(range.clone())
                .and_then(|bytes| std::str::from_utf8(bytes).ok())
                .unwrap_or_default(),
            Text::Owned(text) => text,
        }
    }
}

/// Members beyond which repeated keys are found by sorting, not pairwise.
const PAIRWISE_MAX: usize = 16;

/// Parses `bytes` as one JSON value (nothing after it); `Err` when it is
/// not JSON.
pub(crate) fn parse(bytes: &[u8]) -> Result<Parsed, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let parsed = TopLevel { body: bytes }.deserialize(&mut de)?;
    de.end()?;
    Ok(parsed)
}

/// The range of `s` inside `body`, if `s` is a slice of it.
fn span_in(body: &[u8], s: &str) -> Option<Range<usize>> {
    let start = s.as_ptr().addr().checked_sub(body.as_ptr().addr())?;
    let range = start..start.checked_add(s.len())?;
    // Only a slice of `body` itself: equal bytes elsewhere are not enough.
    let inside = body.get(range.clone())?;
    (inside.as_ptr() == s.as_ptr()).then_some(range)
}

fn text<E>(body: &[u8], s: &str) -> Result<Text, E> {
    Ok(span_in(body, s).map_or_else(|| Text::Owned(s.to_owned()), Text::Span))
}

/// Whether two members have the same key.
fn has_repeated_key(members: &[Member], body: &[u8]) -> bool {
    if members.len() <= PAIRWISE_MAX {
        return members.iter().enumerate().any(|(i, a)| {
            members[..i]
                .iter()
                .any(|b| a.key.as_str(body) == b.key.as_str(body))
        });
    }
    let mut keys: Vec<&str> = members.iter().map(|m| m.key.as_str(body)).collect();
    keys.sort_unstable();
    keys.windows(2).any(|pair| pair[0] == pair[1])
}

struct TopLevel<'b> {
    body: &'b [u8],
}

impl<'de> DeserializeSeed<'de> for TopLevel<'_> {
    type Value = Parsed;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Parsed, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for TopLevel<'_> {
    type Value = Parsed;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Parsed, A::Error> {
        // serde_json gives no size hint for an object: the list grows as read.
        let mut members = Vec::new();
        while let Some(key) = map.next_key_seed(KeySeed { body: self.body })? {
            let value = map.next_value_seed(ValueSeed { body: self.body })?;
            members.push(Member { key, value });
        }
        Ok(if has_repeated_key(&members, self.body) {
            Parsed::RepeatedKey
        } else {
            Parsed::Object(members)
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

/// A key: a span of the body, or its unescaped text.
struct KeySeed<'b> {
    body: &'b [u8],
}

impl<'de> DeserializeSeed<'de> for KeySeed<'_> {
    type Value = Text;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Text, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed<'_> {
    type Value = Text;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a key")
    }

    fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<Text, E> {
        text(self.body, s)
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<Text, E> {
        Ok(Text::Owned(s.to_owned()))
    }

    fn visit_string<E: de::Error>(self, s: String) -> Result<Text, E> {
        Ok(Text::Owned(s))
    }
}

/// A member's value: strings as [`Text`], the rest as a `Value` built by
/// serde_json's own visitor (so nested objects behave as before).
struct ValueSeed<'b> {
    body: &'b [u8],
}

impl<'de> DeserializeSeed<'de> for ValueSeed<'_> {
    type Value = MemberValue;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<MemberValue, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ValueSeed<'_> {
    type Value = MemberValue;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    // Strings as keys are: a span of the body, or the unescaped text.
    fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<MemberValue, E> {
        KeySeed { body: self.body }
            .visit_borrowed_str(s)
            .map(MemberValue::Str)
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<MemberValue, E> {
        Visitor::visit_str(KeySeed { body: self.body }, s).map(MemberValue::Str)
    }

    fn visit_string<E: de::Error>(self, s: String) -> Result<MemberValue, E> {
        Visitor::visit_string(KeySeed { body: self.body }, s).map(MemberValue::Str)
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<MemberValue, E> {
        Ok(MemberValue::Other(Value::Bool(v)))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<MemberValue, E> {
        Ok(MemberValue::Other(Value::Number(v.into())))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<MemberValue, E> {
        Ok(MemberValue::Other(Value::Number(v.into())))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<MemberValue, E> {
        Ok(MemberValue::Other(
            Number::from_f64(v).map_or(Value::Null, Value::Number),
        ))
    }

    fn visit_unit<E: de::Error>(self) -> Result<MemberValue, E> {
        Ok(MemberValue::Other(Value::Null))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<MemberValue, A::Error> {
        Value::deserialize(SeqAccessDeserializer::new(seq)).map(MemberValue::Other)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<MemberValue, A::Error> {
        Value::deserialize(MapAccessDeserializer::new(map)).map(MemberValue::Other)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::Value;

    use super::{MemberValue, Parsed, Text, parse};

    fn kind(text: &str) -> &'static str {
        match parse(text.as_bytes()) {
            Ok(Parsed::Object(_)) => "object",
            Ok(Parsed::RepeatedKey) => "repeated",
            Ok(Parsed::NotObject) => "not an object",
            Err(_) => "not JSON",
        }
    }

    /// The object `bytes` parse to, as a `Value` (to compare with serde_json's).
    fn as_value(bytes: &[u8]) -> Option<Value> {
        let Ok(Parsed::Object(members)) = parse(bytes) else {
            return None;
        };
        let map = members
            .into_iter()
            .map(|m| {
                let value = match m.value {
                    MemberValue::Str(t) => Value::String(t.as_str(bytes).to_owned()),
                    MemberValue::Other(v) => v,
                };
                (m.key.as_str(bytes).to_owned(), value)
            })
            .collect();
        Some(Value::Object(map))
    }

    #[test]
    fn objects_with_repeated_keys_are_told_apart() {
        assert_eq!(kind(r#"{"a": 1, "b": {"c": [1, {"d": null}]}}"#), "object");
        assert_eq!(kind(r#"{"a": 1, "a": 1}"#), "repeated");
        assert_eq!(kind(r#"{"a": 1, "b": 2, "a": 3}"#), "repeated");
        // The same key written with and without an escape is the same key.
        assert_eq!(kind(r#"{"a": 1, "\u0061": 2}"#), "repeated");
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
        assert!(parse(b"{\"a\":\"\xff\"}").is_err());
        assert!(parse(b"{\"\xff\":1}").is_err());
    }

    #[test]
    fn many_keys_are_checked_for_repeats_too() {
        let distinct: Vec<String> = (0..100).map(|i| format!("\"k{i}\": {i}")).collect();
        assert_eq!(kind(&format!("{{{}}}", distinct.join(","))), "object");
        let mut repeated = distinct;
        repeated.push("\"k7\": 0".to_owned());
        assert_eq!(kind(&format!("{{{}}}", repeated.join(","))), "repeated");
    }

    #[test]
    fn plain_strings_stay_in_the_body_and_escaped_ones_are_unescaped() {
        let body = br#"{"id": "abc", "e\u0073c": "line\nbreak", "n": 5}"#;
        let Ok(Parsed::Object(members)) = parse(body) else {
            panic!("an object");
        };
        assert!(matches!(&members[0].key, Text::Span(r) if &body[r.clone()] == b"id"));
        assert!(
            matches!(&members[0].value, MemberValue::Str(Text::Span(r)) if &body[r.clone()] == b"abc")
        );
        assert_eq!(members[1].key.as_str(body), "esc");
        assert!(matches!(&members[1].key, Text::Owned(_)));
        assert!(
            matches!(&members[1].value, MemberValue::Str(t) if t.as_str(body) == "line\nbreak")
        );
        assert!(matches!(&members[2].value, MemberValue::Other(v) if v == 5));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// On any JSON object without repeated keys, the members are what
        /// serde_json reads; and what is JSON is exactly what serde_json says.
        #[test]
        fn agrees_with_serde_json(value in json_value(3)) {
            let bytes = serde_json::to_vec(&value).unwrap();
            let ours = as_value(&bytes);
            match &value {
                Value::Object(_) => prop_assert_eq!(ours.as_ref(), Some(&value)),
                _ => prop_assert!(ours.is_none()),
            }
        }

        #[test]
        fn accepts_exactly_what_serde_json_accepts(bytes in prop::collection::vec(any::<u8>(), 0..64)) {
            prop_assert_eq!(parse(&bytes).is_ok(), serde_json::from_slice::<Value>(&bytes).is_ok());
        }

        #[test]
        fn accepts_exactly_what_serde_json_accepts_near_json(
            value in json_value(2),
            at in any::<prop::sample::Index>(),
            byte in any::<u8>(),
        ) {
            let mut bytes = serde_json::to_vec(&value).unwrap();
            let at = at.index(bytes.len());
            bytes[at] = byte;
            prop_assert_eq!(parse(&bytes).is_ok(), serde_json::from_slice::<Value>(&bytes).is_ok());
        }
    }

    fn json_value(depth: u32) -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(Value::from),
            ".{0,12}".prop_map(Value::String),
        ];
        leaf.prop_recursive(depth, 24, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::btree_map(".{0,6}", inner, 0..4)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }
}
