"""While a node runs: the traders' positions against the exchange's, per live venue.

At start the node compares them once (`runtime.restart.compare_positions`). Afterwards a trade
by hand, another system on the same account, a liquidation the stream did not report or a fill
that never came make the two drift apart silently, and the traders size their next orders on
what they believe. Every `position_check_s` the watch compares each symbol's exchange position
(kept current by the private stream, `AccountStream`) with the sum the traders own. Fills and
position updates come on different streams, so a difference must be there at two checks in a
row before it counts: then one WARNING names it and the fix, and one INFO says when the two
agree again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Mapping, Sequence

from tradeyard.bots import Trader
from tradeyard.runtime.restart import differences, warn_difference

__all__ = ["PositionWatch"]

log = logging.getLogger(__name__)


class PositionWatch:
    """One live venue's check; `check()` once per interval (the node's task)."""

    def __init__(
        self,
        venue: str,
        traders: Sequence[Trader],
        exchange: Mapping[str, float],
        others: Callable[[], Mapping[str, Mapping[str, float]]],
        symbols: Collection[str],
    ) -> None:
        self.venue = venue
        self._traders = list(traders)
        self._exchange = exchange
        """The exchange's positions as the private stream keeps them (a live mapping)."""
        self._others = others
        """Owners on the account that are not this node's traders, read at each check (from
        the store: traders of another node sharing it and the account, or no longer trading)."""
        self._symbols = list(symbols)
        self._seen: set[str] = set()
        """Symbols that differed at the last check."""
        self.reported: set[str] = set()
        """Symbols whose difference has been warned about and has not cleared."""

    def check(self) -> list[str]:
        """Compare once; returns the symbols newly reported."""
        owners: dict[str, Mapping[str, float]] = {
            t.bot_id: {s: q for s, q in t.positions.items() if q} for t in self._traders
        }
        owners.update(self._others())
        found = differences(self._exchange, owners, self._symbols)
        new = []
        for symbol, (on_exchange, owned, parts) in found.items():
            if symbol in self._seen and symbol not in self.reported:
                warn_difference(self.venue, symbol, on_exchange, owned, parts)
                self.reported.add(symbol)
                new.append(symbol)
        for symbol in sorted(self.reported - set(found)):
            log.info("%s %s: the exchange's position and the traders' agree again", self.venue,
                     symbol)  # fmt: skip
            self.reported.discard(symbol)
        self._seen = set(found)
        return new
