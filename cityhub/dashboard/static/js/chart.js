// Small SVG line charts: a series, an optional forecast with its band, an optional target line
// and reference line (序时进度), round ticks on both axes, the unit over the value axis, and the
// point under the pointer highlighted with its value and time. Built as SVG elements (no markup).
import { svg } from "./dom.js";

const W = 320, H = 160, L = 44, R = 10, T = 14, B = 22;
const MINUTE = 60_000, HOUR = 60 * MINUTE, DAY = 24 * HOUR;
const TIME_STEPS = [MINUTE, 5 * MINUTE, 15 * MINUTE, 30 * MINUTE, HOUR, 3 * HOUR, 6 * HOUR, 12 * HOUR,
  DAY, 2 * DAY, 7 * DAY, 14 * DAY, 30 * DAY];

function scale(lo, hi, a, b) {
  const span = hi - lo || 1;
  return (v) => a + ((v - lo) / span) * (b - a);
}

// A step of 1, 2 or 5 × 10^k giving about `count` intervals over [lo, hi].
export function niceStep(lo, hi, count = 4) {
  const raw = (hi - lo) / count || 1;
  const power = 10 ** Math.floor(Math.log10(raw));
  const m = raw / power;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * power;
}

// Round values inside [lo, hi].
export function niceTicks(lo, hi, count = 4) {
  const step = niceStep(lo, hi, count);
  const out = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Math.round(v / step) * step);
  return { step, ticks: out };
}

// Round times (in the city's zone, `offset` ms east of UTC) inside [lo, hi]: about four.
export function timeTicks(lo, hi, offset = 0) {
  const step = TIME_STEPS.find((s) => (hi - lo) / s <= 5) || 30 * DAY * Math.ceil((hi - lo) / (150 * DAY));
  const out = [];
  for (let v = Math.ceil((lo + offset) / step) * step - offset; v <= hi; v += step) out.push(v);
  return { step, ticks: out };
}

function label(v, step) {
  const a = Math.abs(v);
  if (a >= 1e4 && step >= 1e3) return `${+(v / 1e4).toFixed(2)}万`;
  const digits = step >= 1 ? 0 : Math.min(4, Math.ceil(-Math.log10(step)));
  return v.toFixed(digits);
}

const pointsOf = (pairs, x, y) => pairs.map(([a, b]) => `${x(a).toFixed(1)},${y(b).toFixed(1)}`).join(" ");

