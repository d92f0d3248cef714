"""The account as the venue's private websocket reports it: wallet balance and positions.

ccxt pro's `watch_balance` and `watch_positions` ride the same private connection as the order
and trade streams (Binance: the listenKey user stream's ACCOUNT_UPDATE; Bybit: the `wallet` and
`position` topics), so the account is pushed, never polled. `AccountStream` keeps the latest
view and calls back on every change; the runtime turns balance changes into BalanceUpdates for
the traders on the venue and compares positions with what the traders hold.

Positions are per exchange account, not per trader (several traders may share one account), so
they are a view for the operator and for reconciliation, not trader events.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import msgspec

from tradeyard.venues.common.backoff import Backoff
from tradeyard.venues.common.symbols import to_ccxt, to_venue
from tradeyard.venues.common.tasks import cancel_and_wait

__all__ = ["AccountStream", "ExchangePosition"]

log = logging.getLogger(__name__)


class ExchangePosition(msgspec.Struct, frozen=True):
    """One symbol's position as the exchange reports it; `qty` > 0 long, < 0 short, 0 flat."""

    symbol: str
    qty: float
    entry_price: float
    unrealized_pnl: float = 0.0
    liquidation_price: float | None = None


BalanceHandler = Callable[[float, float | None], None]
"""Called with (wallet balance, available balance or None when the stream does not say)."""
PositionHandler = Callable[[ExchangePosition], None]


class AccountStream:
    """Watches the account's balance (one asset) and the positions of `symbols`.

    `start()` spawns the two watchers; each re-watches after a lost stream with jittered
    backoff. `wallet`, `available` and `positions` hold the latest view.
    """

    def __init__(
        self,
        client: Any,
        venue: str,
        symbols: Sequence[str],
        *,
        asset: str = "USDT",
        on_balance: BalanceHandler | None = None,
        on_position: PositionHandler | None = None,
        reconnect_delay_s: float = 1.0,
    ) -> None:
        self._client = client
        self._venue = venue
        self._symbols = list(symbols)
        self._asset = asset
        self._on_balance = on_balance
        self._on_position = on_position
        self._delay = reconnect_delay_s
        self._tasks: list[asyncio.Task[None]] = []
        self.wallet: float | None = None
        self.available: float | None = None
        self.positions: dict[str, ExchangePosition] = {}

    def __repr__(self) -> str:
        return f"AccountStream(venue={self._venue!r}, symbols={len(self._symbols)})"

    async def start(self) -> None:
        if self._venue == "bybit":
            # ccxt's first watch_positions would fetch a REST snapshot of linear *and* inverse
            # positions; the runtime reads positions over REST at start-up anyway.
            self._client.options.setdefault("watchPositions", {})["fetchPositionsSnapshot"] = False
        loop = asyncio.get_running_loop()
        self._tasks = [
            loop.create_task(self._watch(self._balance_once), name=f"{self._venue}-balance"),
            loop.create_task(self._watch(self._positions_once), name=f"{self._venue}-positions"),
        ]

    async def close(self) -> None:
        await cancel_and_wait(self._tasks)
        self._tasks.clear()

    async def _watch(self, once: Callable[[], Any]) -> None:
        backoff = Backoff(base_s=self._delay, cap_s=max(30.0, self._delay))
        while True:
            try:
                await once()
            except asyncio.CancelledError:
                raise
            except Exception as e:  # ccxt errors and dropped connections alike: watch again
                wait = backoff.next_delay()
                log.warning("%s: account stream lost (%s); re-watching in %.2fs",
                            self._venue, e, wait)  # fmt: skip
                await asyncio.sleep(wait)
            else:
                backoff.reset()

    async def _balance_once(self) -> None:
        balance = await self._client.watch_balance()
        entry = balance.get(self._asset) if isinstance(balance, Mapping) else None
        if not isinstance(entry, Mapping) or entry.get("total") is None:
            return  # an update of other assets only
        self.wallet = float(entry["total"])
        free = entry.get("free")
        self.available = None if free is None else float(free)
        if self._on_balance is not None:
            self._on_balance(self.wallet, self.available)

    async def _positions_once(self) -> None:
        rows = await self._client.watch_positions([to_ccxt(s) for s in self._symbols])
        # ccxt returns the one message that woke it; updates that came while nobody awaited are
        # only in its cache (latest per symbol and side), so the cache is read as well.
        for row in [*rows, *_cached_rows(getattr(self._client, "positions", None))]:
            pos = _position(row)
            if pos is None or pos.symbol not in self._symbols:
                continue
            if self.positions.get(pos.symbol) == pos:
                continue
            self.positions[pos.symbol] = pos
            if self._on_position is not None:
                self._on_position(pos)


def _cached_rows(cache: Any) -> list[Mapping[str, Any]]:
    """The position rows of ccxt's cache: a list of rows (Bybit) or one list per market type,
    keyed by type (Binance)."""
    if not cache:
        return []
    parts = cache.values() if isinstance(cache, Mapping) else [cache]
    return [row for part in parts for row in (part or ()) if isinstance(row, Mapping)]


def _position(row: Mapping[str, Any]) -> ExchangePosition | None:
    symbol = row.get("symbol")
    if not symbol:
        return None
    contracts = float(row.get("contracts") or 0.0)
    qty = -contracts if row.get("side") == "short" else contracts
    liq = row.get("liquidationPrice")
    return ExchangePosition(
        to_venue(str(symbol)),
        qty,
        float(row.get("entryPrice") or 0.0),
        float(row.get("unrealizedPnl") or 0.0),
        float(liq) if liq else None,
    )
