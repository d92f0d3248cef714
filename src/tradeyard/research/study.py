"""Opening a fold's study: its default name, and refusing to resume a different search.

A resumed study must have been made for the same strategy, space, objective, fixed parameters,
symbols and train window: topping up a study with trials scored on something else would mix
incomparable values and pick a meaningless "best". The run's fingerprint is stored as the
study's user attribute ``tradeyard`` when it is created and compared on every later open.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

import msgspec

from tradeyard.errors import ConfigError
from tradeyard.marketdata import BarSeries
from tradeyard.research.space import SearchSpace
from tradeyard.research.storage import mask_url
from tradeyard.research.trials import sampler
from tradeyard.research.windows import Window

__all__ = ["default_study_name", "fingerprint", "open_study"]


def _jsonable(value: Any) -> Any:
    return msgspec.json.decode(msgspec.json.encode(value))


def fingerprint(
    strategy: str,
    space: SearchSpace,
    objective: str,
    fixed: Mapping[str, Any],
    train_bars: Sequence[BarSeries],
    window: Window,
) -> dict[str, Any]:
    """What makes two runs the same search: a resumed study must match it."""
    return _jsonable(
        {
            "strategy": strategy,
            "objective": objective,
            "space": space.describe(),
            "fixed_params": dict(fixed),
            "symbols": sorted(b.symbol for b in train_bars),
            "interval": train_bars[0].interval if train_bars else "",
            "train": [window.train_start, window.train_end],
        }
    )


def default_study_name(
    strategy: str,
    space: SearchSpace,
    objective: str,
    fixed: Mapping[str, Any],
    bars: Sequence[BarSeries],
    split: float,
    walk_forward: int | None,
) -> str:
    """`<strategy>-<objective>-<hash>`: the same command gets the same name, so it resumes."""
    key = _jsonable(
        {
            "space": space.describe(),
            "fixed": dict(fixed),
            "symbols": sorted(b.symbol for b in bars),
            "first": min(int(b.open_time[0]) for b in bars),
            "last": max(int(b.open_time[-1]) for b in bars),
            "split": split,
            "walk_forward": walk_forward,
        }
    )
    digest = hashlib.sha256(msgspec.json.encode(key)).hexdigest()[:8]
    return f"{strategy}-{objective}-{digest}"


def open_study(
    storage: Any, name: str, expected: dict[str, Any], storage_text: str | None, seed: int
) -> Any:
    """Create or resume the fold's study; its sampler is worker 0's (the in-process one)."""
    import optuna

    try:
        study = optuna.create_study(
            study_name=name,
            storage=storage,
            direction="maximize",
            load_if_exists=True,
            sampler=sampler(seed),
        )
    except ConfigError:
        raise
    except Exception as e:  # storage / database errors
        where = mask_url(storage_text) if storage_text else "memory"
        raise ConfigError(f"cannot open study {name!r} in {where}: {e}", where="--storage") from e
    if study.direction != optuna.study.StudyDirection.MAXIMIZE:
        raise ConfigError(
            f"study {name!r} already exists and minimises; use another --study name",
            where="--study",
        )
    found = study.user_attrs.get("tradeyard")
    if found is None:
        study.set_user_attr("tradeyard", expected)
    elif found != expected:
        diff = sorted(k for k in set(found) | set(expected) if found.get(k) != expected.get(k))
        raise ConfigError(
            f"study {name!r} was made for a different search (differs in: {', '.join(diff)}); "
            "use another --study name or the same options as before",
            where="--study",
        )
    return study
