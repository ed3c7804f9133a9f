"""What the city is saying: messages from the request store (and files of historical
messages), scored for sentiment, grouped into hot issues, replies evaluated, bursts found."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from cityhub.citizen.router import ClassifierRegistry
from cityhub.citizen.service import RequestService, from_us, to_us
from cityhub.errors import BadRequestData, ResourceNotFound
from cityhub.store.citizen_sql import RequestFilter
from cityhub.voice.hotissues import ADMIN_CODE, HotIssue, Message, hot_issues
from cityhub.voice.replies import ReplyScore, evaluate_reply
from cityhub.voice.sentiment import Burst, Polarity, aggregate, bursts, polarity

MAX_MESSAGES = 200_000


def read_messages_file(path: Path, tz: str) -> list[Message]:
    """Messages from a CSV: id, title, text, time (local), and optionally user, likes, dislikes,
    reply, reply_time (the shape of a 12345 centre's export)."""
    zone = ZoneInfo(tz)

    def when(value: str) -> dt.datetime | None:
        if not value.strip():
            return None
        moment = dt.datetime.fromisoformat(value.strip())
        return moment if moment.tzinfo else moment.replace(tzinfo=zone)

    out = []
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            for number, row in enumerate(csv.DictReader(handle), start=2):
                try:
                    time = when(row.get("time") or "")
                    if time is None:
                        raise ValueError("no time")
                    out.append(
                        Message(
                            id=row.get("id") or f"{path.stem}-{number}",
                            title=row.get("title") or "",
                            text=row.get("text") or "",
                            time=time,
                            user=row.get("user") or "",
                            likes=int(row.get("likes") or 0),
                            dislikes=int(row.get("dislikes") or 0),
                            reply=row.get("reply") or None,
                            reply_time=when(row.get("reply_time") or ""),
                        )
                    )
                except ValueError as exc:
                    raise BadRequestData(f"{path} line {number}: {exc}") from exc
    except FileNotFoundError as exc:
        raise BadRequestData(f"no such file: {path}") from exc
    except (UnicodeDecodeError, csv.Error) as exc:
        raise BadRequestData(f"{path} is not a UTF-8 CSV file: {exc}") from exc
    return out


class VoiceService:
    def __init__(
        self, requests: RequestService, sentiment: ClassifierRegistry, timezone: str
    ) -> None:
        self.requests = requests
        self.sentiment = sentiment
        self.timezone = timezone

    def messages(self, start: dt.datetime, end: dt.datetime) -> list[Message]:
        """Requests received in [start, end) as messages; a resolution note is the reply."""
        rows = self.requests.find(
            RequestFilter(start_us=to_us(start), end_us=to_us(end) - 1), MAX_MESSAGES
        )
        out = []
        for row in rows:
            doc = row.doc
            reporter = doc.get("reporter") or {}
            resolved = row.resolved_us is not None and row.status != "merged"
            out.append(
                Message(
                    id=str(row.id),
                    title=str(doc.get("title") or ""),
                    text=str(doc.get("description") or ""),
                    time=from_us(row.requested_us),
                    user=str(reporter.get("account_id") or reporter.get("email") or row.id),
                    likes=int(doc.get("likes") or 0),
                    district=row.district,
                    department=row.department,
                    category=row.category,
                    reply=str(doc.get("status_notes") or "") or None if resolved else None,
                    reply_time=from_us(row.resolved_us) if resolved and row.resolved_us else None,
                )
            )
        return out

    def placed(self, messages: Sequence[Message]) -> list[Message]:
        """Messages with a district: their own, the gazetteer's reading of the text, or the
        first district-level code the text names (A3区, K8县)."""
        gazetteer = self.requests.locator.gazetteer
        out = []
        for m in messages:
            if m.district is None:
                text = f"{m.title}。{m.text}"
                district = gazetteer.find(text).district
                if district is None:
                    codes = [c for c in ADMIN_CODE.findall(text) if not c.endswith("市")]
                    district = codes[0] if codes else None
                m = replace(m, district=district)
            out.append(m)
        return out

    def score(self, texts: Sequence[str]) -> list[Polarity]:
        loaded = self.sentiment.current()
        if loaded is None:
            raise ResourceNotFound(
                "no sentiment model has been trained: cityhub voice train-sentiment FILE.csv"
            )
        _, model = loaded
        if "positive" not in model.labels:
            raise BadRequestData("the sentiment model has no 'positive' label")
        column = model.labels.index("positive")
        return [polarity(float(row[column])) for row in model.predict_proba(list(texts))]

    def hot(self, messages: Sequence[Message], as_of: dt.datetime, top: int = 20) -> list[HotIssue]:
        known = [e.name for e in self.requests.locator.gazetteer.entries]
        return hot_issues(messages, as_of=as_of, top=top, known_places=known)

    def local_day(self, moment: dt.datetime) -> dt.date:
        return moment.astimezone(ZoneInfo(self.timezone)).date()

    def sentiment_table(
        self, messages: Sequence[Message], by: str
    ) -> tuple[dict[str, dict[str, Any]], list[Polarity]]:
        """Sentiment counts per district, department, category or day."""
        if by not in ("district", "department", "category", "day"):
            raise BadRequestData("group sentiment by district, department, category or day")
        scores = self.score([f"{m.title}。{m.text}" for m in messages])
        keys = [
            self.local_day(m.time).isoformat() if by == "day" else getattr(m, by) for m in messages
        ]
        return aggregate(list(zip(keys, scores, strict=True))), scores

    def bursts_on(
        self, messages: Sequence[Message], scores: Sequence[Polarity], day: dt.date
    ) -> list[Burst]:
        """Negative bursts by district and by category on one local day."""
        negatives = []
        for m, s in zip(messages, scores, strict=True):
            if s.label != "negative":
                continue
            when = self.local_day(m.time)
            if m.district:
                negatives.append((f"district:{m.district}", when))
            if m.category:
                negatives.append((f"category:{m.category}", when))
        return bursts(negatives, day)

    def rate_replies(self, messages: Sequence[Message]) -> list[tuple[Message, ReplyScore]]:
        out = []
        for m in messages:
            if m.reply:
                score = evaluate_reply(
                    f"{m.title}。{m.text}", m.reply, m.time, m.reply_time, self.timezone
                )
                out.append((m, score))
        return sorted(out, key=lambda pair: pair[1].overall)
