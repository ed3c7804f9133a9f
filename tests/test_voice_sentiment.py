"""Sentiment on real review corpora, neutral band, aggregates and burst detection."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from cityhub.citizen.textclf import TextClassifier, scores
from cityhub.errors import BadRequestData
from cityhub.voice.sentiment import Polarity, aggregate, bursts, polarity, read_corpus


@pytest.fixture(scope="module")
def corpus(shared_data: Path) -> tuple[list[str], list[str], list[str], list[str]]:
    return read_corpus(shared_data / "sentiment" / "ChnSentiCorp_12k_train_dev.csv")


def test_chnsenticorp_dev_split_is_held_out_and_scored(
    corpus: tuple[list[str], list[str], list[str], list[str]],
) -> None:
    train_x, train_y, dev_x, dev_y = corpus
    assert (len(train_x), len(dev_x)) == (9600, 1200)
    model = TextClassifier(keyword_scale=0.0).fit(train_x, train_y)
    report = scores(dev_y, model.predict(dev_x), model.labels)
    assert report["accuracy"] >= 0.90, report["accuracy"]
    complaint, thanks = model.predict_proba(
        ["房间又脏又小，服务态度恶劣，再也不来了", "环境很好，服务热情，下次还会入住"]
    )[:, model.labels.index("positive")]
    assert complaint < 0.35 < 0.65 < thanks


def test_polarity_has_a_neutral_band() -> None:
    assert polarity(0.1).label == "negative"
    assert polarity(0.5).label == "neutral"
    assert polarity(0.9).label == "positive"


def test_aggregates_count_and_share_per_key() -> None:
    table = aggregate(
        [
            ("福田区", Polarity("negative", 0.1)),
            ("福田区", Polarity("positive", 0.9)),
            ("南山区", Polarity("negative", 0.2)),
            (None, Polarity("neutral", 0.5)),
        ]
    )
    assert table["福田区"] == {
        "negative": 1,
        "neutral": 0,
        "positive": 1,
        "total": 2,
        "negative_share": 0.5,
    }
    assert table["南山区"]["negative_share"] == 1.0
    assert table["未知 unknown"]["neutral"] == 1


def test_a_jump_in_negative_messages_raises_a_burst() -> None:
    day = dt.date(2026, 11, 25)
    quiet = [("district:福田区", day - dt.timedelta(days=d)) for d in range(1, 15)]  # 1 a day
    loud = [("district:福田区", day)] * 9
    steady = [("district:南山区", day - dt.timedelta(days=d)) for d in range(15) for _ in range(5)]
    found = bursts([*quiet, *loud, *steady], day)
    assert [b.key for b in found] == ["district:福田区"]
    assert found[0].count == 9 and found[0].expected == pytest.approx(1.0)
    assert found[0].p_value < 1e-3
    assert bursts(quiet, day) == []  # one a day is no burst


def test_unreadable_corpora_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(BadRequestData, match="no such file"):
        read_corpus(tmp_path / "none.csv")
    empty = tmp_path / "e.csv"
    empty.write_text("label,text\n,\n", encoding="utf-8")
    with pytest.raises(BadRequestData, match="label"):
        read_corpus(empty)
