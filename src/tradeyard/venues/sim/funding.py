"""Funding-rate schedule of perpetuals: when funding settles and at what rate.

Built once from historical rates; the venue walks it with one pointer per symbol, so finding
the settlements due in a bar is O(1) amortized and costs nothing (one float comparison against
`next_time`) on bars without a settlement.

A settlement at time T is applied at the end of the bar during which T falls (open_time ≤ T ≤
close_time), or, when T falls between two bars, at the end of the first bar closing after T.
It is paid on the position open at that moment: payment = qty × mark × rate, with qty signed
and mark the close of that bar (a long pays when rate > 0, a short receives).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence

from tradeyard.errors import DataError

__all__ = ["FundingSchedule"]

_INF = math.inf


class FundingSchedule:
    """Funding settlements by symbol, sorted by time, consumed in order."""

    __slots__ = ("_pos", "_rates", "_times")

    def __init__(self, rates: Mapping[str, Sequence[tuple[int, float]]] | None = None) -> None:
        self._times: dict[str, list[int]] = {}
        self._rates: dict[str, list[float]] = {}
        self._pos: dict[str, int] = {}
        for symbol, seq in (rates or {}).items():
            items = sorted((int(t), float(r)) for t, r in seq)
            for (t0, _), (t1, _) in itertools.pairwise(items):
                if t0 == t1:
                    raise DataError(
                        f"funding rates for {symbol}: two settlements at {t0} ms; "
                        "keep one rate per funding time"
                    )
            self._times[symbol] = [t for t, _ in items]
            self._rates[symbol] = [r for _, r in items]
            self._pos[symbol] = 0

    def __contains__(self, symbol: str) -> bool:
        return symbol in self._times

    def next_time(self, symbol: str) -> float:
        """The time of the next unconsumed settlement of `symbol` (inf when there is none)."""
        times = self._times.get(symbol)
        if times is None:
            return _INF
        i = self._pos[symbol]
        return float(times[i]) if i < len(times) else _INF

    def skip_before(self, symbol: str, ts: int) -> None:
        """Drop settlements before `ts` (those before a symbol's first bar belong to no bar)."""
        times = self._times.get(symbol)
        if times is None:
            return
        i = self._pos[symbol]
        while i < len(times) and times[i] < ts:
            i += 1
        self._pos[symbol] = i

    def take_due(self, symbol: str, up_to: int) -> list[tuple[int, float]]:
        """Consume and return the settlements at or before `up_to`, oldest first."""
        times = self._times.get(symbol)
        if times is None:
            return []
        rates = self._rates[symbol]
        i = start = self._pos[symbol]
        while i < len(times) and times[i] <= up_to:
            i += 1
        self._pos[symbol] = i
        return list(zip(times[start:i], rates[start:i], strict=True))

    @staticmethod
    def payment(qty: float, mark: float, rate: float) -> float:
        """What a position of signed `qty` pays at `mark` (negative: it receives)."""
        return qty * mark * rate
