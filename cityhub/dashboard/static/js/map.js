// The city map: district polygons (SVG, one path each), entity points (canvas), type and district
// filters, and live updates that move, recolour and briefly enlarge a point.
// Labels and tooltips are Leaflet overlays given no content at all: the page fills their element
// with text nodes itself (dom.js), so nothing from the data is ever handed to Leaflet as markup.
import { lang, typeLabel } from "./i18n.js";
import { fill, h } from "./dom.js";

// An overlay's element, filled with `node` and re-measured (its position depends on its size).
function show(overlay, node) {
  const el = overlay.getElement();
  if (!el) return;
  fill(el, node);
  overlay.update();
}

// The bands a district shading uses (0–100 values): [below, colour, words].
export const SHADE_BANDS = [[50, "#f2b8b5", "< 50"], [60, "#f9dcb4", "50–60"], [70, "#fff3bf", "60–70"],
  [80, "#c9ebd2", "70–80"], [Infinity, "#8fd1a4", "≥ 80"]];
const BASE = {
  AirQualityObserved: "#2f9e44", ParkingSpot: "#1c7ed6", WasteContainer: "#8d5524",
  TrafficFlowObserved: "#7048e8", Streetlight: "#e8a400", Open311ServiceRequest: "#e03131",
  BusStop: "#0c8599", PointOfInterest: "#2b8a3e",
};
const HIDDEN_AT_START = new Set(["BusStop", "PointOfInterest"]);

export function typeColour(type) { return BASE[type] || "#5c6b7a"; }

// Colour by state where the state matters to an operator. Each type's scale is declared once
// here and drawn both on the points and in the legend, so the two cannot disagree.
// steps: the value of `attr` (times `factor` for display) up to each bound takes that colour.
// cases: the first case whose test holds.
export const SCALES = {
  AirQualityObserved: {
    attr: "pm25", unit: "µg/m³",
    steps: [[35, "#2f9e44"], [75, "#f2c200"], [115, "#f76707"], [Infinity, "#c92a2a"]],
  },
  WasteContainer: {
    attr: "fillingLevel", unit: "%", factor: 100,
    steps: [[50, "#8d5524"], [80, "#f08c00"], [Infinity, "#c92a2a"]],
  },
  TrafficFlowObserved: {
    attr: "averageVehicleSpeed", unit: "km/h",
    steps: [[20, "#c92a2a"], [40, "#f08c00"], [Infinity, "#7048e8"]],
  },
  ParkingSpot: { cases: [[(v) => v.status === "free", "#1c7ed6", "legend.free"], [() => true, "#868e96", "legend.occupied"]] },
  Streetlight: { cases: [[(v) => v.powerState === "on", "#e8a400", "legend.on"], [() => true, "#495057", "legend.off"]] },
  PointOfInterest: {
    cases: [
      [(v) => v.open === false, "#adb5bd", "legend.shut"],
      [(v) => v.free === 0, "#e03131", "legend.full"],
      [() => true, "#2b8a3e", "legend.openNow"],
    ],
  },
  Open311ServiceRequest: {
    cases: [
      [(v) => v.status === "closed", "#868e96", "legend.closed"],
      [(v) => Boolean(v.overdue), "#c92a2a", "legend.overdue"],
      [() => true, "#e8590c", "legend.open"],
    ],
  },
};

function colour(item) {
  const scale = SCALES[item.type];
  const v = item.values || {};
  if (!scale) return typeColour(item.type);
  if (scale.cases) return scale.cases.find(([test]) => test(v))[1];
  const value = v[scale.attr];
  if (typeof value !== "number") return typeColour(item.type);
  const at = value * (scale.factor || 1);
  return scale.steps.find(([bound]) => at <= bound)[1];
}

// The legend's rows for one type: [colour, words].
export function legendRows(type, t) {
  const scale = SCALES[type];
  if (!scale) return [[typeColour(type), ""]];
  if (scale.cases) return scale.cases.map(([, fill, key]) => [fill, t(key)]);
  let previous = null;
  return scale.steps.map(([bound, fill]) => {
    const text = bound === Infinity ? `> ${previous}` : previous == null ? `≤ ${bound}` : `${previous}–${bound}`;
    previous = bound;
    return [fill, `${text} ${scale.unit}`];
  });
}

function radius(item) { return item.type === "BusStop" ? 2.5 : item.type === "Open311ServiceRequest" ? 6 : 5; }

export class CityMap {
  constructor(element, config, onSelect) {
    this.onSelect = onSelect;
    this.points = new Map(); // id -> {item, marker}
    this.counts = new Map();
    this.enabled = new Set();
    this.seen = new Set();
    this.district = "";
    this.listeners = [];
    this.map = L.map(element, { preferCanvas: true, zoomSnap: 0.25, attributionControl: false });
    this.map.fitBounds(config.bounds);
    this.canvas = L.canvas({ padding: 0.3 });
    this.markers = L.layerGroup().addTo(this.map);
    L.control.scale({ imperial: false }).addTo(this.map);
  }

