// oneshot format v2 (FORMAT-v2.md) with WebCrypto: links with flags,
// passphrases (PBKDF2-HMAC-SHA256, 600,000 rounds), text and file content,
// Padmé frames, envelopes and receipts. Byte-compatible with oneshot-core's
// v2 module: the browser tests check every vector of vectors-v2.json against
// this module, and its parsing and validation against Rust's on generated
// inputs.
//
// An ES module with no dependencies but format.js (v1, and the encodings),
// loaded by the pages and by the tests.

import {
  FormatError,
  KEY_B64U_LEN as V1_KEY_B64U_LEN,
  b64uDecode,
  b64uEncode,
  concat,
  fromHex,
  toHex,
} from "./format.js";

export { FormatError, b64uDecode, b64uEncode, fromHex, toHex };

const enc = new TextEncoder();

export const VERSION = 0x02;
export const FLAG_PASSPHRASE = 0x01;
export const KNOWN_FLAGS = FLAG_PASSPHRASE;
export const KEY_LEN = 32;
export const FRAGMENT_LEN = 34;
export const FRAGMENT_B64U_LEN = 46;
export const ID_LEN = 16;
export const RECEIPT_KEY_LEN = 32;
export const RECEIPT_FRAGMENT_LEN = 1 + ID_LEN + RECEIPT_KEY_LEN;
export const RECEIPT_FRAGMENT_B64U_LEN = 66;
export const NONCE_LEN = 12;
export const TAG_LEN = 16;
export const FRAME_BLOCK = 256;
export const OVERHEAD = 1 + NONCE_LEN + TAG_LEN;
export const MIN_ENVELOPE_LEN = OVERHEAD + FRAME_BLOCK;
export const PBKDF2_ITERATIONS = 600000;
export const PASSPHRASE_MAX_LEN = 1024;
export const KIND_TEXT = 0x00;
export const KIND_FILE = 0x01;
export const CONTENT_HEADER_LEN = 3;
export const MAX_NAME_LEN = 255;
export const MAX_MEDIA_TYPE_LEN = 255;
export const DEFAULT_MEDIA_TYPE = "application/octet-stream";
export const MAX_CONTENT_LEN = 0xffffffff;

const SALT = enc.encode("oneshot/v2");
const INFO_CLAIM = enc.encode("oneshot/v2 claim");
const INFO_PBKDF2_SALT = enc.encode("oneshot/v2 pbkdf2 salt");
const INFO_PROOF = enc.encode("oneshot/v2 passphrase proof");
const INFO_ENC = enc.encode("oneshot/v2 enc");
const INFO_RECEIPT_CLAIM = enc.encode("oneshot/v2 receipt claim");
const ID_DOMAIN = enc.encode("oneshot/v2 id");
const PROOF_VERIFIER_DOMAIN = enc.encode("oneshot/v2 passphrase verifier");
const RECEIPT_VERIFIER_DOMAIN = enc.encode("oneshot/v2 receipt verifier");
const AAD_PREFIX = enc.encode("oneshot/v2");

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

function random(n) {
  subtle();
  return crypto.getRandomValues(new Uint8Array(n));
}

// ---------------------------------------------------------------- links

// Rust's `str::trim`: the Unicode White_Space property (which, unlike
// JavaScript's `trim`, includes U+0085 and excludes U+FEFF).
const WS = "\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";
const SURROUNDING_WS = new RegExp(`^[${WS}]+|[${WS}]+$`, "g");

/** Surrounding whitespace removed, exactly as the Rust core trims. */
export function trimInput(input) {
  return String(input).replace(SURROUNDING_WS, "");
}

/** What a user pasted, down to its fragment: trimmed, then everything after
 *  the first `#` if there is one. */
export function fragmentOf(input) {
  const trimmed = trimInput(input);
  const hash = trimmed.indexOf("#");
  return hash >= 0 ? trimmed.slice(hash + 1) : trimmed;
}

