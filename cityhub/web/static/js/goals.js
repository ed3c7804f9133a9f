// The goals panel: every target's standing (on track / at risk / off track) with the indicator's
// latest value; a click opens its history with the target line and a forecast band.
import { pick, t } from "./i18n.js";
import { escapeHtml, formatNumber, getJSON } from "./api.js";
import { lineChart } from "./chart.js";

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
      this.root.innerHTML = `<p class="note error">${escapeHtml(t("error.load", { msg: err.message }))}</p>`;
      return;
    }
    this.render();
  }

  render() {
    if (!this.items) return;
    if (!this.items.length) { this.root.innerHTML = `<p class="note">${t("goals.none")}</p>`; return; }
    const rows = this.items.map((a) => {
      const key = `${a.indicator}|${a.place}`;
      const latest = a.latest ? `${t("goals.latest")} ${formatNumber(a.latest.value)} ${escapeHtml(a.unit)} (${escapeHtml(a.latest.period)})` : "";
      const target = a.target != null ? `${t("goals.target")} ${formatNumber(a.target)} (${escapeHtml(a.period)})` : "";
      return `<div class="goal" data-key="${escapeHtml(key)}" data-status="${escapeHtml(a.status)}">
        <div class="head"><span class="name">${escapeHtml(pick(a.name))}</span>
          <span class="badge ${escapeHtml(a.status)}">${escapeHtml(pick(a.statusText))}</span></div>
        <div class="small muted">${[a.place === "city" ? "" : escapeHtml(a.place), latest, target].filter(Boolean).join(" · ")}</div>
        <div class="small">${escapeHtml(pick(a.explanation))}</div>
        <div class="chart" ${this.open.has(key) ? "" : "hidden"}>${this.chartHtml(key)}</div></div>`;
    });
    this.root.innerHTML = `<h4>${t("goals.title")}</h4>${rows.join("")}`;
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

  chartHtml(key) {
    const data = this.charts.get(key);
    if (!data) return "";
    if (data.error) return `<p class="note error">${escapeHtml(data.error)}</p>`;
    const points = data.values.slice(-36).map((v) => ({ x: periodX(v.period), y: v.value, label: v.period }));
    const labels = new Map(points.map((p) => [p.x, p.label]));
    const forecast = (data.forecast ? data.forecast.points : []).map((f) => {
      labels.set(periodX(f.period), f.period);
      return { x: periodX(f.period), y: f.mean, lo: f.lower, hi: f.upper };
    });
    const target = data.targets.find((g) => g.kind !== "elapsed" && g.value != null);
    const svg = lineChart({ points, forecast, target: target ? target.value : null, xLabel: (x) => labels.get(x) || "" });
    const note = data.forecast
      ? `${t("goals.forecast", { level: Math.round(data.forecast.level * 100) })} · ${escapeHtml(data.forecast.method)}`
      : escapeHtml(data.forecastNote);
    return `${svg}<p class="small muted">${note}</p>`;
  }
}
