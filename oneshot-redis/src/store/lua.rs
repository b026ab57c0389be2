//! The Lua scripts, one per step that a single native command cannot do, and
//! how they are sent: `EVALSHA`, then `EVAL` once if the server answers
//! `NOSCRIPT` (which proves that nothing ran).
//!
//! Conventions shared by every script:
//!
//! - A secret is `K` (`KEYS[1]`): a string for a plain secret (its envelope,
//!   or `""` once spent), a hash of metadata for a guarded or receipted one,
//!   whose envelope is the string `E` (`KEYS[2]`). Scripts that may touch `E`
//!   declare it, so a Cluster checks both keys' slot before running anything.
//! - Hash fields: `x` expiry (Unix ms, server clock), `s` state (`p` pending,
//!   `r` read, `b` burned by the sender, `a` destroyed by attempts), `t` time
//!   of that transition (Unix ms), `v` passphrase verifier, `n` attempts
//!   left, `r` receipt verifier, `f` failed attempts.
//! - Time is `TIME`, the server's clock; a script calls it before writing,
//!   which Redis allows since 5.0 (scripts replicate their effects).
//! - Numbers are written as integer strings (`%.0f`); Lua's own conversion
//!   would print large ones in exponent form.
//! - Verifiers are compared as strings. Both sides are SHA-256 outputs of
//!   256-bit secrets, so what a timing difference could reveal (a prefix of
//!   the stored hash) is no help in finding a matching proof.
//! - **No script writes before it has decided.** And the first write is
//!   either one that memory limits never refuse (`DEL`) or, where it is a
//!   `SET`/`HSET`, made with `redis.pcall` and its error returned as the
//!   script's reply: Redis refuses only a script's *first* memory-growing
//!   write on a full server (later ones must run, so a script is never left
//!   half done), so an `OOM` reply means the script changed nothing. A take
//!   or a burn therefore works on a full server (it frees memory); a create,
//!   or a wrong proof that would only be counted, is refused with `OOM`.

use redis::Cmd;

/// Shared helpers, prepended to the scripts that need them.
macro_rules! prelude {
    () => {
        "local function now_ms()\n\
           local t = redis.call('TIME')\n\
           return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n\
         end\n\
         local function ms(n) return string.format('%.0f', n) end\n\
         local function keep_spent(k, spent)\n\
           if redis.call('PTTL', k) < spent then redis.call('PEXPIRE', k, ms(spent)) end\n\
         end\n\
         local function odd_type(kind)\n\
           return redis.error_reply('ERR oneshot: the secret key holds a ' .. kind)\n\
         end\n"
    };
}

/// The plain-secret take on a string `K`, shared by both take scripts:
/// `""` is a spent marker; anything else is the envelope, replaced by the
/// marker. `DEL` first: the first write is then never refused for memory.
macro_rules! take_string {
    () => {
        "  local v = redis.call('GET', k)\n\
           if v == '' then return {0} end\n\
           redis.call('DEL', k)\n\
           redis.call('SET', k, '', 'PX', ARGV[2])\n\
           return {1, v}\n"
    };
}

/// Reply codes of the take scripts (first element of the reply array).
pub(crate) mod code {
    /// Nothing to take.
    pub(crate) const NOT_FOUND: i64 = 0;
    /// Taken: the envelope follows.
    pub(crate) const TAKEN: i64 = 1;
    /// A passphrase is needed and the take had none; nothing changed.
    pub(crate) const PASSPHRASE_REQUIRED: i64 = 2;
    /// A wrong proof was counted: the attempts left follow.
    pub(crate) const WRONG_PASSPHRASE: i64 = 3;
    /// (Plain take only.) `K` is a hash: the secret is guarded or
    /// receipted, nothing changed, and [`super::TAKE`] must take it.
    pub(crate) const GUARDED: i64 = 4;
}

