"""Account, order and user-data-stream payloads in Binance USDⓈ-M's exact JSON shape.

Pure functions from the fake's records (`BinanceOrder`, `BinanceTrade`) and account views
(`AccountView`, built by `trading.py` from the simulated account) to the dicts Binance sends:
REST order objects (docs "New Order", "Query Order"), account / balance / positionRisk (V2 and
V3), and the user-data events ORDER_TRADE_UPDATE, ACCOUNT_UPDATE, ACCOUNT_CONFIG_UPDATE and
listenKeyExpired (`binance-usdm.md` §5). Balances use 8 decimals as Binance does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tradeyard.venues.fakes.binance.instruments import SymbolInfo
from tradeyard.venues.fakes.binance.orders import BinanceOrder, BinanceTrade
from tradeyard.venues.fakes.binance.payloads import fmt

__all__ = [
    "AccountView",
    "PositionView",
    "account_config_update",
    "account_update",
    "account_v2",
    "account_v3",
    "balance_v3",
    "listen_key_expired",
    "order_json",
    "order_trade_update",
    "position_risk_v2",
    "position_risk_v3",
    "user_trade",
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


# -- orders -------------------------------------------------------------------------------------
def order_json(order: BinanceOrder, info: SymbolInfo, *, with_time: bool = True) -> dict[str, Any]:
    """The order object of New / Cancel / Query Order and Current Open Orders."""
    p, q = info.price_dp, info.qty_dp
    out: dict[str, Any] = {
        "orderId": order.order_id,
        "symbol": order.symbol,
        "status": order.status,
        "clientOrderId": order.client_order_id,
        "price": fmt(order.price, p),
        "avgPrice": fmt(order.avg_price, max(p, 5)),
        "origQty": fmt(order.orig_qty, q),
        "executedQty": fmt(order.executed_qty, q),
        "cumQty": fmt(order.executed_qty, q),
        "cumQuote": fmt(order.cum_quote, 8),
        "timeInForce": order.time_in_force,
        "type": order.type,
        "reduceOnly": order.reduce_only,
        "closePosition": False,
        "side": order.side,
        "positionSide": order.position_side,
        "stopPrice": fmt(order.stop_price, p),
        "workingType": order.working_type,
        "priceProtect": order.price_protect,
        "origType": order.type,
        "priceMatch": "NONE",
        "selfTradePreventionMode": "EXPIRE_MAKER",
        "goodTillDate": 0,
        "updateTime": order.update_time,
    }
    if with_time:
        out["time"] = order.time
    return out


def order_trade_update(
    order: BinanceOrder,
    info: SymbolInfo,
    *,
    event_time: int,
    exec_type: str,
    last_qty: float = 0.0,
    last_price: float = 0.0,
    commission: float = 0.0,
    trade_id: int = 0,
    maker: bool = False,
    realized: float = 0.0,
) -> dict[str, Any]:
    """ORDER_TRADE_UPDATE for a new / canceled / expired order or one fill (`exec_type` TRADE)."""
    p, q = info.price_dp, info.qty_dp
    o: dict[str, Any] = {
        "s": order.symbol,
        "c": order.client_order_id,
        "S": order.side,
        "o": order.type,
        "f": order.time_in_force,
        "q": fmt(order.orig_qty, q),
        "p": fmt(order.price, p),
        "ap": fmt(order.avg_price, max(p, 5)),
        "sp": fmt(order.stop_price, p),
        "x": exec_type,
        "X": order.status,
        "i": order.order_id,
        "l": fmt(last_qty, q),
        "z": fmt(order.executed_qty, q),
        "L": fmt(last_price, p),
        "T": order.update_time,
        "t": trade_id,
        "b": "0",
        "a": "0",
        "m": maker,
        "R": order.reduce_only,
        "wt": order.working_type,
        "ot": order.type,
        "ps": order.position_side,
        "cp": False,
        "rp": _m(realized),
        "pP": order.price_protect,
        "si": 0,
        "ss": 0,
        "V": "EXPIRE_MAKER",
        "pm": "NONE",
        "gtd": 0,
    }
    if exec_type in ("TRADE", "CALCULATED"):
        o["N"] = ASSET
        o["n"] = _m(commission)
    return {"e": "ORDER_TRADE_UPDATE", "E": event_time, "T": order.update_time, "o": o}


def _position_entry(pos: PositionView) -> dict[str, Any]:
    return {
        "s": pos.info.symbol,
        "pa": fmt(pos.qty, pos.info.qty_dp),
        "ep": fmt(pos.entry, max(pos.info.price_dp, 5)),
        "bep": fmt(pos.break_even, max(pos.info.price_dp, 5)),
        "cr": _m(pos.realized),
        "up": _m(pos.unrealized),
        "mt": "isolated" if pos.isolated else "cross",
        "iw": _m(pos.initial_margin if pos.isolated else 0.0),
        "ps": "BOTH",
    }


def account_update(
    reason: str,
    event_time: int,
    tx_time: int,
    wallet: float,
    balance_change: float,
    positions: list[PositionView],
) -> dict[str, Any]:
    """ACCOUNT_UPDATE (`reason`: ORDER, FUNDING_FEE, DEPOSIT, …) with the changed positions."""
    return {
        "e": "ACCOUNT_UPDATE",
        "E": event_time,
        "T": tx_time,
        "a": {
            "m": reason,
            "B": [{"a": ASSET, "wb": _m(wallet), "cw": _m(wallet), "bc": _m(balance_change)}],
            "P": [_position_entry(p) for p in positions],
        },
    }


def account_config_update(symbol: str, leverage: int, event_time: int) -> dict[str, Any]:
    return {
        "e": "ACCOUNT_CONFIG_UPDATE",
        "E": event_time,
        "T": event_time,
        "ac": {"s": symbol, "l": leverage},
    }


def listen_key_expired(listen_key: str, event_time: int) -> dict[str, Any]:
    return {"e": "listenKeyExpired", "E": str(event_time), "listenKey": listen_key}


def user_trade(t: BinanceTrade, info: SymbolInfo) -> dict[str, Any]:
    """One row of GET /fapi/v1/userTrades."""
    return {
        "buyer": t.side == "BUY",
        "commission": _m(t.commission),
        "commissionAsset": ASSET,
        "id": t.trade_id,
        "maker": t.maker,
        "orderId": t.order_id,
        "price": fmt(t.price, info.price_dp),
        "qty": fmt(t.qty, info.qty_dp),
        "quoteQty": _m(t.price * t.qty),
        "realizedPnl": _m(t.realized_pnl),
        "side": t.side,
        "positionSide": "BOTH",
        "symbol": t.symbol,
        "time": t.time,
    }


# -- account ------------------------------------------------------------------------------------
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
