"""A live exchange account as the node uses it: the venue adapter (bars, orders, fills; only its
public `build_venue` / `start` / `close` / `execution.drain`) plus REST reads of what the
adapter does not publish: instrument filters, the wallet, positions and open orders (through the
adapter's keyed client; no ccxt import here). An edge: it does I/O; bots never see it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from tradeyard.bus import Bus
from tradeyard.errors import ConfigError
from tradeyard.events import InstrumentSpec
from tradeyard.runtime.config import VenueEntry

__all__ = ["LiveVenue", "build_live_venue"]

log = logging.getLogger(__name__)
_QUOTES = ("USDT", "USDC")


def to_ccxt(symbol: str) -> str:
    """BTCUSDT → BTC/USDT:USDT (linear perpetuals on both venues)."""
    for quote in _QUOTES:
        if symbol.endswith(quote) and len(symbol) > len(quote):
            return f"{symbol[: -len(quote)]}/{quote}:{quote}"
    raise ConfigError(f"symbol {symbol!r} is not a USDT/USDC linear perpetual such as BTCUSDT")


def to_venue(ccxt_symbol: str) -> str:
    pair, _, _settle = ccxt_symbol.partition(":")
    base, _, quote = pair.partition("/")
    return base + quote


class LiveVenue:
    """`adapter` has `market_data` / `execution` with `start()`, `close()`; `client` is ccxt."""

    def __init__(self, entry: VenueEntry, adapter: Any, client: Any) -> None:
        self.entry = entry
        self.name = entry.name
        self.adapter = adapter
        self._client = client
        self.instruments: dict[str, InstrumentSpec] = {}

    def __repr__(self) -> str:
        return f"LiveVenue(name={self.name!r}, kind={self.entry.kind!r})"

    async def load_instruments(self) -> dict[str, InstrumentSpec]:
        await self._client.load_markets()
        for sym in self.entry.symbols:
            market = self._client.markets.get(to_ccxt(sym))
            if market is None:
                raise ConfigError(
                    f"venue {self.name!r} does not list {sym}; remove it from symbols",
                    where=f"venues.{self.name}.symbols",
                )
            self.instruments[sym] = _spec(sym, market)
        return self.instruments

    async def balance(self) -> tuple[float, float]:
        """(wallet, available) in USDT."""
        bal = await self._client.fetch_balance()
        usdt = bal.get("USDT") or {}
        info = bal.get("info") or {}
        wallet = info.get("totalWalletBalance") if isinstance(info, Mapping) else None
        total = float(wallet) if wallet is not None else float(usdt.get("total") or 0.0)
        return total, float(usdt.get("free") or 0.0)

    async def positions(self) -> dict[str, float]:
        """Signed position per configured symbol, as the exchange reports it (0 omitted)."""
        rows = await self._client.fetch_positions([to_ccxt(s) for s in self.entry.symbols])
        out: dict[str, float] = {}
        for p in rows:
            qty = float(p.get("contracts") or 0.0)
            if qty:
                out[to_venue(p["symbol"])] = -qty if p.get("side") == "short" else qty
        return out

    async def open_orders(self) -> list[tuple[str, str]]:
        """(symbol, client order id) of every open order on the configured symbols."""
        out = []
        for sym in self.entry.symbols:
            for o in await self._client.fetch_open_orders(to_ccxt(sym)):
                out.append((sym, str(o.get("clientOrderId") or o.get("id"))))
        return out

    async def start(self) -> None:
        """The adapter: execution (user stream) first, then the warm-up bars and the feed."""
        await self.adapter.start()

    async def drain(self) -> None:
        """Wait until every command sent so far has been answered by the venue."""
        drain = getattr(self.adapter.execution, "drain", None)
        if drain is not None:
            await drain()

    async def close(self) -> None:
        await self.adapter.close()  # closes the client too


def build_live_venue(bus: Bus, entry: VenueEntry, env: Mapping[str, str]) -> LiveVenue:
    """The adapter of `entry.kind` (imported lazily: Bybit is optional) and its REST client.

    The account reads go through the adapter's own keyed execution client, so the secret stays
    in one object and only the adapter's wire modules know ccxt.
    """
    if entry.kind == "bybit":
        from tradeyard.venues.bybit import BybitConfig
        from tradeyard.venues.bybit import build_venue as build_bybit

        bybit = BybitConfig(
            environment=entry.environment, venue=entry.name, api_key_env=entry.api_key_env,
            api_secret_env=entry.api_secret_env, rest_url=entry.rest_url,
            public_ws_url=entry.ws_url, private_ws_url=entry.private_ws_url,
            symbols=list(entry.symbols), interval=entry.interval,
            warmup_bars=min(entry.warmup_bars, 999), reconnect_delay_s=entry.reconnect_delay_s,
            rate_limit=entry.rate_limit,
        )  # fmt: skip
        adapter: Any = build_bybit(bus, bybit, env)
    else:
        from tradeyard.venues.binance import BinanceConfig, build_venue

        binance = BinanceConfig(
            environment=entry.environment, venue=entry.name, api_key_env=entry.api_key_env,
            api_secret_env=entry.api_secret_env, rest_url=entry.rest_url, ws_url=entry.ws_url,
            symbols=list(entry.symbols), interval=entry.interval, warmup_bars=entry.warmup_bars,
            reconnect_delay_s=entry.reconnect_delay_s, rate_limit=entry.rate_limit,
        )  # fmt: skip
        adapter = build_venue(bus, binance, env)
    client = getattr(adapter.execution, "_client", None)
    if client is None:  # pragma: no cover - a changed adapter
        raise ConfigError(
            f"the {entry.kind} adapter exposes no REST client for account reads",
            where=f"venues.{entry.name}",
        )
    return LiveVenue(entry, adapter, client)


def _spec(symbol: str, market: Mapping[str, Any]) -> InstrumentSpec:
    precision = market.get("precision") or {}
    limits = market.get("limits") or {}

    def lim(kind: str, bound: str) -> float | None:
        v = (limits.get(kind) or {}).get(bound)
        return float(v) if v is not None else None

    return InstrumentSpec(
        symbol=symbol,
        tick_size=float(precision.get("price") or 0.01),
        step_size=float(precision.get("amount") or 0.001),
        min_qty=lim("amount", "min") or 0.0,
        min_notional=lim("cost", "min") or 0.0,
        max_leverage=lim("leverage", "max") or 125.0,
        base_asset=str(market.get("base") or ""),
        quote_asset=str(market.get("quote") or "USDT"),
    )
