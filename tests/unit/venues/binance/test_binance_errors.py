"""Binance codes and ccxt exceptions → tradeyard's VenueError tree, on the codes the fake returns."""

from __future__ import annotations

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
from tradeyard.venues.binance.errors import from_ccxt, from_code, is_retryable, rejection_reason
from tradeyard.venues.fakes.binance import CODES as FAKE_CODES


@pytest.mark.parametrize(
    ("code", "cls", "retryable"),
    [
        (-1022, VenueError, False),
        (-1021, VenueUnavailable, True),
        (-2019, InsufficientMargin, False),
        (-1003, RateLimited, True),
        (-2011, InvalidOrder, False),
        (-4164, InvalidOrder, False),
        (-1111, InvalidOrder, False),
    ],
)
def test_from_ccxt_when_body_has_code_maps_class_retryable_and_keeps_raw(
    code: int, cls: type[VenueError], retryable: bool
) -> None:
    msg = FAKE_CODES[code][1]
    exc = ccxt.ExchangeError(f'binanceusdm {{"code":{code},"msg":"{msg}"}}')
    err = from_ccxt(exc, where="binanceusdm BTCUSDT", client_order_id="t-1")
    assert type(err) is cls
    assert is_retryable(err) is retryable
    assert err.code == code  # type: ignore[attr-defined]
    assert err.venue_message == msg  # type: ignore[attr-defined]
    assert "binanceusdm BTCUSDT" in str(err) and str(code) in str(err)
    if isinstance(err, OrderRejected):
        assert err.client_order_id == "t-1"


def test_from_ccxt_when_unknown_code_falls_back_to_ccxt_class() -> None:
    err = from_ccxt(ccxt.InsufficientFunds('binanceusdm {"code":-9999,"msg":"odd"}'))
    assert isinstance(err, InsufficientMargin) and not is_retryable(err)
    assert err.code == -9999  # type: ignore[attr-defined]


def test_rejection_reason_when_margin_names_cause_code_and_venue_words() -> None:
    err = from_code(-2019, "Margin is insufficient.", client_order_id="t-7")
    assert rejection_reason(err) == "insufficient_margin: binance -2019 Margin is insufficient."
