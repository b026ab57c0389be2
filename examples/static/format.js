// oneshot format v1 (FORMAT-v1.md) with WebCrypto. Byte-compatible with the
// Rust crate oneshot-core: the browser tests check every vector of
// oneshot-core/tests/data/vectors-v1.json against this module.
//
// An ES module with no dependencies, loaded by the page and by the tests.

const enc = new TextEncoder();

export const VERSION = 0x01;
export const KEY_LEN = 32;
export const KEY_B64U_LEN = 43;
export const NONCE_LEN = 12;
export const TAG_LEN = 16;
export const FRAME_BLOCK = 256;
export const OVERHEAD = 1 + NONCE_LEN + TAG_LEN;
export const MIN_ENVELOPE_LEN = OVERHEAD + FRAME_BLOCK;
const SALT = enc.encode("oneshot/v1");
const INFO_ENC = enc.encode("oneshot/v1 enc");
const INFO_CLAIM = enc.encode("oneshot/v1 claim");
const ID_DOMAIN = enc.encode("oneshot/v1 id");
const AAD_PREFIX = enc.encode("oneshot/v1");

/** A failure with a machine-readable `kind`:
 *  "malformed_key", "malformed", "unsupported_version", "decryption_failed",
 *  "body_too_large", "no_webcrypto". Messages never contain key material. */
export class FormatError extends Error {
  constructor(kind, message) {
    super(message);
    this.name = "FormatError";
    this.kind = kind;
  }
}

function subtle() {
  const s = globalThis.crypto && globalThis.crypto.subtle;
  if (!s) {
    throw new FormatError(
      "no_webcrypto",
      "This browser cannot encrypt here: WebCrypto needs HTTPS (or localhost).",
    );
  }
  return s;
}

// ---------------------------------------------------------------- encodings

const B64U = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const B64U_CODES = enc.encode(B64U);
const B64U_VALUES = new Int8Array(128).fill(-1);
for (let i = 0; i < B64U.length; i++) B64U_VALUES[B64U.charCodeAt(i)] = i;
const ASCII = new TextDecoder("utf-8");

/** base64url without padding. Linear in the input (files of megabytes). */
export function b64uEncode(bytes) {
  const n = bytes.length;
  const out = new Uint8Array(Math.ceil((n * 4) / 3));
  let o = 0;
  let i = 0;
  for (; i + 3 <= n; i += 3) {
    const v = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    out[o++] = B64U_CODES[v >> 18];
    out[o++] = B64U_CODES[(v >> 12) & 63];
    out[o++] = B64U_CODES[(v >> 6) & 63];
    out[o++] = B64U_CODES[v & 63];
  }
  const rest = n - i;
  if (rest === 1) {
    const v = bytes[i] << 16;
    out[o++] = B64U_CODES[v >> 18];
    out[o++] = B64U_CODES[(v >> 12) & 63];
  } else if (rest === 2) {
    const v = (bytes[i] << 16) | (bytes[i + 1] << 8);
    out[o++] = B64U_CODES[v >> 18];
    out[o++] = B64U_CODES[(v >> 12) & 63];
    out[o++] = B64U_CODES[(v >> 6) & 63];
  }
  return ASCII.decode(out);
}

function b64uValue(text, i) {
  const c = text.charCodeAt(i);
  return c < 128 ? B64U_VALUES[c] : -1;
}

/** Strict base64url without padding: canonical trailing bits, no other
 *  characters (no `=`, `+`, `/` or whitespace). Returns null on any deviation. */
export function b64uDecode(text) {
  if (typeof text !== "string" || text.length % 4 === 1) return null;
  const len = text.length;
  const out = new Uint8Array(Math.floor((len * 3) / 4));
  let o = 0;
  let i = 0;
  for (; i + 4 <= len; i += 4) {
    const a = b64uValue(text, i);
    const b = b64uValue(text, i + 1);
    const c = b64uValue(text, i + 2);
    const d = b64uValue(text, i + 3);
    if ((a | b | c | d) < 0) return null;
    const v = (a << 18) | (b << 12) | (c << 6) | d;
    out[o++] = v >> 16;
    out[o++] = (v >> 8) & 0xff;
    out[o++] = v & 0xff;
  }
  const rest = len - i;
  if (rest >= 2) {
    const a = b64uValue(text, i);
    const b = b64uValue(text, i + 1);
    const c = rest === 3 ? b64uValue(text, i + 2) : 0;
    if ((a | b | c) < 0) return null;
    // Leftover bits must be zero (canonical encoding).
    if (rest === 2 && (b & 0x0f) !== 0) return null;
    if (rest === 3 && (c & 0x03) !== 0) return null;
    const v = (a << 18) | (b << 12) | (c << 6);
    out[o++] = v >> 16;
    if (rest === 3) out[o++] = (v >> 8) & 0xff;
  }
  return o === out.length ? out : null;
}

export function toHex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export function fromHex(text) {
  if (typeof text !== "string" || text.length % 2 !== 0 || /[^0-9a-f]/.test(text)) return null;
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.substr(i * 2, 2), 16);
  return out;
}

export function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

// ---------------------------------------------------------------- keys

