"""Account, balance, position and leverage-bracket payloads in Binance USDⓈ-M's JSON shape.

Pure functions from account views, which `exchange.py` builds from the simulated account at the
current mark, to GET /fapi/v2|v3/account, /fapi/v2|v3/balance, /fapi/v2|v3/positionRisk and
/fapi/v1/leverageBracket (`binance-usdm.md` §3.7–3.8). V3 lists only symbols with a position,
V2 every symbol with its leverage and margin type, as on Binance.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tradeyard.venues.fakes.binance.instruments import SymbolInfo
from tradeyard.venues.fakes.binance.payloads import fmt
from tradeyard.venues.sim.leverage_brackets import BracketTable

__all__ = [
    "AccountView",
    "PositionView",
    "account_v2",
    "account_v3",
    "balance_v3",
    "leverage_brackets",
    "position_risk_v2",
    "position_risk_v3",
]

ASSET = "USDT"


def _m(x: float) -> str:
    return fmt(x, 8)


@dataclass(frozen=True, slots=True)
class PositionView:
    """One symbol's position as the account endpoints report it, marked at `mark`."""

    info: SymbolInfo
    qty: float
    entry: float
    mark: float
    unrealized: float
    leverage: int
    isolated: bool
    initial_margin: float
    maint_margin: float
    liquidation: float
    realized: float
    break_even: float
    update_time: int


@dataclass(frozen=True, slots=True)
class AccountView:
    """Wallet and margins of one account (all in USDT)."""

    wallet: float
    unrealized: float
    available: float
    position_margin: float
    order_margin: float
    maint_margin: float
    update_time: int
    positions: list[PositionView] = field(default_factory=list)

    @property
    def margin_balance(self) -> float:
        return self.wallet + self.unrealized


def _totals(acct: AccountView) -> dict[str, Any]:
    return {
        "totalInitialMargin": _m(acct.position_margin + acct.order_margin),
        "totalMaintMargin": _m(acct.maint_margin),
        "totalWalletBalance": _m(acct.wallet),
        "totalUnrealizedProfit": _m(acct.unrealized),
        "totalMarginBalance": _m(acct.margin_balance),
        "totalPositionInitialMargin": _m(acct.position_margin),
        "totalOpenOrderInitialMargin": _m(acct.order_margin),
        "totalCrossWalletBalance": _m(acct.wallet),
        "totalCrossUnPnl": _m(acct.unrealized),
        "availableBalance": _m(acct.available),
        "maxWithdrawAmount": _m(max(0.0, min(acct.available, acct.wallet))),
    }


def _asset(acct: AccountView) -> dict[str, Any]:
    return {
        "asset": ASSET,
        "walletBalance": _m(acct.wallet),
        "unrealizedProfit": _m(acct.unrealized),
        "marginBalance": _m(acct.margin_balance),
        "maintMargin": _m(acct.maint_margin),
        "initialMargin": _m(acct.position_margin + acct.order_margin),
        "positionInitialMargin": _m(acct.position_margin),
        "openOrderInitialMargin": _m(acct.order_margin),
        "crossWalletBalance": _m(acct.wallet),
        "crossUnPnl": _m(acct.unrealized),
        "availableBalance": _m(acct.available),
        "maxWithdrawAmount": _m(max(0.0, min(acct.available, acct.wallet))),
        "marginAvailable": True,
        "updateTime": acct.update_time,
    }


def _account_position(pos: PositionView, v2: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "symbol": pos.info.symbol,
        "positionSide": "BOTH",
        "positionAmt": fmt(pos.qty, pos.info.qty_dp),
        "unrealizedProfit": _m(pos.unrealized),
        "isolatedMargin": _m(pos.initial_margin if pos.isolated else 0.0),
        "notional": _m(pos.qty * pos.mark),
        "isolatedWallet": _m(pos.initial_margin if pos.isolated else 0.0),
        "initialMargin": _m(pos.initial_margin),
        "maintMargin": _m(pos.maint_margin),
        "updateTime": pos.update_time,
    }
    if v2:
        out |= {
            "leverage": str(pos.leverage),
            "isolated": pos.isolated,
            "entryPrice": fmt(pos.entry, max(pos.info.price_dp, 5)),
            "breakEvenPrice": fmt(pos.break_even, max(pos.info.price_dp, 5)),
            "maxNotional": "50000000",
            "positionInitialMargin": _m(pos.initial_margin),
            "openOrderInitialMargin": "0",
            "bidNotional": "0",
            "askNotional": "0",
        }
    return out


