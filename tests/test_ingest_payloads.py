"""Device payload parsing: IoT-agent JSON and UltraLight 2.0."""

from __future__ import annotations

import pytest

from cityhub.ingest.mqtt_bridge import parse_topic
from cityhub.ingest.payloads import (
    PayloadError,
    looks_like_json,
    parse_json,
    parse_single,
    parse_ul,
)


def test_ultralight_groups_and_timestamps() -> None:
    assert parse_ul(b"t|15|h|70") == [{"t": 15, "h": 70}]
    assert parse_ul(b"t|15.5#s|\xe5\xbc\x80") == [{"t": 15.5}, {"s": "开"}]
    assert parse_ul(b"2026-11-24T08:00:00+08:00|t|1") == [
        {"TimeInstant": "2026-11-24T08:00:00+08:00", "t": 1}
    ]


@pytest.mark.parametrize("bad", [b"", b"t|15|h", b"|1", b"\xff\xfe"])
def test_bad_ultralight_is_a_payload_error(bad: bytes) -> None:
    with pytest.raises(PayloadError):
        parse_ul(bad)


def test_json_object_array_and_single_attribute() -> None:
    assert parse_json(b'{"t": 21}') == [{"t": 21}]
    assert parse_json(b'[{"t": 1}, {"t": 2}]') == [{"t": 1}, {"t": 2}]
    assert parse_single(b"21.5", "t", "json") == [{"t": 21.5}]
    assert parse_single(b'"on"', "s", "json") == [{"s": "on"}]
    with pytest.raises(PayloadError):
        parse_single(b"on", "s", "json")


def test_single_ultralight_measure_is_its_text() -> None:
    assert parse_single(b"21.5", "t", "ul") == [{"t": 21.5}]
    assert parse_single(b" on ", "s", "ul") == [{"s": "on"}]
    assert parse_single(b"on", "s", "auto") == [{"s": "on"}]  # legacy topic, not JSON
    assert parse_single(b"7", "n", "auto") == [{"n": 7}]
    with pytest.raises(PayloadError):
        parse_single(b"  ", "s", "ul")


def test_a_legacy_topic_payload_is_json_when_it_is_an_object_or_array() -> None:
    assert looks_like_json(b' {"t": 1}') and looks_like_json(b'[{"t": 1}]')
    assert not looks_like_json(b"t|15|h|70") and not looks_like_json(b"2026-11-24T08:00:00Z|t|1")


@pytest.mark.parametrize("bad", [b"{", b"[]", b"[1, 2]", b"{}", b'"x"'])
def test_bad_json_is_a_payload_error(bad: bytes) -> None:
    with pytest.raises(PayloadError):
        parse_json(bad)


def test_topics() -> None:
    m = parse_topic("/json/key1/dev1/attrs")
    assert m is not None and (m.apikey, m.device_id, m.fmt, m.object_id) == (
        "key1",
        "dev1",
        "json",
        None,
    )
    m = parse_topic("/json/key1/dev1/attrs/t")
    assert m is not None and m.object_id == "t"
    m = parse_topic("/ul/key1/dev1/attrs")
    assert m is not None and m.fmt == "ul"
    m = parse_topic("/ul/key1/dev1/attrs/t")
    assert m is not None and (m.fmt, m.object_id) == ("ul", "t")
    m = parse_topic("/key1/dev1/attrs")
    assert m is not None and (m.apikey, m.fmt) == ("key1", "auto")
    m = parse_topic("/key1/dev1/attrs/t")
    assert m is not None and (m.apikey, m.device_id, m.fmt, m.object_id) == (
        "key1",
        "dev1",
        "auto",
        "t",
    )
    assert parse_topic("/json/key1/dev1/attrs/") is None
    assert parse_topic("/key1/dev1/cmd") is None and parse_topic("key/dev/attrs") is None
