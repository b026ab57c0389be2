//! Exit codes of the `oneshot` command, documented in its `--help`.

/// Success.
pub const OK: u8 = 0;
/// Local I/O failure: reading the secret or the token file, or writing it out.
pub const IO: u8 = 1;
/// Bad usage or bad input: unknown flag, malformed link or lifetime,
/// empty or too large secret, a lifetime the server does not allow, an
/// empty token file.
pub const USAGE: u8 = 2;
/// Not found: the secret was already viewed, has expired or never existed.
pub const NOT_FOUND: u8 = 3;
/// Server or network failure: no answer, an error status, a store outage.
pub const SERVER: u8 = 4;
/// The secret was taken but could not be decrypted (altered or corrupt);
/// it is gone from the server.
pub const UNDECRYPTABLE: u8 = 5;
/// Not authorised: the server lets only holders of its create token
/// share, and no token or another one was given. Nothing was stored.
pub const UNAUTHORIZED: u8 = 6;
