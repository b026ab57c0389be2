// The reveal view at /s#<key>. Loading it does nothing with the server: link
// previewers and mail scanners burn nothing. Only the Reveal button takes.
// The key leaves the address bar as soon as the page has read it.
//
// v1 links (43 characters) are taken from the v1 endpoint as before; v2
// links (46 characters) from the v2 one, with the passphrase's proof when
// their flag says the secret has one: the passphrase is asked for here,
// before any request, and a wrong one costs an attempt but burns nothing.

import * as v1 from "./format.js";
import {
  FormatError,
  b64uDecode,
  b64uEncode,
  derive,
  downloadName,
  needsPassphrase,
  openDerived,
  parseLink,
} from "./format2.js";
import { $, describeBytes, forgetFragment, postJsonRetrying, say, show, wireCopy } from "./common.js";

const STAGES = ["deriving", "downloading", "decrypting"];

function stage(name) {
  const at = STAGES.indexOf(name);
  STAGES.forEach((s, i) => {
    const li = $(`stage-${s}`);
    if (i < at) li.dataset.state = "done";
    else if (i === at) li.dataset.state = "active";
    else delete li.dataset.state;
  });
  $("progress-stage").textContent = $(`stage-${name}`).textContent;
  document.body.dataset.stage = name;
  const seen = document.body.dataset.stages;
  document.body.dataset.stages = seen ? `${seen},${name}` : name;
}

function progress(visible, withPassphrase = false) {
  show($("stage-deriving"), withPassphrase);
  show($("progress"), visible);
  if (visible) document.body.dataset.stages = "";
  else delete document.body.dataset.stage;
}

/** Takes the secret for this link: the claim (and the passphrase's proof),
 *  then opens it. The result kinds are those of `postJson`, plus "opened". */
async function take(link, passphrase) {
  if (link.version === 1) {
    stage("downloading");
    const { claim } = await v1.derive(link.key);
    const result = await postJsonRetrying("api/v1/secrets/take", { claim: b64uEncode(claim) });
    if (result.kind !== "ok") return { result };
    stage("decrypting");
    const envelope = b64uDecode(result.body && result.body.envelope);
    if (!envelope) throw new FormatError("malformed", "The server sent a damaged secret.");
    const body = await v1.open(link.key, envelope);
    return { opened: { kind: "text", name: null, mediaType: "", body } };
  }
  if (passphrase !== null) stage("deriving");
  const derived = await derive(link.key, link.flags, passphrase);
  try {
    stage("downloading");
    const request = { claim: b64uEncode(derived.claim) };
    if (derived.proof) request.passphrase_proof = b64uEncode(derived.proof);
    const result = await postJsonRetrying("api/v2/secrets/take", request);
    if (result.kind !== "ok") return { result };
    stage("decrypting");
    const envelope = b64uDecode(result.body && result.body.envelope);
    if (!envelope) throw new FormatError("malformed", "The server sent a damaged secret.");
    return { opened: await openDerived(derived, envelope) };
  } finally {
    derived.encKeyBytes.fill(0);
  }
}

function showText(body) {
  $("secret").value = new TextDecoder().decode(body);
  show($("secret-view"), true);
}

function showFile(opened) {
  const name = downloadName(opened.name);
  // Never opened here: a download only, of a type no browser renders.
  const blob = new Blob([opened.body], { type: "application/octet-stream" });
  const link = $("download");
  link.href = URL.createObjectURL(blob);
  link.download = name;
  link.textContent = `Save ${name}`;
  link.rel = "noopener";
  $("file-name").textContent = name;
  $("file-size").textContent = `(${describeBytes(opened.body.length)})`;
  $("file-type").textContent = opened.mediaType || "application/octet-stream";
  show($("file-view"), true);
  document.body.dataset.file = name;
}

