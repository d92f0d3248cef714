"""A live exchange account as the node uses it: the venue adapter (bars, orders, fills) and its
public account API (instrument filters, wallet, positions, open orders; see
`venues.common.live_venue.LiveVenue`). No ccxt here and no reach into the adapter's client. An
edge: it does I/O; bots never see it. With an order store the adapter records every order and
reconciles with the exchange when it starts.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from tradeyard.bus import Bus
from tradeyard.errors import ConfigError
from tradeyard.events import InstrumentSpec
from tradeyard.runtime.config import VenueEntry
from tradeyard.store import OrderStore
from tradeyard.venues.common.account_stream import AccountStream, ExchangePosition

__all__ = ["LiveVenue", "build_live_venue"]

log = logging.getLogger(__name__)


class LiveVenue:
    """`adapter` has `market_data` / `execution` and the account reads."""

    def __init__(self, entry: VenueEntry, adapter: Any) -> None:
        self.entry = entry
        self.name = entry.name
        self.adapter = adapter
        self.instruments: dict[str, InstrumentSpec] = {}

    def __repr__(self) -> str:
        return f"LiveVenue(name={self.name!r}, kind={self.entry.kind!r})"

    async def load_instruments(self) -> dict[str, InstrumentSpec]:
        for sym, spec in (await self.adapter.instruments(self.entry.symbols)).items():
            if spec is None:
                raise ConfigError(
                    f"venue {self.name!r} does not list {sym}; remove it from symbols",
                    where=f"venues.{self.name}.symbols",
                )
            self.instruments[sym] = spec
        return self.instruments

    async def balance(self) -> tuple[float, float]:
        """(wallet, available) in USDT."""
        return await self.adapter.balance("USDT")

    async def positions(self) -> dict[str, float]:
        """Signed position per configured symbol, as the exchange reports it (0 omitted)."""
        return await self.adapter.positions(self.entry.symbols)

    async def open_orders(self) -> list[tuple[str, str]]:
        """(symbol, client order id) of every open order on the configured symbols."""
        return await self.adapter.open_orders(self.entry.symbols)

    def account_stream(
        self,
        on_balance: Callable[[float, float | None], None],
        on_position: Callable[[ExchangePosition], None],
    ) -> AccountStream:
        """Wallet and positions as the exchange pushes them (start it after `start`)."""
        return self.adapter.execution.account_stream(on_balance, on_position)  # type: ignore[no-any-return]

    async def start(self) -> None:
        """The adapter: execution (reconcile, then user stream and commands) first, then the
        warm-up bars and the feed."""
        await self.adapter.start()

    async def drain(self) -> None:
        """Wait until every command sent so far has been answered by the venue."""
        drain = getattr(self.adapter.execution, "drain", None)
        if drain is not None:
            await drain()

    async def close(self) -> None:
        await self.adapter.close()  # closes the client too


def build_live_venue(
    bus: Bus, entry: VenueEntry, env: Mapping[str, str], store: OrderStore | None = None
) -> LiveVenue:
    """The adapter of `entry.kind` (imported lazily: Bybit is optional), using `store`.

    The account reads go through the adapter's own keyed execution client, so the secret stays
    in one object and only the adapter's wire modules know ccxt.
    """
    # the fault-handling settings both adapters share (unset stale_after_s: the venue's own)
    resilience: dict[str, Any] = {
        "reconnect_max_delay_s": entry.reconnect_max_delay_s,
        "rest_max_attempts": entry.rest_max_attempts,
        "rest_max_wait_s": entry.rest_max_wait_s,
        "order_poll_s": entry.order_poll_s,
    }
    if entry.stale_after_s is not None:
        resilience["stale_after_s"] = entry.stale_after_s
    if entry.kind == "bybit":
        from tradeyard.venues.bybit import BybitConfig
        from tradeyard.venues.bybit import build_venue as build_bybit

        bybit = BybitConfig(
            environment=entry.environment, venue=entry.name, api_key_env=entry.api_key_env,
            api_secret_env=entry.api_secret_env, rest_url=entry.rest_url,
            public_ws_url=entry.ws_url, private_ws_url=entry.private_ws_url,
            symbols=list(entry.symbols), interval=entry.interval,
            warmup_bars=min(entry.warmup_bars, 999), reconnect_delay_s=entry.reconnect_delay_s,
            rate_limit=entry.rate_limit, order_transport=entry.order_transport,
            margin_mode=entry.margin_mode, mark_price=entry.mark_price, trades=entry.trades,
            partial_bars=entry.partial_bars, **resilience,
        )  # fmt: skip
        adapter: Any = build_bybit(bus, bybit, env)
    else:
        from tradeyard.venues.binance import BinanceConfig, build_venue

        binance = BinanceConfig(
            environment=entry.environment, venue=entry.name, api_key_env=entry.api_key_env,
            api_secret_env=entry.api_secret_env, rest_url=entry.rest_url, ws_url=entry.ws_url,
            symbols=list(entry.symbols), interval=entry.interval, warmup_bars=entry.warmup_bars,
            reconnect_delay_s=entry.reconnect_delay_s, rate_limit=entry.rate_limit,
            order_transport=entry.order_transport, margin_mode=entry.margin_mode,
            mark_price=entry.mark_price, trades=entry.trades, partial_bars=entry.partial_bars,
            rest_weight_limit=entry.rest_weight_limit, **resilience,
        )  # fmt: skip
        adapter = build_venue(bus, binance, env)
    adapter.attach_store(store)
    return LiveVenue(entry, adapter)
