"""Allocation modes on their own: the weight each symbol gets, and configs refused up front."""

from __future__ import annotations

import math

import msgspec
import numpy as np
import pytest

from tradeyard.bots.allocation import Allocation, EqualWeight, FixedFraction, VolatilityScaled
from tradeyard.errors import ConfigError

BASKET = ("BTCUSDT", "ETHUSDT", "SOLUSDT", "XRPUSDT")


def test_equal_weight_when_four_symbols_gives_a_quarter_each() -> None:
    weights = [EqualWeight().weight(s, BASKET, {}) for s in BASKET]
    assert weights == [0.25, 0.25, 0.25, 0.25]


def test_equal_weight_when_symbol_outside_basket_gives_none() -> None:
    assert EqualWeight().weight("DOGEUSDT", BASKET, {}) is None


def test_fixed_fraction_when_symbol_not_listed_uses_default() -> None:
    alloc = FixedFraction(fractions={"BTCUSDT": 0.4, "ETHUSDT": 0.3}, default=0.1)
    assert [alloc.weight(s, BASKET, {}) for s in BASKET] == [0.4, 0.3, 0.1, 0.1]
    alloc.check(BASKET, "traders[0]")  # 0.4 + 0.3 + 0.1 + 0.1 = 0.9: fine


def test_fixed_fraction_when_shares_add_up_over_one_is_refused() -> None:
    alloc = FixedFraction(fractions={"BTCUSDT": 0.6, "ETHUSDT": 0.3}, default=0.1)
    with pytest.raises(ConfigError, match=r"add up to 1\.1 .*use leverage"):
        alloc.check(BASKET, "traders[0]")


def test_fixed_fraction_when_listing_symbol_not_traded_is_refused() -> None:
    alloc = FixedFraction(fractions={"DOGEUSDT": 0.1})
    with pytest.raises(ConfigError, match="DOGEUSDT, which the trader does not trade"):
        alloc.check(BASKET, "traders[0]")


def test_volatility_scaled_when_sigmas_known_weights_are_inverse_sigma_normalised() -> None:
    vols = {"BTCUSDT": 0.01, "ETHUSDT": 0.02, "SOLUSDT": 0.04, "XRPUSDT": 0.04}
    # 1/σ = 100, 50, 25, 25 → sum 200 → 0.5, 0.25, 0.125, 0.125
    weights = [VolatilityScaled().weight(s, BASKET, vols) for s in BASKET]
    assert weights == pytest.approx([0.5, 0.25, 0.125, 0.125], rel=1e-12)
    assert math.fsum(weights) == pytest.approx(1.0)  # type: ignore[arg-type]


def test_volatility_scaled_when_a_sigma_is_missing_shares_among_the_others() -> None:
    vols = {"BTCUSDT": 0.01, "ETHUSDT": 0.03, "SOLUSDT": math.nan, "XRPUSDT": 0.0}
    alloc = VolatilityScaled(period=20)
    # only BTC and ETH have a σ: 100 and 33.3 → 0.75 and 0.25
    assert alloc.weight("BTCUSDT", BASKET, vols) == pytest.approx(0.75)
    assert alloc.weight("ETHUSDT", BASKET, vols) == pytest.approx(0.25)
    assert alloc.weight("SOLUSDT", BASKET, vols) is None
    assert alloc.weight("XRPUSDT", BASKET, vols) is None
    assert "needs 21 closed bars" in alloc.missing_reason("SOLUSDT")


def test_allocation_when_decoded_from_config_picks_mode_by_tag() -> None:
    raw = b'[{"mode": "equal_weight"}, {"mode": "fixed_fraction", "fractions": {"BTCUSDT": 0.5}},'
    raw += b' {"mode": "volatility_scaled", "period": 30}]'
    got = msgspec.json.decode(raw, type=list[Allocation])
    assert got == [
        EqualWeight(),
        FixedFraction(fractions={"BTCUSDT": 0.5}),
        VolatilityScaled(period=30),
    ]


def test_allocation_when_fraction_out_of_range_fails_to_decode() -> None:
    with pytest.raises(msgspec.ValidationError, match="fractions"):
        msgspec.json.decode(
            b'{"mode": "fixed_fraction", "fractions": {"BTCUSDT": 1.5}}', type=Allocation
        )


def test_volatility_scaled_when_sigmas_from_numpy_match_hand_formula() -> None:
    rng = np.random.default_rng(7)
    sig = rng.uniform(0.001, 0.05, size=len(BASKET))
    vols = dict(zip(BASKET, sig.tolist(), strict=True))
    expected = (1 / sig) / (1 / sig).sum()
    got = [VolatilityScaled().weight(s, BASKET, vols) for s in BASKET]
    assert got == pytest.approx(expected.tolist(), rel=1e-12)
