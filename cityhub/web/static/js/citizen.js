// The citizen panel: counts, the open queue by deadline (coloured by time left), overdue
// requests, hot issues and sentiment by district. Refreshed when requests change.
import { pick, t } from "./i18n.js";
import { escapeHtml, getJSON, session } from "./api.js";

function hoursText(row) {
  if (row.hours_left == null) return t("citizen.done");
  const h = Math.abs(row.hours_left).toFixed(row.hours_left > -10 && row.hours_left < 10 ? 1 : 0);
  return row.hours_left < 0 ? t("citizen.hoursOver", { h }) : t("citizen.hoursLeft", { h });
}

function requestRow(row) {
  const text = row.title || row.description || row.service_code;
  const place = [row.district, pick(row.department_name)].filter(Boolean).join(" · ");
  return `<li data-request="${escapeHtml(row.id)}" data-state="${row.deadline_state}">
    <span class="deadline ${row.deadline_state}"></span>
    <span><span class="text">#${escapeHtml(row.id)} ${escapeHtml(text)}</span>
      <span class="muted small">${escapeHtml(place)} · ${escapeHtml(pick(row.status_text))}</span></span>
    <span class="left ${row.deadline_state} small">${escapeHtml(hoursText(row))}</span></li>`;
}

function sentimentBars(table) {
  const rows = Object.entries(table).sort((a, b) => b[1].total - a[1].total).slice(0, 12);
  return `<div class="bars">${rows.map(([place, c]) => {
    const w = (n) => ((100 * n) / c.total).toFixed(1);
    const title = ["negative", "neutral", "positive"].map((k) => `${t("sent." + k)} ${c[k]}`).join(" / ");
    return `<span class="small">${escapeHtml(place)}</span>
      <span class="bar" title="${escapeHtml(title)}"><span class="negative" style="width:${w(c.negative)}%"></span><span class="neutral" style="width:${w(c.neutral)}%"></span><span class="positive" style="width:${w(c.positive)}%"></span></span>
      <span class="small">${(100 * c.negative_share).toFixed(0)}%</span>`;
  }).join("")}</div>
  <p class="small muted"><span style="color:#e5484d">■</span> ${t("sent.negative")}
  <span style="color:#b8c2cc">■</span> ${t("sent.neutral")} <span style="color:#30a46c">■</span> ${t("sent.positive")}</p>`;
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
    if (session.config.keysRequired && !session.key) {
      this.data = null;
      this.root.innerHTML = `<p class="note">${t("citizen.needKey")}</p>`;
      return;
    }
    try {
      this.data = await getJSON("/dashboard/v1/citizen?days=30");
    } catch (err) {
      this.root.innerHTML = `<p class="note error">${escapeHtml(t("error.load", { msg: err.message }))}</p>`;
      return;
    }
    this.render();
  }

  render() {
    const d = this.data;
    if (!d) { this.load(); return; }
    const c = d.counts;
    const none = `<p class="muted">${t("citizen.none")}</p>`;
    const hot = d.hot.map((h) => `<li data-hot="${h.rank}"><span class="badge">${h.rank}</span>
      <span><span class="text">${escapeHtml(h.place || "")} ${escapeHtml(h.description || "")}</span>
      <span class="muted small">${t("citizen.msgs", { n: h.messages })}</span></span>
      <span class="small">${t("citizen.heat")} ${h.heat}</span></li>`).join("");
    this.root.innerHTML = `
      <div class="stats">
        <div class="stat"><b id="count-open">${c.open}</b>${t("citizen.open")}</div>
        <div class="stat bad"><b id="count-overdue">${c.overdue}</b>${t("citizen.overdue")}</div>
        <div class="stat"><b>${c.received_today}</b>${t("citizen.today")}</div>
        <div class="stat"><b>${c.messages}</b>${t("citizen.messages")}</div>
      </div>
      <h4>${t("citizen.queue")}</h4>
      <ul class="rows" id="queue">${d.queue.map(requestRow).join("") || none}</ul>
      <h4>${t("citizen.overdueList")} (${c.overdue})</h4>
      <ul class="rows" id="overdue">${d.overdue.slice(0, 10).map(requestRow).join("") || none}</ul>
      <h4>${t("citizen.hot")}</h4>
      <ul class="rows" id="hot">${hot || none}</ul>
      <h4>${t("citizen.sentiment")}</h4>
      <div id="sentiment">${d.sentiment ? sentimentBars(d.sentiment) : `<p class="note">${escapeHtml(d.sentimentNote || t("citizen.none"))}</p>`}</div>`;
  }
}
