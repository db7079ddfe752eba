"""Default configuration of the exchange source, shared with the local mirror generator."""

BINANCE_ARCHIVE = "https://data.binance.vision"
DEFAULT_MARKETS = ("spot",)
DEFAULT_SYMBOLS = ("BTCUSDT", "ETHUSDT", "SOLUSDT")
DEFAULT_INTERVALS = ("1m",)
DEFAULT_START_MONTH = "2024-11"
DEFAULT_END_MONTH = "2025-02"
