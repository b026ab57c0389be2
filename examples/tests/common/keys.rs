//! Fixed link keys, so that no test passes or fails by the draw of a key.

use oneshot_core::SecretKey;

/// Keys whose text starts with what command lines and parsers treat
/// specially, and an ordinary one. A random key starts with `-` one time in
/// 64 (and `oneshot open` once read such a key as flags).
pub(crate) const KEYS: [&str; 5] = [
    // A short-flag cluster, as in the bug report.
    "-sQ3kR7pX2mkR7pX2mkR7pX2mkR7pX2mkR7pX2mkR7A",
    // `-h` is a real flag of `oneshot open`.
    "-hJv8qJv8qJv8qJv8qJv8qJv8qJv8qJv8qJv8qJv8qA",
    // Looks like a long option.
    "--Zt4wZt4wZt4wZt4wZt4wZt4wZt4wZt4wZt4wZt4wA",
    "_dN0ydN0ydN0ydN0ydN0ydN0ydN0ydN0ydN0ydN0ydA",
    "Vb6uVb6uVb6uVb6uVb6uVb6uVb6uVb6uVb6uVb6uVbA",
];

/// The key written as `text` (one of [`KEYS`]).
pub(crate) fn key(text: &str) -> SecretKey {
    let key = SecretKey::from_b64u(text).expect("a valid fixed key");
    assert_eq!(key.to_b64u().as_str(), text, "the fixed key is canonical");
    key
}
