// The receipt view at /r#<receipt fragment>: the state of a secret for its
// sender (pending, read, burned, expired), refreshed while pending, and a
// Burn button behind a confirmation. The fragment holds the secret's id and
// the receipt key R, never the reader's key: this page cannot open the secret.

import { b64uEncode, parseReceipt, receiptValues, toHex } from "./format2.js";
import { $, describeFromNow, describeTime, forgetFragment, postJson, postJsonRetrying, say, show } from "./common.js";

// While pending, ask again every few seconds, for a bounded time.
const POLL_MS = 3000;
const MAX_POLLS = 200;

const STATES = {
  pending: "Not read yet",
  read: "Read",
  burned: "Destroyed unread",
  expired: "Expired unread",
};

function fact(list, term, value, dateTime) {
  const dt = document.createElement("dt");
  dt.textContent = term;
  const dd = document.createElement("dd");
  if (dateTime !== undefined) {
    const time = document.createElement("time");
    time.dateTime = new Date(dateTime * 1000).toISOString();
    time.textContent = value;
    dd.append(time);
  } else dd.textContent = value;
  list.append(dt, dd);
}

function when(secs, precise = true) {
  return `${describeTime(secs, precise)} (${describeFromNow(secs)})`;
}

/** Shows a state answer (`200` or the body of a `409`). */
function showState(s) {
  const state = STATES[s.state] ? s.state : "unknown";
  $("state-title").textContent = STATES[state] || "Unknown state";
  const facts = $("state-facts");
  facts.replaceChildren();
  const attempts = Number(s.failed_attempts) || 0;
  let text = "";
  switch (state) {
    case "pending":
      text = "The secret is waiting for its reader. Nobody has opened it yet.";
      fact(facts, "Expires", when(s.expires_at, false), s.expires_at);
      break;
    case "read":
      text = "The reader's link was opened and the secret was handed out once. It is gone from the server.";
      fact(facts, "Read at", when(s.read_at), s.read_at);
      break;
    case "burned":
      text =
        s.reason === "passphrase_attempts"
          ? "Too many wrong passphrases were tried with the reader's link, so the secret was deleted unread."
          : "The secret was destroyed unread through this receipt. The reader's link finds nothing.";
      if (s.burned_at) fact(facts, "Destroyed at", when(s.burned_at), s.burned_at);
      fact(facts, "Why", s.reason === "passphrase_attempts" ? "too many wrong passphrases" : "by the sender");
      break;
    case "expired":
      text = "Nobody opened the secret before its lifetime ended; it was deleted unread.";
      if (s.expires_at) fact(facts, "Expired at", when(s.expires_at), s.expires_at);
      break;
    default:
      text = "The server answered with a state this page does not know.";
  }
  if (state === "pending" || attempts > 0) fact(facts, "Wrong passphrases tried", String(attempts));
  $("state-text").textContent = text;
  show($("burn"), state === "pending");
  if (state !== "pending") show($("burn-confirm"), false);
  show($("state-view"), true);
  document.body.dataset.state = state;
  return state;
}

function showUnknown() {
  $("state-title").textContent = "Not known here";
  $("state-text").textContent =
    "This server knows no secret for this receipt. Receipts are kept only for a while after their secret expires; or the receipt link is incomplete.";
  $("state-facts").replaceChildren();
  show($("burn"), false);
  show($("burn-confirm"), false);
  show($("state-view"), true);
  document.body.dataset.state = "unknown";
}

function problem(result) {
  switch (result.kind) {
    case "network":
      return "Could not reach the server. Check your connection; press Refresh to try again.";
    case "unavailable":
      return "The server is temporarily unavailable. Press Refresh in a moment.";
    case "indeterminate":
      return "The server could not confirm what happened. Press Refresh to see the state now.";
    default: {
      const message = result.body && result.body.message;
      return `The server refused the request: ${message || `HTTP ${result.status}`}.`;
    }
  }
}

