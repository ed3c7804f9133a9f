// Starts the dashboard: configuration, map layers, the entity snapshot, the live event stream,
// the side panels, the key dialog and the language switch.
import { apply, attrLabel, lang, onLangChange, setLang, setPlaceNames, t, typeLabel } from "./i18n.js";
import { formatTime, getJSON, loadSession, session, setKey } from "./api.js";
import { fill, h } from "./dom.js";
import { CityMap, SCALES, legendRows, typeColour } from "./map.js";
import { DetailPanel } from "./detail.js";
import { CitizenPanel } from "./citizen.js";
import { GoalsPanel } from "./goals.js";
import { CatalogPanel } from "./catalog.js";
import { ParticipationPanel } from "./participation.js";
import { HomeCarePanel } from "./homecare.js";

const RESYNC_EVERY = 60_000; // the snapshot is reloaded this often (other processes' writes)
const $ = (selector) => document.querySelector(selector);

async function takeKeyFromUrl() {
  // `make demo` prints a link with #key=…: the key is exchanged for a session cookie that no
  // script can read, and removed from the URL at once.
  const match = /(?:^#|&)key=([^&]+)/.exec(location.hash);
  if (match) {
    history.replaceState(null, "", location.pathname);
    try { await setKey(decodeURIComponent(match[1])); } catch (_) { /* the key dialog shows the state */ }
  }
}

function renderFilters(map) {
  fill($("#type-filters"), map.typeCounts().map(([type, count]) =>
    h("button", { type: "button", class: "chip", dataset: { type }, "aria-pressed": String(map.enabled.has(type)) },
      h("span", { class: "swatch", style: { background: typeColour(type) } }),
      ` ${typeLabel(type)} `, h("span", { class: "muted" }, count))));
  const select = $("#district-filter");
  const chosen = select.value;
  fill(select, h("option", { value: "" }, t("filter.all")),
    map.districtOptions().map((d) => h("option", { value: d.id }, d.label)));
  select.value = chosen;
}

// One block per type on show: its name (and the attribute that colours it) and its colours.
function renderLegend(map) {
  const types = map.typeCounts().map(([type]) => type).filter((type) => map.enabled.has(type));
  const shading = map.shading ? h("div", { class: "legend-type", dataset: { type: "shading" } },
    h("div", { class: "small" }, map.shading.title),
    map.shading.bands.map(([, colour, words]) =>
      h("span", { class: "legend-row small" }, h("span", { class: "swatch", style: { background: colour } }), words))) : null;
  fill($("#legend"), types.length || shading ? h("b", {}, t("legend.title")) : null, shading, types.map((type) => {
    const scale = SCALES[type];
    const head = scale && scale.attr ? `${typeLabel(type)} · ${attrLabel(scale.attr)}` : typeLabel(type);
    return h("div", { class: "legend-type", dataset: { type } },
      h("div", { class: "small" }, head),
      legendRows(type, t).map(([colour, words]) =>
        h("span", { class: "legend-row small" }, h("span", { class: "swatch", style: { background: colour } }), words)));
  }));
}

function tick(items) {
  const ticker = $("#ticker");
  for (const item of items.slice(-3)) {
    const li = document.createElement("li");
    const values = Object.entries(item.values || {}).slice(0, 3).map(([k, v]) => `${k}=${v}`).join(" ");
    li.textContent = `${formatTime(item.modifiedAt || new Date().toISOString(), false)} ${typeLabel(item.type)} ${item.id.split(":").slice(-1)[0]} ${values}`;
    ticker.prepend(li);
  }
  while (ticker.children.length > 5) ticker.lastElementChild.remove();
}

function setLive(state) {
  $("#live-dot").dataset.state = state;
  const key = state === "live" ? "live.on" : state === "down" ? "live.down" : "live.connecting";
  $("#live-text").dataset.i18n = key;
  $("#live-text").textContent = t(key);
}

async function main() {
  await takeKeyFromUrl();
  apply();
  await loadSession();
  const config = await getJSON("/dashboard/v1/config");
  session.config = config;
  $("#city-name").textContent = config.city;
  document.title = `cityhub · ${config.city}`;

  const detail = new DetailPanel($("#detail"));
  const map = new CityMap($("#map"), config, (id) => openEntity(id));
  const citizen = new CitizenPanel($("#panel-citizen"), (id) => { map.focus(id); openEntity(id); });
  const goals = new GoalsPanel($("#panel-goals"));
  const catalog = new CatalogPanel($("#panel-catalog"));
  const participation = new ParticipationPanel($("#panel-participation"), map);
  const care = new HomeCarePanel($("#panel-care"), map);

  function openEntity(id) {
    history.replaceState(null, "", `#entity=${encodeURIComponent(id)}`);
    detail.show(id, map.item(id));
  }

  const [districts, streets] = await Promise.all([getJSON("/dashboard/v1/districts"), getJSON("/dashboard/v1/streets")]);
  setPlaceNames(districts.features);
  map.drawDistricts(districts);
  map.drawStreets(streets);
  document.body.dataset.districts = String(districts.features.length);

  async function loadSnapshot() {
    const snapshot = await getJSON("/dashboard/v1/entities");
    map.setAll(snapshot.items);
    document.body.dataset.entities = String(snapshot.items.length);
  }
  map.onChange(() => { renderFilters(map); renderLegend(map); });
  await loadSnapshot();

  $("#type-filters").addEventListener("click", (event) => {
    const chip = event.target.closest("[data-type]");
    if (chip) { map.toggleType(chip.dataset.type); }
  });
  $("#district-filter").addEventListener("change", (event) => map.setDistrict(event.target.value));
  map.onChange(() => { $("#district-filter").value = map.district; });

  // Live: the broker's committed changes over server-sent events.
  const events = new EventSource("/dashboard/v1/events");
  events.addEventListener("hello", () => setLive("live"));
  events.addEventListener("error", () => setLive(events.readyState === EventSource.CLOSED ? "down" : "connecting"));
  events.addEventListener("resync", () => loadSnapshot());
  events.addEventListener("changes", (event) => {
    const items = JSON.parse(event.data);
    let requests = false;
    for (const item of items) {
      map.upsert(item);
      detail.live(item);
      if (item.type === "Open311ServiceRequest") requests = true;
    }
    tick(items);
    if (requests) citizen.soon();
  });
  setInterval(loadSnapshot, RESYNC_EVERY);

  // Tabs.
  const panels = { citizen, goals, catalog, participation, care };
  const loaded = new Set();
  function showTab(name) {
    for (const button of document.querySelectorAll("[data-tab]")) button.setAttribute("aria-selected", String(button.dataset.tab === name));
    for (const key of Object.keys(panels)) $(`#panel-${key}`).hidden = key !== name;
    if (!loaded.has(name)) { loaded.add(name); panels[name].load(); }
    localStorage.setItem("cityhub.tab", name);
  }
  $(".tabs").addEventListener("click", (event) => { const b = event.target.closest("[data-tab]"); if (b) showTab(b.dataset.tab); });
  showTab(localStorage.getItem("cityhub.tab") || "citizen");
  setInterval(() => { if (loaded.has("citizen")) citizen.load(); }, 30_000);

  // Language.
  const langButton = $("#lang-button");
  const labelLang = () => { langButton.textContent = lang() === "zh" ? "English" : "中文"; };
  labelLang();
  langButton.addEventListener("click", () => setLang(lang() === "zh" ? "en" : "zh"));
  onLangChange(() => {
    labelLang();
    map.relabel();
    renderFilters(map);
    renderLegend(map);
    detail.relabel();
    setLive($("#live-dot").dataset.state);
    for (const name of loaded) panels[name].render();
    keyLabel();
  });

  // Key dialog.
  const dialog = $("#key-dialog");
  const keyLabel = () => {
    $("#key-button").textContent = session.signedIn ? `${t("key.button")} ✓ ${session.department}` : t("key.button");
  };
  keyLabel();
  $("#key-button").addEventListener("click", () => { $("#key-input").value = ""; dialog.showModal(); });
  dialog.addEventListener("close", async () => {
    const typed = $("#key-input").value.trim();
    $("#key-input").value = "";
    try {
      if (dialog.returnValue === "save" && typed) await setKey(typed);
      if (dialog.returnValue === "clear") await setKey("");
    } catch (err) {
      window.alert(t("error.load", { msg: err.message }));
    }
    keyLabel();
    for (const name of loaded) panels[name].load();
  });

  // Clock in the city's time zone.
  const clock = () => { $("#clock").textContent = formatTime(new Date().toISOString()); };
  clock();
  setInterval(clock, 1000);

  // A link to one entity (#entity=…) opens its panel, on load and when pasted into an open tab.
  const fromHash = () => {
    const wanted = /^#entity=(.+)$/.exec(location.hash);
    if (wanted) {
      const id = decodeURIComponent(wanted[1]);
      if (id !== detail.id) { map.focus(id); detail.show(id, map.item(id)); }
    }
  };
  window.addEventListener("hashchange", fromHash);
  fromHash();
  document.body.dataset.ready = "true";
}

main().catch((err) => {
  document.body.dataset.failed = err.message;
  const note = document.createElement("p");
  note.className = "note error";
  note.textContent = t("error.load", { msg: err.message });
  document.querySelector(".map-pane").prepend(note);
});
