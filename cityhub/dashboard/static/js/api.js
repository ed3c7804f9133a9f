// Calls to the platform's own API. The browser holds no key: the key is exchanged once for an
// HttpOnly, SameSite=Strict session cookie that script cannot read; problem+json becomes errors.
import { lang } from "./i18n.js";

export const session = { signedIn: false, department: "", role: "", config: null };

export class ApiError extends Error {
  constructor(status, detail) { super(detail); this.status = status; }
}

async function handle(response) {
  if (response.ok) return response.status === 204 ? null : response.json();
  let detail = response.statusText;
  try { const body = await response.json(); detail = body.detail || body.title || detail; } catch (_) { /* not JSON */ }
  throw new ApiError(response.status, detail);
}

export async function getJSON(path) {
  return handle(await fetch(path, { headers: { Accept: "application/json" }, credentials: "same-origin" }));
}

async function send(method, path, body) {
  return handle(await fetch(path, {
    method,
    headers: { Accept: "application/json", "Content-Type": "application/json" },
    credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body),
  }));
}

export function postJSON(path, body) { return send("POST", path, body); }

export async function loadSession() {
  const who = await getJSON("/dashboard/v1/session");
  Object.assign(session, { signedIn: who.signedIn, department: who.department, role: who.role });
  return session;
}

// Sign in with a key (the server sets the cookie) or, with an empty key, sign out.
export async function setKey(key) {
  if (key) await send("POST", "/dashboard/v1/session", { key });
  else await send("DELETE", "/dashboard/v1/session");
  return loadSession();
}

// Times are stored in UTC and shown in the city's time zone.
export function formatTime(iso, withDate = true) {
  if (!iso) return "";
  const zone = (session.config && session.config.timezone) || "Asia/Shanghai";
  const options = { timeZone: zone, hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false };
  if (withDate) Object.assign(options, { month: "2-digit", day: "2-digit" });
  return new Intl.DateTimeFormat(lang() === "zh" ? "zh-CN" : "en-GB", options).format(new Date(iso));
}

export function formatNumber(value) {
  if (typeof value !== "number") return String(value);
  const digits = Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2;
  return new Intl.NumberFormat(lang() === "zh" ? "zh-CN" : "en-GB", { maximumFractionDigits: digits }).format(value);
}
