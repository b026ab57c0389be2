// Shared by the create and reveal views: calling the API, copying, showing.

/** The outcome of one API call, never thrown:
 *  { kind: "ok", status, body }            2xx
 *  { kind: "error", status, body }         a JSON error from the server
 *  { kind: "unavailable", retryAfter }     503 with retry: true (safe to repeat)
 *  { kind: "indeterminate" }               503 with retry: false, or a bare 5xx
 *  { kind: "network" }                     no answer at all
 *  `headers` are added to the request (e.g. Authorization). */
export async function postJson(path, payload, headers = {}) {
  let response;
  try {
    response = await fetch(new URL(path, document.baseURI), {
      method: "POST",
      headers: { ...headers, "Content-Type": "application/json" },
      body: JSON.stringify(payload),
      cache: "no-store",
      credentials: "omit",
      referrerPolicy: "no-referrer",
    });
  } catch (_) {
    return { kind: "network" };
  }
  let body = null;
  try {
    body = await response.json();
  } catch (_) {
    body = null;
  }
  if (response.ok) return { kind: "ok", status: response.status, body };
  if (response.status === 503 && body && body.retry === true) {
    const after = Number.parseInt(response.headers.get("Retry-After") || "1", 10);
    return { kind: "unavailable", retryAfter: Number.isFinite(after) ? after : 1 };
  }
  if (response.status >= 500) return { kind: "indeterminate", status: response.status, body };
  return { kind: "error", status: response.status, body };
}

/** Calls `postJson` again only while the server says retrying is safe, at
 *  most `attempts` times in all, waiting Retry-After (capped at 5 s). */
export async function postJsonRetrying(path, payload, attempts = 3, headers = {}) {
  let result;
  for (let i = 0; i < attempts; i++) {
    result = await postJson(path, payload, headers);
    if (result.kind !== "unavailable" || i === attempts - 1) break;
    const wait = Math.min(Math.max(result.retryAfter, 1), 5) * 1000;
    await new Promise((resolve) => setTimeout(resolve, wait));
  }
  return result;
}

/** GETs JSON; null on any failure (no answer within `timeoutMs`, an error
 *  status, not JSON). */
export async function getJson(path, timeoutMs = 5000) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    const response = await fetch(new URL(path, document.baseURI), {
      cache: "no-store",
      credentials: "omit",
      referrerPolicy: "no-referrer",
      signal: controller.signal,
    });
    if (!response.ok) return null;
    return await response.json();
  } catch (_) {
    return null;
  } finally {
    clearTimeout(timer);
  }
}

export function $(id) {
  return document.getElementById(id);
}

export function show(el, visible = true) {
  el.hidden = !visible;
}

/** Shows a message in a status box; `tone` is "info", "error" or "ok". */
export function say(el, text, tone = "info") {
  el.textContent = text;
  el.dataset.tone = tone;
  el.hidden = !text;
}

/** Wires a Copy button to copy the value of a field. */
export function wireCopy(button, field) {
  const label = button.textContent;
  button.addEventListener("click", async () => {
    let copied = false;
    try {
      await navigator.clipboard.writeText(field.value);
      copied = true;
    } catch (_) {
      field.focus();
      field.select();
      try {
        copied = document.execCommand("copy");
      } catch (_) {
        copied = false;
      }
    }
    button.textContent = copied ? "Copied" : "Select and copy";
    setTimeout(() => {
      button.textContent = label;
    }, 1500);
  });
}

/** Takes the part after `#` out of the address bar and this history entry
 *  (the page keeps what it needs in memory). Nothing is sent anywhere. */
export function forgetFragment() {
  if (location.hash || location.href.endsWith("#")) {
    history.replaceState(null, "", location.pathname + location.search);
  }
}

/** A size for people: "300 bytes", "64 KiB", "10 MiB", "1.5 MiB". */
export function describeBytes(n) {
  if (n < 1024) return `${n} byte${n === 1 ? "" : "s"}`;
  const units = ["KiB", "MiB", "GiB"];
  let value = n;
  let unit = "";
  for (const u of units) {
    value /= 1024;
    unit = u;
    if (value < 1024) break;
  }
  const text = Number.isInteger(value) ? String(value) : value.toFixed(value < 10 ? 1 : 0);
  return `${text} ${unit}`;
}

/** A time in words for this reader's locale, with seconds when `precise`. */
export function describeTime(unixSecs, precise = false) {
  return new Date(unixSecs * 1000).toLocaleString(undefined, {
    dateStyle: "medium",
    timeStyle: precise ? "medium" : "short",
  });
}

/** "in 3 hours", "5 minutes ago": how far `unixSecs` is from now. */
export function describeFromNow(unixSecs) {
  const diff = unixSecs - Date.now() / 1000;
  const abs = Math.abs(diff);
  const steps = [
    [86400, "day"],
    [3600, "hour"],
    [60, "minute"],
  ];
  const fmt = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });
  for (const [size, unit] of steps) {
    if (abs >= size) return fmt.format(Math.round(diff / size), unit);
  }
  return fmt.format(Math.round(diff), "second");
}
