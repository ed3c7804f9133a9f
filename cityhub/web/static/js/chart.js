// Small SVG line charts: a series, an optional forecast with its band, an optional target line.
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

// points: [{x: number (ms or index), y}], xLabel(x) -> text.
export function lineChart({ points, forecast = [], target = null, xLabel = String }) {
  const all = [...points, ...forecast];
  if (!all.length) return "";
  const ys = [...points.map((p) => p.y), ...forecast.flatMap((f) => [f.lo, f.hi, f.y])];
  if (target != null) ys.push(target);
  let lo = Math.min(...ys), hi = Math.max(...ys);
  if (lo === hi) { lo -= 1; hi += 1; }
  const pad = (hi - lo) * 0.08; lo -= pad; hi += pad;
  const xs = all.map((p) => p.x);
  const x = scale(Math.min(...xs), Math.max(...xs), L, W - R);
  const y = scale(lo, hi, H - B, T);
  const parts = [`<svg viewBox="0 0 ${W} ${H}" role="img">`];
  for (const v of [lo + pad, (lo + hi) / 2, hi - pad]) {
    parts.push(`<line class="grid" x1="${L}" x2="${W - R}" y1="${y(v)}" y2="${y(v)}"/>`);
    parts.push(`<text x="${L - 4}" y="${y(v) + 3}" text-anchor="end">${label(v)}</text>`);
  }
  parts.push(`<line class="axis" x1="${L}" x2="${W - R}" y1="${H - B}" y2="${H - B}"/>`);
  const first = all[0], last = all[all.length - 1];
  parts.push(`<text x="${L}" y="${H - 6}">${xLabel(first.x)}</text>`);
  parts.push(`<text x="${W - R}" y="${H - 6}" text-anchor="end">${xLabel(last.x)}</text>`);
  if (forecast.length) {
    const anchor = points.length ? [points[points.length - 1]] : [];
    const upper = [...anchor.map((p) => [p.x, p.y]), ...forecast.map((f) => [f.x, f.hi])];
    const lower = [...forecast.map((f) => [f.x, f.lo]).reverse(), ...anchor.map((p) => [p.x, p.y])];
    const band = [...upper, ...lower].map(([a, b]) => `${x(a).toFixed(1)},${y(b).toFixed(1)}`).join(" ");
    parts.push(`<polygon class="band" points="${band}"/>`);
    const mean = [...anchor, ...forecast].map((f) => `${x(f.x).toFixed(1)},${y(f.y).toFixed(1)}`).join(" ");
    parts.push(`<polyline class="fline" points="${mean}"/>`);
  }
  if (target != null) {
    parts.push(`<line class="target" x1="${L}" x2="${W - R}" y1="${y(target)}" y2="${y(target)}"/>`);
  }
  if (points.length) {
    const line = points.map((p) => `${x(p.x).toFixed(1)},${y(p.y).toFixed(1)}`).join(" ");
    parts.push(`<polyline class="line" points="${line}"/>`);
    const end = points[points.length - 1];
    parts.push(`<circle cx="${x(end.x)}" cy="${y(end.y)}" r="2.5" fill="#0b6bcb"/>`);
  }
  parts.push("</svg>");
  return parts.join("");
}
