// Chinese and English for every word on the page; the choice is remembered in localStorage.
const WORDS = {
  zh: {
    "title.sub": "城市运行一网统管",
    "live.connecting": "正在连接…", "live.on": "实时", "live.down": "已断开，重连中…",
    "link.api": "接口", "key.button": "密钥", "key.title": "API 密钥",
    "key.help": "填写部门密钥后可查看工单队列、申请数据。密钥只保存在本浏览器。",
    "key.save": "保存", "key.clear": "清除", "key.set": "已登录",
    "filter.all": "全部行政区",
    "tab.citizen": "市民诉求", "tab.goals": "目标指标", "tab.catalog": "数据目录", "tab.participation": "民意调查",
    "tab.care": "社区照护",
    "care.gaps": "15分钟生活圈缺口（覆盖最少的片区在前）", "care.kind": "设施类型",
    "care.circle": "步行 {m} 分钟（约 {d} 米）· 共 {n} 处设施", "care.leftOut": "{p} · 未覆盖约 {n} 人",
    "care.method": "按片区内有人居住的网格点（公交站 500 米内）计算覆盖比例；未覆盖人数按人口均匀分布估算。",
    "care.shade": "在地图上着色", "care.legend": "{m} 分钟生活圈覆盖率",
    "care.today": "今日居家养老服务", "care.alarms": "紧急呼叫", "care.runs": "护理员今日路线",
    "care.visits": "{n} 单 · {a}–{b}", "care.showRuns": "在地图上显示路线",
    "care.accepted": "{s} 秒接单", "care.arrived": "{m} 分钟到达", "care.nobody": "待派单",
    "care.signIn": "使用服务部门的密钥登录后可查看今日工单。", "care.ownOnly": "本部门没有居家养老工单。",
    "care.status.open": "待派单", "care.status.assigned": "已派单", "care.status.accepted": "已接单",
    "care.status.arrived": "已到达", "care.status.done": "已完成", "care.status.cancelled": "已取消",
    "part.surveys": "问卷调查", "part.proposals": "市民建议（按支持数）", "part.results": "满意度指数（0–100，95% 置信区间）",
    "part.sampled": "已回收 {r} / {n} 份（回收率 {p}）", "part.open": "已回收 {r} 份，其中 {f} 份存疑未计入",
    "part.rate": "{p} · {n} 份", "part.withheld": "样本不足，不公布", "part.city": "全市",
    "part.note": "按设计加权并做无回答调整；少于10人的格子不公布。", "part.unpublished": "结果尚未发布",
    "part.shade": "在地图上按区着色", "part.legend": "满意度指数", "part.overdue": "已超过答复期限",
    "part.due": "应于 {d} 前答复", "part.supports": "支持 {n} / {of}",
    "part.status.open": "征集中", "part.status.accepted": "已采纳", "part.status.in_study": "研究中",
    "part.status.rejected": "未采纳",
    "detail.history": "历史", "detail.updated": "更新于", "detail.district": "所在区",
    "detail.nohistory": "暂无数值历史",
    "citizen.open": "办理中", "citizen.overdue": "已超期", "citizen.today": "今日新增",
    "citizen.messages": "近30天诉求", "citizen.queue": "工单队列（按期限）",
    "citizen.overdueList": "超期工单", "citizen.hot": "热点问题", "citizen.sentiment": "各区情绪",
    "citizen.needKey": "工单队列需要部门密钥：点击右上角“密钥”。", "citizen.none": "暂无",
    "citizen.hours": "{h} 小时", "citizen.daysHours": "{d} 天 {h} 小时",
    "citizen.left": "剩余 {span}", "citizen.over": "超期 {span}", "citizen.unrouted": "待派单",
    "citizen.done": "已办结", "citizen.heat": "热度", "citizen.msgs": "{n} 条",
    "sent.negative": "负面", "sent.neutral": "中性", "sent.positive": "正面",
    "sent.share": "负面 {p}% · {n} 条",
    "goals.title": "指标与目标", "goals.target": "目标", "goals.latest": "最新",
    "goals.forecast": "预测（{level}% 区间）", "goals.none": "尚未设定目标",
    "goals.elapsed": "不低于序时进度", "goals.noForecast": "暂无预测：序列过短或尚无数值", "goals.elapsedLine": "序时进度", "goals.stale": "数据截至 {p}",
    "catalog.search": "搜索数据集", "catalog.go": "搜索", "catalog.count": "共 {n} 个数据集",
    "catalog.request": "申请使用", "catalog.purpose": "用途", "catalog.days": "天数",
    "catalog.submit": "提交申请", "catalog.sent": "已提交申请 #{id}，状态：{status}",
    "catalog.needKey": "申请数据需要部门密钥", "catalog.preview": "预览",
    "catalog.level": "{level} 级", "catalog.rows": "{n} 行",
    "share.unconditional": "无条件共享", "share.conditional": "有条件共享",
    "share.not_shared": "不予共享", "open.open": "无条件开放", "open.restricted": "有条件开放",
    "open.prohibited": "禁止开放", "grade.core": "核心数据", "grade.important": "重要数据",
    "grade.general": "一般数据",
    "card.service": "诉求类型", "card.department": "承办部门", "card.place": "地点",
    "card.requested": "受理时间", "card.deadline": "办理期限", "card.resolved": "办结时间",
    "card.escalation": "督办", "card.escalated": "已升级 {n} 级",
    "card.satisfactionLabel": "回访满意度", "card.satisfaction": "{n} / 5",
    "card.reply": "答复", "card.timeline": "办理过程", "card.nearby": "附近开放的社康中心",
    "card.walk": "步行约 {m} 分钟（{d} 米）",
    "legend.title": "图例", "legend.free": "空闲", "legend.occupied": "占用",
    "legend.on": "开灯", "legend.off": "关灯", "legend.open": "办理中",
    "legend.overdue": "已超期", "legend.closed": "已办结", "legend.shut": "未开放", "legend.full": "已满",
    "legend.openNow": "开放中", "legend.other": "其他",
    "error.load": "加载失败：{msg}",
  },
  en: {
    "title.sub": "city operations",
    "live.connecting": "connecting…", "live.on": "live", "live.down": "disconnected, retrying…",
    "link.api": "API", "key.button": "Key", "key.title": "API key",
    "key.help": "A department key shows the request queue and lets you request data. It is kept in this browser only.",
    "key.save": "Save", "key.clear": "Clear", "key.set": "signed in",
    "filter.all": "All districts",
    "tab.citizen": "Citizens", "tab.goals": "Goals", "tab.catalog": "Catalog", "tab.participation": "Surveys",
    "tab.care": "Care",
    "care.gaps": "15-minute life circle: gaps (least covered first)", "care.kind": "Kind",
    "care.circle": "{m} min walk (about {d} m) · {n} places", "care.leftOut": "{p} · about {n} people left out",
    "care.method": "Share of each area's settled grid points (within 500 m of a bus stop); people left out assume an even spread.",
    "care.shade": "Shade the map", "care.legend": "{m}-minute circle coverage",
    "care.today": "Home care today", "care.alarms": "Alarms", "care.runs": "Caregivers' runs today",
    "care.visits": "{n} visits · {a}–{b}", "care.showRuns": "Show the runs on the map",
    "care.accepted": "accepted in {s} s", "care.arrived": "arrived in {m} min", "care.nobody": "not assigned",
    "care.signIn": "Sign in with the serving department's key to see today's orders.", "care.ownOnly": "No home-care orders for this department.",
    "care.status.open": "open", "care.status.assigned": "assigned", "care.status.accepted": "accepted",
    "care.status.arrived": "arrived", "care.status.done": "done", "care.status.cancelled": "cancelled",
    "part.surveys": "Surveys", "part.proposals": "Proposals (by support)", "part.results": "Satisfaction index (0–100, 95% interval)",
    "part.sampled": "{r} of {n} answered ({p})", "part.open": "{r} responses, {f} doubtful ones left out",
    "part.rate": "{p} · {n}", "part.withheld": "too few answers to publish", "part.city": "City",
    "part.note": "Design-weighted with non-response adjustment; cells under 10 people are withheld.",
    "part.unpublished": "results not published yet", "part.shade": "Shade the map by district",
    "part.legend": "Satisfaction index", "part.overdue": "answer overdue", "part.due": "answer due by {d}",
    "part.supports": "{n} / {of} supports", "part.status.open": "open", "part.status.accepted": "accepted",
    "part.status.in_study": "in study", "part.status.rejected": "rejected",
    "detail.history": "History", "detail.updated": "Updated", "detail.district": "District",
    "detail.nohistory": "no numeric history",
    "citizen.open": "Open", "citizen.overdue": "Overdue", "citizen.today": "New today",
    "citizen.messages": "Last 30 days", "citizen.queue": "Request queue (by deadline)",
    "citizen.overdueList": "Overdue requests", "citizen.hot": "Hot issues",
    "citizen.sentiment": "Sentiment by district",
    "citizen.needKey": "The request queue needs a department key: use “Key” at the top right.",
    "citizen.none": "none", "citizen.hours": "{h} h", "citizen.daysHours": "{d} d {h} h",
    "citizen.left": "{span} left", "citizen.over": "{span} overdue",
    "citizen.unrouted": "Awaiting dispatch",
    "citizen.done": "done", "citizen.heat": "heat", "citizen.msgs": "{n} msgs",
    "sent.negative": "negative", "sent.neutral": "neutral", "sent.positive": "positive",
    "sent.share": "{p}% negative · {n}",
    "goals.title": "Indicators and targets", "goals.target": "target", "goals.latest": "latest",
    "goals.forecast": "forecast ({level}% band)", "goals.none": "no targets set",
    "goals.elapsed": "keep up with time elapsed", "goals.noForecast": "no forecast: {why}", "goals.elapsedLine": "time elapsed (序时进度)",
    "goals.stale": "data as of {p}",
    "catalog.search": "Search datasets", "catalog.go": "Search", "catalog.count": "{n} datasets",
    "catalog.request": "Request access", "catalog.purpose": "Purpose", "catalog.days": "Days",
    "catalog.submit": "Send request", "catalog.sent": "Request #{id} sent, status: {status}",
    "catalog.needKey": "Requesting data needs a department key", "catalog.preview": "Preview",
    "catalog.level": "level {level}", "catalog.rows": "{n} rows",
    "share.unconditional": "open sharing", "share.conditional": "conditional sharing",
    "share.not_shared": "not shared", "open.open": "open data", "open.restricted": "restricted opening",
    "open.prohibited": "not opened", "grade.core": "core data", "grade.important": "important data",
    "grade.general": "general data",
    "card.service": "Service", "card.department": "Department", "card.place": "Place",
    "card.requested": "Received", "card.deadline": "Due", "card.resolved": "Resolved",
    "card.escalation": "Escalation", "card.escalated": "escalated {n} level(s)",
    "card.satisfactionLabel": "Satisfaction", "card.satisfaction": "{n} / 5",
    "card.reply": "Reply", "card.timeline": "Timeline", "card.nearby": "Open community health centres nearby",
    "card.walk": "about {m} min walk ({d} m)",
    "legend.title": "Legend", "legend.free": "free", "legend.occupied": "occupied",
    "legend.on": "on", "legend.off": "off", "legend.open": "open",
    "legend.overdue": "overdue", "legend.closed": "closed", "legend.other": "other",
    "legend.shut": "closed now", "legend.full": "full", "legend.openNow": "open now",
    "error.load": "could not load: {msg}",
  },
};