def account_v3(acct: AccountView) -> dict[str, Any]:
    """GET /fapi/v3/account: only symbols with a position (or a non-default setting)."""
    return _totals(acct) | {
        "assets": [_asset(acct)],
        "positions": [_account_position(p, False) for p in acct.positions if p.qty != 0.0],
    }


def account_v2(acct: AccountView) -> dict[str, Any]:
    """GET /fapi/v2/account: V3 plus permissions, fee tier and every symbol's position."""
    return (
        {
            "feeTier": 0,
            "feeBurn": False,
            "canTrade": True,
            "canDeposit": True,
            "canWithdraw": True,
            "updateTime": 0,
            "multiAssetsMargin": False,
            "tradeGroupId": -1,
        }
        | _totals(acct)
        | {
            "assets": [_asset(acct)],
            "positions": [_account_position(p, True) for p in acct.positions],
        }
    )


def balance_v3(acct: AccountView) -> list[dict[str, Any]]:
    """GET /fapi/v2|v3/balance."""
    return [
        {
            "accountAlias": "FakeTradeyard",
            "asset": ASSET,
            "balance": _m(acct.wallet),
            "crossWalletBalance": _m(acct.wallet),
            "crossUnPnl": _m(acct.unrealized),
            "availableBalance": _m(acct.available),
            "maxWithdrawAmount": _m(max(0.0, min(acct.available, acct.wallet))),
            "marginAvailable": True,
            "updateTime": acct.update_time,
        }
    ]


def _risk_common(pos: PositionView) -> dict[str, Any]:
    dp = max(pos.info.price_dp, 5)
    return {
        "symbol": pos.info.symbol,
        "positionSide": "BOTH",
        "positionAmt": fmt(pos.qty, pos.info.qty_dp),
        "entryPrice": fmt(pos.entry, dp),
        "breakEvenPrice": fmt(pos.break_even, dp),
        "markPrice": _m(pos.mark),
        "unRealizedProfit": _m(pos.unrealized),
        "liquidationPrice": fmt(pos.liquidation, dp) if pos.liquidation else "0",
        "isolatedMargin": _m(pos.initial_margin if pos.isolated else 0.0),
        "notional": _m(pos.qty * pos.mark),
        "isolatedWallet": _m(pos.initial_margin if pos.isolated else 0.0),
        "updateTime": pos.update_time,
    }


def position_risk_v3(positions: list[PositionView]) -> list[dict[str, Any]]:
    """GET /fapi/v3/positionRisk: symbols with a position only."""
    return [
        _risk_common(p)
        | {
            "marginAsset": ASSET,
            "initialMargin": _m(p.initial_margin),
            "maintMargin": _m(p.maint_margin),
            "positionInitialMargin": _m(p.initial_margin),
            "openOrderInitialMargin": "0",
            "adl": 0,
            "bidNotional": "0",
            "askNotional": "0",
        }
        for p in positions
        if p.qty != 0.0
    ]


def position_risk_v2(positions: list[PositionView]) -> list[dict[str, Any]]:
    """GET /fapi/v2/positionRisk: every symbol, with leverage and margin type."""
    return [
        _risk_common(p)
        | {
            "leverage": str(p.leverage),
            "marginType": "isolated" if p.isolated else "cross",
            "isAutoAddMargin": "false",
            "maxNotionalValue": "50000000",
        }
        for p in positions
    ]


def leverage_brackets(symbol: str, table: BracketTable) -> dict[str, Any]:
    """One item of GET /fapi/v1/leverageBracket: the sim's maintenance tiers, Binance-shaped."""
    return {
        "symbol": symbol,
        "notionalCoef": 1.0,
        "brackets": [
            {
                "bracket": k + 1,
                "initialLeverage": int(table.max_leverages[k]),
                "notionalCap": table.caps[k],
                "notionalFloor": table.floors[k],
                "maintMarginRatio": table.rates[k],
                "cum": table.amounts[k],
            }
            for k in range(len(table))
        ],
    }
