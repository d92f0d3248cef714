"""REST retries at the ccxt client level (`venues.common.rest_retry`) on a stub exchange (no
sockets): what is retried, how long it waits, what is logged, and what is never retried."""

from __future__ import annotations

import asyncio
import logging
import random
import time
from email.utils import formatdate
from typing import Any

import ccxt
import pytest

from tradeyard.venues.binance import errors as binance_errors
from tradeyard.venues.bybit import errors as bybit_errors
from tradeyard.venues.common import rest_retry
from tradeyard.venues.common.rest_retry import (
    AUTH,
    DRIFT,
    RATE,
    RestRetryMixin,
    RetryPolicy,
    classify,
    retry_after_s,
    with_rest_retry,
)


def _tagged(exc: ccxt.BaseError, status: int, headers: dict[str, str] | None = None) -> Any:
    exc.ty_http_status = status  # type: ignore[attr-defined]
    exc.ty_headers = headers or {}  # type: ignore[attr-defined]
    return exc


class _Stub:
    """The part of a ccxt exchange the mixin uses; `fetch2` raises the queued errors first."""

    id = "stubvenue"

    def __init__(self, errors: list[BaseException]) -> None:
        self.errors = list(errors)
        self.calls = 0
        self.options: dict[str, Any] = {"timeDifference": 90_000}

    async def fetch2(self, path: Any, api: Any, method: Any, params: Any, config: Any) -> Any:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return {"ok": True, "path": path}

    async def load_time_difference(self) -> int:
        self.options["timeDifference"] = 3
        return 3