/// Plain take, one key. `KEYS[1]` = K; `ARGV[1]` unused (empty), `ARGV[2]`
/// = how long a spent id stays spent (ms). For [`TakeMode::Script`]
/// (servers without `SET … GET`) and for a full server, which refuses the
/// native command: the same as `SET K "" XX GET PX spent`, but says
/// [`code::GUARDED`] for a hash instead of failing with `WRONGTYPE`.
///
/// [`TakeMode::Script`]: crate::TakeMode::Script
pub(crate) const TAKE_PLAIN: &str = concat!(
    prelude!(),
    "local k = KEYS[1]\n\
     local kind = redis.call('TYPE', k).ok\n\
     if kind == 'none' then return {0} end\n\
     if kind == 'hash' then return {4} end\n\
     if kind ~= 'string' then return odd_type(kind) end\n",
    take_string!(),
);

/// Any take. `KEYS` = K, E; `ARGV[1]` = the presented proof's verifier (32
/// bytes) or empty, `ARGV[2]` = spent period (ms). Replies `{code, …}`.
pub(crate) const TAKE: &str = concat!(
    prelude!(),
    "local k, e = KEYS[1], KEYS[2]\n\
     local presented, spent = ARGV[1], tonumber(ARGV[2])\n\
     local kind = redis.call('TYPE', k).ok\n\
     if kind == 'none' then return {0} end\n\
     if kind == 'string' then\n",
    take_string!(),
    "end\n\
     if kind ~= 'hash' then return odd_type(kind) end\n\
     local h = redis.call('HMGET', k, 's', 'x', 'v', 'n', 'f')\n\
     local now = now_ms()\n\
     local x = tonumber(h[2])\n\
     if h[1] ~= 'p' or not x or x <= now then return {0} end\n\
     if h[3] then\n\
       if presented == '' then return {2} end\n\
       if presented ~= h[3] then\n\
         local left = tonumber(h[4]) - 1\n\
         local failed = ms(tonumber(h[5] or '0') + 1)\n\
         if left > 0 then\n\
           local r = redis.pcall('HSET', k, 'n', ms(left), 'f', failed)\n\
           if type(r) == 'table' and r.err then return r end\n\
           return {3, left}\n\
         end\n\
         redis.call('DEL', e)\n\
         redis.call('HDEL', k, 'v', 'n')\n\
         redis.call('HSET', k, 's', 'a', 't', ms(now), 'f', failed)\n\
         keep_spent(k, spent)\n\
         return {3, 0}\n\
       end\n\
     end\n\
     local env = redis.call('GET', e)\n\
     if not env then return {0} end\n\
     redis.call('DEL', e)\n\
     redis.call('HDEL', k, 'v', 'n')\n\
     redis.call('HSET', k, 's', 'r', 't', ms(now))\n\
     keep_spent(k, spent)\n\
     return {1, env}\n",
);

/// Create a guarded or receipted secret. `KEYS` = K, E; `ARGV` = envelope,
/// TTL (ms), receipt retention (ms, `0` without a receipt), passphrase
/// verifier or empty, attempts allowed, receipt verifier or empty. Replies 1
/// if created, 0 if `K` exists (live, spent or a kept receipt).
///
/// `E` expires at `x` exactly (`PEXPIREAT`), `K` at `x` + retention. Redis
/// treats a key as expired only once its clock is *past* the expiry, and a
/// script's key clock is its start time, never after `TIME`: so whenever a
/// script sees `x > now` (pending), `E` is still there.
pub(crate) const CREATE: &str = concat!(
    prelude!(),
    "local k, e = KEYS[1], KEYS[2]\n\
     if redis.call('EXISTS', k) == 1 then return 0 end\n\
     local x = now_ms() + tonumber(ARGV[2])\n\
     local r = redis.pcall('SET', e, ARGV[1])\n\
     if type(r) == 'table' and r.err then return r end\n\
     redis.call('PEXPIREAT', e, ms(x))\n\
     redis.call('HSET', k, 'x', ms(x), 's', 'p', 'f', '0')\n\
     if ARGV[4] ~= '' then redis.call('HSET', k, 'v', ARGV[4], 'n', ARGV[5]) end\n\
     if ARGV[6] ~= '' then redis.call('HSET', k, 'r', ARGV[6]) end\n\
     redis.call('PEXPIREAT', k, ms(x + tonumber(ARGV[3])))\n\
     return 1\n",
);

