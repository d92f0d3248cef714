"""Each venue's error codes → the one-word cause that starts a rejected OrderUpdate's reason
(`venues.common.errors.REASONS`), for the causes the issue names."""

from __future__ import annotations

import ccxt
import pytest

from tradeyard.errors import InsufficientMargin, InvalidOrder, RateLimited, VenueUnavailable
from tradeyard.venues.binance import errors as binance_errors
from tradeyard.venues.bybit import errors as bybit_errors
from tradeyard.venues.common.errors import REASONS


@pytest.mark.parametrize(
    ("code", "message", "cls", "reason"),
    [
        (-2019, "Margin is insufficient.", InsufficientMargin,
         "insufficient_margin: binance -2019 Margin is insufficient."),
        (-1111, "Precision is over the maximum defined for this asset.", InvalidOrder,
         "precision: binance -1111 Precision is over the maximum defined for this asset."),
        (-4014, "Price not increased by tick size.", InvalidOrder,
         "precision: binance -4014 Price not increased by tick size."),
        (-4023, "Qty not increased by step size.", InvalidOrder,
         "precision: binance -4023 Qty not increased by step size."),
        (-4164, "Order's notional must be no smaller than 5", InvalidOrder,
         "min_notional: binance -4164 Order's notional must be no smaller than 5"),
        (-2011, "Unknown order sent.", InvalidOrder,
         "unknown_order: binance -2011 Unknown order sent."),
        (-1021, "Timestamp for this request is outside of the recvWindow.", VenueUnavailable,
         "timestamp_drift: binance -1021 Timestamp for this request is outside of the "
         "recvWindow."),
        (-1022, "Signature for this request is not valid.", None,
         "bad_signature: binance -1022 Signature for this request is not valid."),
        (-1003, "Too many requests", RateLimited, "rate_limited: binance -1003 Too many requests"),
    ],
    ids=["margin", "precision", "tick", "step", "min-notional", "unknown-order", "drift",
         "signature", "rate-limit"],
)  # fmt: skip
def test_binance_rejection_reason_when_code_is_known_names_the_cause(
    code: int, message: str, cls: type | None, reason: str
) -> None:
    err = binance_errors.from_ccxt(
        ccxt.ExchangeError(f'binanceusdm {{"code":{code},"msg":"{message}"}}'),
        client_order_id="t-1",
    )
    if cls is not None:
        assert isinstance(err, cls)
    assert binance_errors.rejection_reason(err) == reason


@pytest.mark.parametrize(
    ("code", "message", "reason"),
    [
        (110007, "ab not enough for new order",
         "insufficient_margin: bybit 110007 ab not enough for new order"),
        (110094, "Order does not meet minimum order value",
         "min_notional: bybit 110094 Order does not meet minimum order value"),
        (10001, "Qty invalid: too many decimals", "precision: bybit 10001 Qty invalid"),
        (10001, "price not a multiple of tick size", "precision: bybit 10001 price not a"),
        (10001, "Request parameter error.", "invalid_order: bybit 10001 Request parameter"),
        (110001, "order not exists or too late to cancel", "unknown_order: bybit 110001 order"),
        (10002, "invalid request, please check your server timestamp", "timestamp_drift: bybit"),
        (10004, "error sign!", "bad_signature: bybit 10004 error sign!"),
        (10003, "API key is invalid.", "invalid_api_key: bybit 10003"),
        (10006, "Too many visits!", "rate_limited: bybit 10006 Too many visits!"),
    ],
    ids=["margin", "min-notional", "precision-qty", "precision-tick", "generic", "unknown-order",
         "drift", "signature", "api-key", "rate-limit"],
)  # fmt: skip
def test_bybit_rejection_reason_when_code_is_known_names_the_cause(
    code: int, message: str, reason: str
) -> None:
    err = bybit_errors.from_ccxt(
        ccxt.ExchangeError(f'bybit {{"retCode":{code},"retMsg":"{message}"}}'),
        client_order_id="t-1",
    )
    assert bybit_errors.rejection_reason(err).startswith(reason)


@pytest.mark.parametrize(
    ("exc", "reason"),
    [
        (ccxt.OrderNotFound("order not found"), "unknown_order: "),
        (ccxt.InvalidNonce("timestamp ahead"), "timestamp_drift: "),
        (ccxt.AuthenticationError("invalid key"), "invalid_api_key: "),
        (ccxt.RateLimitExceeded("slow down"), "rate_limited: "),
    ],
    ids=["order-not-found", "nonce", "auth", "rate"],
)
def test_rejection_reason_when_only_ccxt_class_is_known_names_the_cause(
    exc: BaseException, reason: str
) -> None:
    assert binance_errors.rejection_reason(binance_errors.from_ccxt(exc)).startswith(reason)
    assert bybit_errors.rejection_reason(bybit_errors.from_ccxt(exc)).startswith(reason)


def test_reason_tables_when_read_use_only_documented_tags() -> None:
    tags = set(binance_errors.REASONS.values()) | set(bybit_errors.REASONS.values())
    tags |= {tag for _needle, tag in bybit_errors.MESSAGE_REASONS}
    assert tags <= set(REASONS)
