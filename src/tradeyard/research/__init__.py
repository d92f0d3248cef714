"""Research tools on top of the backtester: parameter optimisation and robustness checks.

- `space`: the TOML search space of a strategy's parameters, checked against its Params.
- `windows`: train / test split and rolling walk-forward folds, by time.
- `objective`: what a trial maximises, and running one parameter set on one window.
- `optimize`: optuna studies over those windows, evaluated out of sample; the entry point.
- `trials`: running a study's trials, in this process or in spawned workers sharing it.
- `study`: naming a study and refusing to resume one made for a different search.
- `storage`: where a study lives (memory, a journal file, or a database several machines share).
- `lookahead`: flags a strategy whose past signals change when future bars are removed.
- `montecarlo`: the spread of drawdown and return over random orders of the closed trades.
- `report`: the optimisation's HTML report.

optuna is imported only inside the functions that need it, so importing this package (and the
CLI that lists its commands) stays fast.
"""