function damagedLink(detail) {
  return new FormatError("malformed_key", `The key in this link is damaged or incomplete (${detail}).`);
}

/** Parses a full link or a bare fragment, v1 or v2, told apart by length
 *  (FORMAT-v2 §1): 43 characters are a v1 key, 46 a v2 fragment with version
 *  byte 2 and no unknown flag bit; canonical base64url only. Returns
 *  `{ version: 1, flags: 0, key }` or `{ version: 2, flags, key }`.
 *  Throws FormatError("malformed_key") before anything is asked of a server. */
export function parseLink(input) {
  const fragment = fragmentOf(input);
  if (fragment.length === V1_KEY_B64U_LEN) {
    const key = b64uDecode(fragment);
    if (!key || key.length !== KEY_LEN) throw damagedLink("not valid base64url");
    return { version: 1, flags: 0, key };
  }
  if (fragment.length === FRAGMENT_B64U_LEN) {
    const bytes = b64uDecode(fragment);
    if (!bytes || bytes.length !== FRAGMENT_LEN) throw damagedLink("not valid base64url");
    const [version, flags] = bytes;
    const key = bytes.slice(2);
    bytes.fill(0);
    if (version !== VERSION) {
      key.fill(0);
      throw damagedLink(`format version ${version}`);
    }
    if ((flags & ~KNOWN_FLAGS) !== 0) {
      key.fill(0);
      throw damagedLink("unknown options");
    }
    return { version: 2, flags, key };
  }
  throw damagedLink("wrong length");
}

/** The 46-character fragment `b64u(0x02 || flags || K)`. */
export function linkFragment(key, flags) {
  const bytes = concat(new Uint8Array([VERSION, flags]), key);
  const text = b64uEncode(bytes);
  bytes.fill(0);
  return text;
}

export function needsPassphrase(flags) {
  return (flags & FLAG_PASSPHRASE) !== 0;
}

/** A fresh `K` from the browser's CSPRNG. */
export function generateKey() {
  return random(KEY_LEN);
}

// ---------------------------------------------------------------- derivations

async function hkdf(ikm) {
  const s = subtle();
  const base = await s.importKey("raw", ikm, "HKDF", false, ["deriveBits"]);
  return async (info, bytes = 32) =>
    new Uint8Array(
      await s.deriveBits({ name: "HKDF", hash: "SHA-256", salt: SALT, info }, base, bytes * 8),
    );
}

async function sha256(...parts) {
  const data = concat(...parts);
  return new Uint8Array(await subtle().digest("SHA-256", data));
}

/** The passphrase as PBKDF2 takes it: NFC, UTF-8, 1 to 1,024 bytes. Nothing
 *  is trimmed. Throws FormatError "passphrase_empty", "passphrase_too_long"
 *  or "passphrase_invalid" (a string that is not well-formed Unicode). */
export function passphraseBytes(passphrase) {
  if (typeof passphrase !== "string") {
    throw new FormatError("passphrase_invalid", "The passphrase is not text.");
  }
  if (typeof passphrase.isWellFormed === "function" && !passphrase.isWellFormed()) {
    throw new FormatError("passphrase_invalid", "The passphrase holds an invalid character.");
  }
  const bytes = enc.encode(passphrase.normalize("NFC"));
  if (bytes.length === 0) {
    throw new FormatError("passphrase_empty", "Enter the passphrase.");
  }
  if (bytes.length > PASSPHRASE_MAX_LEN) {
    bytes.fill(0);
    throw new FormatError(
      "passphrase_too_long",
      `The passphrase is too long: at most ${PASSPHRASE_MAX_LEN} bytes.`,
    );
  }
  return bytes;
}

/** What a link alone gives (FORMAT-v2 §2): `{ claim, id }`. */
export async function linkValues(key, flags) {
  const expand = await hkdf(key);
  const claim = await expand(concat(INFO_CLAIM, new Uint8Array([flags])));
  const id = (await sha256(ID_DOMAIN, claim)).slice(0, ID_LEN);
  return { claim, id };
}

