// The participation panel: each survey with a sample — responses by district against the
// invitations, and its published results (0–100 index by district with 95% intervals, small
// cells withheld), which can shade the map — and the proposal board by support, with each
// proposal's status and answer deadline. Reads only public APIs; built from text nodes.
import { lang, placeName, t } from "./i18n.js";
import { getJSON } from "./api.js";
import { fill, h } from "./dom.js";

const pct = (x) => `${(100 * x).toFixed(0)}%`;
const num = (x) => (x === null || x === undefined || x === "" ? null : Number(x));

function progressBars(progress) {
  return h("div", { class: "bars progress" }, progress.strata.map((s) => [
    h("span", { class: "small" }, placeName(s.stratum)),
    h("span", { class: "bar", title: `${s.responded} / ${s.invited}` },
      h("span", { class: "answered", style: { width: pct(s.invited ? s.responded / s.invited : 0) } })),
    h("span", { class: "small share" }, t("part.rate", { p: pct(s.rate || 0), n: s.responded })),
  ]));
}

// An estimate on a 0–100 track: the interval as a band, the estimate as a tick.
function intervalBar(row) {
  const value = num(row.estimate);
  if (value === null) return h("span", { class: "small muted" }, t("part.withheld"));
  const low = Math.max(0, num(row.ci_low) ?? value), high = Math.min(100, num(row.ci_high) ?? value);
  return h("span", { class: "track", title: `${value.toFixed(1)} (${low.toFixed(1)}–${high.toFixed(1)})` },
    h("span", { class: "ci", style: { left: `${low}%`, width: `${Math.max(high - low, 0.5)}%` } }),
    h("span", { class: "point", style: { left: `${value}%` } }));
}

function resultRows(records) {
  const index = records.filter((r) => r.variable === "index");
  index.sort((a, b) => (a.domain === "全市" ? -1 : b.domain === "全市" ? 1 : (num(b.estimate) ?? -1) - (num(a.estimate) ?? -1)));
  return h("div", { class: "bars results" }, index.map((r) => [
    h("span", { class: "small" }, r.domain === "全市" ? t("part.city") : placeName(r.domain)),
    intervalBar(r),
    h("span", { class: "small share" }, num(r.estimate) === null ? "" : num(r.estimate).toFixed(1)),
  ]));
}

function proposalRow(p) {
  const due = p.overdue ? h("span", { class: "left over small" }, t("part.overdue"))
    : p.answer_due && p.status === "open" ? h("span", { class: "small muted" }, t("part.due", { d: p.answer_due.slice(0, 10) })) : null;
  return h("li", { class: "proposal", dataset: { proposal: String(p.id), status: p.status } },
    h("div", {}, h("span", { class: `badge status-${p.status}` }, t("part.status." + p.status)), " ", p.title),
    h("div", { class: "small muted" },
      [placeName(p.district || ""), p.department_name ? p.department_name[lang()] || p.department_name.zh : ""].filter(Boolean).join(" · "),
      " · ", t("part.supports", { n: p.supports, of: p.threshold }), " ", due),
    p.answer ? h("div", { class: "small answer" }, p.answer) : null);
}

export class ParticipationPanel {
  constructor(root, map) {
    this.root = root;
    this.map = map;
    root.addEventListener("click", (event) => {
      const b = event.target.closest("[data-shade]");
      if (b) this.shade(b.dataset.shade);
    });
  }

  async load() {
    try {
      const [forms, proposals] = await Promise.all([
        getJSON("/survey/v1/forms"),
        getJSON("/participation/v1/proposals?sort=supports&limit=8"),
      ]);
      this.surveys = [];
      for (const form of forms) {
        const progress = await getJSON(`/survey/v1/forms/${encodeURIComponent(form.form_id)}/progress`);
        const results = await getJSON(`/catalog/v1/datasets/survey-${encodeURIComponent(form.form_id.toLowerCase())}/rows?limit=500`)
          .then((body) => body.records).catch(() => null);
        this.surveys.push({ form, progress, results });
      }
      this.proposals = proposals;
      this.render();
    } catch (err) {
      fill(this.root, h("p", { class: "note error" }, t("error.load", { msg: err.message })));
    }
  }

  shade(formId) {
    const survey = this.surveys.find((s) => s.form.form_id === formId);
    if (!survey || !survey.results) return;
    const values = {};
    for (const r of survey.results) if (r.variable === "index" && num(r.estimate) !== null) values[r.domain] = num(r.estimate);
    this.map.shadeDistricts(this.shaded === formId ? null : values, t("part.legend"));
    this.shaded = this.shaded === formId ? null : formId;
  }

  render() {
    const blocks = this.surveys.map(({ form, progress, results }) => h("section", { class: "survey", dataset: { form: form.form_id } },
      h("h4", {}, form.title),
      h("p", { class: "small" }, progress.mode === "sample"
        ? t("part.sampled", { r: progress.responses, n: progress.invited, p: pct(progress.rate || 0) })
        : t("part.open", { r: progress.responses, f: progress.flagged })),
      progress.mode === "sample" ? progressBars(progress) : null,
      h("h5", {}, t("part.results")),
      results ? [resultRows(results), h("p", { class: "small muted" }, t("part.note")),
        h("button", { type: "button", dataset: { shade: form.form_id } }, t("part.shade"))]
        : h("p", { class: "small muted" }, t("part.unpublished"))));
    fill(this.root,
      h("h4", {}, t("part.surveys")),
      blocks.length ? blocks : h("p", { class: "small muted" }, t("citizen.none")),
      h("h4", {}, t("part.proposals")),
      this.proposals.length ? h("ol", { class: "proposals" }, this.proposals.map(proposalRow)) : h("p", { class: "small muted" }, t("citizen.none")));
    this.root.dataset.ready = "true";
  }
}
