// XLSForm expressions in the page, the same subset and meaning as the server's
// (cityhub/survey/expressions.py): parsed into a tree, evaluated without eval.
const TOKEN = /\s*(?:(\d+(?:\.\d+)?|\.\d+)|(\$\{[A-Za-z_][\w.-]*\})|('[^']*'|"[^"]*")|(<=|>=|!=|[=<>+\-*(),])|(\.(?!\d))|([A-Za-z_][\w-]*))/y;
const BINARY = { or: 1, and: 2, "=": 3, "!=": 3, "<": 4, "<=": 4, ">": 4, ">=": 4, "+": 5, "-": 5, "*": 6, div: 6, mod: 6 };

function tokens(text) {
  const out = [];
  const source = text.trimEnd();
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < source.length) {
    const at = TOKEN.lastIndex;
    const m = TOKEN.exec(source);
    if (!m || TOKEN.lastIndex === at) throw new Error(`cannot read ${source.slice(at, at + 12)}`);
    const kinds = ["number", "ref", "string", "op", "dot", "name"];
    const i = m.slice(1).findIndex((g) => g !== undefined);
    out.push([kinds[i], m[i + 1]]);
  }
  return out;
}

export function parse(text) {
  const list = tokens(text);
  let at = 0;
  const peek = () => list[at];
  const take = (value) => {
    const t = list[at];
    if (!t || (value !== undefined && t[1] !== value)) throw new Error(`expected ${value || "more"}`);
    at += 1;
    return t;
  };
  function expression(level = 0) {
    let left = unary();
    for (;;) {
      const t = peek();
      if (!t || !(t[1] in BINARY) || BINARY[t[1]] <= level) return left;
      const op = take()[1];
      left = { kind: "binary", op, args: [left, expression(BINARY[op])] };
    }
  }
  function unary() {
    const t = peek();
    if (t && t[1] === "-") { take(); return { kind: "negate", args: [unary()] }; }
    return atom();
  }
  function atom() {
    const [kind, text] = take();
    if (kind === "number") return { kind: "value", value: Number(text) };
    if (kind === "string") return { kind: "value", value: text.slice(1, -1) };
    if (kind === "ref") return { kind: "ref", name: text.slice(2, -1) };
    if (kind === "dot") return { kind: "dot" };
    if (text === "(") { const inner = expression(); take(")"); return inner; }
    if (kind === "name" && text in FUNCTIONS) {
      take("(");
      const args = [];
      if (peek() && peek()[1] !== ")") {
        args.push(expression());
        while (peek() && peek()[1] === ",") { take(); args.push(expression()); }
      }
      take(")");
      return { kind: "call", name: text, args };
    }
    throw new Error(`unexpected ${text}`);
  }
  const tree = expression();
  if (peek()) throw new Error(`unexpected ${peek()[1]}`);
  return tree;
}

const num = (v) => (typeof v === "boolean" ? (v ? 1 : 0) : typeof v === "number" ? v : String(v).trim() === "" ? NaN : Number(v));
const str = (v) => (typeof v === "boolean" ? (v ? "true" : "false") : String(v));
const truth = (v) => (typeof v === "boolean" ? v : typeof v === "number" ? v !== 0 && !Number.isNaN(v) : v !== "");

function compare(op, a, b) {
  let x = num(a), y = num(b);
  if (Number.isNaN(x) || Number.isNaN(y)) {
    if (op !== "=" && op !== "!=") return false;
    x = str(a); y = str(b);
  }
  return { "=": x === y, "!=": x !== y, "<": x < y, "<=": x <= y, ">": x > y, ">=": x >= y }[op];
}

const FUNCTIONS = {
  selected: (a, b) => str(a).split(/\s+/).includes(str(b)),
  "count-selected": (a) => str(a).split(/\s+/).filter(Boolean).length,
  "string-length": (a) => [...str(a)].length,
  regex: (a, p) => { try { return new RegExp(`^(?:${str(p)})$`, "u").test(str(a)); } catch (_) { return false; } },
  not: (a) => !truth(a),
  if: (c, a, b) => (truth(c) ? a : b),
  number: num,
  int: (a) => Math.trunc(num(a)),
  string: str,
  concat: (...xs) => xs.map(str).join(""),
  contains: (a, b) => str(a).includes(str(b)),
  "starts-with": (a, b) => str(a).startsWith(str(b)),
  "ends-with": (a, b) => str(a).endsWith(str(b)),
  true: () => true,
  false: () => false,
  today: () => new Date().toISOString().slice(0, 10),
};

export function evaluate(node, answers, current = "") {
  switch (node.kind) {
    case "value": return node.value;
    case "ref": return answers[node.name] ?? "";
    case "dot": return current;
    case "negate": return -num(evaluate(node.args[0], answers, current));
    case "call": return FUNCTIONS[node.name](...node.args.map((a) => evaluate(a, answers, current)));
    default: break;
  }
  const [l, r] = node.args;
  if (node.op === "or") return truth(evaluate(l, answers, current)) || truth(evaluate(r, answers, current));
  if (node.op === "and") return truth(evaluate(l, answers, current)) && truth(evaluate(r, answers, current));
  const a = evaluate(l, answers, current), b = evaluate(r, answers, current);
  if (["=", "!=", "<", "<=", ">", ">="].includes(node.op)) return compare(node.op, a, b);
  const x = num(a), y = num(b);
  if (node.op === "+") return x + y;
  if (node.op === "-") return x - y;
  if (node.op === "*") return x * y;
  if (y === 0) return NaN;
  return node.op === "div" ? x / y : x % y;
}

export function holds(node, answers, current = "") { return truth(evaluate(node, answers, current)); }
