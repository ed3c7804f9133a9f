"""Hot issues: messages about the same problem at the same place in the same period, grouped
and ranked by a heat index.

Places are read from the text (compounds, roads, villages, schools, stations... and the city's
gazetteer names); two messages are linked when they are close in time and either share a place
and say similar things, or say nearly the same thing. Linked messages form a group (union-find).
Candidate pairs come from inverted indexes on places and on rare title words, so 100,000
messages group in seconds, not in the hours all pairs would take.

Heat index of a group (documented so an operator can explain a ranking):
    10·ln(1+min(messages, 3·reporters)) + 8·ln(1+distinct reporters)
    + 4·ln(1+likes) + 2·ln(1+dislikes)
    + 3·ln(1+days spanned) + 10·exp(-days since the last message / 30)
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import rjieba

from cityhub.citizen.duplicates import bigrams, dice

PLACE_SUFFIX = (
    "小区|花园|家园|公寓|大厦|广场|新城|新村|华苑|苑|府|湾|庭|城|村|镇|乡|街道|社区|大道|路|街|巷|"
    "桥|地铁站|站|小学|中学|学校|幼儿园|大学|医院|市场|公园|工地|项目|景区|水库|高速|线"
)
_SUFFIX = re.compile(PLACE_SUFFIX)
_ENDS_PLACE = re.compile(rf"(?:{PLACE_SUFFIX})$")
ADMIN_CODE = re.compile(r"[A-Z]\d{0,2}[市县区]")
# A place name runs back from its place word to punctuation or a character that rarely stands
# inside a name (particles, verbs of the complaint, pronouns).
_STOP = set(
    "的在是和与及了对把将从到向给于靠近住为被也都就要请我你他她它们这那有没不很太又还并或"
    "反映投诉举报建议希望咨询问让使由因如果距离旁边附某个且此尝试导致以上下"
)
_LEADING = re.compile(r"^(?:位于|地处|坐落|座落|家住|市民|小区的)+")
# A complaint's verb before a place word is not part of a name: 增加社区 asks for more community
# (services), 加强路 is no road; the name, if any, follows the last such verb. Verbs that are
# also common road names (建设路, 新建路) are not listed.
_VERB = re.compile(
    r"增加|增设|加强|加装|设置|改善|解决|安装|整治|开通|提高|完善|规范|清理|取消|恢复|希望|"
    r"要求|申请|办理|没有|缺少|缺乏|需要|建议|打造|扩建|改造|维修|整改"
)


def _after_verbs(name: str) -> str:
    ends = [m.end() for m in _VERB.finditer(name)]
    return name[ends[-1] :] if ends else name


_GENERIC = frozenset({"城", "路", "线", "项目", "小区", "学校", "医院", "市场", "公园", "站"})


@dataclass(frozen=True)
class Message:
    id: str
    title: str
    text: str
    time: dt.datetime
    user: str = ""
    likes: int = 0
    dislikes: int = 0
    district: str | None = None
    department: str | None = None
    category: str | None = None
    reply: str | None = None
    reply_time: dt.datetime | None = None


@dataclass
class HotIssue:
    rank: int
    heat: float
    start: dt.datetime
    end: dt.datetime
    place: str | None
    description: str
    members: list[str]
    reporters: int
    likes: int
    dislikes: int
    extras: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "rank": self.rank,
            "heat": round(self.heat, 2),
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "place": self.place,
            "description": self.description,
            "messages": len(self.members),
            "reporters": self.reporters,
            "likes": self.likes,
            "dislikes": self.dislikes,
            "members": self.members,
        }


def extract_places(text: str, known: Iterable[str] = ()) -> list[str]:
    """Place names in a text: administrative codes (A2区), named places ending in a place word
    (景蓉华苑, 五一大道, 郝家坪小学), and any name from the city's gazetteer."""
    found: list[str] = []
    for match in ADMIN_CODE.finditer(text):
        found.append(match.group(0))
    scrubbed = ADMIN_CODE.sub("，", text)
    for match in _SUFFIX.finditer(scrubbed):
        start = match.start()
        while start > 0 and match.start() - start < 6:
            ch = scrubbed[start - 1]
            if ch in _STOP or not (ch.isalnum() or "\u4e00" <= ch <= "\u9fff"):
                break
            if _ENDS_PLACE.search(scrubbed[max(0, start - 3) : start]):
                break  # another place ends here: 春华镇|金鼎村
            start -= 1
        name = _after_verbs(_LEADING.sub("", scrubbed[start : match.end()]))
        if len(name) - len(match.group(0)) >= 2 and name not in _GENERIC:
            found.append(name)
    found.extend(name for name in known if name and name in text)
    return list(dict.fromkeys(found))


def heat_index(members: Sequence[Message], as_of: dt.datetime) -> float:
    times = [m.time for m in members]
    span = (max(times) - min(times)).total_seconds() / 86400
    age = max(0.0, (as_of - max(times)).total_seconds() / 86400)
    reporters = len({m.user or m.id for m in members})
    return (
        10 * math.log1p(min(len(members), 3 * reporters))  # repeat posts count three times at most
        + 8 * math.log1p(reporters)
        + 4 * math.log1p(sum(m.likes for m in members))
        + 2 * math.log1p(sum(m.dislikes for m in members))
        + 3 * math.log1p(span)
        + 10 * math.exp(-age / 30)
    )


