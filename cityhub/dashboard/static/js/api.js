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

export async function getJSON(path, headers = {}) {
  return handle(await fetch(path, { headers: { Accept: "application/json", ...headers }, credentials: "same-origin" }));
}

// The Link header naming the @context a type's entities are written in (Smart Data Models
// domains for the city's devices, points and KPIs), so their names come back short.
export function contextHeaders(type) {
  const known = ((session.config && session.config.types) || []).find((x) => x.type === type);
  return known && known.link ? { Link: known.link } : {};
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

// Times are stored in UTC and shown in the city's time zone. Dates name the month ("2 Dec",
// "12月2日") so day and month never swap between the languages.
function zone() { return (session.config && session.config.timezone) || "Asia/Shanghai"; }
function locale() { return lang() === "zh" ? "zh-CN" : "en-GB"; }

export function formatTime(iso, withDate = true, withSeconds = true) {
  if (!iso) return "";
  const options = { timeZone: zone(), hour: "2-digit", minute: "2-digit", hour12: false };
  if (withSeconds) options.second = "2-digit";
  if (withDate) Object.assign(options, { month: "short", day: "numeric" });
  return new Intl.DateTimeFormat(locale(), options).format(new Date(iso));
}

// A date in the city's zone, with the year when asked.
export function formatDate(iso, withYear = false) {
  if (!iso) return "";
  const options = { timeZone: zone(), month: "short", day: "numeric" };
  if (withYear) options.year = "numeric";
  return new Intl.DateTimeFormat(locale(), options).format(new Date(iso));
}

// How far the city's clock is ahead of UTC at `ms` (for ticks at round local times).
export function zoneOffset(ms = Date.now()) {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone: zone(), hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit", second: "2-digit",
  }).formatToParts(new Date(ms));
  const get = (type) => Number(parts.find((p) => p.type === type).value);
  const local = Date.UTC(get("year"), get("month") - 1, get("day"), get("hour"), get("minute"), get("second"));
  return local - Math.floor(ms / 1000) * 1000;
}

// A time-axis tick: the time of day under a day's step (with the date at midnight and on the
// first tick), the date from a day's step up.
export function formatTick(ms, step, index) {
  const iso = new Date(ms).toISOString();
  if (step >= 86_400_000) return formatDate(iso);
  if (step < 60_000) return formatTime(iso, index <= 0, true); // the two ends of a short span
  const local = new Date(ms + zoneOffset(ms));
  const midnight = local.getUTCHours() === 0 && local.getUTCMinutes() === 0;
  if (index === 0 || midnight || index < 0) {
    return index < 0 ? formatTime(iso, true, false) : midnight ? formatDate(iso) : formatTime(iso, true, false);
  }
  return formatTime(iso, false, false);
}

export function formatNumber(value) {
  if (typeof value !== "number") return String(value);
  const digits = Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2;
  return new Intl.NumberFormat(lang() === "zh" ? "zh-CN" : "en-GB", { maximumFractionDigits: digits }).format(value);
}
