// The catalog panel: search datasets (CKAN package_search), see each one's share type, open type
// and sensitivity grade, preview rows where the reader may read them, and request access.
import { lang, t } from "./i18n.js";
import { getJSON, postJSON, session } from "./api.js";
import { fill, h } from "./dom.js";

function title(d) { return lang() === "en" && d.title_en ? d.title_en : d.title; }
function notes(d) { return lang() === "en" && d.notes_en ? d.notes_en : d.notes; }

// Rows are readable without approval only when shared without condition and open.
function readable(d) { return d.share_type === "unconditional" && d.open_type === "open"; }

function note(text, error = false) { return h("p", { class: error ? "note error" : "note" }, text); }

export class CatalogPanel {
  constructor(root) {
    this.root = root;
    this.results = [];
    this.query = "";
    this.messages = new Map();
    this.previews = new Map(); // name -> {fields, rows} or {error}
    this.input = h("input", { name: "q", type: "search" });
    this.button = h("button", { type: "submit" });
    this.form = h("form", { class: "search", id: "catalog-search" }, this.input, this.button);
    this.list = h("div", { id: "catalog-results" });
    fill(root, this.form, this.list);
    this.form.addEventListener("submit", (event) => { event.preventDefault(); this.search(this.input.value.trim()); });
    root.addEventListener("click", (event) => this.click(event));
    root.addEventListener("submit", (event) => {
      const form = event.target.closest("form[data-access]");
      if (form) { event.preventDefault(); this.requestAccess(form); }
    });
  }

  async search(query) {
    this.query = query;
    const q = query ? `&q=${encodeURIComponent(query)}` : "";
    try {
      const body = await getJSON(`/api/3/action/package_search?rows=100${q}`);
      this.results = body.result.results;
      this.count = body.result.count;
    } catch (err) {
      fill(this.list, note(t("error.load", { msg: err.message }), true));
      return;
    }
    this.render();
  }

  load() { return this.search(this.query); }

  preview(name) {
    const found = this.previews.get(name);
    if (!found) return null;
    if (found.error) return note(found.error, true);
    return h("table", { class: "preview" },
      h("tr", {}, found.fields.map((f) => h("th", {}, f))),
      found.rows.map((r) => h("tr", {}, found.fields.map((f) => h("td", {}, r[f] ?? "")))));
  }

  card(d) {
    const org = d.organization ? (lang() === "en" && d.organization.title_en ? d.organization.title_en : d.organization.title) : "";
    const formats = [...new Set((d.resources || []).map((r) => r.format).filter(Boolean))].join(", ");
    const message = this.messages.get(d.name);
    const canAsk = d.share_type === "conditional";
    return h("div", { class: "dataset", dataset: { dataset: d.name } },
      h("h5", {}, title(d)),
      h("div", { class: "small muted" }, org, formats ? ` · ${formats}` : ""),
      h("div", { class: "meta" },
        h("span", { class: `badge ${d.share_type}`, dataset: { share: d.share_type } }, t("share." + d.share_type)),
        h("span", { class: `badge ${d.open_type}` }, t("open." + d.open_type)),
        h("span", { class: "badge", dataset: { grade: d.grade } }, `${t("grade." + d.grade)} · ${t("catalog.level", { level: d.level })}`)),
      h("div", { class: "small" }, notes(d) || ""),
      h("div", { class: "meta" },
        readable(d) ? h("button", { type: "button", dataset: { preview: d.name } }, t("catalog.preview")) : null,
        canAsk ? h("button", { type: "button", dataset: { ask: d.name }, disabled: !session.signedIn, title: session.signedIn ? "" : t("catalog.needKey") }, t("catalog.request")) : null),
      this.preview(d.name),
      this.asking === d.name ? h("form", { dataset: { access: d.name } },
        h("label", {}, t("catalog.purpose"), " ", h("textarea", { name: "purpose", required: true })),
        h("label", {}, t("catalog.days"), " ", h("input", { name: "days", type: "number", min: 1, max: 365, value: 30 })),
        h("button", { type: "submit" }, t("catalog.submit"))) : null,
      message ? h("p", { class: message.error ? "note error" : "note", dataset: { message: "" } }, message.text) : null);
  }

  render() {
    this.input.placeholder = t("catalog.search");
    this.button.textContent = t("catalog.go");
    fill(this.list, h("p", { class: "small muted" }, t("catalog.count", { n: this.count ?? 0 })), this.results.map((d) => this.card(d)));
  }

  async click(event) {
    const ask = event.target.closest("[data-ask]");
    if (ask) { this.asking = this.asking === ask.dataset.ask ? null : ask.dataset.ask; this.render(); return; }
    const button = event.target.closest("[data-preview]");
    if (!button) return;
    const name = button.dataset.preview;
    if (this.previews.has(name)) { this.previews.delete(name); this.render(); return; }
    try {
      const body = await getJSON(`/catalog/v1/datasets/${encodeURIComponent(name)}/rows?limit=8`);
      const fields = (body.fields || []).map((f) => f.id || f.name || f).filter((f) => f !== "_id");
      this.previews.set(name, { fields, rows: body.records || body.rows || [] });
    } catch (err) {
      this.previews.set(name, { error: err.message });
    }
    this.render();
  }

  async requestAccess(form) {
    const name = form.dataset.access;
    try {
      const result = await postJSON(`/catalog/v1/datasets/${encodeURIComponent(name)}/access-requests`, {
        purpose: form.elements.purpose.value, days: Number(form.elements.days.value),
      });
      this.messages.set(name, { text: t("catalog.sent", { id: result.id, status: result.status }) });
      this.asking = null;
    } catch (err) {
      this.messages.set(name, { text: err.message, error: true });
    }
    this.render();
  }
}
