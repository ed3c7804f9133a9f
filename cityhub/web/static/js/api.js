// Calls to the platform's own API: the key from the key dialog, problem+json turned into errors.
import { lang } from "./i18n.js";

export const session = { key: localStorage.getItem("cityhub.key") || "", config: null };

export class ApiError extends Error {
  constructor(status, detail) { super(detail); this.status = status; }
}

function headers(extra = {}) {
  const out = { Accept: "application/json", ...extra };
  if (session.key) out.Authorization = `Bearer ${session.key}`;
  return out;
}

async function handle(response) {
  if (response.ok) return response.status === 204 ? null : response.json();
  let detail = response.statusText;
  try { const body = await response.json(); detail = body.detail || body.title || detail; } catch (_) { /* not JSON */ }
  throw new ApiError(response.status, detail);
}

export async function getJSON(path) {
  return handle(await fetch(path, { headers: headers() }));
}

export async function postJSON(path, body) {
  return handle(await fetch(path, {
    method: "POST", headers: headers({ "Content-Type": "application/json" }), body: JSON.stringify(body),
  }));
}

export function setKey(key) {
  session.key = key;
  if (key) localStorage.setItem("cityhub.key", key); else localStorage.removeItem("cityhub.key");
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

export function escapeHtml(text) {
  return String(text ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}
