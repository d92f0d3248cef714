"""Bybit v5 shapes of positions and wallets (`/v5/position/list`, `/v5/account/wallet-balance`
and the `position` / `wallet` topics).

They are built from the same venue-neutral views the Binance fake uses (`PositionView`,
`AccountView`: the sim's numbers at replay time), so both fakes report one account state the
same way and only the wire differs. One-way mode only: `positionIdx` 0, `side` Buy / Sell / ""
(flat), size unsigned.
"""

from __future__ import annotations

from typing import Any

from tradeyard.venues.fakes.binance.account_payloads import AccountView, PositionView
from tradeyard.venues.fakes.bybit.payloads import num

__all__ = ["position", "wallet"]


def position(v: PositionView, created: int) -> dict[str, Any]:
    p, q = v.info.price_dp, v.info.qty_dp
    side = "Buy" if v.qty > 0 else "Sell" if v.qty < 0 else ""
    size = abs(v.qty)
    return {
        "positionIdx": 0, "riskId": 1, "riskLimitValue": "2000000", "symbol": v.info.symbol,
        "side": side, "size": f"{size:.{q}f}", "avgPrice": num(v.entry, p + 4),
        "entryPrice": num(v.entry, p + 4), "positionValue": num(size * v.entry, 8),
        "tradeMode": 1 if v.isolated else 0, "positionStatus": "Normal", "autoAddMargin": 0,
        "adlRankIndicator": 2 if size else 0, "leverage": str(v.leverage),
        "breakEvenPrice": num(v.break_even, p + 4), "positionBalance": num(v.initial_margin, 8),
        "markPrice": f"{v.mark:.{p}f}" if v.mark else "0",
        "liqPrice": num(v.liquidation, p) if v.liquidation else "",
        "bustPrice": "", "positionMM": num(v.maint_margin, 8),
        "positionMMByMp": num(v.maint_margin, 8), "positionIM": num(v.initial_margin, 8),
        "positionIMByMp": num(v.initial_margin, 8), "tpslMode": "Full", "takeProfit": "0",
        "stopLoss": "0", "trailingStop": "0", "unrealisedPnl": num(v.unrealized, 8),
        "curRealisedPnl": num(v.realized, 8), "cumRealisedPnl": num(v.realized, 8),
        "sessionAvgPrice": "", "seq": v.update_time, "isReduceOnly": False,
        "mmrSysUpdatedTime": "", "leverageSysUpdatedTime": "", "category": "linear",
        "createdTime": str(created), "updatedTime": str(v.update_time),
    }  # fmt: skip


def wallet(a: AccountView) -> dict[str, Any]:
    equity = a.wallet + a.unrealized
    im = a.position_margin + a.order_margin
    realized = sum(v.realized for v in a.positions)
    coin = {
        "coin": "USDT", "equity": num(equity), "usdValue": num(equity),
        "walletBalance": num(a.wallet), "availableToWithdraw": num(max(a.available, 0.0)),
        "availableToBorrow": "", "borrowAmount": "0", "accruedInterest": "0",
        "totalOrderIM": num(a.order_margin), "totalPositionIM": num(a.position_margin),
        "totalPositionMM": num(a.maint_margin), "unrealisedPnl": num(a.unrealized),
        "cumRealisedPnl": num(realized), "bonus": "0", "collateralSwitch": True,
        "marginCollateral": True, "locked": "0", "spotHedgingQty": "0", "spotBorrow": "0",
    }  # fmt: skip
    return {
        "accountType": "UNIFIED", "accountIMRate": num(im / equity if equity else 0.0, 4),
        "accountIMRateByMp": num(im / equity if equity else 0.0, 4),
        "accountMMRate": num(a.maint_margin / equity if equity else 0.0, 4),
        "accountMMRateByMp": num(a.maint_margin / equity if equity else 0.0, 4),
        "totalEquity": num(equity), "totalWalletBalance": num(a.wallet),
        "totalMarginBalance": num(equity), "totalAvailableBalance": num(max(a.available, 0.0)),
        "totalPerpUPL": num(a.unrealized), "totalInitialMargin": num(im),
        "totalInitialMarginByMp": num(im), "totalMaintenanceMargin": num(a.maint_margin),
        "totalMaintenanceMarginByMp": num(a.maint_margin), "accountLTV": "0", "coin": [coin],
    }  # fmt: skip
