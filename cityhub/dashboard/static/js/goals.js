// The goals panel: every target's standing (on track / at risk / off track) with the indicator's
// latest value; a click opens its history with the target line and a forecast band.
import { lang, pick, t } from "./i18n.js";
import { getJSON } from "./api.js";
import { lineChart } from "./chart.js";
import { fill, h } from "./dom.js";

function periodX(period) {
  const m = /^(\d{4})(?:-(\d{2}))?/.exec(period);
  if (!m) return 0;
  return Number(m[1]) + (m[2] ? (Number(m[2]) - 1) / 12 : 0);
}

// 序时进度: for each month of the target's year shown, the share of the year passed by the
// month's end times the target (a cumulative rate should keep up with it).
function elapsedLine(points, target) {
  const year = Number(String(target.period).slice(0, 4));
  const start = Date.UTC(year, 0, 1), end = Date.UTC(year + 1, 0, 1);
  const line = [];
  for (const p of points) {
    const m = /^(\d{4})-(\d{2})$/.exec(p.label || "");
    if (!m || Number(m[1]) !== year) continue;
    const monthEnd = Date.UTC(year, Number(m[2]), 1);
    line.push([p.x, ((monthEnd - start) / (end - start)) * (target.value ?? 100)]);
  }
  return line;
}

// A number with the indicator's decimals and its unit.
function amount(value, a) {
  if (value == null) return "";
  const digits = a.decimals ?? 2;
  const text = new Intl.NumberFormat(document.documentElement.lang, { maximumFractionDigits: digits, minimumFractionDigits: digits }).format(value);
  return a.unit ? `${text} ${unitWords(a.unit)}` : text;
}

function unitWords(unit) { return lang() === "en" && UNIT_EN[unit] ? UNIT_EN[unit] : unit; }
const UNIT_EN = { "亿元": "× 100 million yuan", "万人": "× 10,000 people", "个": "", "件": "cases", "天": "days", "次": "times" };

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
      const latest = a.latest ? `${t("goals.latest")} ${amount(a.latest.value, a)} (${a.latest.period})` : "";
      const target = a.targetKind === "elapsed"
        ? `${t("goals.target")} ${t("goals.elapsed")} (${a.period})`
        : a.target != null ? `${t("goals.target")} ${amount(a.target, a)} (${a.period})` : "";
      const stale = a.numbers && a.numbers.staleSince;
      return h("div", { class: "goal", dataset: { key, status: a.status } },
        h("div", { class: "head" },
          h("span", { class: "name" }, pick(a.name)),
          stale ? h("span", { class: "badge stale", title: a.numbers.staleSince }, t("goals.stale", { p: a.numbers.staleSince })) : null,
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
        const data = await getJSON(`/dashboard/v1/goals/${encodeURIComponent(indicator)}?place=${encodeURIComponent(place)}`);
        this.charts.set(key, data);
        // The chart came without its forecast, which the server is still making: ask again.
        if (data.forecastPending) setTimeout(() => this.refresh(key), 5_000);
      } catch (err) { this.charts.set(key, { error: err.message }); }
    }
    this.render();
  }

  async refresh(key) {
    if (!this.open.has(key)) { this.charts.delete(key); return; }
    this.open.delete(key);
    this.charts.delete(key);
    await this.toggle(key);
  }

  chart(key) {
    const data = this.charts.get(key);
    if (!data) return null;
    if (data.error) return h("p", { class: "note error" }, data.error);
    const points = data.values.slice(-36).map((v) => ({ x: periodX(v.period), y: v.value, label: v.period }));
    const labels = new Map(points.map((p) => [p.x, p.label]));
    const elapsed = data.targets.find((g) => g.kind === "elapsed");
    // A cumulative rate restarts each year: it is read against 序时进度, not extrapolated.
    const forecast = (data.forecast && !elapsed ? data.forecast.points : []).map((f) => {
      labels.set(periodX(f.period), f.period);
      return { x: periodX(f.period), y: f.mean, lo: f.lower, hi: f.upper };
    });
    const target = data.targets.find((g) => g.kind !== "elapsed" && g.value != null);
    const reference = elapsed ? elapsedLine(points, elapsed) : [];
    const ind = data.indicator || {};
    const chart = lineChart({
      points, forecast, reference, target: target ? target.value : null, xLabel: (x) => labels.get(x) || "",
      yUnit: ind.unit ? unitWords(ind.unit) : "", floor: points.every((p) => p.y >= 0) ? 0 : null,
      ceil: ind.unit === "%" ? 100 : null, valueText: (v) => amount(v, ind),
    });
    const notes = [];
    if (reference.length) notes.push(h("span", { class: "key-reference" }, `┅ ${t("goals.elapsedLine")}`));
    if (target) notes.push(h("span", { class: "key-target" }, `┅ ${t("goals.target")} ${amount(target.value, ind)}`));
    if (forecast.length) notes.push(`${t("goals.forecast", { level: Math.round(data.forecast.level * 100) })} · ${data.forecast.method}`);
    else if (!elapsed && data.forecastNote) {
      // the server's reason is English; the Chinese page says it in Chinese and keeps it as a tooltip
      notes.push(h("span", { class: "no-forecast", title: data.forecastNote }, t("goals.noForecast", { why: data.forecastNote })));
    }
    return [chart, h("p", { class: "small muted chart-key" }, notes.map((n, i) => [i ? " · " : "", n]))];
  }
}
