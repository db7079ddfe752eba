"""The offline demo: local stand-ins of the remote APIs and the generated data they serve.

A production run uses none of this: :mod:`ingestion` never imports it, and :mod:`orchestration`
imports it only when a source is left pointed at the demo (no endpoint configured). dlt's verified
sources keep their fakes beside the tests in the same way, never in the source package.

- :mod:`demo.http_server`: the threaded local HTTP server both stand-ins build on (request log,
  switchable faults, the ``/_control`` endpoints);
- :mod:`demo.exchange`: a generated mirror of the Binance archive and a local Binance serving it
  together with the REST klines API;
- :mod:`demo.github`: a local GitHub REST API serving a world of repositories from JSON;
- :mod:`demo.webshop`: the demo repository ``webshop`` and the GitHub world that goes with it;
- :mod:`demo.history`: git histories written with one ``git fast-import`` stream, for the demo
  repository and for the benchmarks' large history (:mod:`demo.synthetic_history`);
- :mod:`demo.stand_ins`: starts the stand-ins for the length of one load.
"""

DEMO_NOW = "2025-03-03T12:00:00+00:00"
"""The demo's "now": the local exchange's clock (the archive as it stands then, REST up to it) and
the end of the demo repository's history."""
