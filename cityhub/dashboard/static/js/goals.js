// The goals panel: every target's standing (on track / at risk / off track) with the indicator's
// latest value; a click opens its history with the target line and a forecast band.
import { pick, t } from "./i18n.js";
import { formatNumber, getJSON } from "./api.js";
import { lineChart } from "./chart.js";
import { fill, h } from "./dom.js";

function periodX(period) {
  const m = /^(\d{4})(?:-(\d{2}))?/.exec(period);
  if (!m) return 0;
  return Number(m[1]) + (m[2] ? (Number(m[2]) - 1) / 12 : 0);
}

export class GoalsPanel {
  constructor(root) {
    this.root = root;
    this.items = null;
    this.open = new Set();
    this.charts = new Map();
    root.addEventListener("click", (event) => {
      const head = event.target.closest(".goal .head");
      if (head) this.toggle(head.parentElement.dataset.key);
    });
  }

  async load() {
    try { this.items = await getJSON("/dashboard/v1/goals"); } catch (err) {
      fill(this.root, h("p", { class: "note error" }, t("error.load", { msg: err.message })));
      return;
    }
    this.render();
  }

  render() {
    if (!this.items) return;
    if (!this.items.length) { fill(this.root, h("p", { class: "note" }, t("goals.none"))); return; }
    const rows = this.items.map((a) => {
      const key = `${a.indicator}|${a.place}`;
      const latest = a.latest ? `${t("goals.latest")} ${formatNumber(a.latest.value)} ${a.unit ?? ""} (${a.latest.period})` : "";
      const target = a.target != null ? `${t("goals.target")} ${formatNumber(a.target)} (${a.period})` : "";
      return h("div", { class: "goal", dataset: { key, status: a.status } },
        h("div", { class: "head" },
          h("span", { class: "name" }, pick(a.name)),
          h("span", { class: `badge ${a.status}` }, pick(a.statusText))),
        h("div", { class: "small muted" }, [a.place === "city" ? "" : a.place, latest, target].filter(Boolean).join(" · ")),
        h("div", { class: "small" }, pick(a.explanation)),
        h("div", { class: "chart", hidden: !this.open.has(key) }, this.chart(key)));
    });
    fill(this.root, h("h4", {}, t("goals.title")), rows);
  }

  async toggle(key) {
    if (this.open.has(key)) { this.open.delete(key); this.render(); return; }
    this.open.add(key);
    if (!this.charts.has(key)) {
      const [indicator, place] = key.split("|");
      try {
        this.charts.set(key, await getJSON(`/dashboard/v1/goals/${encodeURIComponent(indicator)}?place=${encodeURIComponent(place)}`));
      } catch (err) { this.charts.set(key, { error: err.message }); }
    }
    this.render();
  }

  chart(key) {
    const data = this.charts.get(key);
    if (!data) return null;
    if (data.error) return h("p", { class: "note error" }, data.error);
    const points = data.values.slice(-36).map((v) => ({ x: periodX(v.period), y: v.value, label: v.period }));
    const labels = new Map(points.map((p) => [p.x, p.label]));
    const forecast = (data.forecast ? data.forecast.points : []).map((f) => {
      labels.set(periodX(f.period), f.period);
      return { x: periodX(f.period), y: f.mean, lo: f.lower, hi: f.upper };
    });
    const target = data.targets.find((g) => g.kind !== "elapsed" && g.value != null);
    const chart = lineChart({ points, forecast, target: target ? target.value : null, xLabel: (x) => labels.get(x) || "" });
    const note = data.forecast
      ? `${t("goals.forecast", { level: Math.round(data.forecast.level * 100) })} · ${data.forecast.method}`
      : data.forecastNote;
    return [chart, h("p", { class: "small muted" }, note)];
  }
}
