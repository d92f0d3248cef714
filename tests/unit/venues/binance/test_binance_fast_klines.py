"""fast_klines.py (the lean kline decoder) against the adapter's ccxt path on the same frames.

The frames are the fake exchange's own kline payloads for bundled bars (forming and closing
updates of several symbols), encoded as the fake sends them. The ccxt path is the real market
client: ccxt pro's websocket `Client` parses the text and dispatches it through the exchange's
`handle_message` to the adapter's `handle_ohlcv` hook, whose klines are captured at
`kline_sink`; both paths' klines must be equal, and so the Bars made of them.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import msgspec
import pytest

from tradeyard.marketdata import bundled_bars_dir, load_bars
from tradeyard.venues.binance.fast_klines import decode_kline_frame, is_kline_frame
from tradeyard.venues.binance.market_data import _KlineClient
from tradeyard.venues.binance.schemas import decode_kline
from tradeyard.venues.common.kline import Kline
from tradeyard.venues.common.parse import bar_from_kline
from tradeyard.venues.fakes.binance import FakeBinanceConfig
from tradeyard.venues.fakes.binance.exchange import Exchange

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "binanceusdm"
SYMBOLS = ["BTCUSDT", "ETHUSDT", "XRPUSDT"]


@pytest.fixture(scope="module")
def frames() -> list[str]:
    bars = load_bars(bundled_bars_dir(), SYMBOLS)
    exchange = Exchange(FakeBinanceConfig(substeps=3, warmup_bars=5), bars, {})
    subscribed = {f"{s.lower()}@kline_1m" for s in SYMBOLS} | {
        f"{s.lower()}@kline_5m" for s in SYMBOLS
    }
    out: list[str] = []
    encode = msgspec.json.Encoder().encode
    for _ in range(3 * 120):
        exchange.step(subscribed, lambda _s, payload: out.append(encode(payload).decode()))
    return out


def ccxt_path(frames: list[str]) -> list[Kline]:
    """The klines the adapter's ccxt market client hands to its sink for `frames`."""

    async def run() -> list[Kline]:
        client = _KlineClient({"enableRateLimit": False, "options": {"fetchCurrencies": False}})
        got: list[Kline] = []
        client.kline_sink = got.append
        ws = client.client("ws://127.0.0.1:9/ws/0")
        try:
            for raw in frames:
                # ccxt's own handler (the client wraps it with the fast path): the reference
                ws._kline_fast_path(raw)
        finally:
            await client.close()
        return got

    return asyncio.run(run())


def test_fast_klines_equal_the_ccxt_path_on_the_fake_frames(frames) -> None:
    fast = [k for raw in frames if (k := decode_kline_frame(raw)) is not None]
    assert len(fast) == len(frames)
    closed = [k for k in fast if k.closed]
    assert sum(k.interval == "1m" for k in closed) == 3 * 120
    assert sum(k.interval == "5m" for k in closed) == 3 * 24
    slow = ccxt_path(frames)
    assert fast == slow
    assert [bar_from_kline(k, "binanceusdm") for k in fast] == [
        bar_from_kline(k, "binanceusdm") for k in slow
    ]


def test_fast_klines_equal_schemas_decode_bytes_and_combined(frames) -> None:
    for raw in frames[:200]:
        want = decode_kline(json.loads(raw))
        assert decode_kline_frame(raw) == want
        assert decode_kline_frame(raw.encode()) == want
        stream = "x@kline_1m"
        assert decode_kline_frame(f'{{"stream":"{stream}","data":{raw}}}') == want


def test_fast_klines_on_the_docs_frame() -> None:
    text = (FIXTURES / "ws_kline.json").read_text()
    compact = json.dumps(json.loads(text), separators=(",", ":"))
    assert decode_kline_frame(compact) == decode_kline(json.loads(text))


@pytest.mark.parametrize(
    "raw",
    [
        '{"result":null,"id":1}',
        (FIXTURES / "ws_mark_price_update.json").read_text(),
        '{"e":"kline","E":1,"s":"BTCUSDT"}',  # no k
        '{"e":"kline","E":1,"s":"BTCUSDT","k":{"t":"x"}}',  # wrong shape
        '{"e":"kline", not json',
        '{"stream":"btcusdt@markPrice","data":{"e":"markPriceUpdate","E":1}}',
        "",
    ],
)
def test_fast_klines_when_not_a_kline_frame_returns_none(raw: str) -> None:
    assert decode_kline_frame(raw) is None


def test_is_kline_frame_is_a_cheap_text_check() -> None:
    assert is_kline_frame('{"e":"kline","k":{}}') and is_kline_frame(b'{"e":"kline"}')
    assert not is_kline_frame('{"e":"markPriceUpdate"}')


def test_fast_klines_when_spaced_json_still_decodes(frames) -> None:
    for raw in frames[:20]:
        want = decode_kline(json.loads(raw))
        assert decode_kline_frame(json.dumps(json.loads(raw))) == want
        combined = {"stream": "x@kline_1m", "data": json.loads(raw)}
        assert decode_kline_frame(json.dumps(combined)) == want
