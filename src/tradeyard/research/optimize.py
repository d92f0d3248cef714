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
a crash or on a second machine tops the study up instead of starting over. Trials stop being
started once the target is reached; with several workers a few more may finish (at most
``jobs - 1``).

Workers are spawned (not forked): the parent holds a rich progress thread and possibly open
database connections, neither of which survives a fork safely. Each worker receives the fold's
bars, so no worker re-reads the data.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import socket
import tempfile
import warnings
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_EXCEPTION, Future, ProcessPoolExecutor, wait
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import msgspec

from tradeyard.backtest.results import BacktestResult
from tradeyard.config import BacktestConfig, build_params
from tradeyard.errors import ConfigError
from tradeyard.marketdata import BarSeries
from tradeyard.research.objective import (
    chain_results,
    check_objective,
    evaluate,
    score,
)
from tradeyard.research.space import SearchSpace, suggest
from tradeyard.research.storage import mask_url, open_storage
from tradeyard.research.windows import Window, slice_bars, windows_for

__all__ = [
    "BRIEF_METRICS",
    "FoldOutcome",
    "OptimizeOutcome",
    "OptimizeSettings",
    "TrialRow",
    "run_optimize",
]

BRIEF_METRICS = ("total_return", "sharpe", "max_drawdown", "win_rate", "profit_factor", "trades")
"""Metrics kept per trial (in the storage) and shown in the top-trials table."""

_POLL_S = 0.25

Progress = Callable[[int], None]


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


