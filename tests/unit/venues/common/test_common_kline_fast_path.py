"""KlineSinkMixin's lean path: with a sink, kline frames go from the websocket text through the
venue's `fast_klines.decode_frame` straight to `kline_sink` and never reach ccxt; any other
frame (or a kline frame the lean decoder refuses or trips on) takes ccxt's ordinary path, whose
`handle_ohlcv` hook still feeds the sink. Real market clients of both venues, no socket. And
the feed's reconnect backoff, which with the lean path only a kline can reset (ccxt's
`watch_ohlcv` no longer returns)."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import ccxt
import msgspec
import pytest

from tradeyard.bus import InProcessBus
from tradeyard.marketdata import bundled_bars_dir, load_bars
from tradeyard.venues.binance.market_data import _KlineClient as BinanceClient
from tradeyard.venues.bybit.market_data import _KlineClient as BybitClient
from tradeyard.venues.bybit.urls import ccxt_options
from tradeyard.venues.common.kline import Kline
from tradeyard.venues.common.market_data import BarFeed
from tradeyard.venues.fakes.binance import FakeBinanceConfig
from tradeyard.venues.fakes.binance.exchange import Exchange as BinanceExchange
from tradeyard.venues.fakes.bybit import FakeBybitConfig
from tradeyard.venues.fakes.bybit.exchange import BybitExchange

SYMBOL = "BTCUSDT"
URL = "ws://127.0.0.1:9/market"


@dataclass(frozen=True)
class Case:
    client: Callable[[], Any]
    frames: Callable[[], list[str]]
    other: str
    """A frame that is not a kline frame."""


def _frames(exchange: Any, streams: set[str]) -> list[str]:
    out: list[str] = []
    encode = msgspec.json.Encoder().encode
    for _ in range(4):
        exchange.step(streams, lambda _s, payload: out.append(encode(payload).decode()))
    return out


def _bars() -> Any:
    return load_bars(bundled_bars_dir(), [SYMBOL])


BINANCE = Case(
    client=lambda: BinanceClient({"options": {"fetchCurrencies": False}}),
    frames=lambda: _frames(
        BinanceExchange(FakeBinanceConfig(substeps=2, warmup_bars=5), _bars(), {}),
        {f"{SYMBOL.lower()}@kline_1m"},
    ),
    other='{"result":null,"id":1}',
)
BYBIT = Case(
    client=lambda: BybitClient({"options": ccxt_options()}),
    frames=lambda: _frames(
        BybitExchange(FakeBybitConfig(substeps=2, warmup_bars=5), _bars(), {}),
        {f"kline.1.{SYMBOL}"},
    ),
    other='{"success":true,"ret_msg":"pong","conn_id":"x","op":"ping"}',
)
CASES = pytest.mark.parametrize("case", [BINANCE, BYBIT], ids=["binance", "bybit"])


def _feed(case: Case, frames: list[str], sink: bool = True) -> tuple[Any, list[Kline]]:
    """Hand `frames` to the client's websocket handler; (client, klines the sink got)."""

    async def run() -> tuple[Any, list[Kline]]:
        client = case.client()
        got: list[Kline] = []
        if sink:
            client.kline_sink = got.append
        ws = client.client(URL)
        try:
            for raw in frames:
                ws.handle_text_or_binary_message(raw)
        finally:
            await client.close()
        return client, got

    return asyncio.run(run())


def _ccxt_saw_klines(client: Any) -> bool:
    return bool(getattr(client, "ohlcvs", None))


@CASES
def test_fast_path_when_a_sink_is_set_kline_frames_skip_ccxt(case: Case) -> None:
    frames = case.frames()
    client, got = _feed(case, frames)
    assert len(got) == len(frames) and {k.symbol for k in got} == {SYMBOL}
    assert any(k.closed for k in got)
    assert not _ccxt_saw_klines(client)  # ccxt's handle_ohlcv never ran
    assert client.kline_urls == {SYMBOL: URL}  # the watchdog's target


@CASES
def test_fast_path_gives_the_klines_the_ccxt_path_gives(case: Case, monkeypatch) -> None:
    frames = case.frames()
    _client, fast = _feed(case, frames)
    monkeypatch.setattr(type(case.client()), "fast_decode", None)
    client, slow = _feed(case, frames)
    assert _ccxt_saw_klines(client)
    assert fast == slow


@CASES
def test_fast_path_without_a_sink_leaves_every_frame_to_ccxt(case: Case) -> None:
    client, got = _feed(case, case.frames(), sink=False)
    assert got == [] and _ccxt_saw_klines(client)


@CASES
def test_fast_path_when_the_lean_decoder_refuses_or_fails_ccxt_parses_the_frame(
    case: Case, monkeypatch
) -> None:
    frames = case.frames()
    cls = type(case.client())
    for decode in (lambda _raw: None, lambda _raw: 1 / 0):
        monkeypatch.setattr(cls, "fast_decode", staticmethod(decode))
        client, got = _feed(case, frames)
        assert len(got) == len(frames)  # through ccxt's handle_ohlcv hook
        assert _ccxt_saw_klines(client)


@CASES
def test_fast_path_when_not_a_kline_frame_ccxt_handles_it(case: Case) -> None:
    client, got = _feed(case, [case.other])
    assert got == [] and not _ccxt_saw_klines(client)


@CASES
def test_fast_path_wraps_each_websocket_client_once(case: Case) -> None:
    async def run() -> None:
        client = case.client()
        try:
            ws = client.client(URL)
            handler = ws.handle_text_or_binary_message
            assert client.client(URL) is ws
            assert ws.handle_text_or_binary_message is handler
            assert ws._kline_fast_path is not handler  # ccxt's own handler, kept
        finally:
            await client.close()

    asyncio.run(run())


class _DeadClient:
    """`watch_ohlcv` only ever raises, as with the lean path (ccxt never resolves it)."""

    def __init__(self) -> None:
        self.calls = 0
        self.kline_sink: Any = None

    async def watch_ohlcv(self, _symbol: str, _interval: str) -> list[Any]:
        self.calls += 1
        await asyncio.sleep(0)
        raise ccxt.NetworkError("connection reset")

    async def close(self) -> None:
        return None


def test_bar_feed_backoff_is_per_symbol_and_reset_by_a_kline_of_that_symbol() -> None:
    config = SimpleNamespace(
        venue="stub", interval="1m", warmup_bars=0, reconnect_delay_s=0.001,
        reconnect_max_delay_s=0.002, stale_after_s=60.0, symbols=["BTCUSDT", "ETHUSDT"],
    )  # fmt: skip
    client = _DeadClient()
    feed = BarFeed(InProcessBus(), client, config, rng=random.Random(3))
    assert client.kline_sink == feed._route

    async def scenario() -> None:
        tasks = [asyncio.create_task(feed._keep_watching(s)) for s in ("BTCUSDT", "ETHUSDT")]
        try:
            while client.calls < 8:
                await asyncio.sleep(0.001)
            backoffs = feed._backoffs
            assert backoffs["BTCUSDT"] is not backoffs["ETHUSDT"]
            assert backoffs["BTCUSDT"].attempts >= 2 and backoffs["ETHUSDT"].attempts >= 2
            kline = Kline("BTCUSDT", "1m", 0, 59_999, 1.0, 1.0, 1.0, 1.0, 1.0, False)
            feed._route(kline)
            assert backoffs["BTCUSDT"].attempts == 0  # data came for it: starts over
            assert backoffs["ETHUSDT"].attempts >= 2  # not for this one
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    asyncio.run(asyncio.wait_for(scenario(), 10.0))
