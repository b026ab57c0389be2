//! What the commands' and scripts' replies mean, as store outcomes.

use std::time::{Duration, SystemTime};

use oneshot_core::StoreError;
use oneshot_core::store::{BurnOutcome, BurnReason, Receipt, ReceiptState, TakeOutcome};
use redis::Value;

use super::lua::code;

/// The reply did not fit the command (a bug, a foreign key under the
/// prefix, or a proxy in between). Never carries the reply itself.
#[derive(Debug, thiserror::Error)]
#[error("unexpected reply to {command}: {kind}")]
pub(crate) struct UnexpectedReply {
    command: &'static str,
    kind: &'static str,
}

pub(crate) fn unexpected(command: &'static str, value: &Value) -> StoreError {
    let kind = match value {
        Value::Nil => "nil",
        Value::Int(_) => "integer",
        Value::Array(_) => "array",
        Value::Map(_) => "map",
        Value::SimpleString(_) | Value::Okay => "status",
        Value::BulkString(_) | Value::VerbatimString { .. } => "string",
        _ => "other",
    };
    StoreError::backend(UnexpectedReply { command, kind })
}

fn malformed(command: &'static str) -> StoreError {
    StoreError::backend(UnexpectedReply {
        command,
        kind: "array of an unexpected shape",
    })
}

/// An integer, sent as one or as its decimal digits.
fn int(value: &Value) -> Option<i64> {
    match value {
        Value::Int(n) => Some(*n),
        Value::BulkString(digits) => std::str::from_utf8(digits).ok()?.parse().ok(),
        _ => None,
    }
}

/// A Unix time in milliseconds.
fn time(value: &Value) -> Option<SystemTime> {
    let ms = u64::try_from(int(value)?).ok()?;
    SystemTime::UNIX_EPOCH.checked_add(Duration::from_millis(ms))
}

/// What `SET K "" XX GET PX …` answered: nothing (no key), the spent marker,
/// or the envelope (now replaced by the marker).
pub(crate) fn take_command(value: Value) -> Result<TakeOutcome, StoreError> {
    match value {
        Value::Nil => Ok(TakeOutcome::NotFound),
        Value::BulkString(bytes) if bytes.is_empty() => Ok(TakeOutcome::NotFound),
        Value::BulkString(bytes) => Ok(TakeOutcome::Taken(bytes)),
        other => Err(unexpected("SET XX GET", &other)),
    }
}

/// What a take script answered.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum TakeReply {
    Done(TakeOutcome),
    /// The plain script found a hash: the guarded script must take it.
    Guarded,
}

pub(crate) fn take_script(value: Value) -> Result<TakeReply, StoreError> {
    const WHAT: &str = "take script";
    let Value::Array(mut parts) = value else {
        return Err(unexpected(WHAT, &value));
    };
    let code = parts.first().and_then(int).ok_or_else(|| malformed(WHAT))?;
    let outcome = match (code, parts.len()) {
        (code::NOT_FOUND, 1) => TakeOutcome::NotFound,
        (code::TAKEN, 2) => match parts.pop() {
            Some(Value::BulkString(envelope)) if !envelope.is_empty() => {
                TakeOutcome::Taken(envelope)
            }
            _ => return Err(malformed(WHAT)),
        },
        (code::PASSPHRASE_REQUIRED, 1) => TakeOutcome::PassphraseRequired,
        (code::WRONG_PASSPHRASE, 2) => {
            let left = parts.get(1).and_then(int).ok_or_else(|| malformed(WHAT))?;
            TakeOutcome::WrongPassphrase {
                attempts_left: u32::try_from(left).map_err(|_| malformed(WHAT))?,
            }
        }
        (code::GUARDED, 1) => return Ok(TakeReply::Guarded),
        _ => return Err(malformed(WHAT)),
    };
    Ok(TakeReply::Done(outcome))
}

/// `[s, x, f, t, now]` as a receipt.
fn story(fields: &[Value]) -> Option<Receipt> {
    let [state, expires_at, failed, at, now] = fields else {
        return None;
    };
    let Value::BulkString(state) = state else {
        return None;
    };
    let expires_at_ms = int(expires_at)?;
    let at = time(at)?;
    let state = match state.as_slice() {
        b"p" if expires_at_ms > int(now)? => ReceiptState::Pending,
        b"p" => ReceiptState::Expired,
        b"r" => ReceiptState::Read { at },
        b"b" => ReceiptState::Burned {
            at,
            reason: BurnReason::Sender,
        },
        b"a" => ReceiptState::Burned {
            at,
            reason: BurnReason::PassphraseAttempts,
        },
        _ => return None,
    };
    let failed = u32::try_from(int(failed)?).ok()?;
    Some(Receipt::new(state, time(expires_at)?, failed))
}