function init() {
  const status = $("reveal-status");
  const hadFragment = Boolean(location.hash) && location.hash !== "#";
  const fragment = location.hash;
  // The key stays in memory only: out of the address bar and the history
  // before anything else happens.
  forgetFragment();
  let link;
  if (!hadFragment) {
    say(
      status,
      "Nothing to reveal here: this address has no key after #. If you opened this secret before, it was already viewed or has expired; if you reloaded this page, open the link again from where you received it; otherwise ask the sender for the complete link.",
      "error",
    );
    document.body.dataset.ready = "no-key";
    return;
  }
  try {
    link = parseLink(fragment);
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

  const withPassphrase = link.version === 2 && needsPassphrase(link.flags);
  const passphraseField = $("passphrase");
  show($("passphrase-row"), withPassphrase);
  show($("ready-view"), true);
  wireCopy($("copy-secret"), $("secret"));
  const button = $("reveal");

  const gone = (text) => {
    show($("ready-view"), false);
    say(status, text, "error");
    link.key.fill(0);
  };

  const reveal = async () => {
    if (button.disabled) return;
    let passphrase = null;
    if (withPassphrase) {
      passphrase = passphraseField.value;
      if (passphrase === "") {
        say(status, "Enter the passphrase the sender gave you first. Nothing was sent yet.", "error");
        passphraseField.focus();
        return;
      }
    }
    button.disabled = true;
    passphraseField.disabled = true;
    say(status, "");
    progress(true, withPassphrase);
    let outcome = "error";
    try {
      const { opened, result } = await take(link, passphrase);
      if (opened) {
        link.key.fill(0);
        show($("ready-view"), false);
        if (opened.kind === "file") showFile(opened);
        else showText(opened.body);
        opened.body.fill(0);
        outcome = "revealed";
      } else if (result.kind === "error" && result.status === 404) {
        gone(
          "This secret was already viewed, has expired, or was destroyed by its sender. Ask the sender to share it again.",
        );
        outcome = "gone";
      } else if (result.kind === "error" && result.status === 403 && result.body && result.body.error === "wrong_passphrase") {
        const left = Number(result.body.attempts_left);
        if (Number.isInteger(left) && left > 0) {
          say(
            status,
            `That passphrase is not right. Nothing was destroyed: ${left} attempt${left === 1 ? "" : "s"} left before the secret is deleted. Check it with the sender and try again.`,
            "error",
          );
          passphraseField.value = "";
          outcome = "wrong_passphrase";
        } else {
          gone(
            "That passphrase is not right, and it was the last attempt allowed: the secret is now deleted. Ask the sender to share it again.",
          );
          outcome = "burned";
        }
      } else if (result.kind === "error" && result.body && result.body.error === "passphrase_required") {
        say(status, "The server asks for a passphrase that this link does not say it needs: the link may be altered. Ask the sender for it again.", "error");
        outcome = "passphrase_required";
      } else if (result.kind === "unavailable") {
        say(
          status,
          "The server is temporarily unavailable. Nothing was read and the secret is still there: try again in a moment.",
          "error",
        );
        button.textContent = "Try again";
        outcome = "unavailable";
      } else if (result.kind === "indeterminate") {
        say(
          status,
          "The server could not confirm what happened. The secret may already be gone, so this page will not retry on its own. You can try once more, or ask the sender for a new link.",
          "error",
        );
        button.textContent = "Try once more";
        outcome = "indeterminate";
      } else if (result.kind === "network") {
        say(
          status,
          "Could not reach the server. If the request got through the secret may be gone; try once more or ask the sender for a new link.",
          "error",
        );
        button.textContent = "Try once more";
        outcome = "network";
      } else {
        const message = result.body && result.body.message;
        say(status, "The server refused the request: " + (message || `HTTP ${result.status}`), "error");
      }
    } catch (err) {
      if (err instanceof FormatError && err.kind.startsWith("passphrase_")) {
        // Refused before any request (too long, not text).
        say(status, err.message + " Nothing was sent.", "error");
        outcome = "passphrase_refused";
      } else {
        // The envelope was taken but could not be opened: it is gone.
        gone(
          (err instanceof FormatError ? err.message + " " : "") +
            "The secret was received but could not be decrypted, and it is now deleted. Ask the sender to share it again.",
        );
        outcome = "undecryptable";
      }
    } finally {
      passphrase = null;
      progress(false);
      button.disabled = false;
      passphraseField.disabled = false;
      if (outcome === "wrong_passphrase" || outcome === "passphrase_refused") passphraseField.focus();
    }
    document.body.dataset.outcome = outcome;
    document.body.dataset.presses = String(Number(document.body.dataset.presses || 0) + 1);
  };

  button.addEventListener("click", reveal);
  passphraseField.addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      event.preventDefault();
      reveal();
    }
  });
  document.body.dataset.ready = "reveal";
  document.body.dataset.needs = withPassphrase ? "passphrase" : "";
  if (withPassphrase) passphraseField.focus();
}

// A new link pasted into this tab changes only the fragment, which does not
// load the page again: start over from a clean page.
window.addEventListener("hashchange", () => location.reload());

init();
