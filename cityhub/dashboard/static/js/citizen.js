// The citizen panel: counts, the open queue by deadline (coloured by time left), overdue
// requests, hot issues and sentiment by district. Refreshed when requests change.
import { pick, placeName, t } from "./i18n.js";
import { getJSON, session } from "./api.js";
import { fill, h } from "./dom.js";

// Time left or overdue: hours under two days, else days and hours ("8 天 3 小时").
export function hoursText(row) {
  if (row.hours_left == null) return t("citizen.done");
  const left = Math.abs(row.hours_left);
  let span;
  if (left < 48) {
    span = t("citizen.hours", { h: left.toFixed(left < 10 ? 1 : 0) });
  } else {
    const days = Math.floor(left / 24);
    span = t("citizen.daysHours", { d: days, h: Math.floor(left - days * 24) });
  }
  return row.hours_left < 0 ? t("citizen.over", { span }) : t("citizen.left", { span });
}

const STATES = new Set(["ok", "warning", "overdue", "done"]);

function requestRow(row) {
  const text = row.title || row.description || row.service_code;
  const place = [placeName(row.district), pick(row.department_name)].filter(Boolean).join(" · ");
  const state = STATES.has(row.deadline_state) ? row.deadline_state : "ok";
  return h("li", { dataset: { request: row.id, state } },
    h("span", { class: `deadline ${state}` }),
    h("span", {},
      h("span", { class: "text" }, `#${row.id} ${text}`),
      h("span", { class: "muted small" }, `${place} · ${pick(row.status_text)}`)),
    h("span", { class: `left ${state} small` }, hoursText(row)));
}

function sentimentBars(table) {
  const rows = Object.entries(table).sort((a, b) => b[1].total - a[1].total).slice(0, 12);
  const width = (n, total) => `${((100 * n) / total).toFixed(1)}%`;
  const swatch = (kind, colour) => [h("span", { style: { color: colour } }, "■"), " ", t("sent." + kind), " "];
  return [
    h("div", { class: "bars" }, rows.map(([place, c]) => [
      h("span", { class: "small" }, placeName(place)),
      h("span", { class: "bar", title: ["negative", "neutral", "positive"].map((k) => `${t("sent." + k)} ${c[k]}`).join(" / ") },
        h("span", { class: "negative", style: { width: width(c.negative, c.total) } }),
        h("span", { class: "neutral", style: { width: width(c.neutral, c.total) } }),
        h("span", { class: "positive", style: { width: width(c.positive, c.total) } })),
      h("span", { class: "small share" }, t("sent.share", { p: (100 * c.negative_share).toFixed(0), n: c.total })),
    ])),
    h("p", { class: "small muted" }, swatch("negative", "#e5484d"), swatch("neutral", "#b8c2cc"), swatch("positive", "#30a46c")),
  ];
}

export class CitizenPanel {
  constructor(root, onPick) {
    this.root = root;
    this.onPick = onPick;
    this.data = null;
    this.timer = null;
    root.addEventListener("click", (event) => {
      const li = event.target.closest("[data-request]");
      if (li) this.onPick(`urn:ngsi-ld:Open311ServiceRequest:${li.dataset.request}`);
    });
  }

  // Many changes in a row (a replay, a batch) cost one reload.
  soon() {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.load(), 400);
  }

  async load() {
    if (session.config.keysRequired && !session.signedIn) {
      this.data = null;
      fill(this.root, h("p", { class: "note" }, t("citizen.needKey")));
      return;
    }
    try {
      this.data = await getJSON("/dashboard/v1/citizen?days=30");
    } catch (err) {
      fill(this.root, h("p", { class: "note error" }, t("error.load", { msg: err.message })));
      return;
    }
    this.render();
  }

  render() {
    const d = this.data;
    if (!d) { this.load(); return; }
    const c = d.counts;
    const none = () => h("p", { class: "muted" }, t("citizen.none"));
    const list = (id, items) => h("ul", { class: "rows", id }, items.length ? items : none());
    const hot = d.hot.map((issue) => h("li", { dataset: { hot: issue.rank } },
      h("span", { class: "badge" }, issue.rank),
      h("span", {},
        h("span", { class: "text" }, `${issue.place || ""} ${issue.description || ""}`),
        h("span", { class: "muted small" }, t("citizen.msgs", { n: issue.messages }))),
      h("span", { class: "small" }, `${t("citizen.heat")} ${issue.heat}`)));
    const stat = (cls, id, value, label) => h("div", { class: cls }, h("b", { id }, value), label);
    fill(this.root,
      h("div", { class: "stats" },
        stat("stat", "count-open", c.open, t("citizen.open")),
        stat("stat bad", "count-overdue", c.overdue, t("citizen.overdue")),
        stat("stat warn", "count-unrouted", c.awaiting_dispatch, t("citizen.unrouted")),
        stat("stat", null, c.received_today, t("citizen.today")),
        stat("stat", null, c.messages, t("citizen.messages"))),
      h("h4", {}, t("citizen.queue")),
      list("queue", d.queue.map(requestRow)),
      h("h4", {}, `${t("citizen.overdueList")} (${c.overdue})`),
      list("overdue", d.overdue.slice(0, 10).map(requestRow)),
      h("h4", {}, t("citizen.hot")),
      list("hot", hot),
      h("h4", {}, t("citizen.sentiment")),
      h("div", { id: "sentiment" }, d.sentiment ? sentimentBars(d.sentiment) : h("p", { class: "note" }, d.sentimentNote || t("citizen.none"))));
  }
}
