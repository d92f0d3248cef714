from __future__ import annotations

import pytest

from tradeyard.config import parse_config
from tradeyard.errors import ConfigError

GOOD = """
[data]
symbols = ["BTCUSDT"]

[[strategies]]
id = "trend"
strategy = "sma_cross"
params = { fast = 5, slow = 20 }

[[traders]]
id = "t1"
follows = { trend = 1.0 }
sizing = { mode = "fixed_notional", notional = 1000 }
leverage = 3
"""


def test_parse_config_when_valid_builds_typed_config() -> None:
    cfg = parse_config(GOOD)
    assert cfg.strategies[0].params == {"fast": 5, "slow": 20}
    assert cfg.traders[0].leverage == 3
    assert type(cfg.traders[0].sizing).__name__ == "FixedNotional"


def test_parse_config_when_no_traders_adds_one_following_every_strategy() -> None:
    cfg = parse_config(GOOD.split("[[traders]]")[0])
    assert [(t.id, t.follows) for t in cfg.traders] == [("trader", {"trend": 1.0})]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("leverage = 3", "levrage = 3"), "unknown field `levrage` at traders[0]"),
        (("leverage = 3", "leverage = 500"), r"Expected `float` <= 125.0 at traders\[0\].leverage"),
        (
            ("fast = 5", "fsat = 5"),
            "unknown parameter(s) 'fsat' for strategy 'sma_cross' (known: fast, slow",
        ),
        (
            ('strategy = "sma_cross"', 'strategy = "nope"'),
            "unknown strategy 'nope': expected one of",
        ),
        (
            ("{ trend = 1.0 }", "{ trnd = 1.0 }"),
            r"traders\[0\].follows: unknown strategy id 'trnd'",
        ),
        (
            ("fast = 5, slow = 20", "fast = 30, slow = 20"),
            r"fast \(30\) must be less than slow \(20\)",
        ),
        (
            ('mode = "fixed_notional"', 'mode = "kelly"'),
            "Invalid value 'kelly' at traders[0].sizing.mode",
        ),
        (
            ("notional = 1000", "notional = -1"),
            r"Expected `float` > 0.0 at traders\[0\].sizing.notional",
        ),
    ],
)
def test_parse_config_when_invalid_names_the_key_and_problem(
    change: tuple[str, str], message: str
) -> None:
    old, new = change
    with pytest.raises(ConfigError) as info:
        parse_config(GOOD.replace(old, new))
    text = str(info.value)
    assert message in text or __import__("re").search(message, text), text


def test_parse_config_when_not_toml_says_so() -> None:
    with pytest.raises(ConfigError, match="not valid TOML"):
        parse_config("[[strategies]\nid=")
