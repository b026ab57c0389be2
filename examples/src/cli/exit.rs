//! Exit codes of the `oneshot` command, documented in its `--help`.

/// Success. For `status`, whatever the state (which it prints).
pub const OK: u8 = 0;
/// Local I/O failure: reading the secret, a file or the token file, writing
/// a file out; an output or receipt file that exists already.
pub const IO: u8 = 1;
/// Bad usage or bad input: unknown flag, malformed link or lifetime,
/// empty or too large secret, a lifetime the server does not allow, an
/// empty token file, a passphrase that is missing or unusable, a file name
/// the format cannot carry.
pub const USAGE: u8 = 2;
/// Not found: the secret was already viewed, has expired or never existed;
/// for `status` and `burn`, no such receipt (or it is kept no longer).
pub const NOT_FOUND: u8 = 3;
/// Server or network failure: no answer, an error status, a store outage.
pub const SERVER: u8 = 4;
/// The secret was taken but could not be decrypted (altered or corrupt);
/// it is gone from the server.
pub const UNDECRYPTABLE: u8 = 5;
/// Not authorised: the server lets only holders of its create token
/// share, and no token or another one was given. Nothing was stored.
pub const UNAUTHORIZED: u8 = 6;
/// Wrong passphrase. The secret is still there, unless that was the last
/// attempt allowed: then it is destroyed, and the message says so.
pub const WRONG_PASSPHRASE: u8 = 7;
/// `burn` refused: the secret was already read, burned or expired. Nothing
/// changed.
pub const REFUSED: u8 = 8;
