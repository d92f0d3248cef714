"""`SimExchange`: the replay + simulated-venue bridge both fakes stand on.

It builds the replay, the simulated venue (fees, leverage, instruments from the config), warms
the sim with each symbol's last closed bar, opens one sim account per API key (`acct1`,
`acct2`, … in config order) and moves time in `step()`: stream the substep, then let the sim
match the bars it closed. Sim events go to the account of their trader, whose payloads go to
the venue's `_push`. A venue supplies its symbols, market feed, accounts and push.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Generic, Protocol, TypeVar

from tradeyard.events import Bar, Event, topics
from tradeyard.marketdata import BarSeries
from tradeyard.venues.fakes.common.account_spec import AccountSpec
from tradeyard.venues.fakes.common.replay import Replay
from tradeyard.venues.sim import SimVenue, SimVenueConfig

__all__ = ["SimExchange"]

Publish = Callable[[str, Any], None]


class _Account(Protocol):
    @property
    def api_key(self) -> str: ...
    @property
    def trader(self) -> str: ...

    def on_sim_event(self, event: Event) -> Iterable[Any]: ...


A = TypeVar("A", bound=_Account)


class SimExchange(Generic[A]):
    """Accounts, orders and market data of a fake, at replay time."""

    venue = "fake"

    def __init__(
        self,
        config: Any,
        bars: Mapping[str, BarSeries],
        funding: Mapping[str, Sequence[tuple[int, float]]] | None = None,
    ) -> None:
        self.config = config
        self.replay = Replay(
            bars, venue=self.venue, start=config.start, warmup_bars=config.warmup_bars,
            substeps=config.substeps,
        )  # fmt: skip
        self.symbols: dict[str, Any] = self._derive_symbols(bars)
        self._make_market(funding)
        self.sim = SimVenue(
            SimVenueConfig(
                name=self.venue, maker_fee=config.maker_fee, taker_fee=config.taker_fee,
                default_leverage=float(config.default_leverage),
                instruments={s: i.spec for s, i in self.symbols.items()},
            ),
            self._on_sim_event,
            funding=funding,
        )  # fmt: skip
        for sym in self.symbols:  # the sim learns each symbol's interval and last price
            last = self.replay.last_closed(sym)
            if last is not None:
                self.sim.on_bar(last)
        self._command_topic = topics.command(self.venue)
        self.accounts: dict[str, A] = {}
        self._by_trader: dict[str, A] = {}
        for n, spec in enumerate(config.accounts, start=1):
            acct = self._make_account(n, spec)
            self.accounts[spec.api_key] = acct
            self._by_trader[acct.trader] = acct
            self.sim.open_account(acct.trader, spec.balance, ts=self.replay.now_ms)

    # -- venue hooks -------------------------------------------------------------------------
    def _derive_symbols(self, bars: Mapping[str, BarSeries]) -> dict[str, Any]:
        raise NotImplementedError

    def _make_market(self, funding: Mapping[str, Sequence[tuple[int, float]]] | None) -> None:
        """Build the venue's market-data feed (over `self.replay` and `self.symbols`)."""
        raise NotImplementedError

    def _publish_step(self, bars: list[Bar], subscribed: set[str], publish: Publish) -> None:
        raise NotImplementedError

    def _make_account(self, n: int, spec: AccountSpec) -> A:
        raise NotImplementedError

    def _push(self, api_key: str, payload: Any) -> None:
        """Send a private payload to `api_key`'s sockets."""
        raise NotImplementedError

    # -- time --------------------------------------------------------------------------------
    @property
    def now_ms(self) -> int:
        return self.replay.now_ms

    def step(self, subscribed: set[str], publish: Publish) -> int:
        """One replay substep: stream it, then let the sim match the bars it closed."""
        bars = self.replay.step()
        self._publish_step(bars, subscribed, publish)
        for bar in bars:
            if bar.closed:
                self.sim.on_bar(bar)
        return len(bars)

    def _on_sim_event(self, _topic: str, event: Event) -> None:
        acct = self._by_trader.get(getattr(event, "trader", ""))
        if acct is not None:
            for payload in acct.on_sim_event(event):
                self._push(acct.api_key, payload)