/** A fresh 32-byte link key from the browser's CSPRNG. */
export function generateKey() {
  subtle();
  return crypto.getRandomValues(new Uint8Array(KEY_LEN));
}

/** Parses a full link or a bare key (FORMAT-v1 §1): surrounding whitespace
 *  is ignored; everything after the first '#' must be exactly 43 canonical
 *  base64url characters. Throws FormatError("malformed_key"). */
export function parseKey(input) {
  const trimmed = String(input).trim();
  const hash = trimmed.indexOf("#");
  const encoded = hash >= 0 ? trimmed.slice(hash + 1) : trimmed;
  const bytes = encoded.length === KEY_B64U_LEN ? b64uDecode(encoded) : null;
  if (!bytes || bytes.length !== KEY_LEN) {
    throw new FormatError(
      "malformed_key",
      "The key in this link is damaged or incomplete.",
    );
  }
  return bytes;
}

/** The values derived from a key (FORMAT-v1 §2): the AES key (as raw bytes
 *  and as a non-extractable CryptoKey), the claim and the id. */
export async function derive(keyBytes) {
  const s = subtle();
  const ikm = await s.importKey("raw", keyBytes, "HKDF", false, ["deriveBits"]);
  const hkdf = (info) =>
    s.deriveBits({ name: "HKDF", hash: "SHA-256", salt: SALT, info }, ikm, 256);
  const encKeyBytes = new Uint8Array(await hkdf(INFO_ENC));
  const claim = new Uint8Array(await hkdf(INFO_CLAIM));
  const digest = new Uint8Array(await s.digest("SHA-256", concat(ID_DOMAIN, claim)));
  const id = digest.slice(0, 16);
  const encKey = await s.importKey("raw", encKeyBytes, "AES-GCM", false, ["encrypt", "decrypt"]);
  return { encKey, encKeyBytes, claim, id };
}

function aad(id) {
  return concat(AAD_PREFIX, new Uint8Array([VERSION]), id);
}

// ---------------------------------------------------------------- envelopes

/** The padded frame length for a body (FORMAT-v1 §4). */
export function frameLen(bodyLen) {
  return Math.ceil((4 + bodyLen) / FRAME_BLOCK) * FRAME_BLOCK;
}

/** Seals `body` (Uint8Array) for the holder of `keyBytes` with a random nonce.
 *  Returns { envelope, id, claim }. */
export async function seal(keyBytes, body) {
  subtle();
  const nonce = crypto.getRandomValues(new Uint8Array(NONCE_LEN));
  return sealWithNonce(keyBytes, body, nonce);
}

/** TEST HOOK: seal with a caller-chosen nonce, for the known-answer vectors.
 *  Never use a fixed nonce for real secrets. */
export async function sealWithNonce(keyBytes, body, nonce) {
  if (body.length > 0xffffffff) {
    throw new FormatError("body_too_large", "The secret is too large.");
  }
  const d = await derive(keyBytes);
  const frame = new Uint8Array(frameLen(body.length));
  new DataView(frame.buffer).setUint32(0, body.length, false);
  frame.set(body, 4);
  const ct = new Uint8Array(
    await subtle().encrypt(
      { name: "AES-GCM", iv: nonce, additionalData: aad(d.id), tagLength: 128 },
      d.encKey,
      frame,
    ),
  );
  frame.fill(0);
  return { envelope: concat(new Uint8Array([VERSION]), nonce, ct), id: d.id, claim: d.claim };
}

/** Opens an envelope (FORMAT-v1 §5, checks in that order). Returns the body.
 *  Throws FormatError with kind "malformed", "unsupported_version" or
 *  "decryption_failed". */
export async function open(keyBytes, envelope) {
  if (envelope.length < MIN_ENVELOPE_LEN) {
    throw new FormatError("malformed", "The secret is damaged (too short).");
  }
  if (envelope[0] !== VERSION) {
    throw new FormatError(
      "unsupported_version",
      `The secret uses format version ${envelope[0]}, which this page does not understand.`,
    );
  }
  if ((envelope.length - OVERHEAD) % FRAME_BLOCK !== 0) {
    throw new FormatError("malformed", "The secret is damaged (bad length).");
  }
  const d = await derive(keyBytes);
  let frame;
  try {
    frame = new Uint8Array(
      await subtle().decrypt(
        {
          name: "AES-GCM",
          iv: envelope.subarray(1, 1 + NONCE_LEN),
          additionalData: aad(d.id),
          tagLength: 128,
        },
        d.encKey,
        envelope.subarray(1 + NONCE_LEN),
      ),
    );
  } catch (_) {
    throw new FormatError("decryption_failed", "The secret could not be decrypted.");
  }
  const declared = new DataView(frame.buffer, frame.byteOffset, 4).getUint32(0, false);
  const malformed = () => new FormatError("malformed", "The secret is damaged (bad frame).");
  if (declared > frame.length - 4) throw malformed();
  if (frameLen(declared) !== frame.length) throw malformed();
  for (let i = 4 + declared; i < frame.length; i++) {
    if (frame[i] !== 0) throw malformed();
  }
  const body = frame.slice(4, 4 + declared);
  frame.fill(0);
  return body;
}
