// The survey page: renders a form from /survey/v1/forms/{id}, applies its skip logic and
// constraints as the answers change (the server checks them again), keeps a half-filled
// response in this browser until it is sent, and submits it. Built from text nodes only.
import { fill, h } from "./dom.js";
import { holds, parse } from "./xlsexpr.js";

const WORDS = {
  zh: { submit: "提交", required: "必答", sent: "已提交，谢谢！编号 {id}", failed: "未能提交：{msg}",
    resumed: "已恢复上次未提交的回答。", missing: "请回答此题", number: "请填写数字", whole: "请填写整数",
    constraint: "回答不符合要求", choose: "请选择", other: "English", load: "问卷加载失败：{msg}" },
  en: { submit: "Submit", required: "required", sent: "Sent, thank you! Number {id}", failed: "Not sent: {msg}",
    resumed: "Your unsent answers were restored.", missing: "Please answer", number: "Please enter a number",
    whole: "Please enter a whole number", constraint: "This answer is not accepted", choose: "Choose…",
    other: "中文", load: "The form could not be loaded: {msg}" },
};
let lang = localStorage.getItem("cityhub.lang") === "en" ? "en" : "zh";
const t = (key, vars = {}) => WORDS[lang][key].replace(/\{(\w+)\}/g, (_, k) => String(vars[k] ?? ""));
const pick = (texts, fallback) => (texts && (texts[lang] || texts.zh || Object.values(texts)[0])) || fallback;
const $ = (s) => document.querySelector(s);

const formId = decodeURIComponent(location.pathname.split("/").filter(Boolean).pop());
const token = new URLSearchParams(location.search).get("token"); // a sample's invitation
const started = Date.now();
let form = null;
let answers = {};
const compiled = new Map(); // question -> {relevant, constraint, required}
const draftKey = () => `cityhub.survey.${form.form_id}.${form.version}`;

function compile(q) {
  const parsed = {};
  for (const key of ["relevant", "constraint", "required"]) {
    const text = q[key];
    if (!text || text === "no" || text === "false()") continue;
    parsed[key] = text === "yes" || text === "true()" ? null : parse(text);
    if (parsed[key] === null) parsed[key] = { kind: "value", value: true };
  }
  compiled.set(q.name, parsed);
}

function relevant(q) {
  const c = compiled.get(q.name);
  return !c.relevant || holds(c.relevant, answers);
}

function problem(q) {
  const value = (answers[q.name] || "").trim();
  const c = compiled.get(q.name);
  if (!value) return c.required && holds(c.required, answers) ? t("missing") : "";
  if (q.type === "integer" && !/^-?\d+$/.test(value)) return t("whole");
  if (q.type === "decimal" && Number.isNaN(Number(value))) return t("number");
  if (c.constraint && !holds(c.constraint, answers, value)) return pick(q.constraint_message, t("constraint"));
  return "";
}

function input(q) {
  const set = (value) => { answers[q.name] = value; changed(); };
  const value = answers[q.name] || "";
  if (q.type === "select_one") {
    return q.choices.map((c) => h("label", { class: "choice" },
      h("input", { type: "radio", name: q.name, value: c.name, checked: value === c.name,
        onchange: () => set(c.name) }), pick(c.label, c.name)));
  }
  if (q.type === "select_multiple") {
    const chosen = new Set(value.split(/\s+/).filter(Boolean));
    return q.choices.map((c) => h("label", { class: "choice" },
      h("input", { type: "checkbox", name: q.name, value: c.name, checked: chosen.has(c.name),
        onchange: (e) => { if (e.target.checked) chosen.add(c.name); else chosen.delete(c.name);
          set(q.choices.map((x) => x.name).filter((x) => chosen.has(x)).join(" ")); } }),
      pick(c.label, c.name)));
  }
  const type = { integer: "number", decimal: "number", date: "date" }[q.type] || "text";
  const props = { type, name: q.name, value, oninput: (e) => set(e.target.value) };
  if (q.type === "integer") props.inputmode = "numeric";
  if (q.type === "decimal") { props.inputmode = "decimal"; props.step = "any"; }
  if (q.type === "geopoint") props.placeholder = "22.54 114.05";
  return q.type === "text" ? h("textarea", { name: q.name, rows: 2, oninput: (e) => set(e.target.value) }, value) : h("input", props);
}

