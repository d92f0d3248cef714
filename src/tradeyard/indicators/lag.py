"""Previous: an indicator's outputs (or a bar field) as of the bar before.

Conditions such as "the previous close was below the previous lower band" read the bar before
the current one. Kept in the strategy as "what I saw last time", they go stale when the strategy
skips bars (`Strategy.skip_bars`); as an indicator they are right on every bar, however many the
strategy saw, and they are computed a chunk at a time with the rest in a backtest.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np

from tradeyard.indicators._base import NAN, FloatArray, Indicator

__all__ = ["Previous"]


class Previous(Indicator):
    """`Previous(ind)`: every output of `ind`, one bar late (NaN on the first bar).
    `Previous("close")`: the previous bar's close, as `value` (any bar field works).

    The wrapped indicator is private to this one: create it here, not shared with another
    `self.indicator(...)`, since both would feed it. (Each instance belongs to a subclass made
    for its outputs, so that they are slots like every indicator's.)
    """

    __slots__ = ("_inner", "_last")

    def __new__(cls, inner: Indicator | str) -> Previous:
        if cls is Previous:
            if isinstance(inner, str):
                cls = _shaped((inner,), ("value",))
            else:
                cls = _shaped(type(inner).inputs, type(inner).outputs)
        return super().__new__(cls)

    def __init__(self, inner: Indicator | str) -> None:
        if isinstance(inner, str):
            self._inner: Indicator | None = None
            super().__init__(lookback=1)
        else:
            self._inner = inner
            super().__init__(lookback=inner.lookback + 1)
        self._last: dict[str, float] = {name: NAN for name in self.outputs}
        for name in self.outputs:
            setattr(self, name, NAN)

    def update(self, *xs: float) -> float:
        last = self._last
        for name in self.outputs:
            setattr(self, name, last[name])
        inner = self._inner
        if inner is None:
            last["value"] = xs[0]
        else:
            inner.update(*xs)
            for name in self.outputs:
                last[name] = getattr(inner, name)
        self._n += 1
        return getattr(self, self.outputs[0])  # type: ignore[no-any-return]

    def _run(self, cols: tuple[FloatArray, ...]) -> dict[str, FloatArray]:
        current: dict[str, Any]
        if self._inner is None:
            current = {"value": cols[0]}
        else:
            current = self._inner.update_many(*cols)
        out: dict[str, FloatArray] = {}
        for name in self.outputs:
            now = np.asarray(current[name], dtype=np.float64)
            shifted = np.empty(len(now))
            shifted[0] = self._last[name]
            shifted[1:] = now[:-1]
            out[name] = shifted
            self._last[name] = float(now[-1])
        self._n += len(cols[0])
        self._set_latest(out)
        return out

    def __repr__(self) -> str:
        return (
            f"Previous({self._inner!r})"
            if self._inner is not None
            else f"Previous({self.inputs[0]!r})"
        )


@cache
def _shaped(inputs: tuple[str, ...], outputs: tuple[str, ...]) -> type[Previous]:
    """The `Previous` subclass with these inputs and one slot per output."""
    namespace = {"__slots__": outputs, "inputs": inputs, "outputs": outputs}
    return type("Previous", (Previous,), namespace)