pub(crate) fn receipt(value: Value) -> Result<Option<Receipt>, StoreError> {
    const WHAT: &str = "receipt script";
    match value {
        Value::Nil => Ok(None),
        Value::Array(fields) => story(&fields).map(Some).ok_or_else(|| malformed(WHAT)),
        other => Err(unexpected(WHAT, &other)),
    }
}

pub(crate) fn burn(value: Value) -> Result<Option<BurnOutcome>, StoreError> {
    const WHAT: &str = "burn script";
    match value {
        Value::Nil => Ok(None),
        Value::Array(fields) => {
            let (burned, fields) = fields.split_first().ok_or_else(|| malformed(WHAT))?;
            let receipt = story(fields).ok_or_else(|| malformed(WHAT))?;
            match int(burned) {
                Some(1) => Ok(Some(BurnOutcome::Burned(receipt))),
                Some(0) => Ok(Some(BurnOutcome::Refused(receipt))),
                _ => Err(malformed(WHAT)),
            }
        }
        other => Err(unexpected(WHAT, &other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(text: &str) -> Value {
        Value::BulkString(text.as_bytes().to_vec())
    }

    #[test]
    fn take_replies() {
        assert_eq!(take_command(Value::Nil).ok(), Some(TakeOutcome::NotFound));
        assert_eq!(take_command(s("")).ok(), Some(TakeOutcome::NotFound));
        assert_eq!(
            take_command(s("env")).ok(),
            Some(TakeOutcome::Taken(b"env".to_vec()))
        );
        let script = |parts: Vec<Value>| take_script(Value::Array(parts)).ok();
        assert_eq!(
            script(vec![Value::Int(0)]),
            Some(TakeReply::Done(TakeOutcome::NotFound))
        );
        assert_eq!(
            script(vec![Value::Int(1), s("env")]),
            Some(TakeReply::Done(TakeOutcome::Taken(b"env".to_vec())))
        );
        assert_eq!(
            script(vec![Value::Int(2)]),
            Some(TakeReply::Done(TakeOutcome::PassphraseRequired))
        );
        assert_eq!(
            script(vec![Value::Int(3), Value::Int(0)]),
            Some(TakeReply::Done(TakeOutcome::WrongPassphrase {
                attempts_left: 0
            }))
        );
        assert_eq!(script(vec![Value::Int(4)]), Some(TakeReply::Guarded));
        for bad in [
            vec![],
            vec![Value::Int(1)],
            vec![Value::Int(1), s("")],
            vec![Value::Int(3), Value::Int(-1)],
            vec![Value::Int(9)],
        ] {
            assert_eq!(script(bad), None);
        }
        assert!(take_script(Value::Nil).is_err());
    }

    #[test]
    fn receipt_states() {
        let at = |ms: u64| SystemTime::UNIX_EPOCH + Duration::from_millis(ms);
        let read = |state: &str, now: &str| {
            receipt(Value::Array(vec![
                s(state),
                s("2000"),
                s("1"),
                s("1500"),
                s(now),
            ]))
            .ok()
            .flatten()
        };
        let with = |state| Some(Receipt::new(state, at(2000), 1));
        assert_eq!(read("p", "1999"), with(ReceiptState::Pending));
        assert_eq!(read("p", "2000"), with(ReceiptState::Expired));
        assert_eq!(read("r", "9999"), with(ReceiptState::Read { at: at(1500) }));
        assert_eq!(
            read("b", "1"),
            with(ReceiptState::Burned {
                at: at(1500),
                reason: BurnReason::Sender
            })
        );
        assert_eq!(
            read("a", "1"),
            with(ReceiptState::Burned {
                at: at(1500),
                reason: BurnReason::PassphraseAttempts
            })
        );
        assert_eq!(read("z", "1"), None);
        assert!(matches!(receipt(Value::Nil), Ok(None)));
        assert!(receipt(Value::Array(vec![s("p")])).is_err());
        let burned = burn(Value::Array(vec![
            s("1"),
            s("b"),
            s("2000"),
            s("0"),
            s("1000"),
            s("1000"),
        ]));
        assert!(matches!(burned, Ok(Some(BurnOutcome::Burned(r))) if r.failed_attempts == 0));
    }
}
