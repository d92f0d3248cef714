"""TraderAccount's estimates: sums in a fixed order, whatever the process's hash seed."""

from __future__ import annotations

from tradeyard.bots.trader_account import TraderAccount


def test_exposure_sums_the_other_symbols_in_the_order_they_were_first_traded() -> None:
    """Float addition is not associative: 1e16 + 1 + 1 != 1 + 1 + 1e16. A sum over a set of
    symbol names would follow the hash seed's order and differ between two processes."""
    names = [f"S{i}USDT" for i in range(12)]
    for big in range(len(names)):
        acct = TraderAccount(leverage=1.0, margin_buffer=0.0)
        for i, s in enumerate(names):
            acct.positions[s] = 1e16 if i == big else 1.0
            acct.last_price[s] = 1.0
        expected = 0.0
        for s in names[1:]:
            expected += acct.positions[s]
        assert acct.exposure(excluding=names[0]) == expected
