"""Optimise one strategy's parameters with optuna, scored on train windows, judged on test ones.

Flow per fold (one fold for a plain ``--split``, K for ``--walk-forward K``; see `windows`):

1. open (or resume) the fold's study in the storage, checking that a resumed study was made for
   the same strategy, space, objective, data window and fixed parameters;
2. run trials until the study holds ``trials`` finished-or-running trials, in this process
   (``jobs == 1``) or in ``jobs`` spawned worker processes sharing the storage, each with its own
   ``TPESampler(seed=seed + worker)``; a parameter combination the strategy's Params reject (e.g.
   sma_cross with fast >= slow) is pruned, not an error;
3. re-run the best trial on the train and the test window, and the other top trials on the test
   window, so every reported in-sample number has its out-of-sample twin.

``trials`` is the study's target size, not a number to add: running the same command again after
a crash or on a second machine tops the study up instead of starting over (`trials` says how
trials run, in one process or several; `study` how a resumed study is recognised). The worker
pool is started once and serves every fold, so walk-forward pays the worker start-up once.
"""

from __future__ import annotations

import multiprocessing
import tempfile
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import msgspec

from tradeyard.backtest.results import BacktestResult
from tradeyard.config import BacktestConfig
from tradeyard.errors import ConfigError
from tradeyard.marketdata import BarSeries
from tradeyard.research.objective import chain_results, check_objective, evaluate
from tradeyard.research.space import SearchSpace
from tradeyard.research.storage import open_storage
from tradeyard.research.study import default_study_name, fingerprint, open_study
from tradeyard.research.trials import (
    BRIEF_METRICS,
    Progress,
    TrialJob,
    init_worker,
    quiet_optuna,
    run_here,
    run_pool,
)
from tradeyard.research.windows import Window, slice_bars, windows_for

__all__ = [
    "BRIEF_METRICS",
    "FoldOutcome",
    "OptimizeOutcome",
    "OptimizeSettings",
    "TrialRow",
    "run_optimize",
]


class OptimizeSettings(msgspec.Struct, frozen=True):
    """What the user chose on the command line (validated by `check`)."""

    trials: int = 100
    jobs: int = 1
    objective: str = "sharpe"
    split: float = 0.7
    walk_forward: int | None = None
    storage: str | None = None
    study: str | None = None
    seed: int = 0
    top: int = 10

    def check(self) -> OptimizeSettings:
        if self.trials < 1:
            raise ConfigError(f"--trials must be >= 1, was {self.trials}", where="--trials")
        if self.jobs < 1:
            raise ConfigError(f"--jobs must be >= 1, was {self.jobs}", where="--jobs")
        if self.top < 1:
            raise ConfigError(f"top must be >= 1, was {self.top}", where="top")
        check_objective(self.objective)
        if self.study is not None and not self.study.strip():
            raise ConfigError("--study must not be empty", where="--study")
        return self


class TrialRow(msgspec.Struct):
    """One of the best trials: its parameters, score and brief train / test metrics."""

    number: int
    value: float
    params: dict[str, Any]
    train: dict[str, float]
    test: dict[str, float]


class FoldOutcome(msgspec.Struct):
    window: Window
    study_name: str
    counts: dict[str, int]
    """Trials of the study by state: complete, pruned, failed, running."""
    best_params: dict[str, Any]
    best_value: float
    train: BacktestResult
    test: BacktestResult
    top: list[TrialRow]
    trials: list[Any]
    """The study's trials (optuna FrozenTrial), kept for the report's plots."""


class OptimizeOutcome(msgspec.Struct):
    strategy: str
    settings: OptimizeSettings
    space: SearchSpace
    fixed_params: dict[str, Any]
    folds: list[FoldOutcome]
    out_of_sample: BacktestResult
    """The test windows' runs chained into one (just the test run with a single split)."""

    @property
    def counts(self) -> dict[str, int]:
        total: dict[str, int] = {}
        for f in self.folds:
            for k, v in f.counts.items():
                total[k] = total.get(k, 0) + v
        return total


