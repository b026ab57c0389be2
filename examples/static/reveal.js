// The reveal view at /s#<key>. Loading it does nothing with the server: link
// previewers and mail scanners burn nothing. Only the Reveal button takes.

import { b64uDecode, b64uEncode, derive, open, parseKey, FormatError } from "./format.js";
import { $, postJsonRetrying, say, show, wireCopy } from "./common.js";

function forgetKey() {
  // Remove the key from the address bar and this history entry.
  history.replaceState(null, "", location.pathname + location.search);
}

function init() {
  const status = $("reveal-status");
  let key;
  try {
    if (!location.hash || location.hash === "#") {
      say(
        status,
        "Nothing to reveal here: this address has no key after #. If you opened this secret before, it was already viewed or has expired; otherwise ask the sender for the complete link.",
        "error",
      );
      document.body.dataset.ready = "no-key";
      return;
    }
    key = parseKey(location.hash);
  } catch (_) {
    say(
      status,
      "This link is damaged: the key after # is not valid. Check that you copied the whole link. Nothing was sent to the server.",
      "error",
    );
    document.body.dataset.ready = "malformed";
    return;
  }
  if (!(globalThis.crypto && globalThis.crypto.subtle)) {
    say(status, "This page needs HTTPS (or localhost) to decrypt in your browser.", "error");
    document.body.dataset.ready = "no-webcrypto";
    return;
  }

  show($("ready-view"), true);
  wireCopy($("copy-secret"), $("secret"));
  const button = $("reveal");

  button.addEventListener("click", async () => {
    button.disabled = true;
    say(status, "Fetching and decrypting…");
    let outcome = "error";
    try {
      const { claim } = await derive(key);
      const result = await postJsonRetrying("api/v1/secrets/take", { claim: b64uEncode(claim) });
      if (result.kind === "ok") {
        const envelope = b64uDecode(result.body && result.body.envelope);
        if (!envelope) throw new FormatError("malformed", "The server sent a damaged secret.");
        const body = await open(key, envelope);
        $("secret").value = new TextDecoder().decode(body);
        body.fill(0);
        key.fill(0);
        forgetKey();
        say(status, "");
        show($("ready-view"), false);
        show($("secret-view"), true);
        outcome = "revealed";
      } else if (result.kind === "error" && result.status === 404) {
        forgetKey();
        show($("ready-view"), false);
        say(
          status,
          "This secret was already viewed or has expired. Ask the sender to share it again.",
          "error",
        );
        outcome = "gone";
      } else if (result.kind === "unavailable") {
        say(
          status,
          "The server is temporarily unavailable. Nothing was read and the secret is still there: try again in a moment.",
          "error",
        );
        button.textContent = "Try again";
        button.disabled = false;
        outcome = "unavailable";
      } else if (result.kind === "indeterminate") {
        say(
          status,
          "The server could not confirm what happened. The secret may already be gone, so this page will not retry on its own. You can try once more, or ask the sender for a new link.",
          "error",
        );
        button.textContent = "Try once more";
        button.disabled = false;
        outcome = "indeterminate";
      } else if (result.kind === "network") {
        say(
          status,
          "Could not reach the server. If the request got through the secret may be gone; try once more or ask the sender for a new link.",
          "error",
        );
        button.textContent = "Try once more";
        button.disabled = false;
        outcome = "network";
      } else {
        const message = result.body && result.body.message;
        say(status, "The server refused the request: " + (message || `HTTP ${result.status}`), "error");
        button.disabled = false;
      }
    } catch (err) {
      // The envelope was taken but could not be opened: it is gone.
      forgetKey();
      show($("ready-view"), false);
      say(
        status,
        (err instanceof FormatError ? err.message + " " : "") +
          "The secret was received but could not be decrypted, and it is now deleted. Ask the sender to share it again.",
        "error",
      );
      outcome = "undecryptable";
    }
    document.body.dataset.outcome = outcome;
  });
  document.body.dataset.ready = "reveal";
}

// A new link pasted into this tab changes only the fragment, which does not
// load the page again: start over from a clean page.
window.addEventListener("hashchange", () => location.reload());

init();
