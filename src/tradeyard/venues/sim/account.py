"""A trader's margin account on the simulated venue: wallet, positions, margin.

USDT-margined perpetuals, one-way position mode (one signed position per symbol), each
position in cross or isolated margin. `used_margin` and the reserved order margin are kept up
to date incrementally when a fill or a leverage change moves them. The unrealized PnL is summed
afresh from the positions when read (rarely: admissions, fills, funding), so it depends only on
each position's last mark, not on how many marks came before: a backtest that skips quiet bars
(`backtest.skipping`) computes exactly what one that visits every bar does.
"""

from __future__ import annotations

from tradeyard.venues.sim.leverage_brackets import DEFAULT_TABLE, BracketTable

__all__ = ["Account", "Position"]


class Position:
    """One symbol's position in an account.

    `qty` is signed (> 0 long, < 0 short). `unrealized_pnl` is at the last mark (the last bar's
    close, or the last fill price if a fill came after it). `realized_pnl`, `fees` and `funding`
    accumulate over the account's life, also across flat periods, so they stay available for
    reporting after the position is closed (`funding` > 0 means paid).

    `isolated` and `brackets` are fixed when the record is created (from the venue's config).
    The venue maintains `liquidation_price` and `lev_k`, this position's weight in the account's
    leverage slack (see `risk.note_leverage`).
    """

    __slots__ = (
        "account",
        "brackets",
        "entry_price",
        "fees",
        "funding",
        "isolated",
        "lev_k",
        "leverage",
        "liquidation_price",
        "margin",
        "qty",
        "realized_pnl",
        "symbol",
        "unrealized_pnl",
    )

    def __init__(
        self,
        account: Account,
        symbol: str,
        leverage: float,
        *,
        isolated: bool = False,
        brackets: BracketTable = DEFAULT_TABLE,
    ) -> None:
        self.account = account
        self.symbol = symbol
        self.qty = 0.0
        self.entry_price = 0.0
        self.leverage = leverage
        self.unrealized_pnl = 0.0
        self.realized_pnl = 0.0
        self.fees = 0.0
        self.funding = 0.0
        self.margin = 0.0
        """|qty| × entry / leverage: this position's share of `Account.used_margin` (and, when
        isolated, the whole balance backing it)."""
        self.isolated = isolated
        self.brackets = brackets
        self.liquidation_price: float | None = None
        """None while flat or when no price can liquidate the position."""
        self.lev_k = 0.0

    def __repr__(self) -> str:
        return (
            f"Position({self.symbol} qty={self.qty!r} entry={self.entry_price!r} "
            f"lev={self.leverage!r} upnl={self.unrealized_pnl!r} rpnl={self.realized_pnl!r} "
            f"liq={self.liquidation_price!r})"
        )


