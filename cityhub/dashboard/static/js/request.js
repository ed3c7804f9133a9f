// A service request as a case card: what was reported, where, the handling department, status
// and time left in words, the reply and the reporter's satisfaction, and the timeline of
// workflow events, all in the city's time zone and the page's language.
import { pick, placeName, t } from "./i18n.js";
import { formatTime, getJSON } from "./api.js";
import { fill, h } from "./dom.js";
import { hoursText } from "./citizen.js";

const STATES = new Set(["ok", "warning", "overdue", "done"]);

export class RequestCard {
  constructor(root) {
    this.root = root;
    this.data = null;
    this.error = "";
    this.id = null;
    this.timer = null;
  }

  async show(id) {
    this.id = id;
    this.data = null;
    this.error = "";
    fill(this.root, h("p", { class: "muted small" }, "…"));
    await this.load();
  }

  soon() { clearTimeout(this.timer); this.timer = setTimeout(() => this.load(), 400); }

  async load() {
    const id = this.id;
    try {
      this.data = await getJSON(`/dashboard/v1/requests/${encodeURIComponent(id)}`);
      this.error = "";
    } catch (err) {
      this.error = err.status === 401 || err.status === 403 ? t("citizen.needKey") : t("error.load", { msg: err.message });
    }
    if (id === this.id) this.render();
  }

  render() {
    if (this.error) { fill(this.root, h("p", { class: "note error" }, this.error)); return; }
    const d = this.data;
    if (!d) return;
    const state = STATES.has(d.deadline_state) ? d.deadline_state : "ok";
    const row = (key, value) => (value == null || value === "" ? null : h("tr", {}, h("td", {}, t(key)), h("td", {}, value)));
    const place = [placeName(d.district), d.street, d.address].filter(Boolean).join(" · ");
    const satisfaction = d.satisfaction == null ? null : t("card.satisfaction", { n: d.satisfaction });
    const escalation = d.escalation ? t("card.escalated", { n: d.escalation }) : null;
    fill(this.root,
      h("p", { class: "case-title" }, d.title || d.service_name),
      h("p", {},
        h("span", { class: `badge ${d.status}`, id: "card-status" }, pick(d.status_text)), " ",
        h("span", { class: `left ${state} small` }, hoursText(d))),
      h("table", { class: "values" },
        row("card.service", d.service_name),
        row("card.department", d.department_name ? pick(d.department_name) : t("citizen.unrouted")),
        row("card.place", place),
        row("card.requested", formatTime(d.requested, true, false)),
        row("card.deadline", formatTime(d.deadline, true, false)),
        row("card.resolved", d.resolved ? formatTime(d.resolved, true, false) : null),
        row("card.escalation", escalation),
        row("card.satisfactionLabel", satisfaction)),
      d.description ? h("p", { class: "case-text" }, d.description) : null,
      d.reply ? [h("h5", {}, t("card.reply")), h("p", { class: "case-text" }, d.reply)] : null,
      d.lat != null && d.long != null ? [h("h5", {}, t("card.nearby")), h("ol", { class: "nearby small", id: "card-nearby" })] : null,
      h("h5", {}, t("card.timeline")),
      h("ol", { class: "timeline", id: "card-timeline" }, d.events.map((e) =>
        h("li", {},
          h("span", { class: "muted small" }, formatTime(e.at, true, false)), " ",
          h("b", {}, pick(e.action_text)),
          e.actor ? h("span", { class: "small" }, ` · ${pick(e.actor)}`) : null,
          pick(e.note) ? h("div", { class: "small muted" }, pick(e.note)) : null))));
    if (d.lat != null && d.long != null) this.nearby(d);
  }

  // The operator's "nearest clinic to this caller": open community health points by walking time.
  async nearby(d) {
    const params = new URLSearchParams({ lat: String(d.lat), lon: String(d.long), service: "community_health_centre", n: "3" });
    let points = [];
    try { points = (await getJSON(`/care/v1/nearest?${params}`)).points; } catch { return; }
    const list = this.root.querySelector("#card-nearby");
    if (!list || this.data !== d) return;
    fill(list, points.length ? points.map((p) => h("li", { dataset: { point: p.id } }, p.name, " · ",
      t("card.walk", { m: Math.max(1, Math.round(p.walk_minutes)), d: p.metres }))) : h("li", { class: "muted" }, t("citizen.none")));
  }
}