// Entity types and attributes the demo city and the Smart Data Models use.
const TYPES = {
  AirQualityObserved: ["空气质量", "Air quality"], ParkingSpot: ["停车位", "Parking"],
  WasteContainer: ["垃圾桶", "Waste"], TrafficFlowObserved: ["交通流量", "Traffic"],
  Streetlight: ["路灯", "Streetlights"], Open311ServiceRequest: ["市民诉求", "Requests"],
  BusStop: ["公交站", "Bus stops"], PointOfInterest: ["社区服务点", "Service points"], Device: ["设备", "Devices"],
};
const ATTRS = {
  pm25: ["PM2.5", "PM2.5"], pm10: ["PM10", "PM10"], no2: ["二氧化氮", "NO₂"],
  temperature: ["温度", "Temperature"], relativeHumidity: ["相对湿度", "Humidity"],
  status: ["状态", "Status"], fillingLevel: ["满溢度", "Filling level"],
  intensity: ["车流量", "Intensity"], averageVehicleSpeed: ["平均车速", "Average speed"],
  occupancy: ["占有率", "Occupancy"], powerState: ["开关", "Power"],
  illuminanceLevel: ["亮度", "Illuminance"], name: ["名称", "Name"],
  description: ["描述", "Description"], workflowStatus: ["办理状态", "Workflow"],
  agency_responsible: ["承办部门", "Department"], overdue: ["超期", "Overdue"],
  service_name: ["服务", "Service"], expected_datetime: ["办理期限", "Deadline"],
  areaServed: ["服务区域", "Area served"], district: ["行政区", "District"],
};

