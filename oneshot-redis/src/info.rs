//! Reading `INFO` and `CONFIG GET` replies.

use std::fmt;

use redis::Value;

/// A Redis version, `major.minor.patch`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RedisVersion {
    /// Major version.
    pub major: u32,
    /// Minor version.
    pub minor: u32,
    /// Patch level.
    pub patch: u32,
}

impl RedisVersion {
    /// The first version with `SET … GET` (and `GETDEL`), which
    /// [`TakeMode::Command`](crate::TakeMode::Command) needs.
    pub const SET_GET: Self = Self::new(6, 2, 0);
    /// The first version whose scripts replicate their effects by default, so
    /// that a script may call `TIME` and then write (guarded and receipted
    /// secrets need it).
    pub const SCRIPT_EFFECTS: Self = Self::new(5, 0, 0);
    /// The first version with RESP3 (`HELLO 3`).
    pub(crate) const RESP3: Self = Self::new(6, 0, 0);

    /// A version from its parts.
    pub const fn new(major: u32, minor: u32, patch: u32) -> Self {
        Self {
            major,
            minor,
            patch,
        }
    }

    /// Parses `7.0.15` (missing parts count as 0).
    pub(crate) fn parse(s: &str) -> Option<Self> {
        let mut parts = s.trim().split('.').map(|p| p.parse::<u32>().ok());
        let major = parts.next().flatten()?;
        let minor = parts.next().flatten().unwrap_or(0);
        let patch = parts.next().flatten().unwrap_or(0);
        Some(Self::new(major, minor, patch))
    }
}

impl fmt::Display for RedisVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

/// The text of a string reply (RESP2 bulk string or RESP3 verbatim string).
pub(crate) fn text(value: &Value) -> Option<String> {
    match value {
        Value::BulkString(bytes) => Some(String::from_utf8_lossy(bytes).into_owned()),
        Value::VerbatimString { text, .. } => Some(text.clone()),
        Value::SimpleString(s) => Some(s.clone()),
        _ => None,
    }
}

/// `field:value` from an `INFO` reply.
pub(crate) fn info_field<'a>(info: &'a str, field: &str) -> Option<&'a str> {
    info.lines().find_map(|line| {
        let (name, value) = line.split_once(':')?;
        (name == field).then(|| value.trim())
    })
}

/// The server version from an `INFO` reply.
pub(crate) fn info_version(info: &str) -> Option<RedisVersion> {
    info_field(info, "redis_version").and_then(RedisVersion::parse)
}

/// The value of one parameter from a `CONFIG GET name` reply (RESP2 array
/// `[name, value]` or RESP3 map `{name: value}`).
pub(crate) fn config_value(reply: &Value, name: &str) -> Option<String> {
    let pairs: Vec<(&Value, &Value)> = match reply {
        Value::Array(items) => items
            .chunks(2)
            .filter_map(|pair| match pair {
                [k, v] => Some((k, v)),
                _ => None,
            })
            .collect(),
        Value::Map(entries) => entries.iter().map(|(k, v)| (k, v)).collect(),
        _ => return None,
    };
    pairs
        .into_iter()
        .find(|(k, _)| text(k).is_some_and(|k| k.eq_ignore_ascii_case(name)))
        .and_then(|(_, v)| text(v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse_and_order() {
        assert_eq!(
            RedisVersion::parse("7.0.15"),
            Some(RedisVersion::new(7, 0, 15))
        );
        assert_eq!(RedisVersion::parse("6.2"), Some(RedisVersion::new(6, 2, 0)));
        assert_eq!(RedisVersion::parse("x"), None);
        assert!(RedisVersion::new(6, 0, 20) < RedisVersion::SET_GET);
        assert!(RedisVersion::new(6, 2, 0) >= RedisVersion::SET_GET);
        assert!(RedisVersion::new(4, 0, 14) < RedisVersion::SCRIPT_EFFECTS);
        let info = "# Server\r\nredis_version:7.2.4\r\nredis_mode:standalone\r\n";
        assert_eq!(info_version(info), Some(RedisVersion::new(7, 2, 4)));
        assert_eq!(info_field(info, "redis_mode"), Some("standalone"));
    }

    #[test]
    fn config_replies_in_both_protocols() {
        let resp2 = Value::Array(vec![
            Value::BulkString(b"save".to_vec()),
            Value::BulkString(b"3600 1".to_vec()),
        ]);
        let resp3 = Value::Map(vec![(
            Value::BulkString(b"save".to_vec()),
            Value::BulkString(b"".to_vec()),
        )]);
        assert_eq!(config_value(&resp2, "save").as_deref(), Some("3600 1"));
        assert_eq!(config_value(&resp3, "save").as_deref(), Some(""));
        assert_eq!(config_value(&Value::Nil, "save"), None);
    }
}
