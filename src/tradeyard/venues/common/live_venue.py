"""The shape every live adapter shares: a config, a market-data feed and an execution side, plus
the small account API the runtime needs (instrument filters, wallet, positions, open orders).

Market data and execution get separate ccxt clients: market data needs no key (so the secret is
held by one object only) and each keeps its own websockets, so a user-stream drop does not cost
bars and the reverse. The account reads go through the execution's keyed client and answer in
tradeyard's terms (our symbols, signed quantities, InstrumentSpec), so the runtime never touches
ccxt. The order store, when used, is attached here before `start` (execution reconciles with it).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from tradeyard.events import InstrumentSpec
from tradeyard.venues.common.mark_prices import MarkPriceFeed, TradeFeed
from tradeyard.venues.common.symbols import to_venue

if TYPE_CHECKING:
    from tradeyard.store import OrderStore

__all__ = ["LiveVenue", "instrument_spec"]


class LiveVenue:
    """The adapter: `market_data` publishes bars, `execution` takes `cmd.<venue>`."""

    def __init__(self, config: Any, market_data: Any, execution: Any) -> None:
        self.config = config
        self.market_data = market_data
        self.execution = execution
        self.mark_prices: MarkPriceFeed | None = None
        self.trades: TradeFeed | None = None

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(venue={self.config.venue!r}, "
            f"environment={self.config.environment!r}, symbols={self.config.symbols})"
        )

    def attach_store(self, store: OrderStore | None) -> None:
        """Record orders in `store` and reconcile with it at `start` (call before `start`)."""
        self.execution.attach_store(store)

    async def start(self) -> None:
        """Execution first (it reconciles, then must hear commands as soon as bars can cause
        them), then data: bars, and mark prices when the config asks for them."""
        await self.execution.start()
        await self.market_data.start()
        if getattr(self.config, "mark_price", False):
            self.mark_prices = self.market_data.mark_price_feed()
            await self.mark_prices.start()
        if getattr(self.config, "trades", False):
            self.trades = self.market_data.trade_feed()
            await self.trades.start()

    async def close(self) -> None:
        for feed in (self.mark_prices, self.trades):
            if feed is not None:
                await feed.close()
        await self.market_data.close()
        await self.execution.close()

    # -- account reads -------------------------------------------------------------------------
    async def instruments(self, symbols: Sequence[str]) -> dict[str, InstrumentSpec | None]:
        """The filters of each symbol (None when the venue does not list it)."""
        await self.execution.load_markets()
        out: dict[str, InstrumentSpec | None] = {}
        for symbol in symbols:
            market = self.execution.market(symbol)
            out[symbol] = instrument_spec(symbol, market) if market is not None else None
        return out

    async def balance(self, asset: str = "USDT") -> tuple[float, float]:
        """(wallet, available) in `asset` (Binance's totalWalletBalance when it reports one)."""
        bal = await self.execution.fetch_balance()
        entry = bal.get(asset) or {}
        info = bal.get("info") or {}
        wallet = info.get("totalWalletBalance") if isinstance(info, Mapping) else None
        total = float(wallet) if wallet is not None else float(entry.get("total") or 0.0)
        return total, float(entry.get("free") or 0.0)

    async def positions(self, symbols: Sequence[str]) -> dict[str, float]:
        """Signed position per symbol, as the exchange reports it (0 omitted)."""
        out: dict[str, float] = {}
        for p in await self.execution.fetch_positions(list(symbols)):
            qty = float(p.get("contracts") or 0.0)
            if qty:
                out[to_venue(p["symbol"])] = -qty if p.get("side") == "short" else qty
        return out

    async def open_orders(self, symbols: Sequence[str]) -> list[tuple[str, str]]:
        """(symbol, client order id, or the exchange's id) of every open order on `symbols`,
        resting conditional orders included (Binance lists its algo orders apart; the
        execution's `fetch_open_orders` reads both)."""
        out = []
        for symbol in symbols:
            for o in await self.execution.fetch_open_orders(symbol):
                out.append((symbol, str(o.get("clientOrderId") or o.get("id"))))
        return out


def instrument_spec(symbol: str, market: Mapping[str, Any]) -> InstrumentSpec:
    """A ccxt market → the filters a trader sizes with."""
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
