"""The safety net under the private stream: open orders it has been quiet about are asked about
over REST.

A private websocket can go quiet without closing (a half-open TCP connection, a stalled
gateway, a listen key that died unnoticed): ccxt sees nothing wrong and the fills it should
carry never come, so the trader believes an order rests that has long filled. Every
`order_poll_s` the adapter takes the store's open orders that nothing was heard about for that
long and asks the exchange for each (`reconcile.poll_order`): what the stream missed is
published through the same deduplicating path as the stream's own reports, so when the stream
comes back nothing is published twice. A quiet resting order costs one request per interval.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING, Protocol

from tradeyard.venues.common.reconcile import Reconcilable, poll_order

if TYPE_CHECKING:
    from tradeyard.store import OrderStore

__all__ = ["OrderPoll"]

log = logging.getLogger(__name__)


class Pollable(Reconcilable, Protocol):
    def last_heard(self, client_order_id: str) -> float | None:
        """time.monotonic() of the last report about the order (None: none since start)."""
        ...


class OrderPoll:
    """Runs `poll_once` every `every_s` seconds (`run`, a task of the adapter)."""

    def __init__(
        self,
        execution: Pollable,
        store: OrderStore,
        every_s: float,
        venue_errors: tuple[type[BaseException], ...] = (),
    ) -> None:
        self._execution = execution
        self._venue_errors = venue_errors
        """The client's errors for an unreachable or refusing venue: logged without a trace."""
        self._store = store
        self._every = every_s
        self._asked: dict[str, float] = {}
        """time.monotonic() each order was last asked about: one request per interval."""
        self._unknown: set[str] = set()
        """Orders the exchange did not know (logged once)."""
        self.caught = 0
        """Orders whose news came from a poll, not from the stream."""
        self.asked = 0
        """Orders asked about (one request each, more when new fills are fetched)."""

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self._every)
            try:
                await self.poll_once()
            except self._venue_errors as e:  # unreachable: the next interval tries again
                log.warning("%s: order poll failed (%s); trying again in %.0fs",
                            self._execution.venue, e, self._every)  # fmt: skip
            except Exception:
                log.exception("%s: order poll failed", self._execution.venue)

    async def poll_once(self) -> int:
        """Ask about every open order quiet for `every_s`; returns how many had news."""
        ex = self._execution
        now = time.monotonic()
        cutoff = now - self._every
        records = self._store.unfinished(ex.venue)
        quiet = []
        for record in records:
            coid = record.client_order_id
            # "pending": its submit is in flight, and the submit path asks about it itself
            if record.status == "pending" or coid in self._unknown:
                continue
            heard = max(ex.last_heard(coid) or 0.0, self._asked.get(coid, 0.0))
            if not heard:  # an order from before a restart: give the stream one interval
                self._asked[coid] = now
            elif heard <= cutoff:
                quiet.append(record)
        news = 0
        for record in quiet:
            coid = record.client_order_id
            self._asked[coid] = time.monotonic()
            self.asked += 1
            found = await poll_order(ex, record)
            if found is None:
                self._unknown.add(coid)
                log.warning("%s: open order %s (%s in the store) is unknown to the exchange; "
                            "not polled again", ex.venue, coid, record.status)  # fmt: skip
                continue
            status, updated, fills = found
            if updated or fills:
                news += 1
                self.caught += 1
                log.warning(
                    "%s: order %s is %s with %d new fill(s) the private stream did not report "
                    "in %.0fs; published from REST (is the private stream alive?)",
                    ex.venue, coid, status, fills, self._every,
                )  # fmt: skip
        # forget finished orders: memory stays O(open orders)
        open_ids = {r.client_order_id for r in records}
        self._asked = {c: t for c, t in self._asked.items() if c in open_ids}
        self._unknown &= open_ids
        return news
