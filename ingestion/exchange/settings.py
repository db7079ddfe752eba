"""The exchange source's settings, resolved once, and the checks made on them before a run.

:func:`exchange_settings` reads ``sources.exchange.*`` (environment, ``.dlt/config.toml``) into
one :class:`ExchangeSettings`; a value that does not parse fails there with a message saying what
to set. :func:`check_exchange_settings` then names the variable, the value and the accepted
values of the first setting that cannot work, instead of dlt's type error deep inside a run
(``make run`` prints them without a traceback).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from dlt.common.configuration import configspec
from dlt.common.configuration.specs import BaseConfiguration

from ingestion.errors import SettingError
from ingestion.exchange.layout import INTERVAL_MILLISECONDS, MARKET_PREFIXES
from ingestion.settings import env_name, resolve_settings

SECTION = "sources.exchange"
INTERVALS = (*INTERVAL_MILLISECONDS, "1mo")
SYMBOL = re.compile(r"^[A-Z0-9_]{2,30}$")
"""An archive symbol: ``BTCUSDT``, ``BTCUSD_PERP`` (COIN-M)."""


@configspec
class ExchangeSettings(BaseConfiguration):
    """Every setting of ``exchange_source`` (see its arguments), None where unset: the source's
    default applies, or the demo's stand-in (an explicitly empty list switches a feed off)."""

    markets: list[str] | None = None
    intervals: list[str] | None = None
    symbols: list[str] | None = None
    start_date: str | None = None
    end_date: str | None = None
    funding_rates: bool | None = None
    max_rejected_fraction: float | None = None
    max_connections: int | None = None
    archive_base_url: str | None = None
    spot_api_url: str | None = None
    usdm_api_url: str | None = None
    ccxt_exchanges: dict[str, Any] | None = None


EXAMPLES = {
    "markets": '\'["spot","um"]\'',
    "intervals": '\'["1m","1d"]\'',
    "symbols": '\'["BTCUSDT","ETHUSDT"]\'',
    "start_date": "2024-12-01",
    "end_date": "2025-03-03",
    "funding_rates": "true",
    "max_rejected_fraction": "0.001",
    "max_connections": "4",
    "archive_base_url": "https://data.binance.vision",
    "spot_api_url": "https://data-api.binance.vision",
    "usdm_api_url": "https://data-api.binance.vision",
    "ccxt_exchanges": '\'{"kraken": {"symbols": ["BTC/USD"]}}\'',
}
"""An example value of each setting, shown when a value cannot be read."""


def exchange_settings() -> ExchangeSettings:
    """The exchange source's settings (``sources.exchange.*``), resolved once."""
    return resolve_settings(ExchangeSettings(), "exchange", EXAMPLES)


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


def _check_ccxt(exchanges: Mapping[str, Any] | None) -> None:
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


def check_exchange_settings(settings: ExchangeSettings | None = None) -> None:
    """Raise :class:`SettingError` for the first exchange setting that cannot work (``settings``
    resolved here when not given)."""
    if settings is None:
        settings = exchange_settings()
    _check_choices("markets", settings.markets, tuple(MARKET_PREFIXES), EXAMPLES["markets"])
    _check_choices("intervals", settings.intervals, INTERVALS, EXAMPLES["intervals"])
    if settings.symbols is not None:
        odd = [symbol for symbol in settings.symbols if not SYMBOL.match(str(symbol))]
        if odd:
            raise SettingError(
                f"{_variable('symbols')}: {', '.join(map(repr, odd))}; set exchange "
                f"symbols in upper case without separators, e.g. {EXAMPLES['symbols']}"
            )
    start, end = settings.start_date, settings.end_date
    _check_day_or_moment("start_date", start, moment=False)
    _check_day_or_moment("end_date", end, moment=True)
    if start and end and date.fromisoformat(start) > date.fromisoformat(end[:10]):
        raise SettingError(
            f"{_variable('start_date')}={start!r} is after {_variable('end_date')}={end!r}: "
            "nothing would be loaded; set the start on or before the end"
        )
    fraction = settings.max_rejected_fraction
    if fraction is not None and not 0 <= fraction <= 1:
        raise SettingError(
            f"{_variable('max_rejected_fraction')}={fraction}: set it to a share of a file's "
            "lines between 0 (no rejected line allowed) and 1 (any), e.g. 0.001"
        )
    connections = settings.max_connections
    if connections is not None and connections < 1:
        raise SettingError(f"{_variable('max_connections')}={connections}: set it to 1 or more")
    _check_url("archive_base_url", settings.archive_base_url, folder_allowed=True)
    _check_url("spot_api_url", settings.spot_api_url, folder_allowed=False)
    _check_url("usdm_api_url", settings.usdm_api_url, folder_allowed=False)
    _check_ccxt(settings.ccxt_exchanges)
