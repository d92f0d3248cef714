"""Binance request authentication: API key header, timestamp window, HMAC-SHA256 signature.

Binance signs `totalParams` = the query string concatenated with the request body, exactly as
sent, with `signature=<hex>` taken out of whichever part carries it (docs "General Info" →
"SIGNED Endpoint security"). The signature is therefore checked against the raw bytes received,
never against re-encoded or re-sorted parameters: a client that encodes differently from what it
signed fails here as it would on Binance. Order of checks, as Binance: API key (-2014 / -2015),
then timestamp and recvWindow (-1102 / -1131 / -1021), then the signature (-1022).

Secrets stay in this module's callers' config; logs show at most the first six characters of
a key.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
from collections.abc import Mapping
from urllib.parse import parse_qsl

from tradeyard.venues.fakes.binance.errors import BinanceError
from tradeyard.venues.fakes.common.account_spec import key_hint

__all__ = [
    "api_key_of",
    "check_timestamp",
    "key_hint",
    "parse_params",
    "sign",
    "split_signature",
    "verify",
]

log = logging.getLogger(__name__)
_KEY = re.compile(r"^[A-Za-z0-9]{1,128}$")
_SIG = re.compile(r"(?:^|&)signature=([^&]*)")


def sign(secret: str, payload: str) -> str:
    """Lowercase hex HMAC-SHA256 of `payload` (what clients send as `signature`)."""
    return hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()


def api_key_of(headers: Mapping[str, str], secrets: Mapping[str, str]) -> str:
    """The known API key of the request's `X-MBX-APIKEY` header (headers are case-insensitive)."""
    key = headers.get("X-MBX-APIKEY", "")
    if not _KEY.match(key):
        raise BinanceError(-2014)
    if key not in secrets:
        log.info("refused unknown API key %s", key_hint(key))
        raise BinanceError(-2015)
    return key


def parse_params(raw_query: str, raw_body: str) -> dict[str, str]:
    """Query and form body parameters, body last (Binance reads both)."""
    params = dict(parse_qsl(raw_query, keep_blank_values=True))
    if raw_body:
        params.update(parse_qsl(raw_body, keep_blank_values=True))
    return params


def split_signature(raw_query: str, raw_body: str) -> tuple[str, str | None]:
    """(totalParams without the signature pair, the signature or None)."""
    for part in ("query", "body"):
        text = raw_query if part == "query" else raw_body
        found = _SIG.search(text)
        if found is None:
            continue
        start, end = found.span()
        rest = text[:start] + text[end:]
        if start == 0 and rest.startswith("&"):
            rest = rest[1:]
        if part == "query":
            return rest + raw_body, found.group(1)
        return raw_query + rest, found.group(1)
    return raw_query + raw_body, None


def check_timestamp(params: Mapping[str, str], now_ms: int, max_window_ms: int = 60_000) -> None:
    """Binance's rule: timestamp < server time + 1 s and server time − timestamp ≤ recvWindow."""
    raw_ts = params.get("timestamp", "")
    if not raw_ts.isdigit():
        raise BinanceError(-1102, "timestamp")
    raw_window = params.get("recvWindow", "5000")
    if not raw_window.isdigit():
        raise BinanceError(-1130, "recvWindow")
    window = int(raw_window)
    if window > max_window_ms:
        raise BinanceError(-1131)
    ts = int(raw_ts)
    if ts >= now_ms + 1000:
        raise BinanceError(
            -1021, msg="Timestamp for this request was 1000ms ahead of the server's time."
        )
    if now_ms - ts > window:
        raise BinanceError(-1021)


def verify(
    headers: Mapping[str, str],
    raw_query: str,
    raw_body: str,
    secrets: Mapping[str, str],
    now_ms: int,
    max_window_ms: int = 60_000,
) -> tuple[str, dict[str, str]]:
    """Authenticate a SIGNED (TRADE / USER_DATA) request; return (API key, its parameters)."""
    key = api_key_of(headers, secrets)
    params = parse_params(raw_query, raw_body)
    check_timestamp(params, now_ms, max_window_ms)
    payload, signature = split_signature(raw_query, raw_body)
    if not signature:
        raise BinanceError(-1102, "signature")
    expected = sign(secrets[key], payload)
    if not hmac.compare_digest(expected, signature.lower()):
        log.info("bad signature from key %s", key_hint(key))
        raise BinanceError(-1022)
    params.pop("signature", None)
    return key, params
