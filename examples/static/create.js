// The create view: encrypt in the browser, store the envelope, show the link.

import { b64uEncode, generateKey, seal, toHex, FormatError } from "./format.js";
import { $, postJsonRetrying, say, show, wireCopy } from "./common.js";

const MAX_CUSTOM_SECS = 100 * 365 * 86400;

function selectedTtl() {
  const choice = document.querySelector('input[name="ttl"]:checked');
  if (!choice || choice.value !== "custom") return Number(choice ? choice.value : 86400);
  const amount = Number($("custom-amount").value);
  const unit = Number($("custom-unit").value);
  if (!Number.isInteger(amount) || amount < 1 || amount * unit > MAX_CUSTOM_SECS) return null;
  return amount * unit;
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
      return `The server refused the secret${detail || ` (HTTP ${result.status})`}.`;
    }
  }
}

async function createSecret(text, ttl) {
  const body = new TextEncoder().encode(text);
  // An id collision (409) is astronomically unlikely; one fresh key settles it.
  for (let attempt = 0; attempt < 2; attempt++) {
    const key = generateKey();
    const { envelope, id } = await seal(key, body);
    const result = await postJsonRetrying("api/v1/secrets", {
      id: toHex(id),
      envelope: b64uEncode(envelope),
      ttl_secs: ttl,
    });
    if (result.kind === "ok") {
      const link = new URL("s", document.baseURI);
      link.hash = b64uEncode(key);
      key.fill(0);
      return { link: link.href, expiresAt: Number(result.body.expires_at) };
    }
    key.fill(0);
    if (!(result.kind === "error" && result.status === 409)) throw result;
  }
  throw { kind: "indeterminate" };
}

function init() {
  const form = $("create-form");
  const secret = $("secret");
  const status = $("create-status");
  const button = $("create");

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
    button.disabled = true;
    say(status, "Encrypting and saving…");
    try {
      const { link, expiresAt } = await createSecret(text, ttl);
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
  document.body.dataset.ready = "create";
}

init();
