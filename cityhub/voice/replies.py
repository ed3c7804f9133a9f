"""How good is an official reply? Explainable sub-scores, each with its reasons.

- relevance: does the reply speak of what the message raised (its key terms, its wording);
- completeness: does it answer a question that was asked, name an action taken or planned, a
  responsible unit, a way to follow up (phone, address, website) and a date;
- timeliness: working days from message to reply (Chinese public holidays counted);
- clarity: enough substance beyond the set phrases, sentences of readable length, structure.

Scores are 0-100; the overall score weighs relevance and completeness 0.3 each, timeliness and
clarity 0.2 each. Every point lost has a reason in Chinese and English.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

import rjieba

from cityhub.citizen.duplicates import bigrams, dice
from cityhub.citizen.workdays import working_days_between

WEIGHTS = {"relevance": 0.3, "completeness": 0.3, "timeliness": 0.2, "clarity": 0.2}
# Set phrases that carry no answer (greeting, acknowledgement, thanks, sign-off).
BOILERPLATE = re.compile(
    r"网友[“\"][^”\"]*[”\"]|您好[！!，,]?|您的留言已收悉[。，,]?|现将有关情况回复如下[：:]?|"
    r"感谢您对我们工作的支持、?理解与监督[！!。]?|感谢您的(宝贵)?(意见|建议|关注|支持)[！!。，,]?|"
    r"\d{4}年\d{1,2}月\d{1,2}日\s*$"  # the sign-off date
)
WHEN = re.compile(r"什么时候|何时|多久|哪天|期限")
QUESTION = re.compile(r"[？?]|吗|如何|怎么|怎样|能否|是否|可否|有没有|什么时候|何时|哪里|多少")
ANSWER = re.compile(r"可以|不能|不可|需要|无需|应当|按照|根据|依据|规定|办理|流程|条件|标准|须")
ACTION = re.compile(
    r"已(经)?(责令|安排|督促|组织|完成|处理|整改|修复|清理|拆除|查处|核实|调查|协调|约谈|立案|"
    r"开展|落实|派|要求|对|更换|维修|修好|修理|恢复|疏通|清运|安装|加装|调整|补)|"
    r"将(于|会|加强|加大|尽快|进一步|继续|组织|安排)|经(调查|核实|查|了解|现场)|"
    r"责令|整改|查处|下一步|立即|尽快|着手|列入|纳入|(更换|维修|修复)(了|完毕|完成)|恢复正常|"
    # forwarded to someone to handle: 已转F9市调查处理, 已交有关部门调查核处, 交办…调查
    r"(转|转交|转至|交由|交办|移交|反馈至|交)[^。]{0,14}(调查|核查|核处|处理|办理|办复|答复|核实)|"
    r"(组织|召开|召集|主持)[^。]{0,40}(会议|协调会|座谈会|专题会|听证会)|"
    r"(进行|开展|展开)了?[^。，]{0,4}(管理|调查|协商|检查|整治|改造|核查|维修|清理|修复|研究|巡查|"
    r"监察|勘查|查看|检定|协调|排查)|"
    r"正在(申报|协调|办理|审批|整改|设计|洽谈|联系|核查|推进|修复|组织|监督|跟进)|"
    r"据查|经(核查|检查|排查|勘察|查看|实地|我们|多方)|(现场|实地)(查看|调查|检查|勘查|查勘|核查|检定)|"
    r"已(建立|建成|启动|开通|设置|撤除|增加|增设|派出|批准|作出|下达|成立|采取|申报|上报|联系|签订|"
    r"签约|退费|核发|颁发|将|向)|接下来|下阶段|今后(将|我们将)"
)
UNIT = re.compile(
    r"[\u4e00-\u9fff]{1,10}(局|委|办|厅|中心|街道|社区|政府|公司|所|队|支队|大队|站|院|部门|管委会|办事处)"
)
# "已转F9市调查处理": the government of the place named handles it.
FORWARDED_TO_PLACE = re.compile(r"转(交|至|给)?([A-Z]\d{0,2}|[\u4e00-\u9fff]{2,4})(市|区|县|镇|乡)")
CONTACT = re.compile(
    r"(电话|热线|联系|咨询)[^。]{0,12}?[\d-]{5,}|\d{3,4}-\d{5,8}|1[3-9]\d{9}|"
    r"(拨打|致电|来电)[^。]{0,6}?\d{5,}|"
    r"(地址|网址|网站|门户网|公众号|官网|窗口|大厅|链接|点击)|https?://|"
    r"(前往|到|至)[^。，]{0,20}(办公室|服务中心|车辆管理所|派出所|政府|窗口|大厅)"
)
# A date or time frame; "目前", "近日", "尽快" say when nothing will happen and do not count.
DATE = re.compile(
    r"\d{4}年|\d{1,2}月\d{1,2}[日号]|\d{1,2}月(底|中旬|上旬|下旬|份|初)|(?<!\d)(19|20)\d{2}-(0?[1-9]|1[0-2])(?!\d)|"
    r"(今|去|明|本)年|年底|年内|本周|下周|本月|下月|\d+个?(工作)?日内|农历|正月"
)
# A date that signs a reply off: at the end, or where a second reply follows in the same text.
SIGN_OFF = re.compile(
    r"(\d{4}年\d{1,2}月\d{1,2}日|\d{4}-\d{1,2}-\d{1,2}|二〇[一二三四五六七八九〇]{2}年[^。，]{1,6}日)"
    r"(?=\s*(网友|网民|尊敬|亲爱|您好|你好|[“\"]|$))"
)
# A unit that names nobody ("我局", "相关部门", "有关单位") or is a place ("位于…街道").
_UNNAMED = re.compile(r"(我|本|该|贵|此|相关|有关|职能|其他|上级|主管|业务)$")
_PLACE_MARK = re.compile(r"[A-Z]\d{0,2}|[省市县区镇乡村]|街道")
_CUT = re.compile(r"[，。、；：！？\s的与及向到在由对将已经请把从于]")  # not 和: 住房和建设局


def _named_unit(text: str, suffix: str) -> bool:
    """A unit match that names a body: the words in front of the name are cut off; what is
    left must carry a place (K市, A7县, 黄花镇) or a name of its own besides the unit word."""
    if "位于" in text or "地处" in text:
        return False
    name = _CUT.split(text[: len(text) - len(suffix)])[-1]
    if not name or _UNNAMED.search(name):
        return False
    return bool(_PLACE_MARK.search(name)) or len(name) >= 4


STOPWORDS = frozenset(
    [
        "我们",
        "你们",
        "他们",
        "这个",
        "那个",
        "一个",
        "没有",
        "什么",
        "就是",
        "还是",
        "但是",
        "因为",
        "所以",
        "如果",
        "可以",
        "问题",
        "希望",
        "请问",
        "领导",
        "政府",
        "有关",
        "部门",
        "相关",
        "情况",
        "现在",
        "已经",
        "非常",
        "严重",
        "我们",
        "市民",
        "网友",
        "您好",
        "谢谢",
        "反映",
        "留言",
    ]
)


@dataclass
class ReplyScore:
    relevance: float
    completeness: float
    timeliness: float | None
    clarity: float
    overall: float
    delay_working_days: int | None
    reasons: list[dict[str, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "overall": round(self.overall, 1),
            "relevance": round(self.relevance, 1),
            "completeness": round(self.completeness, 1),
            "timeliness": None if self.timeliness is None else round(self.timeliness, 1),
            "clarity": round(self.clarity, 1),
            "delay_working_days": self.delay_working_days,
            "reasons": self.reasons,
        }


def _why(zh: str, en: str) -> dict[str, str]:
    return {"zh": zh, "en": en}


def key_terms(text: str, limit: int = 12) -> list[str]:
    """The message's content words (two characters or more, not set phrases), most frequent
    first."""
    counts: dict[str, int] = {}
    for word in rjieba.cut(text):
        if len(word) >= 2 and word not in STOPWORDS and not word.isdigit() and word.strip():
            counts[word] = counts.get(word, 0) + 1
    return [w for w, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]]


def relevance(message: str, substance: str) -> tuple[float, list[dict[str, str]]]:
    terms = key_terms(message)
    if not substance:
        return 0.0, [_why("答复没有实质内容", "the reply has no substance beyond set phrases")]
    covered = [t for t in terms if t in substance]
    coverage = len(covered) / len(terms) if terms else 0.0
    overlap = dice(bigrams(message), bigrams(substance))
    score = 100 * min(1.0, 0.75 * coverage + 1.5 * overlap)
    reasons = []
    missing = [t for t in terms if t not in substance][:5]
    if coverage < 0.3:
        reasons.append(
            _why(
                f"未回应留言要点：{'、'.join(missing)}",
                f"does not address the message's points: {', '.join(missing)}",
            )
        )
    return score, reasons


# What a complete reply holds, each with the reason given when it is missing.
PARTS = {
    "action": ("未说明已采取或将采取的措施", "names no action taken or planned"),
    "unit": ("未指明责任单位", "names no responsible unit"),
    "contact": ("未提供联系方式或办理渠道", "gives no contact or channel to follow up"),
    "date": ("未给出时间或期限", "gives no date or time frame"),
}


def parts_present(substance: str) -> dict[str, bool]:
    """Which parts of a complete reply the text holds (measured against hand labels in
    tests/fixtures/reply_checks_labelled.csv)."""
    return {
        "action": bool(ACTION.search(substance)),
        "unit": any(_named_unit(m.group(0), m.group(1)) for m in UNIT.finditer(substance))
        or bool(FORWARDED_TO_PLACE.search(substance)),
        "contact": bool(CONTACT.search(substance)),
        "date": bool(DATE.search(SIGN_OFF.sub("", substance))),
    }


def completeness(message: str, substance: str) -> tuple[float, list[dict[str, str]]]:
    present = parts_present(substance)
    checks: list[Any] = list(PARTS)
    reasons = [_why(*PARTS[name]) for name in PARTS if not present[name]]
    if QUESTION.search(message):
        checks.append("answer")
        answered = ANSWER.search(substance) or (WHEN.search(message) and DATE.search(substance))
        if not answered:
            reasons.insert(0, _why("未直接回答所提问题", "does not answer the question asked"))
    return 100 * (1 - len(reasons) / len(checks)), reasons


def timeliness(
    asked: dt.datetime, answered: dt.datetime, tz: str
) -> tuple[float, int, list[dict[str, str]]]:
    """Full marks within 3 working days, none after 20; linear between."""
    days = working_days_between(asked, answered, tz)
    score = 100.0 if days <= 3 else max(0.0, 100 * (20 - days) / 17)
    reasons = []
    if days > 3:
        reasons.append(_why(f"答复用时 {days} 个工作日", f"answered after {days} working days"))
    return score, days, reasons


def clarity(reply: str, substance: str) -> tuple[float, list[dict[str, str]]]:
    score, reasons = 100.0, []
    if len(substance) < 40:
        score -= 50
        reasons.append(_why("答复过于简短", "the reply is too short to inform"))
    share = len(substance) / max(1, len(reply))
    if share < 0.5:
        score -= 20
        reasons.append(_why("套话占比过高", "most of the reply is set phrases"))
    sentences = [s for s in re.split(r"[。！？!?；;]", substance) if s.strip()]
    mean = sum(map(len, sentences)) / len(sentences) if sentences else 0
    if mean > 90:
        score -= 20
        reasons.append(_why("句子过长，难以阅读", "sentences are too long to read easily"))
    if len(substance) > 600 and not re.search(
        r"[一二三四五六七八九十]、|（[一二三四五六七八九十]）|\d[.、]", substance
    ):
        score -= 10
        reasons.append(_why("长篇答复缺少分条", "a long reply without numbered points"))
    return max(0.0, score), reasons


def evaluate_reply(
    message: str,
    reply: str,
    asked: dt.datetime | None = None,
    answered: dt.datetime | None = None,
    tz: str = "Asia/Shanghai",
) -> ReplyScore:
    """Score one reply to one message; times (aware) give the timeliness score."""
    substance = BOILERPLATE.sub("", reply).strip()
    rel, why_rel = relevance(message, substance)
    comp, why_comp = completeness(message, substance)
    clar, why_clar = clarity(reply, substance)
    time_score: float | None = None
    delay: int | None = None
    why_time: list[dict[str, str]] = []
    if asked is not None and answered is not None:
        time_score, delay, why_time = timeliness(asked, answered, tz)
    parts = {"relevance": rel, "completeness": comp, "clarity": clar}
    if time_score is not None:
        parts["timeliness"] = time_score
    total_weight = sum(WEIGHTS[k] for k in parts)
    overall = sum(WEIGHTS[k] * v for k, v in parts.items()) / total_weight
    return ReplyScore(
        relevance=rel,
        completeness=comp,
        timeliness=time_score,
        clarity=clar,
        overall=overall,
        delay_working_days=delay,
        reasons=[*why_rel, *why_comp, *why_time, *why_clar],
    )