  drawDistricts(collection) {
    this.districtFeatures = collection.features;
    // Boundaries sit under the points: their own pane below Leaflet's overlay pane.
    this.map.createPane("districts").style.zIndex = 350;
    this.labels = [];
    this.districtLayer = L.geoJSON(collection, {
      pane: "districts",
      renderer: L.svg({ pane: "districts" }),
      style: () => ({ className: "district", color: "#41607f", weight: 1.2, fillColor: "#ffffff", fillOpacity: 0.55 }),
      onEachFeature: (feature, layer) => {
        const at = feature.properties.label_point;
        if (at) {
          const label = L.tooltip({ permanent: true, direction: "center", className: "district-label", interactive: false })
            .setLatLng([at[1], at[0]]);
          label.feature = feature;
          const box = layer.getBounds();
          label.area = (box.getEast() - box.getWest()) * (box.getNorth() - box.getSouth());
          this.labels.push(label.addTo(this.map));
          show(label, this.districtLabel(feature));
        }
        layer.on("click", () => this.setDistrict(this.district === feature.id ? "" : feature.id));
      },
    }).addTo(this.map);
    this.districtLayer.bringToBack();
    this.map.on("zoomend moveend", () => this.declutter());
    this.declutter();
  }

  // Labels that would overlap (long English names, small districts at a low zoom) are hidden,
  // the larger district's label kept; zooming in brings them back.
  declutter() {
    const kept = [];
    for (const label of [...(this.labels || [])].sort((a, b) => b.area - a.area)) {
      const el = label.getElement();
      if (!el) continue;
      el.style.visibility = "";
      const r = el.getBoundingClientRect();
      const hit = kept.some((k) => r.left < k.right && r.right > k.left && r.top < k.bottom && r.bottom > k.top);
      if (hit) el.style.visibility = "hidden"; else kept.push(r);
    }
  }

  drawStreets(collection) {
    if (!collection.features.length) return;
    this.streetLayer = L.geoJSON(collection, {
      pane: "districts", renderer: L.svg({ pane: "districts" }), interactive: false,
      style: () => ({ className: "street", color: "#8aa1b8", weight: 0.6, fill: false, dashArray: "2 3" }),
    }).addTo(this.map);
  }

  districtName(feature) {
    return String((lang() === "zh" ? feature.properties.name : feature.properties.name_en) ?? "");
  }

  districtLabel(feature) { return h("span", {}, this.districtName(feature)); }

  relabel() {
    for (const label of this.labels || []) show(label, this.districtLabel(label.feature));
    this.declutter();
  }

  setAll(items) {
    this.markers.clearLayers();
    this.points.clear();
    this.counts.clear();
    for (const item of items) this.upsert(item, false);
    this.changed();
  }

  remove(id) {
    const entry = this.points.get(id);
    if (!entry) return;
    this.markers.removeLayer(entry.marker);
    this.points.delete(id);
    this.counts.set(entry.item.type, Math.max(0, (this.counts.get(entry.item.type) || 1) - 1));
    this.changed();
  }

  upsert(item, live = true) {
    if (item.deleted) { this.remove(item.id); return; }
    if (item.lon == null && !this.points.has(item.id)) return;
    let entry = this.points.get(item.id);
    const isNew = !entry;
    if (!entry) {
      if (!this.seen.has(item.type)) {
        this.seen.add(item.type); // the first sight of a type decides; later the operator's choice holds
        if (!HIDDEN_AT_START.has(item.type)) this.enabled.add(item.type);
      }
      const marker = L.circleMarker([item.lat, item.lon], {
        renderer: this.canvas, radius: radius(item), weight: 1, color: "#ffffff", fillColor: colour(item), fillOpacity: 0.9,
      });
      marker.on("click", () => this.onSelect(item.id));
      this.hoverable(marker, () => this.tooltip(entry.item));
      entry = { item: { ...item, values: { ...item.values } }, marker };
      this.points.set(item.id, entry);
      this.counts.set(item.type, (this.counts.get(item.type) || 0) + 1);
      this.placeMarker(entry);
    } else {
      Object.assign(entry.item.values, item.values || {});
      for (const key of ["lon", "lat", "district", "street", "modifiedAt"]) if (item[key] != null) entry.item[key] = item[key];
      entry.marker.setLatLng([entry.item.lat, entry.item.lon]);
      entry.marker.setStyle({ fillColor: colour(entry.item) });
      this.placeMarker(entry);
    }
    if (live) {
      entry.marker.setRadius(radius(entry.item) * 1.6);
      setTimeout(() => entry.marker.setRadius(radius(entry.item)), 700);
      if (isNew) this.changed();
    }
  }

