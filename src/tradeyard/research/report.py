"""The HTML report of an optimisation: one self-contained file.

The top half is the backtest report (`backtest.report.render_report`) of the best parameters:
train and test runs side by side (with walk-forward: the chained out-of-sample run and each
fold's test run), so in-sample and out-of-sample numbers are read in one table. Appended to it:
the trials table and, per study, optuna's optimisation history and parameter importance plots.

The backtest report already inlines plotly.js once; the optuna figures are plotly figures too
and are emitted without their own copy of it, so the file stays self-contained (no CDN) and
loads plotly.js only once.
"""

from __future__ import annotations

import html
from typing import Any

from tradeyard.backtest.report import render_report
from tradeyard.research.optimize import BRIEF_METRICS, FoldOutcome, OptimizeOutcome

__all__ = ["render_optimize_report"]

_PCT = {"total_return", "max_drawdown", "win_rate"}
_PLOT_CONFIG = {"displaylogo": False, "responsive": True}


def _fmt(key: str, value: float) -> str:
    if key in _PCT:
        return f"{value:.2%}"
    if key == "trades":
        return f"{int(value)}"
    return f"{value:,.4g}"


def _trials_table(fold: FoldOutcome) -> str:
    head = "".join(f"<th>train {html.escape(k)}</th>" for k in BRIEF_METRICS)
    head += "".join(f"<th>test {html.escape(k)}</th>" for k in BRIEF_METRICS)
    rows = []
    for row in fold.top:
        params = ", ".join(f"{k}={v!r}" for k, v in row.params.items())
        cells = [f"<td class='num'>#{row.number}</td>", f"<td>{html.escape(params)}</td>"]
        cells.append(f"<td class='num'>{row.value:,.4g}</td>")
        cells += [f"<td class='num'>{_fmt(k, row.train.get(k, 0.0))}</td>" for k in BRIEF_METRICS]
        cells += [f"<td class='num'>{_fmt(k, row.test.get(k, 0.0))}</td>" for k in BRIEF_METRICS]
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return (
        "<table><thead><tr><th>trial</th><th>params</th><th>objective (train)</th>"
        f"{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


def _study_figures(fold: FoldOutcome, div: str) -> list[str]:
    """Optimisation history and parameter importance, as HTML divs without plotly.js."""
    import optuna
    from optuna.importance import PedAnovaImportanceEvaluator

    study = optuna.create_study(direction="maximize", study_name=fold.study_name)
    study.add_trials([t for t in fold.trials if t.state.is_finished()])
    parts = []
    history = optuna.visualization.plot_optimization_history(study)
    history.update_layout(title=f"Optimisation history — {fold.study_name}")
    parts.append(_div(history, f"{div}-history"))
    try:
        importance = optuna.visualization.plot_param_importances(
            study, evaluator=PedAnovaImportanceEvaluator()
        )
        importance.update_layout(title=f"Parameter importance — {fold.study_name}")
        parts.append(_div(importance, f"{div}-importance"))
    except (ValueError, RuntimeError) as e:  # too few trials, or a single distinct value
        parts.append(f'<p class="muted">No parameter importance: {html.escape(str(e))}</p>')
    return parts


def _div(fig: Any, div_id: str) -> str:
    return str(
        fig.to_html(full_html=False, include_plotlyjs=False, div_id=div_id, config=_PLOT_CONFIG)
    )


def render_optimize_report(outcome: OptimizeOutcome, title: str) -> str:
    """The whole report as one HTML string (module doc)."""
    if len(outcome.folds) == 1:
        fold = outcome.folds[0]
        runs = [fold.train, fold.test]
    else:
        runs = [outcome.out_of_sample, *(f.test for f in outcome.folds)]
    document = render_report(runs, title)
    s = outcome.settings
    counts = outcome.counts
    sections = [
        "<h2>Optimisation</h2>",
        '<p class="muted">'
        + html.escape(
            f"strategy {outcome.strategy}, objective {s.objective} (on train windows), "
            f"split {s.split}, walk-forward folds {s.walk_forward or 1}, seed {s.seed}; trials: "
            f"{counts.get('complete', 0)} complete, {counts.get('pruned', 0)} pruned, "
            f"{counts.get('failed', 0)} failed"
        )
        + "</p>",
    ]
    for i, fold in enumerate(outcome.folds):
        w = fold.window
        sections.append(f"<h3>{html.escape(fold.study_name)}</h3>")
        sections.append(
            '<p class="muted">'
            + html.escape(
                f"train {w.train_bars} bars, test {w.test_bars} bars; best "
                f"{fold.best_params} scored {fold.best_value:.4g}"
            )
            + "</p>"
        )
        sections.append(f'<div class="trades-wrap">{_trials_table(fold)}</div>')
        sections += _study_figures(fold, f"ty-study-{i}")
    return document.replace("\n</body>", "\n" + "\n".join(sections) + "\n</body>", 1)
