"""fast_klines.py (the lean kline decoder) against the adapter's ccxt path on the same frames.

The frames are the fake exchange's own `kline.{interval}.{symbol}` pushes for bundled bars
(forming and closing updates of several symbols, 1m and 5m), encoded as the fake sends them.
The ccxt path is the real market client: ccxt pro's websocket `Client` parses the text and
dispatches it through the exchange's `handle_message` to the adapter's `handle_ohlcv` hook,
whose klines are captured at `kline_sink`; both paths' klines must be equal, and so the Bars.
"""

from __future__ import annotations

import asyncio
import json

import msgspec
import pytest

from tradeyard.marketdata import bundled_bars_dir, load_bars
from tradeyard.venues.bybit.fast_klines import decode_kline_frame, is_kline_frame
from tradeyard.venues.bybit.market_data import _KlineClient
from tradeyard.venues.bybit.schemas import decode_klines
from tradeyard.venues.bybit.urls import ccxt_options
from tradeyard.venues.common.kline import Kline
from tradeyard.venues.common.parse import bar_from_kline
from tradeyard.venues.fakes.bybit import FakeBybitConfig
from tradeyard.venues.fakes.bybit.exchange import BybitExchange

SYMBOLS = ["BTCUSDT", "ETHUSDT", "XRPUSDT"]


@pytest.fixture(scope="module")
def frames() -> list[str]:
    bars = load_bars(bundled_bars_dir(), SYMBOLS)
    exchange = BybitExchange(FakeBybitConfig(substeps=3, warmup_bars=5), bars, {})
    subscribed = {f"kline.{code}.{s}" for s in SYMBOLS for code in ("1", "5")}
    out: list[str] = []
    encode = msgspec.json.Encoder().encode
    for _ in range(3 * 120):
        exchange.step(subscribed, lambda _s, payload: out.append(encode(payload).decode()))
    return out


def ccxt_path(frames: list[str]) -> list[Kline]:
    """The klines the adapter's ccxt market client hands to its sink for `frames`."""

    async def run() -> list[Kline]:
        client = _KlineClient({"enableRateLimit": False, "options": ccxt_options()})
        got: list[Kline] = []
        client.kline_sink = got.append
        ws = client.client("ws://127.0.0.1:9/v5/public/linear")
        try:
            for raw in frames:
                # ccxt's own handler (the client wraps it with the fast path): the reference
                ws._kline_fast_path(raw)
        finally:
            await client.close()
        return got

    return asyncio.run(run())


def test_fast_klines_equal_the_ccxt_path_on_the_fake_frames(frames) -> None:
    fast = [k for raw in frames for k in decode_kline_frame(raw) or ()]
    assert len(fast) == len(frames)
    closed = [k for k in fast if k.closed]
    assert sum(k.interval == "1m" for k in closed) == 3 * 120
    assert sum(k.interval == "5m" for k in closed) == 3 * 24
    slow = ccxt_path(frames)
    assert fast == slow
    assert [bar_from_kline(k, "bybit") for k in fast] == [bar_from_kline(k, "bybit") for k in slow]


def test_fast_klines_equal_schemas_decode_str_and_bytes(frames) -> None:
    for raw in frames[:200]:
        want = decode_klines(json.loads(raw))
        assert decode_kline_frame(raw) == want
        assert decode_kline_frame(raw.encode()) == want


def test_fast_klines_on_a_docs_frame_with_several_entries() -> None:
    entry = {
        "start": 1672324800000, "end": 1672324859999, "interval": "1", "open": "16649.5",
        "close": "16677", "high": "16677", "low": "16608", "volume": "2.081",
        "turnover": "34666.4005", "confirm": False, "timestamp": 1672324851458,
    }  # fmt: skip
    frame = {
        "topic": "kline.1.BTCUSDT", "data": [entry, {**entry, "confirm": True}],
        "ts": 1672324851458, "type": "snapshot",
    }  # fmt: skip
    got = decode_kline_frame(json.dumps(frame))
    assert got == decode_klines(frame) and got is not None and len(got) == 2
    assert got[0] == Kline(
        "BTCUSDT", "1m", 1672324800000, 1672324859999, 16649.5, 16677.0, 16608.0, 16677.0,
        2.081, False,
    )  # fmt: skip


@pytest.mark.parametrize(
    "raw",
    [
        '{"success":true,"ret_msg":"","conn_id":"x","op":"subscribe"}',
        '{"op":"pong","args":["1"]}',
        '{"topic":"tickers.BTCUSDT","type":"snapshot","data":{"symbol":"BTCUSDT"}}',
        '{"topic":"kline.1.BTCUSDT"}',  # no data
        '{"topic":"kline.1","data":[]}',  # no symbol
        '{"topic":"kline.1.BTCUSDT","data":[{"start":"x"}]}',  # wrong shape
        '{"topic":"kline.1.BTC not json',
        "",
    ],
)
def test_fast_klines_when_not_a_kline_frame_returns_none(raw: str) -> None:
    assert decode_kline_frame(raw) is None


def test_is_kline_frame_is_a_cheap_text_check() -> None:
    assert is_kline_frame('{"topic":"kline.1.X"}') and is_kline_frame(b'{"topic":"kline.1.X"}')
    assert not is_kline_frame('{"topic":"tickers.BTCUSDT"}')
