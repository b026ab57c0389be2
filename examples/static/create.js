// The create view: encrypt in the browser (format v2: a text or a file, an
// optional passphrase, an optional receipt), store the envelope, show the
// link and, apart from it, the receipt link.

import {
  FLAG_PASSPHRASE,
  FormatError,
  b64uEncode,
  derive,
  generateKey,
  generateReceiptKey,
  linkFragment,
  passphraseBytes,
  receiptLink,
  receiptValues,
  safeMediaType,
  sealDerived,
  toHex,
  uploadName,
} from "./format2.js";
import { $, describeBytes, forgetFragment, getJson, postJsonRetrying, say, show, wireCopy } from "./common.js";

const MAX_CUSTOM_SECS = 100 * 365 * 86400;

// The server's limits, from GET api/v1/config; null until known (or if the
// server does not say: it still checks everything itself).
let config = null;

// The file to share instead of a text, or null.
let chosenFile = null;

// The access token for servers that let only token holders create links.
// Kept in sessionStorage: this tab only, gone when it closes, never on disk
// for later sessions, so a writer sharing several secrets types it once. It
// only allows creating links (it opens none), and the page's CSP runs no
// script but this origin's own, which is what could read it.
const TOKEN_KEY = "oneshot.createToken";

function rememberedToken() {
  try {
    return sessionStorage.getItem(TOKEN_KEY) || "";
  } catch (_) {
    return "";
  }
}

function rememberToken(token) {
  try {
    if (token) sessionStorage.setItem(TOKEN_KEY, token);
    else sessionStorage.removeItem(TOKEN_KEY);
  } catch (_) {
    // Storage disabled: the field keeps the token for this page only.
  }
}

function showTokenField() {
  show($("token-row"), true);
}

function tokenFieldShown() {
  return !$("token-row").hidden;
}

function describeSecs(secs) {
  const units = [
    [86400, "day"],
    [3600, "hour"],
    [60, "minute"],
  ];
  for (const [size, name] of units) {
    if (secs % size === 0) {
      const n = secs / size;
      return `${n} ${name}${n === 1 ? "" : "s"}`;
    }
  }
  return `${secs} second${secs === 1 ? "" : "s"}`;
}

function maxBytes() {
  return config && Number.isFinite(config.max_bytes) ? config.max_bytes : null;
}

/** Applies the server's limits: disables lifetimes it refuses, shows the size limit. */
function applyConfig(c) {
  config = c;
  if (c.create_requires_token) showTokenField();
  const select = $("ttl");
  for (const option of select.options) {
    if (option.value === "custom") continue;
    const secs = Number(option.value);
    option.disabled = secs < c.min_ttl_secs || secs > c.max_ttl_secs;
  }
  if (select.selectedOptions[0] && select.selectedOptions[0].disabled) {
    const allowed = [...select.options].filter((o) => !o.disabled);
    const preset = allowed.find((o) => Number(o.value) === c.default_ttl_secs);
    select.value = (preset || allowed[0]).value;
    show($("custom-ttl"), select.value === "custom");
  }
  const max = maxBytes();
  if (max !== null) {
    say($("size-limit"), `Up to ${describeBytes(max)} for a text or a file on this server.`);
    if (chosenFile && chosenFile.size > max) chooseFile(null, tooBigMessage(chosenFile.size, max));
  }
}

function selectedTtl() {
  const choice = $("ttl").value;
  if (choice !== "custom") return Number(choice || 86400);
  const amount = Number($("custom-amount").value);
  const unit = Number($("custom-unit").value);
  if (!Number.isInteger(amount) || amount < 1 || amount * unit > MAX_CUSTOM_SECS) return null;
  return amount * unit;
}

/** Why the server will refuse this lifetime, or null. */
function ttlProblem(ttl) {
  if (!config) return null;
  if (ttl < config.min_ttl_secs || ttl > config.max_ttl_secs) {
    return `This server keeps links from ${describeSecs(config.min_ttl_secs)} to ${describeSecs(config.max_ttl_secs)}; choose a lifetime in between.`;
  }
  return null;
}

function tooBigMessage(size, max) {
  return `This secret is too large for this server: ${describeBytes(size)} (${size} bytes), it accepts at most ${describeBytes(max)} (${max} bytes).`;
}

function describeError(result) {
  switch (result.kind) {
    case "network":
      return "Could not reach the server. Check your connection and try again.";
    case "unavailable":
      return "The server is busy or its store is unavailable. Nothing was saved; try again in a moment.";
    case "indeterminate":
      return "The server could not confirm that the secret was saved. Please create a new link.";
    default: {
      const code = result.body && result.body.error;
      const message = result.body && result.body.message;
      const detail = message ? ` (${message})` : "";
      if (code === "too_large" || result.status === 413) return `This secret is too large for this server${detail}.`;
      if (code === "invalid_ttl") return `This lifetime is not allowed here${detail}.`;
      if (result.status === 401) {
        return result.sentToken
          ? "The access token was not accepted. Check it and press Create link again."
          : "This server lets only people with its access token create links. Enter the token and press Create link again.";
      }
      return `The server refused the secret${detail || ` (HTTP ${result.status})`}.`;
    }
  }
}

