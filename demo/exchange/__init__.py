"""A local Binance for the offline demo and the tests: a generated archive mirror
(:mod:`demo.exchange.mirror`) and a server answering as the archive and the REST API do
(:mod:`demo.exchange.server`, run on its own with ``python -m demo.exchange``)."""
