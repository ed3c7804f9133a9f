// The detail panel of one entity: its current values (live), where it is, and a chart of the
// recent history of one numeric attribute from the NGSI-LD temporal API.
import { attrLabel, placeName, t, typeLabel } from "./i18n.js";
import { contextHeaders, formatNumber, formatTick, formatTime, getJSON, zoneOffset } from "./api.js";
import { lineChart } from "./chart.js";
import { fill, h } from "./dom.js";
import { shown, unitOf } from "./units.js";
import { RequestCard } from "./request.js";
import { SCALES } from "./map.js";

const HISTORY = 60;
const SKIP = new Set(["location", "refDistrict", "service_request_id", "requested_datetime", "updated_datetime"]);

function scalar(attr) {
  if (!attr || typeof attr !== "object") return undefined;
  if (attr.type === "Relationship") return attr.object;
  if (attr.type === "LanguageProperty") return attr.languageMap && (attr.languageMap.zh || Object.values(attr.languageMap)[0]);
  const v = attr.value;
  if (v && typeof v === "object" && "@value" in v) return v["@value"];
  return typeof v === "object" ? undefined : v;
}

export class DetailPanel {
  constructor(root) {
    this.root = root;
    this.id = null;
    this.units = {};
    this.headers = {};
    this.values = {};
    this.series = [];
    this.attr = "";
    root.querySelector("#detail-close").addEventListener("click", () => this.hide());
    this.select = root.querySelector("#detail-attr");
    this.select.addEventListener("change", () => this.loadHistory(this.select.value));
    this.card = new RequestCard(root.querySelector("#detail-card"));
  }

  hide() { this.root.hidden = true; this.id = null; if (location.hash.startsWith("#entity=")) history.replaceState(null, "", location.pathname); }

  async show(id, item) {
    this.id = id;
    this.root.hidden = false;
    this.item = item;
    this.values = {};
    this.units = {};
    this.headers = {};
    this.series = [];
    this.root.querySelector("#detail-title").textContent = `${typeLabel(item ? item.type : "")} ${id.split(":").slice(-1)[0]}`;
    this.renderPlace(item);
    const isRequest = (item && item.type === "Open311ServiceRequest") || id.includes(":Open311ServiceRequest:");
    this.root.querySelector(".entity-view").hidden = isRequest;
    this.card.root.hidden = !isRequest;
    if (isRequest) { await this.card.show(id.split(":").slice(-1)[0]); return; }
    let entity;
    try {
      this.headers = contextHeaders(item ? item.type : id.split(":")[2]);
      entity = await getJSON(`/ngsi-ld/v1/entities/${encodeURIComponent(id)}`, this.headers);
    } catch (err) {
      fill(this.root.querySelector("#detail-values"),
        h("tr", {}, h("td", { colspan: 2, class: "note error" }, t("error.load", { msg: err.message }))));
      return;
    }
    if (this.id !== id) return;
    this.root.querySelector("#detail-title").textContent = `${typeLabel(entity.type)} ${id.split(":").slice(-1)[0]}`;
    for (const [name, attr] of Object.entries(entity)) {
      if (["id", "type", "@context"].includes(name) || SKIP.has(name)) continue;
      const value = scalar(Array.isArray(attr) ? attr[0] : attr);
      if (value === undefined || value === null) continue;
      this.values[name] = value;
      const first = Array.isArray(attr) ? attr[0] : attr;
      if (first && first.unitCode) this.units[name] = first.unitCode;
    }
    this.renderValues();
    const numeric = Object.keys(this.values).filter((k) => typeof this.values[k] === "number");
    fill(this.select, numeric.map((k) => h("option", { value: k }, attrLabel(k))));
    this.select.parentElement.hidden = numeric.length === 0;
    // The attribute the map colours by comes first (the store may return attributes in any order).
    const main = SCALES[entity.type] && SCALES[entity.type].attr;
    const first = numeric.includes(this.attr) ? this.attr : numeric.includes(main) ? main : numeric[0];
    if (numeric.length) await this.loadHistory(first);
    else fill(this.root.querySelector("#detail-chart"), h("p", { class: "muted small" }, t("detail.nohistory")));
  }

  renderPlace(item) {
    const place = item ? [placeName(item.district), item.street].filter(Boolean).join(" · ") : "";
    this.root.querySelector("#detail-place").textContent = place ? `${t("detail.district")}: ${place}` : "";
    const when = item && item.modifiedAt;
    this.root.querySelector("#detail-updated").textContent = when ? `${t("detail.updated")} ${formatTime(when)}` : "";
  }

  renderValues(flash = new Set()) {
    const rows = Object.entries(this.values).map(([name, value]) => {
      const code = this.units[name];
      const text = typeof value === "number" ? formatNumber(shown(value, code)) : String(value);
      const unit = unitOf(code).label;
      return h("tr", { dataset: { attr: name, unit: code || "" }, class: flash.has(name) ? "flash" : null },
        h("td", {}, attrLabel(name)), h("td", {}, unit ? `${text} ${unit}` : text));
    });
    fill(this.root.querySelector("#detail-values"), rows);
  }

  async loadHistory(attr) {
    this.attr = attr;
    this.loaded = null;
    this.select.value = attr;
    const id = this.id;
    const url = `/ngsi-ld/v1/temporal/entities/${encodeURIComponent(id)}?attrs=${encodeURIComponent(attr)}&lastN=${HISTORY}&options=temporalValues`;
    let body;
    try { body = await getJSON(url, this.headers); } catch (err) { body = {}; }
    if (this.id !== id || this.attr !== attr) return;
    const values = (body[attr] && body[attr].values) || [];
    this.series = values.filter((p) => typeof p[0] === "number").map((p) => ({ x: Date.parse(p[1]), y: p[0] }));
    this.loaded = attr;
    this.drawChart();
  }

  drawChart() {
    const target = this.root.querySelector("#detail-chart");
    if (!this.series.length) { fill(target, h("p", { class: "muted small" }, t("detail.nohistory"))); return; }
    const code = this.units[this.attr];
    const unit = unitOf(code).label;
    const points = this.series.map((p) => ({ x: p.x, y: shown(p.y, code) }));
    const ys = points.map((p) => p.y);
    fill(target, lineChart({
      points,
      time: true,
      offset: zoneOffset(points[0].x),
      xLabel: formatTick,
      yUnit: `${attrLabel(this.attr)}${unit ? ` (${unit})` : ""}`,
      floor: Math.min(...ys) >= 0 ? 0 : null,
      ceil: unit === "%" ? 100 : null,
      valueText: (v) => `${formatNumber(v)}${unit ? ` ${unit}` : ""}`,
    }));
  }

  // A live change for the entity on show: new values flash, the chart grows.
  live(item) {
    if (item.id !== this.id) return;
    if (!this.card.root.hidden) { this.card.soon(); return; }
    const changed = new Set();
    for (const [name, value] of Object.entries(item.values || {})) {
      if (SKIP.has(name)) continue;
      this.values[name] = value;
      changed.add(name);
    }
    this.item = { ...(this.item || {}), ...item };
    this.renderPlace(this.item);
    this.renderValues(changed);
    const value = item.values && item.values[this.attr];
    if (typeof value === "number" && this.loaded === this.attr) { // after the history, not before
      this.series.push({ x: Date.parse(item.modifiedAt) || Date.now(), y: value });
      if (this.series.length > HISTORY) this.series.shift();
      this.drawChart();
    }
  }

  relabel() {
    if (!this.id) return;
    if (!this.card.root.hidden) { this.card.render(); return; }
    this.renderValues(); this.renderPlace(this.item); this.drawChart();
  }
}