// ---------------------------------------------------------------- progress

const STAGES = ["deriving", "encrypting", "uploading"];

function startProgress(withPassphrase) {
  show($("stage-deriving"), withPassphrase);
  for (const stage of STAGES) delete $(`stage-${stage}`).dataset.state;
  show($("progress"), true);
  document.body.dataset.stages = "";
}

/** Marks `stage` as running and the ones before it as done. */
function stage(name) {
  if (document.body.dataset.stage === name) return;
  const at = STAGES.indexOf(name);
  STAGES.forEach((s, i) => {
    const li = $(`stage-${s}`);
    if (i < at) li.dataset.state = "done";
    else if (i === at) li.dataset.state = "active";
  });
  $("progress-stage").textContent = $(`stage-${name}`).textContent;
  document.body.dataset.stage = name;
  const seen = document.body.dataset.stages;
  document.body.dataset.stages = seen ? `${seen},${name}` : name;
}

function stopProgress() {
  show($("progress"), false);
  delete document.body.dataset.stage;
}

// ---------------------------------------------------------------- files

function chooseFile(file, problem = "") {
  const status = $("create-status");
  const max = maxBytes();
  if (file && max !== null && file.size > max) {
    problem = tooBigMessage(file.size, max);
    file = null;
  }
  chosenFile = file;
  if (!file) $("file").value = "";
  show($("file-empty"), !file);
  show($("file-chosen"), Boolean(file));
  $("drop-zone").dataset.chosen = file ? "yes" : "";
  if (file) {
    $("file-name").textContent = uploadName(file.name);
    $("file-size").textContent = describeBytes(file.size);
    $("secret").placeholder = "A file is attached: it is shared instead of a text.";
  } else {
    $("secret").placeholder = "Paste the password, token or note to share";
  }
  if (problem) say(status, problem, "error");
  else if (file && $("secret").value) {
    say(status, "Share either the text or the file: clear the text, or remove the file.", "error");
  } else say(status, "");
}

function isFileDrag(event) {
  return Boolean(event.dataTransfer && [...event.dataTransfer.types].includes("Files"));
}

function wireFiles() {
  const zone = $("drop-zone");
  $("file").addEventListener("change", () => chooseFile($("file").files[0] || null));
  $("file-clear").addEventListener("click", () => {
    chooseFile(null);
    $("secret").focus();
  });
  zone.addEventListener("dragover", (event) => {
    if (!isFileDrag(event)) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "copy";
    zone.dataset.over = "yes";
  });
  zone.addEventListener("dragleave", () => delete zone.dataset.over);
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    delete zone.dataset.over;
    const files = event.dataTransfer ? event.dataTransfer.files : [];
    if (files.length !== 1) {
      say($("create-status"), "Drop one file at a time.", "error");
      return;
    }
    chooseFile(files[0]);
  });
  // A file dropped anywhere else must not make the browser open it in place
  // of this page.
  for (const type of ["dragover", "drop"]) {
    window.addEventListener(type, (event) => {
      if (isFileDrag(event) && !zone.contains(event.target)) {
        event.preventDefault();
        if (event.dataTransfer) event.dataTransfer.dropEffect = "none";
      }
    });
  }
}

// ---------------------------------------------------------------- creating

/** Encrypts and stores one secret; returns the links and the expiry. */
async function createSecret({ content, body, passphrase, wantReceipt, ttl, token }) {
  const headers = token ? { Authorization: `Bearer ${token}` } : {};
  const flags = passphrase === null ? 0 : FLAG_PASSPHRASE;
  // An id collision (409) is astronomically unlikely; one fresh key settles it.
  for (let attempt = 0; attempt < 2; attempt++) {
    const key = generateKey();
    try {
      if (passphrase !== null) stage("deriving");
      const derived = await derive(key, flags, passphrase);
      stage("encrypting");
      const envelope = await sealDerived(derived, content, body);
      const request = {
        id: toHex(derived.id),
        envelope: b64uEncode(envelope),
        ttl_secs: ttl,
      };
      if (derived.verifier) request.passphrase_verifier = b64uEncode(derived.verifier);
      let receipt = null;
      if (wantReceipt) {
        const r = generateReceiptKey();
        request.receipt_verifier = b64uEncode((await receiptValues(r)).verifier);
        receipt = receiptLink(document.baseURI, derived.id, r);
        r.fill(0);
      }
      derived.encKeyBytes.fill(0);
      stage("uploading");
      const result = await postJsonRetrying("api/v2/secrets", request, 3, headers);
      if (result.kind === "ok") {
        const link = new URL("s", document.baseURI);
        link.hash = linkFragment(key, flags);
        return { link: link.href, receipt, expiresAt: Number(result.body.expires_at) };
      }
      if (!(result.kind === "error" && result.status === 409)) {
        throw { ...result, sentToken: Boolean(token) };
      }
    } finally {
      key.fill(0);
    }
  }
  throw { kind: "indeterminate" };
}

