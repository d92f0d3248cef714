"""The indicator protocol, argument checks and the ring-buffer helpers every indicator shares.

Every indicator has two faces that must agree row for row:

* ``update(*xs)`` — one new input row, O(1) (amortised O(1) for the rolling extremes, O(period)
  for CCI, whose mean deviation needs the whole window), plain Python floats and lists, used once
  per bar in live trading;
* ``update_many(*arrays)`` — a whole chunk of rows at once with numpy/scipy, used by the backtest
  engine, which leaves the object in the state ``update`` would have left it in, so chunks chain
  and ``update`` may follow.

Warm-up follows TA-Lib: the first ``lookback`` rows give NaN, every row after gives a finite value.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, ClassVar

import numpy as np
import numpy.typing as npt

from tradeyard.errors import ConfigError, DataError

__all__ = [
    "NAN",
    "FloatArray",
    "Indicator",
    "check_bool",
    "check_int",
    "check_real",
    "exact_moments",
    "nan_array",
    "ring_store",
    "ring_tail",
    "trailing_run",
]

FloatArray = npt.NDArray[np.float64]
"""A 1-D float64 numpy array."""

NAN = math.nan


class Indicator(ABC):
    """Base of every streaming indicator.

    Class attributes:
        inputs:  the Bar fields consumed, in the order ``update``/``update_many`` take them,
                 e.g. ``("close",)`` or ``("high", "low", "close")``.
        outputs: the names of the outputs; each is also a plain attribute holding the latest value
                 (NaN during warm-up). The first one is the main output that ``update`` returns.

    ``update_many`` feeds a chunk of rows (float64 arrays of equal length, finite values) and
    returns each output per row, NaN before warm-up. Memory is O(window + chunk), never O(history).
    It checks its inputs; ``update``, the per-bar hot path, does not: feed it finite floats (a NaN
    would poison running sums and recursions, as it does in TA-Lib).
    """

    __slots__ = ("_lookback", "_n")

    inputs: ClassVar[tuple[str, ...]]
    outputs: ClassVar[tuple[str, ...]]
    _params: ClassVar[tuple[str, ...]] = ()

    if TYPE_CHECKING:
        # Each subclass takes its inputs as named positional floats (``update(close)``,
        # ``update(high, low, close)``); a Callable keeps those signatures valid overrides.
        update: Callable[..., float]
    else:

        @abstractmethod
        def update(self, *xs: float) -> float:
            """Consume one input row; return the main output (NaN during warm-up)."""

    def __init__(self, lookback: int) -> None:
        self._lookback = lookback
        self._n = 0

    @property
    def lookback(self) -> int:
        """Number of leading rows that give NaN (TA-Lib's ``*_Lookback``)."""
        return self._lookback

    @property
    def count(self) -> int:
        """Number of input rows consumed so far."""
        return self._n

    @property
    def ready(self) -> bool:
        """True once warm-up is over and the outputs are finite.

        Read from the main output rather than the update count, because in a backtest the engine
        may hand out precomputed outputs (StrategyBot.prime) while the count is already at the
        end of the chunk.
        """
        v = getattr(self, self.outputs[0])
        return v == v

    def latest(self) -> dict[str, float]:
        """The latest value of every output, by name."""
        return {name: getattr(self, name) for name in self.outputs}

    def update_many(self, *arrays: npt.ArrayLike) -> dict[str, FloatArray]:
        """Consume a chunk of rows at once (vectorised twin of ``update``).

        Takes one array per name in ``inputs``; returns a dict holding, for every name in
        ``outputs``, an array with that output for each row (NaN before warm-up). Afterwards the
        object is in the state ``update`` would have left it in after the same rows, and every
        output attribute holds the value for the chunk's last row.

        Raises:
            TypeError: the wrong number of arrays.
            DataError: arrays that are not 1-D, differ in length, or hold a non-finite value.
        """
        cols = self._columns(arrays)
        if not len(cols[0]):
            return {name: np.empty(0) for name in self.outputs}
        return self._run(cols)

    @abstractmethod
    def _run(self, cols: tuple[FloatArray, ...]) -> dict[str, FloatArray]:
        """The vectorised computation on validated, non-empty input columns."""

    def _columns(self, arrays: Sequence[npt.ArrayLike]) -> tuple[FloatArray, ...]:
        name = type(self).__name__
        if len(arrays) != len(self.inputs):
            raise TypeError(
                f"{name}.update_many takes {len(self.inputs)} array(s) "
                f"({', '.join(self.inputs)}), got {len(arrays)}"
            )
        cols: list[FloatArray] = []
        for field, raw in zip(self.inputs, arrays, strict=True):
            col = np.asarray(raw, dtype=np.float64)
            if col.ndim != 1:
                raise DataError(f"{name}.update_many: {field} must be 1-D, has shape {col.shape}")
            bad = ~np.isfinite(col)
            if bad.any():
                row = int(np.argmax(bad))
                raise DataError(
                    f"{name}.update_many: {field}[{row}] is {col[row]}; "
                    "indicators need finite inputs"
                )
            cols.append(col)
        lengths = {len(c) for c in cols}
        if len(lengths) > 1:
            sizes = ", ".join(f"{f}={len(c)}" for f, c in zip(self.inputs, cols, strict=True))
            raise DataError(f"{name}.update_many: input arrays differ in length ({sizes})")
        return tuple(cols)

    def _set_latest(self, out: dict[str, FloatArray]) -> None:
        """Point every output attribute at the chunk's last row (no-op for an empty chunk)."""
        for key, arr in out.items():
            if len(arr):
                setattr(self, key, float(arr[-1]))

    def __repr__(self) -> str:
        args = ", ".join(f"{p}={getattr(self, p)!r}" for p in self._params)
        return f"{type(self).__name__}({args})"


# --- constructor argument checks ------------------------------------------------------------


def check_int(owner: str, name: str, value: object, minimum: int) -> int:
    """Return ``value`` as an int, or raise ConfigError if it is not an integer >= ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise ConfigError(f"{owner} {name} must be an integer >= {minimum}, was {value!r}")
    return int(value)


def check_real(
    owner: str, name: str, value: object, minimum: float, *, strict: bool = False
) -> float:
    """Return ``value`` as a float, or raise ConfigError unless it is a finite number
    ``>= minimum`` (``> minimum`` when ``strict``)."""
    op = ">" if strict else ">="
    if not isinstance(value, bool) and isinstance(value, int | float | np.integer | np.floating):
        x = float(value)
        if math.isfinite(x) and (x > minimum if strict else x >= minimum):
            return x
    raise ConfigError(f"{owner} {name} must be a finite number {op} {minimum:g}, was {value!r}")


def check_bool(owner: str, name: str, value: object) -> bool:
    """Return ``value``, or raise ConfigError if it is not a bool."""
    if not isinstance(value, bool | np.bool_):
        raise ConfigError(f"{owner} {name} must be a bool, was {value!r}")
    return bool(value)


# --- array helpers -----------------------------------------------------------------------------


def nan_array(n: int) -> FloatArray:
    """A float64 array of ``n`` NaNs."""
    return np.full(n, np.nan)


def ring_tail(buf: list[float], pushed: int, k: int) -> FloatArray:
    """The last ``min(pushed, k)`` values pushed into a ring buffer, oldest first.

    The ring is a list of fixed length ``p`` where the value number ``j`` (0-based, counting every
    push) lives at ``buf[j % p]``; ``pushed`` is how many values went in so far. ``k <= p``.
    """
    k = min(pushed, k)
    if k <= 0:
        return np.empty(0)
    idx = np.arange(pushed - k, pushed) % len(buf)
    return np.asarray(buf, dtype=np.float64)[idx]


def ring_store(buf: list[float], pushed: int, values: FloatArray) -> None:
    """Write the last values into ``buf`` exactly where one-by-one pushes would have put them.

    ``values`` ends with the value number ``pushed - 1``; only its last ``len(buf)`` matter.
    """
    p = len(buf)
    k = min(len(values), p, pushed)
    if k <= 0:
        return
    arr = np.asarray(buf, dtype=np.float64)
    arr[np.arange(pushed - k, pushed) % p] = values[len(values) - k :]
    buf[:] = arr.tolist()


def trailing_run(x: FloatArray, prev_run: int, prev_value: float | None) -> int:
    """Length of the run of identical values ending a stream after it takes in the chunk ``x``.

    ``prev_run`` is the run length before the chunk and ``prev_value`` the last value before it
    (None if there was none). ``x`` is not empty.
    """
    differs = np.flatnonzero(x[1:] != x[:-1])
    run = len(x) - 1 - int(differs[-1]) if len(differs) else len(x)
    if run == len(x) and prev_value is not None and x[0] == prev_value:
        run += prev_run
    return run


def exact_moments(window: FloatArray) -> tuple[float, float]:
    """Mean and sum of squared deviations of ``window`` (not empty), two-pass."""
    mean = math.fsum(window.tolist()) / len(window)
    d = window - mean
    return mean, math.fsum((d * d).tolist())
