"""An optional latency probe inside the fake: when closing klines went out, when orders came in.

Off unless a test or benchmark turns it on (`FakeBinance.enable_probe()`,
`FakeBybit.enable_probe()`). Then:

- the market feed stamps each closing kline of the replay's own interval as it is queued for
  the websockets (`kline_closed`);
- the stream routes stamp each market frame that closes such a kline right before it is
  written to a socket (`kline_written`): the "sent" time. What the server does between queueing
  and writing (matching the closed bar, user-stream pushes) is thus not counted against
  clients. (Before, not after, the write: on loopback the woken reader can preempt the writer
  right after the syscall, and a stamp taken then would come after the client's reaction);
- the order endpoint stamps each order request as its handler starts (`order_received`).

All stamps are the fake's `time.perf_counter_ns` (CLOCK_MONOTONIC), so a client in another
process on the same host can compare its own stamps without clock sync. `pairs()` matches each
order with the last closing kline of its symbol sent before it: what a bot that trades on bar
close takes from "bar closed" to "order at the exchange".
"""

from __future__ import annotations

import bisect
import re
import time
from collections.abc import Callable
from typing import Any

__all__ = ["LatencyProbe"]

_BINANCE_CLOSE = re.compile(r'"k":\{"t":(\d+),.*?"s":"([A-Z0-9]+)"')
_BYBIT_CLOSE = re.compile(r'"topic":"kline\.[^.]+\.([A-Z0-9]+)".*?"start":(\d+)')


class LatencyProbe:
    """Timestamps (ns) of closing klines queued / written and of order requests received."""

    def __init__(self, clock: Callable[[], int] = time.perf_counter_ns) -> None:
        self.clock = clock
        self.closes: dict[str, list[tuple[int, int]]] = {}
        """Symbol → [(queue time ns, bar open time ms)] in queue order."""
        self.written: dict[tuple[str, int], int] = {}
        """(symbol, bar open time) → when its closing frame was first written to a socket."""
        self.orders: list[tuple[int, str, str]] = []
        """[(arrival time ns, symbol, client order id)] in arrival order."""

    def kline_closed(self, symbol: str, open_time: int) -> None:
        self.closes.setdefault(symbol, []).append((self.clock(), open_time))

    def kline_written(self, text: str) -> None:
        """A market frame is about to be written: stamp it if it closes a kline the feed
        stamped as queued (Binance `x` true, Bybit `confirm` true)."""
        at = self.clock()
        if '"x":true' in text:
            m = _BINANCE_CLOSE.search(text)
            key = (m.group(2), int(m.group(1))) if m else None
        elif '"confirm":true' in text:
            m = _BYBIT_CLOSE.search(text)
            key = (m.group(1), int(m.group(2))) if m else None
        else:
            return
        if key is None or key in self.written:
            return
        queued = self.closes.get(key[0])
        if queued and queued[-1][1] == key[1]:  # the replay's interval, not an aggregate
            self.written[key] = at

    def order_received(self, at: int, symbol: str, client_id: str) -> None:
        self.orders.append((at, symbol, client_id))

    def pairs(self) -> list[dict[str, Any]]:
        """Each order with the closing kline of its symbol queued last before it (orders with
        no kline before them are left out); `kline_sent_ns` is its write time when known."""
        out = []
        for at, symbol, client_id in self.orders:
            closes = self.closes.get(symbol, [])
            i = bisect.bisect_right(closes, (at, 2**63)) - 1
            if i < 0:
                continue
            queued, open_time = closes[i]
            sent = self.written.get((symbol, open_time), queued)
            out.append({
                "symbol": symbol, "client_order_id": client_id, "bar_open": open_time,
                "kline_queued_ns": queued, "kline_sent_ns": sent, "order_received_ns": at,
                "latency_ns": at - sent,
            })  # fmt: skip
        return out

    def snapshot(self) -> dict[str, Any]:
        return {
            "closes": sum(len(c) for c in self.closes.values()),
            "orders": len(self.orders),
            "pairs": self.pairs(),
        }

    def clear(self) -> None:
        self.closes.clear()
        self.written.clear()
        self.orders.clear()