async function init() {
  const status = $("receipt-status");
  const fragment = location.hash;
  forgetFragment();
  if (!fragment || fragment === "#") {
    say(status, "Nothing to show: this address has no receipt after #. Open the receipt link you were given when you created the secret.", "error");
    document.body.dataset.ready = "no-key";
    return;
  }
  let request;
  try {
    const { id, receiptKey } = parseReceipt(fragment);
    const { claim } = await receiptValues(receiptKey);
    receiptKey.fill(0);
    request = { id: toHex(id), receipt_claim: b64uEncode(claim) };
  } catch (err) {
    say(
      status,
      err && err.kind === "no_webcrypto"
        ? err.message
        : "This receipt link is damaged: check that you copied all of it. Nothing was sent to the server.",
      "error",
    );
    document.body.dataset.ready = "malformed";
    return;
  }

  let polls = 0;
  let timer = null;
  let busy = false;
  const note = $("refresh-note");

  const schedule = (state) => {
    clearTimeout(timer);
    timer = null;
    if (state !== "pending") {
      note.textContent = "";
      return;
    }
    if (polls >= MAX_POLLS) {
      note.textContent = "Stopped checking on its own; press Refresh to check again.";
      return;
    }
    note.textContent = `Checked ${describeTime(Date.now() / 1000, true)}; this page checks again every few seconds.`;
    timer = setTimeout(() => refresh(true), POLL_MS);
  };

  const refresh = async (automatic = false) => {
    if (busy) return;
    busy = true;
    if (automatic) polls++;
    else polls = 0;
    const result = await postJsonRetrying("api/v2/receipts", request);
    busy = false;
    document.body.dataset.polls = String(Number(document.body.dataset.polls || 0) + 1);
    if (result.kind === "ok") {
      if (!automatic) say(status, "");
      schedule(showState(result.body || {}));
    } else if (result.kind === "error" && result.status === 404) {
      showUnknown();
      schedule("unknown");
    } else {
      say(status, problem(result), "error");
      // Keep asking while it was pending: a brief outage should not stop it.
      schedule(document.body.dataset.state === "pending" ? "pending" : "none");
    }
  };

  $("refresh").addEventListener("click", () => refresh(false));
  $("burn").addEventListener("click", () => {
    show($("burn-confirm"), true);
    $("burn-no").focus();
  });
  $("burn-no").addEventListener("click", () => {
    show($("burn-confirm"), false);
    $("burn").focus();
  });
  $("burn-yes").addEventListener("click", async () => {
    const yes = $("burn-yes");
    yes.disabled = true;
    clearTimeout(timer);
    // A burn is never repeated on its own: the answer says what happened.
    const result = await postJson("api/v2/receipts/burn", request);
    yes.disabled = false;
    show($("burn-confirm"), false);
    let outcome = "error";
    if (result.kind === "ok") {
      schedule(showState(result.body || {}));
      say(status, "Destroyed. The reader's link now finds nothing.", "ok");
      outcome = "burned";
    } else if (result.kind === "error" && result.status === 409) {
      const body = result.body || {};
      const state = showState(body);
      schedule(state);
      const why = {
        already_read: "Too late to destroy it: the secret was already read.",
        already_burned: "It was already destroyed.",
        expired: "It had already expired, unread.",
      }[body.error];
      say(status, why || "The secret could not be destroyed in its present state.", "error");
      outcome = body.error || "conflict";
    } else if (result.kind === "error" && result.status === 404) {
      showUnknown();
      say(status, "This server knows no secret for this receipt any more.", "error");
      outcome = "unknown";
    } else {
      say(status, problem(result) + " Press Refresh to see whether it was destroyed.", "error");
    }
    document.body.dataset.burn = outcome;
  });

  document.body.dataset.ready = "receipt";
  await refresh(false);
}

// Another receipt pasted into this tab changes only the fragment, which does
// not load the page again: start over from a clean page.
window.addEventListener("hashchange", () => location.reload());

init();