/** Every value derived from a link and, when its flag says so, the
 *  passphrase (a string, or null without the flag): `{ flags, claim, id,
 *  encKey, encKeyBytes, proof, verifier }`, `proof` and `verifier` null
 *  without a passphrase. PBKDF2 runs here (600,000 rounds, off the main
 *  thread in WebCrypto). With `expose`, also `passphraseUtf8`, `pbkdf2Salt`
 *  and `pbkdf2Key`, for the known-answer tests.
 *  Throws FormatError "passphrase_required" / "passphrase_unexpected" when
 *  the passphrase and the flag disagree. */
export async function derive(key, flags, passphrase, { expose = false } = {}) {
  const s = subtle();
  const flagByte = new Uint8Array([flags]);
  const withFlags = (info) => concat(info, flagByte);
  const wants = needsPassphrase(flags);
  const has = passphrase !== null && passphrase !== undefined;
  if (wants && !has) {
    throw new FormatError("passphrase_required", "This secret needs its passphrase.");
  }
  if (!wants && has) {
    throw new FormatError("passphrase_unexpected", "This secret has no passphrase.");
  }
  const fromKey = await hkdf(key);
  const claim = await fromKey(withFlags(INFO_CLAIM));
  const id = (await sha256(ID_DOMAIN, claim)).slice(0, ID_LEN);
  const out = { flags, claim, id, proof: null, verifier: null };
  let ikm = key;
  if (wants) {
    const p = passphraseBytes(passphrase);
    const salt = await fromKey(withFlags(INFO_PBKDF2_SALT), 16);
    const password = await s.importKey("raw", p, "PBKDF2", false, ["deriveBits"]);
    const w = new Uint8Array(
      await s.deriveBits(
        { name: "PBKDF2", hash: "SHA-256", salt, iterations: PBKDF2_ITERATIONS },
        password,
        256,
      ),
    );
    ikm = concat(key, w);
    if (expose) Object.assign(out, { passphraseUtf8: p.slice(), pbkdf2Salt: salt, pbkdf2Key: w.slice() });
    p.fill(0);
    w.fill(0);
  }
  const fromIkm = ikm === key ? fromKey : await hkdf(ikm);
  if (wants) {
    out.proof = await fromIkm(withFlags(INFO_PROOF));
    out.verifier = await sha256(PROOF_VERIFIER_DOMAIN, out.proof);
    ikm.fill(0);
  }
  out.encKeyBytes = await fromIkm(withFlags(INFO_ENC));
  out.encKey = await s.importKey("raw", out.encKeyBytes, "AES-GCM", false, ["encrypt", "decrypt"]);
  return out;
}

// ---------------------------------------------------------------- content

