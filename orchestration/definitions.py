"""Tributary's Dagster definitions: dlt loads and dbt models as one asset graph.

Loaded by ``dagster dev -m orchestration.definitions`` (``make ui``).
"""

from orchestration.assembly import assemble_definitions

defs = assemble_definitions()