class _Job(msgspec.Struct, frozen=True):
    """Everything a worker process needs to run trials of one fold's study (pickled)."""

    storage: str
    study_name: str
    cfg: BacktestConfig
    space: SearchSpace
    objective: str
    bars: list[BarSeries]
    funding: dict[str, list[tuple[int, float]]]
    target: int
    seed: int


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
    _quiet_optuna()
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
    base_name = settings.study or _default_study_name(strategy, space, settings, fixed, bars)
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
                    initializer=_init_worker,
                    initargs=(stop,),
                )
            )
        for w in windows:
            name = (
                base_name if len(windows) == 1 else f"{base_name}.fold{w.fold + 1}of{len(windows)}"
            )
            train_bars = slice_bars(bars, w.train_start, w.train_end)
            test_bars = slice_bars(bars, w.test_start, w.test_end)
            fingerprint = _fingerprint(strategy, space, settings, fixed, train_bars, w)
            study = _open_study(storage, name, fingerprint, storage_text, settings.seed)
            job = _Job(
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
                _run_here(study, job, progress)
            else:
                _run_pool(pool, stop, study, job, settings.jobs, progress)
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


def _quiet_optuna() -> None:
    """Keep optuna's per-trial INFO lines and experimental-feature warnings off the console."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)


def _sampler(seed: int) -> Any:
    import optuna

    # constant_liar: a running trial counts as a bad result, so parallel workers spread out
    # instead of all sampling the same promising point.
    return optuna.samplers.TPESampler(seed=seed, constant_liar=True)


def _jsonable(value: Any) -> Any:
    return msgspec.json.decode(msgspec.json.encode(value))


def _fingerprint(
    strategy: str,
    space: SearchSpace,
    settings: OptimizeSettings,
    fixed: Mapping[str, Any],
    train_bars: Sequence[BarSeries],
    window: Window,
) -> dict[str, Any]:
    """What makes two runs the same search: a resumed study must match it."""
    return _jsonable(
        {
            "strategy": strategy,
            "objective": settings.objective,
            "space": space.describe(),
            "fixed_params": dict(fixed),
            "symbols": sorted(b.symbol for b in train_bars),
            "interval": train_bars[0].interval if train_bars else "",
            "train": [window.train_start, window.train_end],
        }
    )


def _default_study_name(
    strategy: str,
    space: SearchSpace,
    settings: OptimizeSettings,
    fixed: Mapping[str, Any],
    bars: Sequence[BarSeries],
) -> str:
    """`<strategy>-<objective>-<hash>`: the same command gets the same name, so it resumes."""
    key = _jsonable(
        {
            "space": space.describe(),
            "fixed": dict(fixed),
            "symbols": sorted(b.symbol for b in bars),
            "first": min(int(b.open_time[0]) for b in bars),
            "last": max(int(b.open_time[-1]) for b in bars),
            "split": settings.split,
            "walk_forward": settings.walk_forward,
        }
    )
    digest = hashlib.sha256(msgspec.json.encode(key)).hexdigest()[:8]
    return f"{strategy}-{settings.objective}-{digest}"


def _open_study(
    storage: Any, name: str, fingerprint: dict[str, Any], storage_text: str | None, seed: int
) -> Any:
    """Create or resume the fold's study; its sampler is worker 0's (the in-process one)."""
    import optuna

    try:
        study = optuna.create_study(
            study_name=name,
            storage=storage,
            direction="maximize",
            load_if_exists=True,
            sampler=_sampler(seed),
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
        study.set_user_attr("tradeyard", fingerprint)
    elif found != fingerprint:
        diff = sorted(
            k for k in set(found) | set(fingerprint) if found.get(k) != fingerprint.get(k)
        )
        raise ConfigError(
            f"study {name!r} was made for a different search (differs in: {', '.join(diff)}); "
            "use another --study name or the same options as before",
            where="--study",
        )
    return study


_FINISHED_OR_RUNNING = ("COMPLETE", "PRUNED", "FAIL", "RUNNING")


def _n_trials(study: Any) -> int:
    from optuna.trial import TrialState

    states = tuple(TrialState[s] for s in _FINISHED_OR_RUNNING)
    return len(study.get_trials(deepcopy=False, states=states))


class _Objective:
    """Scores one trial on the fold's train bars; prunes combinations the Params reject."""

    def __init__(self, job: _Job) -> None:
        self.job = job
        self.base = dict(job.cfg.strategies[0].params)
        # host:pid, so a shared study shows which machine and process ran each trial
        self.worker = f"{socket.gethostname()}:{os.getpid()}"

    def __call__(self, trial: Any) -> float:
        import optuna

        job = self.job
        values = suggest(trial, job.space)
        try:
            build_params(job.space.strategy, {**self.base, **values}, where="trial")
        except ConfigError as e:
            trial.set_user_attr("pruned_because", str(e))
            raise optuna.TrialPruned(str(e)) from None
        result = evaluate(job.cfg, values, job.bars, job.funding, label="train")
        trial.set_user_attr("worker", self.worker)
        trial.set_user_attr("train", {k: float(result.metrics[k]) for k in BRIEF_METRICS})
        return score(result.metrics, job.objective)


_STOP: Any = None
"""In a worker process: the pool's stop event (set when another worker failed)."""


def _init_worker(stop: Any) -> None:
    global _STOP
    _STOP = stop


def _run_trials(study: Any, job: _Job, on_trial: Callable[[], None] | None) -> int:
    """Run trials one at a time until the study reaches its target; returns how many ran here."""
    objective = _Objective(job)
    callbacks = [lambda _s, _t: on_trial()] if on_trial is not None else None
    ran = 0
    while _n_trials(study) < job.target and not (_STOP is not None and _STOP.is_set()):
        study.optimize(objective, n_trials=1, callbacks=callbacks, gc_after_trial=False)
        ran += 1
    return ran


def _run_here(study: Any, job: _Job, progress: Progress | None) -> None:
    if progress is not None:
        progress(min(_n_trials(study), job.target))
    _run_trials(study, job, (lambda: progress(1)) if progress is not None else None)


def _work(job: _Job, worker: int) -> int:
    """A worker process: join the fold's study and run trials until the target is reached."""
    import optuna

    _quiet_optuna()
    study = optuna.load_study(
        study_name=job.study_name,
        storage=open_storage(job.storage),
        sampler=_sampler(job.seed + worker),
    )
    return _run_trials(study, job, None)


def _run_pool(
    pool: ProcessPoolExecutor,
    stop: Any,
    study: Any,
    job: _Job,
    jobs: int,
    progress: Progress | None,
) -> None:
    """Run the fold on `jobs` workers; the first failure (or Ctrl-C) stops the others."""
    shown = 0

    def report() -> None:
        nonlocal shown
        now = min(_n_trials(study), job.target)
        if progress is not None and now > shown:
            progress(now - shown)
        shown = max(shown, now)

    futures: list[Future[int]] = [pool.submit(_work, job, w) for w in range(jobs)]
    pending = set(futures)
    try:
        while pending:
            done, pending = wait(pending, timeout=_POLL_S, return_when=FIRST_EXCEPTION)
            report()
            for f in done:
                f.result()  # a worker's exception stops the run here, with its own message
    except BaseException:
        stop.set()  # the other workers finish their current trial and return
        raise
    report()


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
