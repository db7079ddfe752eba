"""Tributary's Dagster definitions: dlt loads and dbt models as one asset graph.

Loaded by ``dagster dev -m orchestration.definitions`` (``make ui``).
"""

from orchestration.build import build_definitions

defs = build_definitions()
