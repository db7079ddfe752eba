"""Default configuration of the exchange source: Binance's hosts and what a run loads by default."""

BINANCE_ARCHIVE = "https://data.binance.vision"
SPOT_API_URL = "https://data-api.binance.vision"
"""Binance's market-data-only REST host (``/api/v3/klines``)."""
USDM_API_URL = "https://fapi.binance.com"
"""Binance USD-M futures REST host (``/fapi/v1/klines``)."""

DEFAULT_MARKETS = ("spot", "um")
DEFAULT_SYMBOLS = ("BTCUSDT", "ETHUSDT", "SOLUSDT")
DEFAULT_INTERVALS = ("1m", "1d")
DEFAULT_START_DATE = "2024-12-01"
