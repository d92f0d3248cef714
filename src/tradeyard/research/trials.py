"""Running a study's trials: in this process, or in spawned workers sharing its storage.

A trial draws parameters from the space, backtests them on the fold's train bars and returns the
objective. A combination the strategy's Params reject (e.g. sma_cross with fast >= slow) is
pruned with the Params' own reason, not counted as a failure: cross-field rules cannot be
expressed in the space, and a crash would end a long study for nothing.

Trials run one at a time until the study holds its target number of finished-or-running
trials, so the same target can be given again after a crash, or on a second machine, and the
study is topped up rather than restarted; with several workers a few more may finish (at most
``jobs - 1``) because each checks the count before it starts a trial.

Workers are spawned (not forked): the parent holds a rich progress thread and possibly open
database connections, neither of which survives a fork safely. Each worker gets the fold's bars
in its job, so no worker re-reads the data, and seeds its own ``TPESampler(seed=seed + worker)``.
If one worker fails, a shared event tells the others to stop after their current trial.
"""

from __future__ import annotations

import os
import socket
import warnings
from collections.abc import Callable
from concurrent.futures import FIRST_EXCEPTION, Future, ProcessPoolExecutor, wait
from typing import Any

import msgspec

from tradeyard.config import BacktestConfig, build_params
from tradeyard.errors import ConfigError
from tradeyard.marketdata import BarSeries
from tradeyard.research.objective import evaluate, score
from tradeyard.research.space import SearchSpace, suggest
from tradeyard.research.storage import open_storage

__all__ = [
    "BRIEF_METRICS",
    "Progress",
    "TrialJob",
    "init_worker",
    "n_trials",
    "quiet_optuna",
    "run_here",
    "run_pool",
    "sampler",
]

BRIEF_METRICS = ("total_return", "sharpe", "max_drawdown", "win_rate", "profit_factor", "trades")
"""Metrics kept per trial (in the storage) and shown in the top-trials table."""

_POLL_S = 0.25

Progress = Callable[[int], None]


class TrialJob(msgspec.Struct, frozen=True):
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


def quiet_optuna() -> None:
    """Keep optuna's per-trial INFO lines and experimental-feature warnings off the console."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)


def sampler(seed: int) -> Any:
    """TPE seeded with `seed` (worker w of a run seeded s gets s + w)."""
    import optuna

    # constant_liar: a running trial counts as a bad result, so parallel workers spread out
    # instead of all sampling the same promising point.
    return optuna.samplers.TPESampler(seed=seed, constant_liar=True)


_FINISHED_OR_RUNNING = ("COMPLETE", "PRUNED", "FAIL", "RUNNING")


def n_trials(study: Any) -> int:
    """Trials that count toward the target: finished, or running in some process right now."""
    from optuna.trial import TrialState

    states = tuple(TrialState[s] for s in _FINISHED_OR_RUNNING)
    return len(study.get_trials(deepcopy=False, states=states))


class _Objective:
    """Scores one trial on the fold's train bars; prunes combinations the Params reject."""

    def __init__(self, job: TrialJob) -> None:
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


def init_worker(stop: Any) -> None:
    """Pool initializer: events can reach a spawned worker only at its creation."""
    global _STOP
    _STOP = stop


def _run_trials(study: Any, job: TrialJob, on_trial: Callable[[], None] | None) -> int:
    """Run trials one at a time until the study reaches its target; returns how many ran here."""
    objective = _Objective(job)
    callbacks = [lambda _s, _t: on_trial()] if on_trial is not None else None
    ran = 0
    while n_trials(study) < job.target and not (_STOP is not None and _STOP.is_set()):
        study.optimize(objective, n_trials=1, callbacks=callbacks, gc_after_trial=False)
        ran += 1
    return ran


def run_here(study: Any, job: TrialJob, progress: Progress | None) -> None:
    """Run the fold's trials in this process (jobs == 1), reporting each one to `progress`."""
    if progress is not None:
        progress(min(n_trials(study), job.target))
    _run_trials(study, job, (lambda: progress(1)) if progress is not None else None)


def _work(job: TrialJob, worker: int) -> int:
    """A worker process: join the fold's study and run trials until the target is reached."""
    import optuna

    quiet_optuna()
    study = optuna.load_study(
        study_name=job.study_name,
        storage=open_storage(job.storage),
        sampler=sampler(job.seed + worker),
    )
    return _run_trials(study, job, None)


def run_pool(
    pool: ProcessPoolExecutor,
    stop: Any,
    study: Any,
    job: TrialJob,
    jobs: int,
    progress: Progress | None,
) -> None:
    """Run the fold on `jobs` workers; the first failure (or Ctrl-C) stops the others."""
    shown = 0

    def report() -> None:
        nonlocal shown
        now = min(n_trials(study), job.target)
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