function render() {
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
  $("#lang").textContent = t("other");
  $("#title").textContent = form.title;
  document.title = form.title;
  fill($("#form"), form.questions.map((q) => {
    const c = compiled.get(q.name);
    const required = c.required ? h("span", { class: "required" }, ` *`) : null;
    if (q.type === "note") return h("div", { class: "question note", dataset: { question: q.name } }, pick(q.label, q.name));
    return h("div", { class: "question", dataset: { question: q.name } },
      h("label", { class: "title" }, pick(q.label, q.name), required),
      input(q),
      h("div", { class: "error", dataset: { error: q.name } }));
  }), h("button", { type: "submit", class: "submit" }, t("submit")));
  changed(false);
}

// Show what the skip logic allows; drop answers to what it hides; say what is wrong.
function changed(save = true, showAll = false) {
  for (const q of form.questions) {
    const box = document.querySelector(`[data-question="${CSS.escape(q.name)}"]`);
    const on = relevant(q);
    box.hidden = !on;
    if (!on) delete answers[q.name];
    const error = document.querySelector(`[data-error="${CSS.escape(q.name)}"]`);
    if (error) {
      const wrong = on ? problem(q) : "";
      error.textContent = wrong && (showAll || (answers[q.name] || "") !== "") ? wrong : "";
    }
  }
  if (save) localStorage.setItem(draftKey(), JSON.stringify(answers));
}

async function submit(event) {
  event.preventDefault();
  changed(true, true);
  const first = form.questions.find((q) => relevant(q) && q.type !== "note" && problem(q));
  if (first) { document.querySelector(`[data-question="${CSS.escape(first.name)}"]`).scrollIntoView(); return; }
  const status = $("#status");
  const reply = await fetch(`/survey/v1/forms/${encodeURIComponent(form.form_id)}/responses?lang=${lang}`, {
    method: "POST", headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify({
      answers, version: form.version, elapsed_s: (Date.now() - started) / 1000,
      website: $("#website").value, ...(token ? { token } : {}),
    }),
  });
  const body = await reply.json().catch(() => ({}));
  if (reply.status === 201) {
    localStorage.removeItem(draftKey());
    status.className = "done";
    status.textContent = t("sent", { id: body.id });
    $("#form").hidden = true;
    return;
  }
  for (const e of body.errors || []) {
    const box = document.querySelector(`[data-error="${CSS.escape(e.question)}"]`);
    if (box) box.textContent = e.message;
  }
  status.className = "failed";
  status.textContent = t("failed", { msg: body.detail || reply.statusText });
}

async function main() {
  const reply = await fetch(`/survey/v1/forms/${encodeURIComponent(formId)}`, { headers: { Accept: "application/json" } });
  if (!reply.ok) throw new Error((await reply.json().catch(() => ({}))).detail || reply.statusText);
  form = await reply.json();
  form.questions.forEach(compile);
  const draft = localStorage.getItem(draftKey());
  if (draft) { answers = JSON.parse(draft); $("#intro").textContent = t("resumed"); }
  render();
  $("#form").addEventListener("submit", submit);
  $("#lang").addEventListener("click", () => {
    lang = lang === "zh" ? "en" : "zh";
    localStorage.setItem("cityhub.lang", lang);
    render();
  });
  document.body.dataset.ready = "true";
}

main().catch((err) => {
  $("#status").className = "failed";
  $("#status").textContent = t("load", { msg: err.message });
  document.body.dataset.failed = err.message;
});