class _Client(RestRetryMixin, _Stub):
    pass


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Sleeps of the retry loop, recorded instead of slept."""
    recorded: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        recorded.append(seconds)

    monkeypatch.setattr(rest_retry.asyncio, "sleep", fake_sleep)
    monkeypatch.setattr(rest_retry.time, "monotonic", lambda: 1000.0)
    return recorded


def _client(errors: list[BaseException], **policy: Any) -> _Client:
    client = _Client(errors)
    client.rest_retry = RetryPolicy(**policy)
    client.retry_rng = random.Random(2)
    client.error_table = binance_errors.TABLE
    return client


def test_retry_after_when_header_in_seconds_or_http_date_returns_seconds() -> None:
    assert retry_after_s({"Retry-After": "3"}) == 3.0
    assert retry_after_s({"retry-after": "0"}) == 0.0
    now = time.time()
    assert retry_after_s({"Retry-After": formatdate(now + 10, usegmt=True)}, now) == (
        pytest.approx(10.0, abs=1.0)
    )
    assert retry_after_s({"Retry-After": "soon"}) is None
    assert retry_after_s({}) is None and retry_after_s(None) is None


def test_retry_after_when_bybit_reset_timestamp_returns_time_to_reset() -> None:
    headers = {"X-Bapi-Limit-Reset-Timestamp": str(int((1000.0 + 2.5) * 1000))}
    assert retry_after_s(headers, now=1000.0) == pytest.approx(2.5)
    assert retry_after_s(headers, now=2000.0) == 0.0


@pytest.mark.parametrize(
    ("exc", "table", "kind"),
    [
        (_tagged(ccxt.DDoSProtection('binanceusdm {"code":-1003,"msg":"x"}'), 429),
         binance_errors.TABLE, RATE),
        (_tagged(ccxt.DDoSProtection("binanceusdm 418 banned"), 418), binance_errors.TABLE, RATE),
        (ccxt.ExchangeError('binanceusdm {"code":-1003,"msg":"weight"}'), binance_errors.TABLE,
         RATE),
        (ccxt.RateLimitExceeded('bybit {"retCode":10006,"retMsg":"Too many visits!"}'),
         bybit_errors.TABLE, RATE),
        (_tagged(ccxt.ExchangeNotAvailable("bybit GET x 403 Forbidden access too frequent"),
                 403), bybit_errors.TABLE, RATE),
        (ccxt.InvalidNonce('binanceusdm {"code":-1021,"msg":"ts"}'), binance_errors.TABLE, DRIFT),
        (ccxt.ExchangeError('bybit {"retCode":10002,"retMsg":"ts"}'), bybit_errors.TABLE, DRIFT),
        (ccxt.AuthenticationError('binanceusdm {"code":-1022,"msg":"sig"}'),
         binance_errors.TABLE, AUTH),
        (ccxt.ExchangeError('bybit {"retCode":10004,"retMsg":"error sign!"}'),
         bybit_errors.TABLE, AUTH),
        (ccxt.ExchangeError('binanceusdm {"code":-2019,"msg":"Margin is insufficient."}'),
         binance_errors.TABLE, None),
        (ccxt.InsufficientFunds('bybit {"retCode":110007,"retMsg":"ab not enough"}'),
         bybit_errors.TABLE, None),
        (ccxt.RequestTimeout("binanceusdm POST order timeout"), binance_errors.TABLE, None),
    ],
    ids=["429", "418", "-1003", "10006", "403", "-1021", "10002", "-1022", "10004", "-2019",
         "110007", "timeout"],
)  # fmt: skip
def test_classify_when_ccxt_error_names_rate_drift_auth_or_nothing(
    exc: BaseException, table: Any, kind: str | None
) -> None:
    assert classify(exc, table) == kind


def test_fetch2_when_rate_limited_waits_retry_after_then_succeeds_with_log_lines(
    waits: list[float], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    err = _tagged(
        ccxt.DDoSProtection('binanceusdm {"code":-1003,"msg":"Too many"}'), 429,
        {"Retry-After": "2"},
    )  # fmt: skip
    client = _client([err, _tagged(ccxt.DDoSProtection("418"), 418, {"Retry-After": "7"})])
    result = asyncio.run(client.fetch2("order", "fapiPrivate", "POST", {}, {}))
    assert result["ok"] and client.calls == 3
    assert waits == [2.0, 7.0] and client.rate_limit_waits == 2
    assert [r.getMessage() for r in caplog.records] == [
        "stubvenue: rate limited (429, code -1003) on POST order, retrying in 2.0s (attempt 2/5)",
        "stubvenue: rate limited (418 IP ban) on POST order, retrying in 7.0s (attempt 3/5)",
    ]


def test_fetch2_when_no_retry_after_backs_off_with_jitter(waits: list[float]) -> None:
    errors: list[BaseException] = [ccxt.RateLimitExceeded("bybit 10006") for _ in range(3)]
    client = _client(errors, base_s=1.0, cap_s=30.0)
    asyncio.run(client.fetch2("x", "public", "GET", {}, {}))
    assert len(waits) == 3
    assert all(0.0 <= w <= c for w, c in zip(waits, [1.0, 2.0, 4.0], strict=True))


def test_fetch2_when_storm_outlasts_attempts_raises_and_logs_giving_up(
    waits: list[float], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    errors: list[BaseException] = [
        _tagged(ccxt.DDoSProtection("429"), 429, {"Retry-After": "1"}) for _ in range(10)
    ]
    client = _client(errors, max_attempts=3)
    with pytest.raises(ccxt.DDoSProtection):
        asyncio.run(client.fetch2("x", "public", "GET", {}, {}))
    assert client.calls == 3 and waits == [1.0, 1.0]
    assert "giving up after 3 attempts" in caplog.records[-1].getMessage()


def test_fetch2_when_ban_is_longer_than_max_wait_raises_at_once(
    waits: list[float], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR)
    client = _client(
        [_tagged(ccxt.DDoSProtection("418"), 418, {"Retry-After": "7200"})], max_wait_s=300.0
    )
    with pytest.raises(ccxt.DDoSProtection):
        asyncio.run(client.fetch2("x", "public", "GET", {}, {}))
    assert client.calls == 1 and waits == []
    assert "asks to wait 7200s, more than the 300s" in caplog.records[-1].getMessage()


def test_fetch2_when_timestamp_drifts_resyncs_once_and_retries_once(
    waits: list[float], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    drift = 'binanceusdm {"code":-1021,"msg":"Timestamp outside of the recvWindow."}'
    client = _client([ccxt.InvalidNonce(drift)])
    assert asyncio.run(client.fetch2("order", "fapiPrivate", "POST", {}, {}))["ok"]
    assert client.calls == 2 and client.clock_resyncs == 1
    assert client.options == {"timeDifference": 3, "adjustForTimeDifference": True}
    again = _client([ccxt.InvalidNonce(drift), ccxt.InvalidNonce(drift)])
    with pytest.raises(ccxt.InvalidNonce):
        asyncio.run(again.fetch2("order", "fapiPrivate", "POST", {}, {}))
    assert again.calls == 2  # once, not forever
    assert any("resyncing the clock and retrying once" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize(
    "exc",
    [
        ccxt.AuthenticationError('binanceusdm {"code":-1022,"msg":"Signature not valid."}'),
        ccxt.ExchangeError('binanceusdm {"code":-2019,"msg":"Margin is insufficient."}'),
        ccxt.InvalidOrder('binanceusdm {"code":-1111,"msg":"Precision is over the maximum"}'),
        ccxt.OrderNotFound('binanceusdm {"code":-2011,"msg":"Unknown order sent."}'),
        ccxt.RequestTimeout("binanceusdm POST order timed out"),
    ],
    ids=["signature", "margin", "precision", "unknown-order", "timeout"],
)
def test_fetch2_when_error_is_not_transient_raises_without_retry(
    waits: list[float], exc: BaseException
) -> None:
    client = _client([exc])
    with pytest.raises(type(exc)):
        asyncio.run(client.fetch2("order", "fapiPrivate", "POST", {}, {}))
    assert client.calls == 1 and waits == []


def test_fetch2_when_key_refused_logs_error_naming_the_cause_and_variables(
    waits: list[float], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR)
    client = _client([ccxt.AuthenticationError('bybit {"retCode":10004,"retMsg":"error sign!"}')])
    client.error_table = bybit_errors.TABLE
    client.auth_hint = "check $BYBIT_API_KEY and $BYBIT_API_SECRET"
    with pytest.raises(ccxt.AuthenticationError):
        asyncio.run(client.fetch2("v5/order/create", "private", "POST", {}, {}))
    assert caplog.records[-1].getMessage() == (
        "stubvenue: the venue refused the API credentials on POST v5/order/create: bad signature "
        "(10004 error sign!); check $BYBIT_API_KEY and $BYBIT_API_SECRET; not retried"
    )


def test_with_rest_retry_when_applied_to_built_client_keeps_its_state_and_is_idempotent() -> None:
    class Extra:
        marker = True

    stub = _Stub([])
    stub.options["x"] = 1
    client = with_rest_retry(stub, policy=RetryPolicy(max_attempts=2), extra=(Extra,))
    assert client is stub and isinstance(client, RestRetryMixin) and isinstance(client, Extra)
    assert client.options["x"] == 1 and client.rest_retry.max_attempts == 2
    cls = type(client)
    assert with_rest_retry(client) is client and type(client) is cls
    other = with_rest_retry(_Stub([]), extra=(Extra,))
    assert type(other) is cls  # the subclass is built once per (class, mixins)