function showResult({ link, receipt, expiresAt }, withPassphrase) {
  $("link").value = link;
  const when = new Date(expiresAt * 1000);
  $("expires").dateTime = when.toISOString();
  $("expires").textContent = when.toLocaleString(undefined, {
    dateStyle: "medium",
    timeStyle: "short",
  });
  show($("passphrase-reminder"), withPassphrase);
  $("receipt-link").value = receipt || "";
  show($("receipt-box"), Boolean(receipt));
  show($("create-view"), false);
  show($("result-view"), true);
  $("link").focus();
  $("link").select();
}

async function init() {
  forgetFragment();
  const form = $("create-form");
  const secret = $("secret");
  const status = $("create-status");
  const button = $("create");
  const tokenField = $("token");
  const passphraseField = $("passphrase");

  tokenField.value = rememberedToken();
  if (tokenField.value) showTokenField();

  $("ttl").addEventListener("change", () => show($("custom-ttl"), $("ttl").value === "custom"));
  $("passphrase-show").addEventListener("change", () => {
    passphraseField.type = $("passphrase-show").checked ? "text" : "password";
  });
  wireCopy($("copy-link"), $("link"));
  wireCopy($("copy-receipt"), $("receipt-link"));
  wireFiles();

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (button.disabled) return;
    say(status, "");
    const text = secret.value;
    const file = chosenFile;
    if (file && text.length > 0) {
      say(status, "Share either the text or the file: clear the text, or remove the file.", "error");
      return;
    }
    if (!file && text.length === 0) {
      say(status, "Type or paste a secret first, or choose a file.", "error");
      secret.focus();
      return;
    }
    const ttl = selectedTtl();
    if (ttl === null) {
      say(status, "Enter a custom lifetime as a whole number of at least 1.", "error");
      return;
    }
    const tooLong = ttlProblem(ttl);
    if (tooLong) {
      say(status, tooLong, "error");
      return;
    }
    const max = maxBytes();
    const size = file ? file.size : new TextEncoder().encode(text).length;
    if (max !== null && size > max) {
      say(status, tooBigMessage(size, max), "error");
      return;
    }
    let passphrase = passphraseField.value === "" ? null : passphraseField.value;
    if (passphrase !== null) {
      try {
        passphraseBytes(passphrase).fill(0);
      } catch (err) {
        say(status, err.message, "error");
        passphraseField.focus();
        return;
      }
    }
    const token = tokenField.value.trim();
    if (tokenFieldShown() && !token) {
      say(status, "Enter this server's access token first.", "error");
      tokenField.focus();
      return;
    }

    button.disabled = true;
    startProgress(passphrase !== null);
    let body = null;
    try {
      let content;
      if (file) {
        body = new Uint8Array(await file.arrayBuffer());
        content = { kind: "file", name: uploadName(file.name), mediaType: safeMediaType(file.type) };
      } else {
        body = new TextEncoder().encode(text);
        content = { kind: "text" };
      }
      const wantReceipt = $("receipt").checked;
      const created = await createSecret({ content, body, passphrase, wantReceipt, ttl, token });
      rememberToken(token);
      secret.value = "";
      passphraseField.value = "";
      chooseFile(null);
      say(status, "");
      showResult(created, passphrase !== null);
      document.body.dataset.created = String(Number(document.body.dataset.created || 0) + 1);
    } catch (err) {
      if (err && err.status === 401) {
        // Show the field (the server may not have said up front), forget a
        // token it refused, and let the writer enter one and resend.
        showTokenField();
        if (err.sentToken) rememberToken("");
        tokenField.focus();
        tokenField.select();
      }
      if (err instanceof FormatError) say(status, err.message, "error");
      else if (err && err.kind) say(status, describeError(err), "error");
      else if (err && err.name === "NotReadableError") {
        say(status, "The file could not be read. Choose it again.", "error");
      } else say(status, "Something went wrong while encrypting. Nothing was sent.", "error");
    } finally {
      if (body) body.fill(0);
      passphrase = null;
      stopProgress();
      button.disabled = false;
    }
  });

  $("again").addEventListener("click", () => {
    $("link").value = "";
    $("receipt-link").value = "";
    show($("result-view"), false);
    show($("create-view"), true);
    secret.focus();
  });

  if (!(globalThis.crypto && globalThis.crypto.subtle)) {
    say(status, "This page needs HTTPS (or localhost) to encrypt in your browser.", "error");
    document.body.dataset.ready = "no-webcrypto";
    return;
  }
  // Everything is wired: from now on Create encrypts here. Until this line
  // it stays disabled, so a page whose script did not run sends nothing.
  button.disabled = false;
  show($("script-wait"), false);
  // The server's limits and whether it wants a token; without an answer the
  // page still works (a 401 shows the token field then).
  const c = await getJson("api/v1/config");
  if (c && typeof c === "object") applyConfig(c);
  document.body.dataset.ready = "create";
}

init();