// points: [{x, y, label?}]; time: x in ms since the epoch, ticked at round local times with
// xLabel(x, step); otherwise x is a number (e.g. a year) and xLabel(x) names it.
// yUnit is written over the value axis; reference is a list of [x, y] drawn dashed;
// floor/ceil bound the value axis (e.g. 0 for a concentration, 100 for a rate in %).
// Returns an <svg> element or null.
export function lineChart({
  points, forecast = [], target = null, reference = [], xLabel = String, time = false, offset = 0,
  yUnit = "", floor = null, ceil = null, valueText = String,
}) {
  const all = [...points, ...forecast];
  if (!all.length) return null;
  const ys = [...points.map((p) => p.y), ...forecast.flatMap((f) => [f.lo, f.hi, f.y]), ...reference.map((r) => r[1])];
  if (target != null) ys.push(target);
  let lo = Math.min(...ys), hi = Math.max(...ys);
  if (lo === hi) { lo -= Math.abs(lo) * 0.1 || 1; hi += Math.abs(hi) * 0.1 || 1; }
  const pad = (hi - lo) * 0.06;
  lo -= pad; hi += pad;
  // The axis runs from a round value to a round value, within the floor and ceiling given.
  const step = niceStep(lo, hi);
  lo = Math.floor(lo / step) * step;
  hi = Math.ceil(hi / step) * step;
  if (floor != null) lo = Math.max(lo, floor);
  if (ceil != null) hi = Math.min(hi, Math.max(ceil, ...points.map((p) => p.y)));
  const yt = niceTicks(lo, hi);
  const xs = [...all.map((p) => p.x), ...reference.map((r) => r[0])];
  const x0 = Math.min(...xs), x1 = Math.max(...xs);
  const x = scale(x0, x1, L, W - R);
  const y = scale(lo, hi, H - B, T);
  const parts = [];
  for (const v of yt.ticks) {
    parts.push(svg("line", { class: "grid", x1: L, x2: W - R, y1: y(v), y2: y(v) }));
    parts.push(svg("text", { x: L - 4, y: y(v) + 3, "text-anchor": "end" }, label(v, yt.step)));
  }
  if (yUnit) parts.push(svg("text", { class: "unit", x: 2, y: 9 }, yUnit));
  parts.push(svg("line", { class: "axis", x1: L, x2: W - R, y1: H - B, y2: H - B }));
  // Round times when at least two fall inside; else the two ends (a span of seconds).
  const round = time ? timeTicks(x0, x1, offset) : { ticks: [], step: 0 };
  const xt = round.ticks.length >= 2 ? round.ticks : x1 > x0 ? [x0, x1] : [x0];
  const tickStep = round.ticks.length >= 2 ? round.step : 0;
  xt.forEach((v, i) => {
    const anchor = tickStep ? "middle" : i === 0 ? "start" : "end";
    parts.push(svg("line", { class: "axis", x1: x(v), x2: x(v), y1: H - B, y2: H - B + 3 }));
    parts.push(svg("text", { class: "xtick", x: x(v), y: H - 6, "text-anchor": anchor }, xLabel(v, tickStep, i)));
  });
  if (forecast.length) {
    const anchor = points.length ? [points[points.length - 1]] : [];
    const upper = [...anchor.map((p) => [p.x, p.y]), ...forecast.map((f) => [f.x, f.hi])];
    const lower = [...forecast.map((f) => [f.x, f.lo]).reverse(), ...anchor.map((p) => [p.x, p.y])];
    parts.push(svg("polygon", { class: "band", points: pointsOf([...upper, ...lower], x, y) }));
    parts.push(svg("polyline", { class: "fline", points: pointsOf([...anchor, ...forecast].map((f) => [f.x, f.y]), x, y) }));
  }
  if (reference.length) parts.push(svg("polyline", { class: "reference", points: pointsOf(reference, x, y) }));
  if (target != null) parts.push(svg("line", { class: "target", x1: L, x2: W - R, y1: y(target), y2: y(target) }));
  if (points.length) {
    parts.push(svg("polyline", { class: "line", points: pointsOf(points.map((p) => [p.x, p.y]), x, y) }));
    const end = points[points.length - 1];
    parts.push(svg("circle", { cx: x(end.x), cy: y(end.y), r: 2.5, fill: "#0b6bcb" }));
  }
  // The point nearest the pointer: a ring and its value and time.
  const ring = svg("circle", { class: "selected", r: 4, cx: -10, cy: -10 });
  const readout = svg("text", { class: "readout", x: W - R, y: 9, "text-anchor": "end" });
  parts.push(ring, readout);
  const chart = svg("svg", { viewBox: `0 0 ${W} ${H}`, role: "img" }, parts);
  const select = (event) => {
    if (!points.length) return;
    const box = chart.getBoundingClientRect();
    const at = ((event.clientX - box.left) / (box.width || 1)) * W;
    let best = points[0];
    for (const p of points) if (Math.abs(x(p.x) - at) < Math.abs(x(best.x) - at)) best = p;
    ring.setAttribute("cx", x(best.x).toFixed(1));
    ring.setAttribute("cy", y(best.y).toFixed(1));
    readout.textContent = `${valueText(best.y)} · ${best.label || xLabel(best.x, 0, -1)}`;
    chart.dataset.selected = String(best.y);
  };
  chart.addEventListener("pointermove", select);
  chart.addEventListener("click", select);
  return chart;
}
