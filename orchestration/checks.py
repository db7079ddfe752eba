"""Freshness checks on the raw tables: each fails when its table was not loaded for longer than
its schedule allows (plus slack). A sensor evaluates them while ``make ui`` runs."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from datetime import timedelta

from dagster import (
    AssetChecksDefinition,
    AssetKey,
    AssetsDefinition,
    DefaultSensorStatus,
    SensorDefinition,
    SupersessionWarning,
    build_last_update_freshness_checks,
    build_sensor_for_freshness_checks,
)

HOURLY_TABLES = {AssetKey(["raw_exchange", "klines"])}
"""Tables the hourly tail job loads; every other raw table is loaded daily."""
HOURLY_LIMIT = timedelta(hours=2)
DAILY_LIMIT = timedelta(hours=26)


def raw_freshness_checks(loads: Sequence[AssetsDefinition]) -> list[AssetChecksDefinition]:
    """A last-update freshness check per raw table.

    Dagster calls these checks superseded by ``FreshnessPolicy``; we keep them because they are
    real asset checks: listed, with their history, beside the dbt tests, and runnable on demand.
    """
    keys = [key for assets_def in loads for key in assets_def.keys]
    hourly = [key for key in keys if key in HOURLY_TABLES]
    daily = [key for key in keys if key not in HOURLY_TABLES]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=SupersessionWarning)
        return [
            *build_last_update_freshness_checks(assets=hourly, lower_bound_delta=HOURLY_LIMIT),
            *build_last_update_freshness_checks(assets=daily, lower_bound_delta=DAILY_LIMIT),
        ]


def freshness_sensor(checks: Sequence[AssetChecksDefinition]) -> SensorDefinition:
    """Evaluates the freshness checks every ten minutes while the Dagster daemon runs."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=SupersessionWarning)
        return build_sensor_for_freshness_checks(
            freshness_checks=checks,
            name="raw_freshness_sensor",
            minimum_interval_seconds=600,
            default_status=DefaultSensorStatus.RUNNING,
        )