let current = localStorage.getItem("cityhub.lang") || "zh";
const placeNames = new Map(); // a district's Chinese name -> its English name

// The districts' English names, from the boundary layer.
export function setPlaceNames(features) {
  for (const f of features) if (f.properties.name && f.properties.name_en) placeNames.set(f.properties.name, f.properties.name_en);
}

// A district (or a "district · street" text) in the page's language; other names stay as written.
export function placeName(name) {
  if (!name || current === "zh") return name || "";
  return String(name).split(" · ").map((part) => placeNames.get(part) || part).join(" · ");
}
const listeners = [];

export function lang() { return current; }

export function t(key, vars = {}) {
  const text = (WORDS[current] && WORDS[current][key]) || WORDS.en[key] || key;
  return text.replace(/\{(\w+)\}/g, (_, name) => String(vars[name] ?? ""));
}

export function typeLabel(type) { const n = TYPES[type]; return n ? n[current === "zh" ? 0 : 1] : type; }
export function attrLabel(attr) { const n = ATTRS[attr]; return n ? n[current === "zh" ? 0 : 1] : attr; }

// {zh: ..., en: ...} -> the current language's text.
export function pick(names) {
  if (names == null) return "";
  if (typeof names === "string") return names;
  return names[current] || names.zh || names.en || Object.values(names)[0] || "";
}

export function apply(root = document) {
  document.documentElement.lang = current === "zh" ? "zh-CN" : "en";
  for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
}

export function setLang(next) {
  current = next;
  localStorage.setItem("cityhub.lang", next);
  apply();
  for (const fn of listeners) fn(next);
}

export function onLangChange(fn) { listeners.push(fn); }
