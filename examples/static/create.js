// The create view: encrypt in the browser, store the envelope, show the link.

import { b64uEncode, generateKey, seal, toHex, FormatError } from "./format.js";
import { $, getJson, postJsonRetrying, say, show, wireCopy } from "./common.js";

const MAX_CUSTOM_SECS = 100 * 365 * 86400;

// The server's limits, from GET api/v1/config; null until known (or if the
// server does not say: it still checks everything itself).
let config = null;

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

/** Applies the server's limits: disables lifetimes it refuses. */
function applyConfig(c) {
  config = c;
  if (c.create_requires_token) showTokenField();
  const radios = document.querySelectorAll('input[name="ttl"]');
  for (const radio of radios) {
    if (radio.value === "custom") continue;
    const secs = Number(radio.value);
    radio.disabled = secs < c.min_ttl_secs || secs > c.max_ttl_secs;
  }
  const checked = document.querySelector('input[name="ttl"]:checked');
  if (checked && checked.disabled) {
    const allowed = [...radios].filter((r) => !r.disabled);
    const preset = allowed.find((r) => Number(r.value) === c.default_ttl_secs);
    (preset || allowed[0]).checked = true;
    show($("custom-ttl"), $("ttl-custom").checked);
  }
}

function selectedTtl() {
  const choice = document.querySelector('input[name="ttl"]:checked');
  if (!choice || choice.value !== "custom") return Number(choice ? choice.value : 86400);
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
      if (code === "too_large") return `This secret is too large for this server${detail}.`;
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

async function createSecret(body, ttl, token) {
  const headers = token ? { Authorization: `Bearer ${token}` } : {};
  // An id collision (409) is astronomically unlikely; one fresh key settles it.
  for (let attempt = 0; attempt < 2; attempt++) {
    const key = generateKey();
    const { envelope, id } = await seal(key, body);
    const result = await postJsonRetrying("api/v1/secrets", {
      id: toHex(id),
      envelope: b64uEncode(envelope),
      ttl_secs: ttl,
    }, 3, headers);
    if (result.kind === "ok") {
      const link = new URL("s", document.baseURI);
      link.hash = b64uEncode(key);
      key.fill(0);
      return { link: link.href, expiresAt: Number(result.body.expires_at) };
    }
    key.fill(0);
    if (!(result.kind === "error" && result.status === 409)) {
      throw { ...result, sentToken: Boolean(token) };
    }
  }
  throw { kind: "indeterminate" };
}

async function init() {
  const form = $("create-form");
  const secret = $("secret");
  const status = $("create-status");
  const button = $("create");
  const tokenField = $("token");

  tokenField.value = rememberedToken();
  if (tokenField.value) showTokenField();

  for (const radio of document.querySelectorAll('input[name="ttl"]')) {
    radio.addEventListener("change", () => show($("custom-ttl"), $("ttl-custom").checked));
  }
  wireCopy($("copy-link"), $("link"));

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    say(status, "");
    const text = secret.value;
    if (text.length === 0) {
      say(status, "Type or paste a secret first.", "error");
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
    const body = new TextEncoder().encode(text);
    if (config && body.length > config.max_bytes) {
      say(
        status,
        `This secret is too large for this server: ${body.length} bytes, it accepts at most ${config.max_bytes}.`,
        "error",
      );
      return;
    }
    const token = tokenField.value.trim();
    if (tokenFieldShown() && !token) {
      say(status, "Enter this server's access token first.", "error");
      tokenField.focus();
      return;
    }
    button.disabled = true;
    say(status, "Encrypting and saving…");
    try {
      const { link, expiresAt } = await createSecret(body, ttl, token);
      body.fill(0);
      rememberToken(token);
      secret.value = "";
      $("link").value = link;
      const when = new Date(expiresAt * 1000);
      $("expires").dateTime = when.toISOString();
      $("expires").textContent = when.toLocaleString(undefined, {
        dateStyle: "medium",
        timeStyle: "short",
      });
      say(status, "");
      show($("create-view"), false);
      show($("result-view"), true);
      $("link").focus();
      $("link").select();
    } catch (err) {
      body.fill(0);
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
      else say(status, "Something went wrong while encrypting. Nothing was sent.", "error");
    } finally {
      button.disabled = false;
    }
  });

  $("again").addEventListener("click", () => {
    $("link").value = "";
    show($("result-view"), false);
    show($("create-view"), true);
    secret.focus();
  });

  if (!(globalThis.crypto && globalThis.crypto.subtle)) {
    button.disabled = true;
    say(status, "This page needs HTTPS (or localhost) to encrypt in your browser.", "error");
  }
  // The server's limits and whether it wants a token; without an answer the
  // page still works (a 401 shows the token field then).
  const c = await getJson("api/v1/config");
  if (c && typeof c === "object") applyConfig(c);
  document.body.dataset.ready = "create";
}

init();
