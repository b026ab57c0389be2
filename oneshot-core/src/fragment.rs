//! What a user pasted, down to the part after `#`: shared by the link
//! parsers and the keys' `FromStr`, below both.

/// Surrounding whitespace trimmed, then everything after the first `#` if
/// there is one.
pub(crate) fn fragment_of(input: &str) -> &str {
    let trimmed = input.trim();
    match trimmed.split_once('#') {
        Some((_, fragment)) => fragment,
        None => trimmed,
    }
}
