// The catalog panel: search datasets (CKAN package_search), see each one's share type, open type
// and sensitivity grade, preview rows where the reader may read them, and request access.
import { lang, t } from "./i18n.js";
import { escapeHtml, getJSON, postJSON, session } from "./api.js";

function title(d) { return lang() === "en" && d.title_en ? d.title_en : d.title; }
function notes(d) { return lang() === "en" && d.notes_en ? d.notes_en : d.notes; }

// Rows are readable without approval only when shared without condition and open.
function readable(d) { return d.share_type === "unconditional" && d.open_type === "open"; }

export class CatalogPanel {
  constructor(root) {
    this.root = root;
    this.results = [];
    this.query = "";
    this.messages = new Map();
    this.previews = new Map();
    root.innerHTML = `<form class="search" id="catalog-search"><input name="q" type="search">
      <button type="submit"></button></form><div id="catalog-results"></div>`;
    this.form = root.querySelector("#catalog-search");
    this.form.addEventListener("submit", (event) => { event.preventDefault(); this.search(this.form.q.value.trim()); });
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
      this.root.querySelector("#catalog-results").innerHTML = `<p class="note error">${escapeHtml(t("error.load", { msg: err.message }))}</p>`;
      return;
    }
    this.render();
  }

  load() { return this.search(this.query); }

  render() {
    this.form.q.placeholder = t("catalog.search");
    this.form.querySelector("button").textContent = t("catalog.go");
    const cards = this.results.map((d) => {
      const org = d.organization ? (lang() === "en" && d.organization.title_en ? d.organization.title_en : d.organization.title) : "";
      const formats = [...new Set((d.resources || []).map((r) => r.format).filter(Boolean))].join(", ");
      const message = this.messages.get(d.name);
      const preview = this.previews.get(d.name);
      const canAsk = d.share_type === "conditional";
      return `<div class="dataset" data-dataset="${escapeHtml(d.name)}">
        <h5>${escapeHtml(title(d))}</h5>
        <div class="small muted">${escapeHtml(org)}${formats ? " · " + escapeHtml(formats) : ""}</div>
        <div class="meta">
          <span class="badge ${escapeHtml(d.share_type)}" data-share="${escapeHtml(d.share_type)}">${t("share." + d.share_type)}</span>
          <span class="badge ${escapeHtml(d.open_type)}">${t("open." + d.open_type)}</span>
          <span class="badge" data-grade="${escapeHtml(d.grade)}">${t("grade." + d.grade)} · ${t("catalog.level", { level: d.level })}</span>
        </div>
        <div class="small">${escapeHtml(notes(d) || "")}</div>
        <div class="meta">
          ${readable(d) ? `<button type="button" data-preview="${escapeHtml(d.name)}">${t("catalog.preview")}</button>` : ""}
          ${canAsk ? `<button type="button" data-ask="${escapeHtml(d.name)}" ${session.key ? "" : "disabled"} title="${session.key ? "" : t("catalog.needKey")}">${t("catalog.request")}</button>` : ""}
        </div>
        ${preview ? preview : ""}
        ${this.asking === d.name ? `<form data-access="${escapeHtml(d.name)}">
          <label>${t("catalog.purpose")} <textarea name="purpose" required></textarea></label>
          <label>${t("catalog.days")} <input name="days" type="number" min="1" max="365" value="30"></label>
          <button type="submit">${t("catalog.submit")}</button></form>` : ""}
        ${message ? `<p class="note${message.error ? " error" : ""}" data-message>${escapeHtml(message.text)}</p>` : ""}
      </div>`;
    });
    this.root.querySelector("#catalog-results").innerHTML = `<p class="small muted">${t("catalog.count", { n: this.count ?? 0 })}</p>${cards.join("")}`;
  }

  async click(event) {
    const ask = event.target.closest("[data-ask]");
    if (ask) { this.asking = this.asking === ask.dataset.ask ? null : ask.dataset.ask; this.render(); return; }
    const preview = event.target.closest("[data-preview]");
    if (!preview) return;
    const name = preview.dataset.preview;
    if (this.previews.has(name)) { this.previews.delete(name); this.render(); return; }
    try {
      const body = await getJSON(`/catalog/v1/datasets/${encodeURIComponent(name)}/rows?limit=8`);
      const fields = (body.fields || []).map((f) => f.id || f.name || f).filter((f) => f !== "_id");
      const rows = (body.records || body.rows || []).map((r) => `<tr>${fields.map((f) => `<td>${escapeHtml(r[f])}</td>`).join("")}</tr>`);
      this.previews.set(name, `<table class="preview"><tr>${fields.map((f) => `<th>${escapeHtml(f)}</th>`).join("")}</tr>${rows.join("")}</table>`);
    } catch (err) {
      this.previews.set(name, `<p class="note error">${escapeHtml(err.message)}</p>`);
    }
    this.render();
  }

  async requestAccess(form) {
    const name = form.dataset.access;
    try {
      const result = await postJSON(`/catalog/v1/datasets/${encodeURIComponent(name)}/access-requests`, {
        purpose: form.purpose.value, days: Number(form.days.value),
      });
      this.messages.set(name, { text: t("catalog.sent", { id: result.id, status: result.status }) });
      this.asking = null;
    } catch (err) {
      this.messages.set(name, { text: err.message, error: true });
    }
    this.render();
  }
}