class _UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


@dataclass(frozen=True)
class GroupingRules:
    window_days: float = 60.0  # messages further apart in time are different episodes
    same_place_similarity: float = 0.22  # text similarity enough when a place is shared
    no_place_similarity: float = 0.55  # text similarity needed without a shared place
    max_postings: int = 300  # a place or word in more messages than this is too common to link


def group_messages(
    messages: Sequence[Message],
    rules: GroupingRules | None = None,
    known_places: Iterable[str] = (),
    progress: Callable[[int, int], None] | None = None,
) -> list[list[int]]:
    """Indexes of messages that talk about the same issue, one list per group (singletons too)."""
    rules = rules or GroupingRules()
    known = list(known_places)
    places = [extract_places(f"{m.title}。{m.text}", known) for m in messages]
    grams = [bigrams(f"{m.title}{m.title}{m.text[:160]}") for m in messages]
    words = [{w for w in rjieba.cut(m.title) if len(w) >= 2 and not w.isdigit()} for m in messages]
    by_place: dict[str, list[int]] = defaultdict(list)
    by_word: dict[str, list[int]] = defaultdict(list)
    for i, names in enumerate(places):
        for name in names:
            by_place[name].append(i)
        for word in words[i]:
            by_word[word].append(i)
    window = dt.timedelta(days=rules.window_days)
    links = _UnionFind(len(messages))
    checked: set[tuple[int, int]] = set()

    def consider(postings: dict[str, list[int]], threshold: float) -> None:
        for number, members in enumerate(postings.values()):
            if progress and number % 1000 == 0:
                progress(number, len(postings))
            if len(members) < 2 or len(members) > rules.max_postings:
                continue
            ordered = sorted(members, key=lambda i: messages[i].time)
            for x, a in enumerate(ordered):
                for b in ordered[x + 1 :]:
                    if messages[b].time - messages[a].time > window:
                        break
                    pair = (a, b) if a < b else (b, a)
                    if pair in checked:
                        continue
                    checked.add(pair)
                    if dice(grams[a], grams[b]) >= threshold:
                        links.union(a, b)

    consider(by_place, rules.same_place_similarity)
    consider(by_word, rules.no_place_similarity)
    groups: dict[int, list[int]] = defaultdict(list)
    for i in range(len(messages)):
        groups[links.find(i)].append(i)
    return list(groups.values())


def hot_issues(
    messages: Sequence[Message],
    as_of: dt.datetime | None = None,
    top: int = 20,
    min_messages: int = 2,
    rules: GroupingRules | None = None,
    known_places: Iterable[str] = (),
) -> list[HotIssue]:
    """Groups of at least `min_messages`, ranked by heat."""
    if not messages:
        return []
    as_of = as_of or max(m.time for m in messages)
    ranked = []
    for group in group_messages(messages, rules, known_places):
        if len(group) < min_messages:
            continue
        members = [messages[i] for i in group]
        ranked.append((heat_index(members, as_of), members))
    ranked.sort(key=lambda pair: -pair[0])
    out = []
    for rank, (heat, members) in enumerate(ranked[:top], start=1):
        out.append(
            HotIssue(
                rank=rank,
                heat=heat,
                start=min(m.time for m in members),
                end=max(m.time for m in members),
                place=_common_place(members, known_places),
                description=_representative(members).title,
                members=[m.id for m in sorted(members, key=lambda m: m.time)],
                reporters=len({m.user or m.id for m in members}),
                likes=sum(m.likes for m in members),
                dislikes=sum(m.dislikes for m in members),
            )
        )
    return out


def _common_place(members: Sequence[Message], known: Iterable[str]) -> str | None:
    counts: dict[str, int] = defaultdict(int)
    known = list(known)
    for m in members:  # titles name places most cleanly; the texts only when titles do not
        for name in extract_places(m.title, known):
            counts[name] += 1
    if not any(not ADMIN_CODE.fullmatch(k) for k in counts):
        in_texts: dict[str, int] = defaultdict(int)
        for m in members:
            for name in extract_places(m.text, known):
                in_texts[name] += 1
        # A place only one message's text names is no place of the group's.
        for name, n in in_texts.items():
            if n >= min(2, len(members)):
                counts[name] += n
    if not counts:
        return None
    specific = {k: v for k, v in counts.items() if not ADMIN_CODE.fullmatch(k)}
    counts = specific or counts
    # The most shared place; among equals the longest (the most specific) name.
    return max(counts.items(), key=lambda kv: (kv[1], len(kv[0])))[0]


def _representative(members: Sequence[Message]) -> Message:
    """The member whose title is most like the others' (the group's medoid)."""
    if len(members) <= 2:
        return max(members, key=lambda m: (m.likes, -m.time.timestamp()))
    grams = [bigrams(m.title) for m in members]
    best = max(
        range(len(members)),
        key=lambda i: sum(dice(grams[i], g) for j, g in enumerate(grams) if j != i),
    )
    return members[best]


def public_issue(issue: dict[str, Any]) -> dict[str, Any]:
    """A hot issue (as_dict) for everyone's eyes: personal data in its texts masked."""
    from cityhub.catalog.mask import mask_text

    return {
        k: mask_text(v) if k in ("description", "place") and isinstance(v, str) else v
        for k, v in issue.items()
    }
