// The community-care panel: the life circle's gaps by street (or district) for a kind of
// service point, which can shade the map; and, for a department key, today's home-care orders —
// counts by status, the alarms with their response times, and each caregiver's run, which can
// be drawn on the map when the reader sees the clients' homes (their own department). Shows no
// client's name or address; built from text nodes.
import { lang, placeName, t } from "./i18n.js";
import { ApiError, formatTime, getJSON } from "./api.js";
import { fill, h } from "./dom.js";

// Shares of an area within the circle, 0–100: [below, colour, words].
export const SHARE_BANDS = [[20, "#f2b8b5", "< 20%"], [40, "#f9dcb4", "20–40%"], [60, "#fff3bf", "40–60%"],
  [80, "#d8f0c8", "60–80%"], [101, "#a6dba0", "≥ 80%"]];
const COLOURS = ["#1b6ac9", "#c92a2a", "#2b8a3e", "#e67700", "#862e9c", "#0b7285", "#5c940d", "#a61e4d"];
const pct = (x) => `${(100 * x).toFixed(0)}%`;
const clock = (iso) => (iso ? formatTime(iso, false, false) : "–");

function gapRows(gaps) {
  return h("div", { class: "bars gaps" }, gaps.areas.slice(0, 8).map((a) => [
    h("span", { class: "small" }, placeName(a.name)),
    h("span", { class: "bar", title: pct(a.share) }, h("span", { class: "answered", style: { width: pct(a.share) } })),
    h("span", { class: "small share" }, a.leftOut === null ? pct(a.share)
      : t("care.leftOut", { p: pct(a.share), n: a.leftOut.toLocaleString() })),
  ]));
}

function alarmRow(o) {
  const waited = [o.acceptedSeconds !== undefined ? t("care.accepted", { s: Math.round(o.acceptedSeconds) }) : null,
    o.arrivedSeconds !== undefined ? t("care.arrived", { m: (o.arrivedSeconds / 60).toFixed(0) }) : null].filter(Boolean);
  return h("li", { class: "alarm", dataset: { order: String(o.id), status: o.status } },
    h("span", { class: `badge status-${o.status}` }, t("care.status." + o.status)), " ",
    clock(o.created), " · ", o.kindName[lang()] || o.kindName.zh, " · ", placeName(o.client.street || o.client.district || ""),
    h("div", { class: "small muted" }, [o.caregiver || t("care.nobody"), ...waited].join(" · ")));
}

export class HomeCarePanel {
  constructor(root, map) {
    this.root = root;
    this.map = map;
    this.kind = "day_care_centre";
    root.addEventListener("change", (event) => {
      if (event.target.name === "kind") { this.kind = event.target.value; this.loadGaps(); }
    });
    root.addEventListener("click", (event) => {
      if (event.target.closest("[data-shade-gaps]")) this.shade();
      if (event.target.closest("[data-routes]")) this.routes();
    });
  }

  async load() {
    try {
      this.kinds = await getJSON("/care/v1/kinds");
      await this.loadGaps(false);
      this.orders = null;
      this.refused = null;
      try {
        this.orders = await getJSON("/care/v1/orders?day=today");
      } catch (err) {
        if (!(err instanceof ApiError) || ![401, 403].includes(err.status)) throw err;
        this.refused = err.status;
      }
      this.render();
    } catch (err) {
      fill(this.root, h("p", { class: "note error" }, t("error.load", { msg: err.message })));
    }
  }

  async loadGaps(render = true) {
    this.gaps = await getJSON(`/care/v1/gaps?kind=${encodeURIComponent(this.kind)}`);
    if (this.shaded) this.shade(true);
    if (render) this.render();
  }

  shade(keep = false) {
    this.shaded = keep || !this.shaded;
    const values = {};
    for (const a of this.gaps.areas) values[a.name] = 100 * a.share;
    this.map.shadeAreas(this.gaps.level, this.shaded ? values : null,
      t("care.legend", { m: this.gaps.minutes }), SHARE_BANDS);
  }

  runs() {
    const by = new Map();
    for (const o of this.orders || []) {
      if (o.priority !== "normal" || !o.caregiver || !o.planned) continue;
      if (!by.has(o.caregiver)) by.set(o.caregiver, []);
      by.get(o.caregiver).push(o);
    }
    for (const list of by.values()) list.sort((a, b) => a.planned.localeCompare(b.planned));
    return [...by.entries()].sort(([a], [b]) => a.localeCompare(b));
  }

  routes() {
    this.drawn = !this.drawn;
    const runs = this.runs().filter(([, list]) => list.every((o) => !o.client.masked));
    this.map.drawRoutes(this.drawn ? runs.map(([caregiver, list], i) => ({
      caregiver, colour: COLOURS[i % COLOURS.length], stops: list.map((o) => [o.client.lat, o.client.lon]),
    })) : null);
  }

  render() {
    const kindName = (k) => (k.name[lang()] || k.name.zh);
    const gaps = h("section", { class: "gaps" },
      h("h4", {}, t("care.gaps")),
      h("label", { class: "small" }, t("care.kind"), " ",
        h("select", { name: "kind" }, this.kinds.map((k) => h("option", { value: k.kind, selected: k.kind === this.kind }, kindName(k))))),
      h("p", { class: "small muted" }, t("care.circle", { m: this.gaps.minutes, d: this.gaps.metres, n: this.gaps.points })),
      gapRows(this.gaps),
      h("p", { class: "small muted" }, t("care.method")),
      h("button", { type: "button", dataset: { shadeGaps: "1" } }, t("care.shade")));
    let today;
    if (this.orders === null) {
      today = h("p", { class: "small muted" }, t(this.refused === 401 ? "care.signIn" : "care.ownOnly"));
    } else {
      const counts = {};
      for (const o of this.orders) counts[o.status] = (counts[o.status] || 0) + 1;
      const alarms = this.orders.filter((o) => o.priority === "urgent");
      const runs = this.runs();
      today = [
        h("p", { class: "small counts" }, Object.entries(counts).map(([s, n]) => `${t("care.status." + s)} ${n}`).join(" · ") || t("citizen.none")),
        h("h5", {}, t("care.alarms")),
        alarms.length ? h("ol", { class: "alarms" }, alarms.map(alarmRow)) : h("p", { class: "small muted" }, t("citizen.none")),
        h("h5", {}, t("care.runs")),
        runs.length ? h("ul", { class: "runs" }, runs.map(([who, list]) => h("li", { dataset: { caregiver: who } },
          who, " · ", t("care.visits", { n: list.length, a: clock(list[0].planned), b: clock(list[list.length - 1].planned) })))) : h("p", { class: "small muted" }, t("citizen.none")),
        runs.length ? h("button", { type: "button", dataset: { routes: "1" } }, t("care.showRuns")) : null,
      ];
    }
    fill(this.root, gaps, h("section", { class: "today" }, h("h4", {}, t("care.today")), today));
    this.root.dataset.ready = "true";
  }
}