  // One tooltip for whichever point or run the pointer is over, filled with `label()`'s node,
  // above a point or where the pointer met a line.
  hoverable(layer, label) {
    layer.on("mouseover", (event) => {
      this.hoverTip = this.hoverTip || L.tooltip({ direction: "top", offset: [0, -6] });
      this.hoverTip.setLatLng(layer.getLatLng ? layer.getLatLng() : event.latlng).addTo(this.map);
      show(this.hoverTip, label());
    });
    layer.on("mouseout", () => this.hoverTip?.remove());
    return layer;
  }

  tooltip(item) {
    const name = item.values.name || item.values.description || item.id.split(":").slice(-1)[0];
    return h("span", {}, `${typeLabel(item.type)} · ${String(name).slice(0, 40)}`);
  }

  visible(item) {
    return this.enabled.has(item.type) && (!this.district || item.district === this.district);
  }

  placeMarker(entry) {
    const shown = this.markers.hasLayer(entry.marker);
    const want = this.visible(entry.item);
    if (want && !shown) this.markers.addLayer(entry.marker);
    else if (!want && shown) this.markers.removeLayer(entry.marker);
  }

  refilter() { for (const entry of this.points.values()) this.placeMarker(entry); this.changed(); }

  toggleType(type) {
    if (this.enabled.has(type)) this.enabled.delete(type); else this.enabled.add(type);
    this.refilter();
  }

  setDistrict(name) {
    this.district = name;
    if (this.districtLayer) {
      this.districtLayer.eachLayer((layer) => {
        const on = layer.feature.id === name;
        layer.setStyle({ weight: on ? 3 : 1.2, color: on ? "#0b6bcb" : "#41607f" });
        if (on) this.map.fitBounds(layer.getBounds(), { padding: [20, 20] });
      });
    }
    this.refilter();
  }

  // Districts filled by a value (e.g. a survey's index by district); null clears it.
  shadeDistricts(values, title, bands = SHADE_BANDS) { this.shadeAreas("district", values, title, bands); }

  // Districts or streets filled by a value on `bands` ([below, colour, words]); null clears.
  shadeAreas(level, values, title, bands = SHADE_BANDS) {
    this.shading = values ? { title, bands } : null;
    const paint = (layer, idle) => layer.eachLayer((area) => {
      const value = values ? values[area.feature.properties.name] : undefined;
      const band = value === undefined ? null : bands.find(([upTo]) => value < upTo);
      area.setStyle(band ? { fill: true, fillColor: band[1], fillOpacity: 0.7 } : idle);
    });
    if (this.districtLayer) {
      paint(this.districtLayer, { fillColor: "#ffffff", fillOpacity: level === "district" || !values ? 0.55 : 0.2 });
      if (level !== "district") this.districtLayer.eachLayer((area) => area.setStyle({ fillColor: "#ffffff" }));
    }
    if (this.streetLayer) paint(this.streetLayer, { fill: false });
    if (level !== "street" && this.streetLayer) this.streetLayer.eachLayer((area) => area.setStyle({ fill: false }));
    this.changed();
  }

  svgRenderer() { return this.svg || (this.svg = L.svg()); }

  // Caregivers' runs: [{caregiver, colour, stops: [[lat, lon], …]}]; null clears them.
  drawRoutes(routes) {
    if (this.routeLayer) this.routeLayer.remove();
    this.routeLayer = null;
    if (!routes || !routes.length) return;
    this.routeLayer = L.layerGroup(routes.flatMap((r) => [
      this.hoverable(
        L.polyline(r.stops, { color: r.colour, weight: 2.5, opacity: 0.85, className: "care-route", renderer: this.svgRenderer() }),
        () => h("span", {}, r.caregiver)),
      ...r.stops.map((at, i) => this.hoverable(
        L.circleMarker(at, { radius: 4, color: r.colour, weight: 1, fillOpacity: 0.9, renderer: this.canvas }),
        () => h("span", {}, r.caregiver, " · ", i + 1))),
    ])).addTo(this.map);
  }

  focus(id) {
    const entry = this.points.get(id);
    if (!entry) return;
    if (!this.enabled.has(entry.item.type)) this.toggleType(entry.item.type);
    this.map.setView([entry.item.lat, entry.item.lon], Math.max(this.map.getZoom(), 13));
    entry.marker.setRadius(radius(entry.item) * 2.2);
    setTimeout(() => entry.marker.setRadius(radius(entry.item)), 1500);
  }

  item(id) { const entry = this.points.get(id); return entry ? entry.item : null; }

  onChange(fn) { this.listeners.push(fn); }

  changed() { for (const fn of this.listeners) fn(); }

  districtOptions() {
    return (this.districtFeatures || []).map((f) => ({ id: f.id, label: this.districtName(f) }));
  }

  typeCounts() { return [...this.counts.entries()].sort((a, b) => a[0].localeCompare(b[0])); }
}
