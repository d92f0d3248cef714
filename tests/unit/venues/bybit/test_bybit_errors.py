"""Bybit retCodes and ccxt exceptions → tradeyard's VenueError tree, on the codes and messages
the fake answers with (ccxt raises `<Class>('bybit {"retCode":…,"retMsg":…}')`)."""

from __future__ import annotations

import json

import ccxt
import pytest

from tradeyard.errors import (
    InsufficientMargin,
    InvalidOrder,
    OrderRejected,
    RateLimited,
    VenueError,
    VenueUnavailable,
)
from tradeyard.venues.bybit.errors import from_ccxt, from_code, is_retryable, rejection_reason
from tradeyard.venues.fakes.bybit import CODES as FAKE_CODES


def _body(code: int) -> str:
    msg = FAKE_CODES[code]
    return "bybit " + json.dumps(
        {"retCode": code, "retMsg": msg, "result": {}, "retExtInfo": {}, "time": 1},
        separators=(",", ":"),
    )


@pytest.mark.parametrize(
    ("code", "ccxt_cls", "cls", "retryable"),
    [
        (10003, ccxt.AuthenticationError, VenueError, False),
        (10004, ccxt.AuthenticationError, VenueError, False),
        (10002, ccxt.InvalidNonce, VenueUnavailable, True),
        (10006, ccxt.RateLimitExceeded, RateLimited, True),
        (110007, ccxt.InsufficientFunds, InsufficientMargin, False),
        (110001, ccxt.OrderNotFound, InvalidOrder, False),
        (110017, ccxt.InvalidOrder, InvalidOrder, False),
        (110094, ccxt.InvalidOrder, InvalidOrder, False),
        (10001, ccxt.BadRequest, InvalidOrder, False),
    ],
)
def test_bybit_from_ccxt_when_body_has_ret_code_maps_class_retryable_and_keeps_raw(
    code: int, ccxt_cls: type[Exception], cls: type[VenueError], retryable: bool
) -> None:
    err = from_ccxt(ccxt_cls(_body(code)), where="bybit BTCUSDT", client_order_id="t-1")
    assert type(err) is cls
    assert is_retryable(err) is retryable
    assert err.code == code  # type: ignore[attr-defined]
    assert err.venue_message == FAKE_CODES[code]  # type: ignore[attr-defined]
    assert "bybit BTCUSDT" in str(err) and str(code) in str(err)
    if isinstance(err, OrderRejected):
        assert err.client_order_id == "t-1"


def test_bybit_from_ccxt_when_unknown_code_falls_back_to_ccxt_class_and_keeps_code() -> None:
    err = from_ccxt(ccxt.InsufficientFunds('bybit {"retCode":999999,"retMsg":"odd"}'))
    assert isinstance(err, InsufficientMargin) and not is_retryable(err)
    assert err.code == 999999  # type: ignore[attr-defined]
    assert err.venue_message == "odd"  # type: ignore[attr-defined]


def test_bybit_rejection_reason_when_margin_names_cause_code_and_venue_words() -> None:
    err = from_code(110007, "ab not enough for new order", client_order_id="t-7")
    assert rejection_reason(err) == "insufficient_margin: bybit 110007 ab not enough for new order"
