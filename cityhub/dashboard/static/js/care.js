// Nearby services for residents: pick a kind of place and where you are (your position, or a
// district), and see the nearest ones open now with their walking time and free places.
// Reads /care/v1; built from text nodes only.
import { fill, h } from "./dom.js";

const WORDS = {
  zh: { title: "附近服务", kind: "找什么", district: "在哪个区", capacity: "只看有空位的", here: "用我的位置",
    find: "查找", none: "附近暂无开放的服务点", walk: "步行约 {m} 分钟", bus: "乘 {line} 约 {m} 分钟",
    busWay: "{a} 上车，{b} 下车（{n} 站）", far: "{d} 米", free: "空位 {n}",
    full: "已满", hours: "开放时间 {h}", other: "English", located: "已使用您的位置", failed: "查询失败：{msg}",
    method: "步行时间按直线距离×1.3、每分钟80米估算" },
  en: { title: "Services near you", kind: "Looking for", district: "District", capacity: "Only with free places",
    here: "Use my position", find: "Find", none: "No open place nearby", walk: "about {m} min walk",
    bus: "about {m} min by {line}", busWay: "board at {a}, get off at {b} ({n} stops)", far: "{d} m",
    free: "{n} free", full: "full", hours: "Hours {h}", other: "中文", located: "Using your position",
    failed: "Could not search: {msg}", method: "Walking time: straight-line distance × 1.3 at 80 m a minute" },
};
let lang = localStorage.getItem("cityhub.lang") === "en" ? "en" : "zh";
const t = (key, vars = {}) => WORDS[lang][key].replace(/\{(\w+)\}/g, (_, k) => String(vars[k] ?? ""));
const $ = (s) => document.querySelector(s);
let kinds = [];
let districts = [];
let position = null;

function render() {
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
  $("#title").textContent = t("title");
  $("#lang").textContent = t("other");
  $("#kind-label").textContent = t("kind");
  $("#district-label").textContent = t("district");
  $("#capacity-label").textContent = t("capacity");
  $("#here").textContent = t("here");
  $("#find").textContent = t("find");
  $("#method").textContent = t("method");
  const kind = $("#kind").value, district = $("#district").value;
  fill($("#kind"), kinds.map((k) => h("option", { value: k.kind }, k.name[lang])));
  fill($("#district"), districts.map((d) => h("option", { value: d.id }, lang === "en" && d.name_en ? d.name_en : d.name)));
  if (kind) $("#kind").value = kind;
  if (district) $("#district").value = district;
}

function place() {
  if (position) return position;
  const d = districts.find((x) => x.id === $("#district").value);
  return d ? { lat: d.at[1], lon: d.at[0] } : null;
}

async function find(event) {
  if (event) event.preventDefault();
  const where = place();
  if (!where) return;
  const params = new URLSearchParams({ lat: where.lat.toFixed(5), lon: where.lon.toFixed(5), service: $("#kind").value, n: "8",
    capacity: $("#capacity").checked ? "true" : "false" });
  const reply = await fetch(`/care/v1/nearest?${params}`, { headers: { Accept: "application/json" } });
  const body = await reply.json().catch(() => ({}));
  if (!reply.ok) { $("#status").textContent = t("failed", { msg: body.detail || reply.statusText }); return; }
  $("#status").textContent = position ? t("located") : "";
  fill($("#results"), body.points.length ? body.points.map((p) => h("li", { dataset: { point: p.id } },
    h("span", { class: "walk" }, p.bus ? t("bus", { m: Math.round(p.minutes), line: p.bus.line.split("(")[0] })
      : t("walk", { m: Math.max(1, Math.round(p.walk_minutes)) })),
    h("div", { class: "name" }, p.name),
    p.bus ? h("div", { class: "muted bus" }, t("busWay", { a: p.bus.board, b: p.bus.alight, n: p.bus.stops })) : null,
    h("div", { class: "muted" }, p.kind_name[lang], " · ", t("far", { d: p.metres }),
      p.free === null ? "" : [" · ", h("span", { class: p.free > 0 ? "free" : "free none" }, p.free > 0 ? t("free", { n: p.free }) : t("full"))]),
    h("div", { class: "muted" }, t("hours", { h: p.hours })))) : h("li", {}, t("none")));
  document.body.dataset.results = String(body.points.length);
}

async function main() {
  const [k, d] = await Promise.all([
    fetch("/care/v1/kinds").then((r) => r.json()),
    fetch("/dashboard/v1/districts").then((r) => r.json()),
  ]);
  kinds = k;
  districts = d.features.filter((f) => f.properties.label_point).map((f) => ({
    id: f.id, name: f.properties.name, name_en: f.properties.name_en, at: f.properties.label_point }));
  render();
  $("#ask").addEventListener("submit", find);
  $("#lang").addEventListener("click", () => { lang = lang === "zh" ? "en" : "zh"; localStorage.setItem("cityhub.lang", lang); render(); find(); });
  $("#here").addEventListener("click", () => navigator.geolocation.getCurrentPosition(
    (p) => { position = { lat: p.coords.latitude, lon: p.coords.longitude }; find(); },
    (err) => { $("#status").textContent = t("failed", { msg: err.message }); }));
  document.body.dataset.ready = "true";
}

main().catch((err) => { $("#status").textContent = t("failed", { msg: err.message }); });
