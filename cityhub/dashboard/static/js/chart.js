// Small SVG line charts: a series, an optional forecast with its band, an optional target line.
// Built as SVG elements (no markup strings).
import { svg } from "./dom.js";

const W = 320, H = 150, L = 44, R = 8, T = 8, B = 22;

function scale(lo, hi, a, b) {
  const span = hi - lo || 1;
  return (v) => a + ((v - lo) / span) * (b - a);
}

function label(v) {
  const a = Math.abs(v);
  if (a >= 1e4) return (v / 1e4).toFixed(1) + "万";
  if (a >= 100) return v.toFixed(0);
  if (a >= 1) return v.toFixed(1);
  return v.toFixed(2);
}

const pointsOf = (pairs, x, y) => pairs.map(([a, b]) => `${x(a).toFixed(1)},${y(b).toFixed(1)}`).join(" ");

// points: [{x: number (ms or index), y}], xLabel(x) -> text. Returns an <svg> element or null.
export function lineChart({ points, forecast = [], target = null, xLabel = String }) {
  const all = [...points, ...forecast];
  if (!all.length) return null;
  const ys = [...points.map((p) => p.y), ...forecast.flatMap((f) => [f.lo, f.hi, f.y])];
  if (target != null) ys.push(target);
  let lo = Math.min(...ys), hi = Math.max(...ys);
  if (lo === hi) { lo -= 1; hi += 1; }
  const pad = (hi - lo) * 0.08; lo -= pad; hi += pad;
  const xs = all.map((p) => p.x);
  const x = scale(Math.min(...xs), Math.max(...xs), L, W - R);
  const y = scale(lo, hi, H - B, T);
  const parts = [];
  for (const v of [lo + pad, (lo + hi) / 2, hi - pad]) {
    parts.push(svg("line", { class: "grid", x1: L, x2: W - R, y1: y(v), y2: y(v) }));
    parts.push(svg("text", { x: L - 4, y: y(v) + 3, "text-anchor": "end" }, label(v)));
  }
  parts.push(svg("line", { class: "axis", x1: L, x2: W - R, y1: H - B, y2: H - B }));
  const first = all[0], last = all[all.length - 1];
  parts.push(svg("text", { x: L, y: H - 6 }, xLabel(first.x)));
  parts.push(svg("text", { x: W - R, y: H - 6, "text-anchor": "end" }, xLabel(last.x)));
  if (forecast.length) {
    const anchor = points.length ? [points[points.length - 1]] : [];
    const upper = [...anchor.map((p) => [p.x, p.y]), ...forecast.map((f) => [f.x, f.hi])];
    const lower = [...forecast.map((f) => [f.x, f.lo]).reverse(), ...anchor.map((p) => [p.x, p.y])];
    parts.push(svg("polygon", { class: "band", points: pointsOf([...upper, ...lower], x, y) }));
    parts.push(svg("polyline", { class: "fline", points: pointsOf([...anchor, ...forecast].map((f) => [f.x, f.y]), x, y) }));
  }
  if (target != null) parts.push(svg("line", { class: "target", x1: L, x2: W - R, y1: y(target), y2: y(target) }));
  if (points.length) {
    parts.push(svg("polyline", { class: "line", points: pointsOf(points.map((p) => [p.x, p.y]), x, y) }));
    const end = points[points.length - 1];
    parts.push(svg("circle", { cx: x(end.x), cy: y(end.y), r: 2.5, fill: "#0b6bcb" }));
  }
  return svg("svg", { viewBox: `0 0 ${W} ${H}`, role: "img" }, parts);
}
