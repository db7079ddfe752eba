"""dlt pipelines that load Tributary's raw data: ``exchange`` (market data), ``git`` (history)
and ``github`` (pull requests, deployments, ...), each a package with its ``@dlt.source``.

:mod:`ingestion.warehouse` says where they load to and makes their pipelines.
"""