def run_optimize(
    cfg: BacktestConfig,
    bars: Sequence[BarSeries],
    funding: Mapping[str, list[tuple[int, float]]] | None,
    space: SearchSpace,
    settings: OptimizeSettings,
    progress: Progress | None = None,
    charts: bool = False,
) -> OptimizeOutcome:
    """Optimise, fold by fold, and evaluate out of sample (module doc).

    `cfg` holds exactly one strategy (the one `space` is for) with its fixed parameters.
    `progress(n)` is called as trials finish (also once per fold for trials a resumed study
    already had). `charts` builds candle charts into the best train / test results (for the report).
    """
    import optuna

    settings.check()
    quiet_optuna()
    strategy = cfg.strategies[0].strategy if len(cfg.strategies) == 1 else ""
    if strategy != space.strategy:
        raise ConfigError(
            f"the space is for {space.strategy!r} but the config runs {strategy or 'several strategies'!r}",
            where="--space",
        )
    fixed = dict(cfg.strategies[0].params)
    both = [n for n in space.names if n in fixed]
    if both:
        raise ConfigError(
            f"parameter(s) {', '.join(both)} are both fixed (--param) and searched (--space); "
            "drop one",
            where="--param",
        )
    windows = windows_for(bars, settings.split, settings.walk_forward)
    funding = dict(funding or {})
    base_name = settings.study or default_study_name(
        strategy, space, settings.objective, fixed, bars, settings.split, settings.walk_forward
    )
    folds: list[FoldOutcome] = []
    with ExitStack() as stack:
        storage_text = settings.storage
        if storage_text is None and settings.jobs > 1:
            tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix="tradeyard-study-"))
            storage_text = str(Path(tmp) / "journal.log")
        storage: Any = (
            optuna.storages.InMemoryStorage()
            if storage_text is None
            else open_storage(storage_text)
        )
        pool: ProcessPoolExecutor | None = None
        stop: Any = None
        if settings.jobs > 1:
            ctx = multiprocessing.get_context("spawn")
            stop = ctx.Event()
            pool = stack.enter_context(
                ProcessPoolExecutor(
                    max_workers=settings.jobs,
                    mp_context=ctx,
                    initializer=init_worker,
                    initargs=(stop,),
                )
            )
        for w in windows:
            name = (
                base_name if len(windows) == 1 else f"{base_name}.fold{w.fold + 1}of{len(windows)}"
            )
            train_bars = slice_bars(bars, w.train_start, w.train_end)
            test_bars = slice_bars(bars, w.test_start, w.test_end)
            expected = fingerprint(strategy, space, settings.objective, fixed, train_bars, w)
            study = open_study(storage, name, expected, storage_text, settings.seed)
            job = TrialJob(
                storage=storage_text or "",
                study_name=name,
                cfg=cfg,
                space=space,
                objective=settings.objective,
                bars=train_bars,
                funding=funding,
                target=settings.trials,
                seed=settings.seed,
            )
            if pool is None:
                run_here(study, job, progress)
            else:
                run_pool(pool, stop, study, job, settings.jobs, progress)
            folds.append(
                _fold_outcome(study, w, cfg, train_bars, test_bars, funding, settings, charts)
            )
    tests = [f.test for f in folds]
    oos = tests[0] if len(tests) == 1 else chain_results(tests, "out of sample (all folds)")
    return OptimizeOutcome(
        strategy=strategy,
        settings=settings,
        space=space,
        fixed_params=fixed,
        folds=folds,
        out_of_sample=oos,
    )


def _fold_outcome(
    study: Any,
    window: Window,
    cfg: BacktestConfig,
    train_bars: Sequence[BarSeries],
    test_bars: Sequence[BarSeries],
    funding: Mapping[str, list[tuple[int, float]]],
    settings: OptimizeSettings,
    charts: bool,
) -> FoldOutcome:
    from optuna.trial import TrialState

    trials = study.get_trials(deepcopy=False)
    counts = {
        "complete": sum(t.state == TrialState.COMPLETE for t in trials),
        "pruned": sum(t.state == TrialState.PRUNED for t in trials),
        "failed": sum(t.state == TrialState.FAIL for t in trials),
        "running": sum(t.state == TrialState.RUNNING for t in trials),
    }
    complete = [t for t in trials if t.state == TrialState.COMPLETE]
    if not complete:
        reasons = [
            t.user_attrs.get("pruned_because", "") for t in trials if t.state == TrialState.PRUNED
        ]
        example = f" (e.g. {reasons[0]})" if reasons and reasons[0] else ""
        raise ConfigError(
            f"no trial of study {study.study_name!r} completed: {counts['pruned']} pruned"
            f"{example}, {counts['failed']} failed; widen the space so valid combinations exist",
            where="--space",
        )
    ranked = sorted(complete, key=lambda t: (-float(t.value), t.number))[: settings.top]
    best = ranked[0]
    fold = f"fold {window.fold + 1} " if settings.walk_forward else ""
    train = evaluate(
        cfg, best.params, train_bars, funding, f"{fold}train (best #{best.number})", charts
    )
    test = evaluate(
        cfg, best.params, test_bars, funding, f"{fold}test (best #{best.number})", charts
    )
    rows = []
    for t in ranked:
        test_metrics = (
            test.metrics
            if t is best
            else evaluate(cfg, t.params, test_bars, funding, "test").metrics
        )
        rows.append(
            TrialRow(
                number=t.number,
                value=float(t.value),
                params=dict(t.params),
                train=dict(t.user_attrs.get("train", {})),
                test={k: float(test_metrics[k]) for k in BRIEF_METRICS},
            )
        )
    return FoldOutcome(
        window=window,
        study_name=study.study_name,
        counts=counts,
        best_params=dict(best.params),
        best_value=float(best.value),
        train=train,
        test=test,
        top=rows,
        trials=list(trials),
    )
