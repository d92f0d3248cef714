"""Every event round-trips through msgpack and JSON; malformed payloads name the field."""

from __future__ import annotations

import pytest

from tradeyard.errors import EventDecodeError
from tradeyard.events import (
    EVENT_TYPES,
    BalanceUpdate,
    Bar,
    CancelOrder,
    Control,
    Fill,
    FundingRate,
    MarkPrice,
    OrderUpdate,
    PositionUpdate,
    Signal,
    SubmitOrder,
    Trade,
    decode_json,
    decode_msgpack,
    encode_json,
    encode_msgpack,
)

SAMPLES = [
    Bar(
        "binanceusdm",
        "BTCUSDT",
        "1m",
        1_746_373_020_000,
        1_746_373_079_999,
        94_500.1,
        94_510.0,
        94_480.5,
        94_505.2,
        12.345,
        True,
    ),
    MarkPrice(
        "binanceusdm", "BTCUSDT", 1_746_373_020_000, 94_501.0, 94_499.0, 0.0001, 1_746_374_400_000
    ),
    Trade("binanceusdm", "BTCUSDT", 1_746_373_020_000, 94_501.0, 0.002, "sell", "42377944"),
    FundingRate("binanceusdm", "BTCUSDT", 1_746_374_400_000, 0.0001, 94_500.0),
    Signal(
        "trend",
        "BTCUSDT",
        1_746_373_079_999,
        -1.0,
        "fast SMA crossed below slow SMA",
        "limit",
        94_600.0,
        94_400.0,
        94_700.0,
        94_505.2,
        "sim",
    ),
    SubmitOrder(
        "t1",
        "sim",
        "BTCUSDT",
        1,
        "t1-1",
        "buy",
        "limit",
        0.01,
        price=94_000.0,
        reduce_only=False,
        leverage=2.0,
        parent_id=None,
        oco_group="g",
        tag="entry",
    ),
    CancelOrder("t1", "sim", "BTCUSDT", 2, "t1-1"),
    OrderUpdate(
        "t1",
        "sim",
        "BTCUSDT",
        3,
        "t1-1",
        "rejected",
        "buy",
        "limit",
        0.01,
        reason="insufficient margin",
    ),
    Fill("t1", "sim", "BTCUSDT", 4, "t1-1", "buy", 0.01, 94_000.0, 0.188, "maker", 0.0, "sim-1"),
    PositionUpdate("t1", "sim", "BTCUSDT", 4, 0.01, 94_000.0, 2.0, 0.0, None),
    BalanceUpdate("t1", "sim", 4, "USDT", 9_999.812, 9_529.8, "fill", -0.188, "BTCUSDT"),
    Control("t1", 5, "set_params", {"fast": 5, "note": "x", "on": True}, "operator"),
]


def test_samples_when_listed_cover_every_event_type() -> None:
    assert {type(e) for e in SAMPLES} == set(EVENT_TYPES)


@pytest.mark.parametrize("event", SAMPLES, ids=lambda e: type(e).__name__)
def test_event_when_encoded_as_json_decodes_to_equal_event(event: object) -> None:
    assert decode_json(encode_json(event)) == event  # type: ignore[arg-type]


@pytest.mark.parametrize("event", SAMPLES, ids=lambda e: type(e).__name__)
def test_event_when_encoded_as_msgpack_decodes_to_equal_event(event: object) -> None:
    assert decode_msgpack(encode_msgpack(event)) == event  # type: ignore[arg-type]


def test_decode_when_field_has_wrong_type_names_the_field() -> None:
    payload = encode_json(SAMPLES[0]).replace(b'"close":94505.2', b'"close":"high"')
    with pytest.raises(EventDecodeError, match=r"\$\.close"):
        decode_json(payload)


def test_decode_when_required_field_missing_names_the_field() -> None:
    with pytest.raises(EventDecodeError, match="symbol"):
        decode_json(
            b'{"type":"CancelOrder","trader":"t","venue":"sim","ts":1,"client_order_id":"x"}'
        )


def test_decode_when_type_tag_unknown_says_so() -> None:
    with pytest.raises(EventDecodeError, match="Invalid value 'Nope'"):
        decode_json(b'{"type":"Nope"}')


def test_signal_when_target_out_of_range_is_rejected_with_path() -> None:
    bad = encode_json(SAMPLES[4]).replace(b'"target":-1.0', b'"target":-3.0')
    with pytest.raises(EventDecodeError, match=r"\$\.target"):
        decode_json(bad)


def test_events_when_created_are_immutable() -> None:
    with pytest.raises(AttributeError):
        SAMPLES[0].close = 1.0  # type: ignore[misc]
