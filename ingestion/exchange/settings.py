"""Checks of the exchange source's settings, made before a run, with messages saying what to set.

dlt would reject a malformed list deep inside a run with a type error; these checks name the
variable, the value and the accepted values instead (``make run`` prints them without a
traceback).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from ingestion.errors import SettingError
from ingestion.exchange.layout import INTERVAL_MILLISECONDS, MARKET_PREFIXES
from ingestion.settings import config_value, env_name

SECTION = "sources.exchange"
INTERVALS = (*INTERVAL_MILLISECONDS, "1mo")
SYMBOL = re.compile(r"^[A-Z0-9_]{2,30}$")
"""An archive symbol: ``BTCUSDT``, ``BTCUSD_PERP`` (COIN-M)."""


def _value(name: str, hint: type, example: str) -> Any:
    return config_value(f"{SECTION}.{name}", hint, example)


def _variable(name: str) -> str:
    return env_name(f"{SECTION}.{name}")


def _check_choices(name: str, values: Any, choices: tuple[str, ...], example: str) -> None:
    """Unset or an empty list (which switches the feature off) pass; unknown values fail."""
    if not values:
        return
    unknown = [value for value in values if value not in choices]
    if unknown:
        raise SettingError(
            f"{_variable(name)}: unknown value(s) {', '.join(map(repr, unknown))}; "
            f"choose from {', '.join(choices)} (e.g. {example})"
        )


def _check_day_or_moment(name: str, text: str | None, *, moment: bool) -> None:
    if text is None:
        return
    try:
        if len(text) == 10 or not moment:
            date.fromisoformat(text)
        else:
            datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        form = "YYYY-MM-DD or an ISO time (2025-03-03T12:00:00Z)" if moment else "YYYY-MM-DD"
        raise SettingError(f"{_variable(name)}={text!r} is not a date: set it as {form}") from None


def _check_url(name: str, url: str | None, *, folder_allowed: bool) -> None:
    if not url:
        return
    scheme = urlparse(url).scheme
    if scheme in ("http", "https"):
        return
    if folder_allowed:
        folder = Path(urlparse(url).path if scheme == "file" else url).expanduser()
        if folder.is_dir():
            return
        raise SettingError(
            f"{_variable(name)}={url!r} is neither an http(s) URL nor an existing folder: set it "
            "to https://data.binance.vision, an HTTP mirror or a mirror folder (`python -m "
            "demo.exchange.mirror <folder>` writes one), or unset it for the local exchange"
        )
    raise SettingError(
        f"{_variable(name)}={url!r} is not an http(s) URL: set it to the REST host "
        "(e.g. https://data-api.binance.vision), or to an empty string to switch that tail off"
    )


def _check_ccxt(exchanges: Any) -> None:
    if exchanges is None:
        return
    example = '\'{"kraken": {"symbols": ["BTC/USD"], "intervals": ["1m"]}}\''
    for exchange_id, settings in exchanges.items():
        if not isinstance(settings, Mapping) or not isinstance(settings.get("symbols", []), list):
            raise SettingError(
                f"{_variable('ccxt_exchanges')}: the settings of {exchange_id!r} must be an "
                f"object with a list of symbols, e.g. {example}"
            )
        _check_choices("ccxt_exchanges", settings.get("intervals"), INTERVALS, '["1m"]')
        _check_day_or_moment("ccxt_exchanges", settings.get("start_date"), moment=False)


def check_exchange_settings() -> None:
    """Raise :class:`SettingError` for the first exchange setting that cannot work."""
    markets = _value("markets", list, '\'["spot","um"]\'')
    _check_choices("markets", markets, tuple(MARKET_PREFIXES), '\'["spot","um"]\'')
    _check_choices(
        "intervals", _value("intervals", list, '\'["1m","1d"]\''), INTERVALS, '\'["1m","1d"]\''
    )
    symbols = _value("symbols", list, '\'["BTCUSDT","ETHUSDT"]\'')
    if symbols is not None:
        odd = [symbol for symbol in symbols if not SYMBOL.match(str(symbol))]
        if odd:
            raise SettingError(
                f"{_variable('symbols')}: {', '.join(map(repr, odd))}; set exchange "
                'symbols in upper case without separators, e.g. \'["BTCUSDT","ETHUSDT"]\''
            )
    start = _value("start_date", str, "2024-12-01")
    end = _value("end_date", str, "2025-03-03")
    _check_day_or_moment("start_date", start, moment=False)
    _check_day_or_moment("end_date", end, moment=True)
    if start and end and date.fromisoformat(start) > date.fromisoformat(end[:10]):
        raise SettingError(
            f"{_variable('start_date')}={start!r} is after {_variable('end_date')}={end!r}: "
            "nothing would be loaded; set the start on or before the end"
        )
    _value("funding_rates", bool, "true")
    fraction = _value("max_rejected_fraction", float, "0.001")
    if fraction is not None and not 0 <= fraction <= 1:
        raise SettingError(
            f"{_variable('max_rejected_fraction')}={fraction}: set it to a share of a file's "
            "lines between 0 (no rejected line allowed) and 1 (any), e.g. 0.001"
        )
    connections = _value("max_connections", int, "4")
    if connections is not None and connections < 1:
        raise SettingError(f"{_variable('max_connections')}={connections}: set it to 1 or more")
    _check_url("archive_base_url", _value("archive_base_url", str, "https://data.binance.vision"),
               folder_allowed=True)  # fmt: skip
    for name in ("spot_api_url", "usdm_api_url"):
        _check_url(name, _value(name, str, "https://data-api.binance.vision"), folder_allowed=False)
    _check_ccxt(_value("ccxt_exchanges", dict, '\'{"kraken": {"symbols": ["BTC/USD"]}}\''))
