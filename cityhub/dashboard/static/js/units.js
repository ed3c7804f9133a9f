// UN/CEFACT unit codes as an operator reads them. A ratio (C62, 0–1) is shown as a percentage.
const UNITS = {
  GQ: { label: "µg/m³" }, CEL: { label: "°C" }, KMH: { label: "km/h" }, KMK: { label: "km²" },
  P1: { label: "%" }, C62: { label: "%", factor: 100 }, MTR: { label: "m" }, LUX: { label: "lx" },
  A59: { label: "okta" }, MBR: { label: "mbar" }, E30: { label: "/h" },
};

// {factor, label} for a unit code; unknown codes are shown as they are.
export function unitOf(code) {
  if (!code) return { factor: 1, label: "" };
  const known = UNITS[code];
  return known ? { factor: known.factor || 1, label: known.label } : { factor: 1, label: code };
}

// A stored value in the unit it is shown in.
export function shown(value, code) {
  return typeof value === "number" ? value * unitOf(code).factor : value;
}