class Account:
    """Wallet and positions of one trader.

    `equity` = wallet + Σ unrealized PnL; `available` = equity − used margin − margin reserved
    by open orders that would increase exposure (computed the same way in both margin modes).
    Fees and funding are paid from the wallet; realized PnL is credited to it.

    `max_leverage` is the highest Σ |qty| × mark / equity seen at any mark or fill (inf once
    equity was ≤ 0 with a position open), tracked through `lev_slack` = max_leverage × equity −
    Σ |qty| × mark, which goes negative exactly when a new maximum is reached (see
    `risk.note_leverage`). `insurance_fund_absorbed` is
    what liquidations lost beyond the account's margin: the exchange's insurance fund pays it,
    the wallet is topped up by it.
    """

    __slots__ = (
        "asset",
        "fees_paid",
        "funding_paid",
        "insurance_fund_absorbed",
        "lev_slack",
        "max_leverage",
        "n_open_positions",
        "positions",
        "realized_pnl",
        "reserved_margin",
        "topic",
        "trader",
        "used_margin",
        "wallet_balance",
    )

    def __init__(self, trader: str, balance: float, topic: str, asset: str = "USDT") -> None:
        self.trader = trader
        self.topic = topic
        """The execution topic, built once so publishing does not format strings per event."""
        self.asset = asset
        self.wallet_balance = balance
        self.positions: dict[str, Position] = {}
        self.used_margin = 0.0
        self.reserved_margin = 0.0
        self.realized_pnl = 0.0
        self.fees_paid = 0.0
        self.funding_paid = 0.0
        self.n_open_positions = 0
        self.max_leverage = 0.0
        self.lev_slack = 0.0
        self.insurance_fund_absorbed = 0.0

    # -- read side ---------------------------------------------------------------------------
    @property
    def unrealized_pnl(self) -> float:
        """Σ unrealized PnL of the positions at their last marks (flat ones hold 0.0)."""
        total = 0.0
        for pos in self.positions.values():
            total += pos.unrealized_pnl
        return total

    @property
    def equity(self) -> float:
        return self.wallet_balance + self.unrealized_pnl

    @property
    def available(self) -> float:
        return self.wallet_balance + self.unrealized_pnl - self.used_margin - self.reserved_margin

    def position(
        self,
        symbol: str,
        default_leverage: float = 1.0,
        *,
        isolated: bool = False,
        brackets: BracketTable = DEFAULT_TABLE,
    ) -> Position:
        """The position record of `symbol`, created flat on first use (with these settings)."""
        pos = self.positions.get(symbol)
        if pos is None:
            pos = Position(self, symbol, default_leverage, isolated=isolated, brackets=brackets)
            self.positions[symbol] = pos
        return pos

    def open_positions(self) -> list[Position]:
        return [p for p in self.positions.values() if p.qty != 0.0]

    def position_qty(self, symbol: str) -> float:
        pos = self.positions.get(symbol)
        return 0.0 if pos is None else pos.qty

    # -- write side --------------------------------------------------------------------------
    def apply_fill(self, pos: Position, signed_qty: float, price: float, fee: float) -> float:
        """Book a fill of `signed_qty` (> 0 bought) at `price`; return its realized PnL.

        Increasing: the entry becomes the qty-weighted average. Reducing: (exit − entry) ×
        closed qty for a long, mirrored for a short; the entry is unchanged. Reversing: the old
        side is closed at `price` and the rest opens at `price`. The position is marked at the
        fill price (the latest price known), the fee is paid from the wallet.
        """
        old = pos.qty
        entry = pos.entry_price
        realized = 0.0
        if old == 0.0 or (old > 0.0) == (signed_qty > 0.0):
            new = round(old + signed_qty, 12)
            entry = (abs(old) * entry + abs(signed_qty) * price) / abs(new)
        else:
            closed = min(abs(signed_qty), abs(old))
            realized = (price - entry) * closed if old > 0.0 else (entry - price) * closed
            new = round(old + signed_qty, 12)
            if new == 0.0:
                entry = 0.0
            elif (new > 0.0) != (old > 0.0):
                entry = price
        if new == 0.0:
            self.n_open_positions -= 1
        elif old == 0.0:
            self.n_open_positions += 1
        pos.qty = new
        pos.entry_price = entry
        pos.unrealized_pnl = new * (price - entry)
        margin = abs(new) * entry / pos.leverage
        self.used_margin += margin - pos.margin
        pos.margin = margin
        pos.realized_pnl += realized
        pos.fees += fee
        self.realized_pnl += realized
        self.fees_paid += fee
        self.wallet_balance += realized - fee
        if self.n_open_positions == 0:
            # Nothing is open: drop accumulated float noise of the incremental sum.
            self.used_margin = 0.0
        return realized

    def set_leverage(self, pos: Position, leverage: float) -> None:
        """Change a symbol's leverage; the position's margin follows."""
        if leverage == pos.leverage:
            return
        pos.leverage = leverage
        margin = abs(pos.qty) * pos.entry_price / leverage
        self.used_margin += margin - pos.margin
        pos.margin = margin

    def mark(self, pos: Position, price: float) -> None:
        """Mark `pos` to `price`. `SimVenue.on_bar` inlines this for speed."""
        pos.unrealized_pnl = pos.qty * (price - pos.entry_price)

    def pay_funding(self, pos: Position, payment: float) -> None:
        """Pay `payment` USDT of funding for `pos` (negative: received)."""
        self.wallet_balance -= payment
        self.funding_paid += payment
        pos.funding += payment

    def __repr__(self) -> str:
        return (
            f"Account({self.trader!r} wallet={self.wallet_balance!r} equity={self.equity!r} "
            f"used_margin={self.used_margin!r} reserved={self.reserved_margin!r})"
        )
