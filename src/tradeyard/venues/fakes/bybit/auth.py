"""Bybit v5 request authentication: X-BAPI-* headers, timestamp window, HMAC-SHA256 signature.

Bybit signs `timestamp + apiKey + recvWindow + payload`, the payload being the query string
for GET and the raw JSON body for POST, exactly as sent (docs v5 "Authentication"). The
signature is checked against the raw bytes received, never against re-encoded or re-sorted
parameters: a client that sends something other than what it signed fails here as it would on
Bybit. Order of checks: API key (10003), timestamp window (10002), signature (10004).
Websocket auth signs `"GET/realtime" + expires`. Logs show at most six characters of a key.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Mapping

from tradeyard.venues.fakes.bybit.errors import BybitError
from tradeyard.venues.fakes.common.account_spec import key_hint

__all__ = ["check_timestamp", "check_ws_auth", "key_hint", "sign", "verify_rest"]

log = logging.getLogger(__name__)


def sign(secret: str, payload: str) -> str:
    """Lowercase hex HMAC-SHA256 of `payload` (what clients send as X-BAPI-SIGN)."""
    return hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()


def verify_rest(
    headers: Mapping[str, str], payload: str, secrets: Mapping[str, str], now_ms: int
) -> str:
    """Authenticate a private request whose signed payload is `payload`; return its API key."""
    key = headers.get("X-BAPI-API-KEY", "")
    if key not in secrets:
        log.info("refused unknown API key %s", key_hint(key))
        raise BybitError(10003)
    raw_ts = headers.get("X-BAPI-TIMESTAMP", "")
    raw_window = headers.get("X-BAPI-RECV-WINDOW", "5000") or "5000"
    check_timestamp(raw_ts, raw_window, now_ms)
    plain = f"{raw_ts}{key}{raw_window}{payload}"
    given = headers.get("X-BAPI-SIGN", "").lower()
    if not hmac.compare_digest(sign(secrets[key], plain), given):
        log.info("bad signature from key %s", key_hint(key))
        raise BybitError(10004, plain)
    return key


def check_ws_auth(args: object, secrets: Mapping[str, str], now_ms: int) -> str:
    """The API key of a valid `{"op": "auth", "args": [key, expires, sign]}`; else BybitError."""
    if not isinstance(args, list) or len(args) != 3:
        raise BybitError(10001, msg="auth args must be [apiKey, expires, signature]")
    key, expires, given = str(args[0]), str(args[1]), str(args[2])
    if key not in secrets:
        raise BybitError(10003)
    if not expires.isdigit() or int(expires) <= now_ms:
        raise BybitError(10002, msg="Params Error: request expired")
    if not hmac.compare_digest(sign(secrets[key], f"GET/realtime{expires}"), given.lower()):
        raise BybitError(10004, msg="Invalid signature")
    return key


def check_timestamp(raw_ts: str, raw_window: str, now_ms: int) -> None:
    """Bybit's window: server time - recvWindow <= X-BAPI-TIMESTAMP < server time + 1000
    (10002 otherwise, with Bybit's own message); shared by REST and the trade websocket."""
    if not raw_ts.isdigit() or not raw_window.isdigit():
        raise BybitError(10002)
    ts, window = int(raw_ts), int(raw_window)
    if not now_ms - window <= ts < now_ms + 1000:
        raise BybitError(
            10002,
            msg=f"invalid request, please check your server timestamp or recv_window param. "
            f"req_timestamp[{ts}],server_timestamp[{now_ms}],recv_window[{window}]",
        )