// FORMAT-v2 §4: no separator, no control (C0, DEL, C1), no bidi control.
const NAME_FORBIDDEN =
  /[/\\\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/u;

function wellFormed(text) {
  return typeof text.isWellFormed === "function"
    ? text.isWellFormed()
    : !/\p{Surrogate}/u.test(text);
}

/** Why a file name is not allowed by FORMAT-v2 §4, or null if it is. */
export function nameProblem(name) {
  if (typeof name !== "string" || !wellFormed(name)) return "not text";
  const len = enc.encode(name).length;
  if (len < 1 || len > MAX_NAME_LEN) return "length";
  if (NAME_FORBIDDEN.test(name)) return "character";
  if (name === "." || name === "..") return "reserved";
  return null;
}

/** Why a media type is not allowed (printable ASCII without space, at most
 *  255 bytes; empty is allowed), or null. */
export function mediaTypeProblem(mediaType) {
  if (typeof mediaType !== "string") return "not text";
  if (mediaType.length > MAX_MEDIA_TYPE_LEN) return "length";
  if (!/^[\x21-\x7e]*$/.test(mediaType)) return "character";
  return null;
}

// Characters a downloaded file's name should not carry even where the format
// allows them: invisible format characters (zero-width, BOM), line and
// paragraph separators, private use, unassigned, and what Windows refuses.
const NAME_ODD = /[\p{Cc}\p{Cf}\p{Co}\p{Cn}\p{Zl}\p{Zp}/\\<>:"|?*]/gu;
const NAME_FORBIDDEN_ALL = new RegExp(NAME_FORBIDDEN.source, "gu");

function truncateUtf8(text, maxBytes) {
  let out = "";
  let used = 0;
  for (const c of text) {
    const n = enc.encode(c).length;
    if (used + n > maxBytes) break;
    out += c;
    used += n;
  }
  return out;
}

/** At most 255 bytes of UTF-8, keeping an extension of up to 32 bytes. */
function fitName(name) {
  if (enc.encode(name).length <= MAX_NAME_LEN) return name;
  const dot = name.lastIndexOf(".");
  const ext = dot > 0 && enc.encode(name.slice(dot)).length <= 32 ? name.slice(dot) : "";
  const stem = name.slice(0, name.length - ext.length);
  return truncateUtf8(stem, MAX_NAME_LEN - enc.encode(ext).length) + ext;
}

function wellFormedText(name) {
  const text = String(name);
  return wellFormed(text) ? text : text.replace(/\p{Surrogate}/gu, "_");
}

/** The name a file is sent under, from what the browser says it is called
 *  (File.name): what FORMAT-v2 §4 forbids replaced by `_`, at most 255
 *  bytes keeping its extension, `file` instead of nothing, `.` or `..`.
 *  Always passes `nameProblem`. */
export function uploadName(name) {
  const clean = fitName(wellFormedText(name).replace(NAME_FORBIDDEN_ALL, "_"));
  return nameProblem(clean) === null ? clean : "file";
}

/** The name offered for a download: only a suggestion, never a path. Beyond
 *  what the format already forbids, anything odd (invisible and format
 *  characters, separators, characters Windows refuses) becomes `_`, and
 *  surrounding spaces and trailing dots go; `download` if nothing is left. */
export function downloadName(name) {
  const clean = fitName(
    wellFormedText(name)
      .replace(NAME_FORBIDDEN_ALL, "_")
      .replace(NAME_ODD, "_")
      .replace(/^\s+|[\s.]+$/gu, ""),
  );
  return clean === "" || nameProblem(clean) !== null ? "download" : clean;
}

/** A media type fit for the format, from what a browser says (File.type):
 *  the same if allowed, otherwise empty (application/octet-stream). */
export function safeMediaType(mediaType) {
  const t = String(mediaType || "");
  return mediaTypeProblem(t) === null ? t : "";
}

function contentHeader(content) {
  if (!content || content.kind === "text") return new Uint8Array([KIND_TEXT, 0, 0]);
  if (content.kind !== "file") throw new FormatError("invalid_content", "Unknown content kind.");
  const problem = nameProblem(content.name);
  if (problem) throw new FormatError("invalid_name", `This file name cannot be used (${problem}).`);
  const mediaType = content.mediaType || "";
  if (mediaTypeProblem(mediaType)) {
    throw new FormatError("invalid_media_type", "This file type cannot be used.");
  }
  const name = enc.encode(content.name);
  const type = enc.encode(mediaType);
  return concat(new Uint8Array([KIND_FILE, name.length]), name, new Uint8Array([type.length]), type);
}

// ---------------------------------------------------------------- frames

function bitLength(n) {
  return n < 2 ** 31 ? 32 - Math.clz32(n) : n.toString(2).length;
}

/** Padmé (Nikitin et al.): `L` rounded up to keep O(log log L) bits. */
export function padme(len) {
  if (len < 2) return len;
  const e = bitLength(len) - 1;
  const s = bitLength(e);
  const step = 2 ** (e - s);
  return Math.ceil(len / step) * step;
}

/** `len(frame)` for `n = 4 + len(content)` (FORMAT-v2 §4). */
export function frameLen(n) {
  return Math.max(FRAME_BLOCK, Math.ceil(padme(n) / FRAME_BLOCK) * FRAME_BLOCK);
}

/** The envelope's length for a content of `contentLen` bytes. */
export function envelopeLen(contentLen) {
  return OVERHEAD + frameLen(4 + contentLen);
}

/** `len(content)` for `content` and a body of `bodyLen` bytes. */
export function contentLen(content, bodyLen) {
  return contentHeader(content).length + bodyLen;
}

// ---------------------------------------------------------------- envelopes

function aad(flags, id) {
  return concat(AAD_PREFIX, new Uint8Array([VERSION, flags]), id);
}

/** Seals `body` (Uint8Array) as `content` (`{ kind: "text" }` or `{ kind:
 *  "file", name, mediaType }`) with values from `derive`, under `nonce`
 *  (random unless given: a fixed nonce is for the known-answer tests only). */
export async function sealDerived(derived, content, body, nonce = random(NONCE_LEN)) {
  const header = contentHeader(content);
  const length = header.length + body.length;
  if (length > MAX_CONTENT_LEN) throw new FormatError("body_too_large", "The secret is too large.");
  const frame = new Uint8Array(frameLen(4 + length));
  new DataView(frame.buffer).setUint32(0, length, false);
  frame.set(header, 4);
  frame.set(body, 4 + header.length);
  let ct;
  try {
    ct = new Uint8Array(
      await subtle().encrypt(
        { name: "AES-GCM", iv: nonce, additionalData: aad(derived.flags, derived.id), tagLength: 128 },
        derived.encKey,
        frame,
      ),
    );
  } finally {
    frame.fill(0);
  }
  const envelope = new Uint8Array(1 + NONCE_LEN + ct.length);
  envelope[0] = VERSION;
  envelope.set(nonce, 1);
  envelope.set(ct, 1 + NONCE_LEN);
  return envelope;
}

/** Derives and seals: `{ envelope, derived }`. */
export async function seal(key, flags, passphrase, content, body) {
  const derived = await derive(key, flags, passphrase);
  return { envelope: await sealDerived(derived, content, body), derived };
}

const malformed = (what) => new FormatError("malformed", `The secret is damaged (${what}).`);

/** FORMAT-v2 §5 steps 1 to 3, which need no key. */
export function checkEnvelope(envelope) {
  if (envelope.length < MIN_ENVELOPE_LEN) throw malformed("too short");
  if (envelope[0] !== VERSION) {
    throw new FormatError(
      "unsupported_version",
      `The secret uses format version ${envelope[0]}, which this page does not understand.`,
    );
  }
  if ((envelope.length - OVERHEAD) % FRAME_BLOCK !== 0) throw malformed("bad length");
}

const NAME_DECODER = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

function decodeContent(content) {
  // kind, name length, media type length at least.
  if (content.length < CONTENT_HEADER_LEN) throw malformed("content too short");
  const kind = content[0];
  if (kind !== KIND_TEXT && kind !== KIND_FILE) throw malformed("unknown content kind");
  const nameLen = content[1];
  if (2 + nameLen + 1 > content.length) throw malformed("name longer than the content");
  const typeLen = content[2 + nameLen];
  const typeStart = 3 + nameLen;
  if (typeStart + typeLen > content.length) throw malformed("media type longer than the content");
  const body = content.slice(typeStart + typeLen);
  if (kind === KIND_TEXT) {
    if (nameLen !== 0 || typeLen !== 0) throw malformed("text with a name or a media type");
    return { kind: "text", name: null, mediaType: "", body };
  }
  let name;
  try {
    name = NAME_DECODER.decode(content.subarray(2, 2 + nameLen));
  } catch (_) {
    throw malformed("file name is not UTF-8");
  }
  if (nameProblem(name)) throw malformed("invalid file name");
  const typeBytes = content.subarray(typeStart, typeStart + typeLen);
  if (!typeBytes.every((b) => b >= 0x21 && b <= 0x7e)) throw malformed("invalid media type");
  const mediaType = String.fromCharCode(...typeBytes);
  return { kind: "file", name, mediaType, body };
}

/** Opens an envelope with values from `derive` (FORMAT-v2 §5, in order).
 *  Returns `{ kind: "text" | "file", name, mediaType, body }`. Throws
 *  FormatError "malformed", "unsupported_version" or "decryption_failed". */
export async function openDerived(derived, envelope) {
  checkEnvelope(envelope);
  let frame;
  try {
    frame = new Uint8Array(
      await subtle().decrypt(
        {
          name: "AES-GCM",
          iv: envelope.subarray(1, 1 + NONCE_LEN),
          additionalData: aad(derived.flags, derived.id),
          tagLength: 128,
        },
        derived.encKey,
        envelope.subarray(1 + NONCE_LEN),
      ),
    );
  } catch (_) {
    throw new FormatError("decryption_failed", "The secret could not be decrypted.");
  }
  try {
    const declared = new DataView(frame.buffer, frame.byteOffset, 4).getUint32(0, false);
    if (declared > frame.length - 4) throw malformed("length past the frame");
    if (frameLen(4 + declared) !== frame.length) throw malformed("frame not minimal");
    for (let i = 4 + declared; i < frame.length; i++) {
      if (frame[i] !== 0) throw malformed("padding not zero");
    }
    return decodeContent(frame.subarray(4, 4 + declared));
  } finally {
    frame.fill(0);
  }
}

/** Checks, derives (with the passphrase when the flag says so) and opens. */
export async function open(key, flags, passphrase, envelope) {
  checkEnvelope(envelope);
  return openDerived(await derive(key, flags, passphrase), envelope);
}

// ---------------------------------------------------------------- receipts

/** A fresh receipt key `R`. */
export function generateReceiptKey() {
  return random(RECEIPT_KEY_LEN);
}

/** `{ claim, verifier }` of a receipt key (FORMAT-v2 §6). */
export async function receiptValues(receiptKey) {
  const expand = await hkdf(receiptKey);
  const claim = await expand(INFO_RECEIPT_CLAIM);
  const verifier = await sha256(RECEIPT_VERIFIER_DOMAIN, claim);
  return { claim, verifier };
}

/** The 66-character receipt fragment `b64u(0x02 || id || R)`. */
export function receiptFragment(id, receiptKey) {
  const bytes = concat(new Uint8Array([VERSION]), id, receiptKey);
  const text = b64uEncode(bytes);
  bytes.fill(0);
  return text;
}

/** The receipt link `<site>/r#<fragment>` beside a page at `base`. */
export function receiptLink(base, id, receiptKey) {
  const link = new URL("r", base);
  link.hash = receiptFragment(id, receiptKey);
  return link.href;
}

/** Parses a receipt link or its bare fragment: `{ id, receiptKey }`.
 *  Throws FormatError("malformed_receipt"). */
export function parseReceipt(input) {
  const fragment = fragmentOf(input);
  const bytes = fragment.length === RECEIPT_FRAGMENT_B64U_LEN ? b64uDecode(fragment) : null;
  if (!bytes || bytes.length !== RECEIPT_FRAGMENT_LEN || bytes[0] !== VERSION) {
    if (bytes) bytes.fill(0);
    throw new FormatError(
      "malformed_receipt",
      "This receipt link is damaged or incomplete: check that you copied all of it.",
    );
  }
  const id = bytes.slice(1, 1 + ID_LEN);
  const receiptKey = bytes.slice(1 + ID_LEN);
  bytes.fill(0);
  return { id, receiptKey };
}