/// Read a receipt. `KEYS[1]` = K; `ARGV[1]` = the presented claim's
/// verifier. Replies nil unless `K` is a hash whose receipt verifier matches;
/// else `{s, x, f, t, now}` (the caller reads `p` with `x <= now` as expired).
pub(crate) const RECEIPT: &str = concat!(
    prelude!(),
    "local k = KEYS[1]\n\
     if redis.call('TYPE', k).ok ~= 'hash' then return false end\n\
     local h = redis.call('HMGET', k, 'r', 's', 'x', 'f', 't')\n\
     if h[1] ~= ARGV[1] then return false end\n\
     return {h[2], h[3], h[4] or '0', h[5] or '0', ms(now_ms())}\n",
);

/// Burn an unread secret. `KEYS` = K, E; `ARGV[1]` = the claim's verifier,
/// `ARGV[2]` = spent period (ms). Replies nil as [`RECEIPT`] does, else
/// `{burned, s, x, f, t, now}` with `burned` `1` if it burned now, `0` if it
/// refused (read, burned, destroyed or expired; nothing changed).
pub(crate) const BURN: &str = concat!(
    prelude!(),
    "local k, e = KEYS[1], KEYS[2]\n\
     if redis.call('TYPE', k).ok ~= 'hash' then return false end\n\
     local h = redis.call('HMGET', k, 'r', 's', 'x', 'f', 't')\n\
     if h[1] ~= ARGV[1] then return false end\n\
     local now = now_ms()\n\
     local x = tonumber(h[3])\n\
     if h[2] ~= 'p' or not x or x <= now then\n\
       return {'0', h[2], h[3], h[4] or '0', h[5] or '0', ms(now)}\n\
     end\n\
     redis.call('DEL', e)\n\
     redis.call('HDEL', k, 'v', 'n')\n\
     redis.call('HSET', k, 's', 'b', 't', ms(now))\n\
     keep_spent(k, tonumber(ARGV[2]))\n\
     return {'1', 'b', h[3], h[4] or '0', ms(now), ms(now)}\n",
);

/// A script and its SHA-1, computed once per store.
#[derive(Clone, Debug)]
pub(crate) struct Script {
    source: &'static str,
    sha: String,
}

impl Script {
    pub(crate) fn new(source: &'static str) -> Self {
        Self {
            source,
            sha: redis::Script::new(source).get_hash().to_owned(),
        }
    }

    /// `EVALSHA sha <keys> <args>` (or, with `by_source`, `EVAL source …`),
    /// sized up front: the envelope of a create is copied once.
    pub(crate) fn command(&self, by_source: bool, keys: &[&[u8]], args: &[&[u8]]) -> Cmd {
        let bytes: usize = keys.iter().chain(args).map(|a| a.len()).sum();
        let (name, body) = if by_source {
            ("EVAL", self.source)
        } else {
            ("EVALSHA", self.sha.as_str())
        };
        let mut cmd = Cmd::with_capacity(3 + keys.len() + args.len(), bytes + body.len() + 16);
        cmd.arg(name).arg(body).arg(keys.len());
        for part in keys.iter().chain(args) {
            cmd.arg(*part);
        }
        cmd
    }
}

/// Every script, hashed once when the store connects.
#[derive(Clone, Debug)]
pub(crate) struct Scripts {
    pub(crate) take_plain: Script,
    pub(crate) take: Script,
    pub(crate) create: Script,
    pub(crate) receipt: Script,
    pub(crate) burn: Script,
}

impl Scripts {
    pub(crate) fn new() -> Self {
        Self {
            take_plain: Script::new(TAKE_PLAIN),
            take: Script::new(TAKE),
            create: Script::new(CREATE),
            receipt: Script::new(RECEIPT),
            burn: Script::new(BURN),
        }
    }
}
