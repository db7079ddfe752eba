"""The progress line of a long load: each table's rows and rows per second, once per period.

``TRIBUTARY_PROGRESS_SECONDS`` sets the period (default 15 s; 0 switches the lines off). The
line is a dlt collector, so every pipeline made by :func:`ingestion.warehouse.dlt_pipeline`
shows it, under ``make run`` and in the Dagster UI's stdout log alike.
"""

from __future__ import annotations

import os
import sys

from dlt.common.runtime.collector import LogCollector

from ingestion.errors import SettingError

PROGRESS_SECONDS = "TRIBUTARY_PROGRESS_SECONDS"
"""How often a long load prints a progress line (seconds, default 15; 0 switches it off)."""


class ProgressLine(LogCollector):
    """dlt progress as one line per period: each table's rows and rows per second.

    A step that ends within its first period prints nothing (Dagster logs the step anyway), so a
    short run stays quiet and a long load shows that it moves. Lines go to standard output: the
    console under ``make run``, the run's stdout log in the Dagster UI.

    It overrides hooks of dlt's :class:`LogCollector` (``_start``, ``_stop``, ``_clock``) that
    dlt does not document: a dlt upgrade may need this class looked at again.
    """

    def __init__(self, pipeline_name: str, log_period: float) -> None:
        super().__init__(log_period=log_period, logger="stdout", dump_system_stats=False)
        self.pipeline_name = pipeline_name
        self.logged = False

    def _start(self, step: str) -> None:
        super()._start(step)
        self.last_log_time = self._clock()  # the first line after one period, not at once
        self.logged = False

    def _stop(self) -> None:
        if self.logged:
            self.on_log()
        self.counters = self.counter_info = self.messages = None  # type: ignore[assignment]
        self.last_log_time = None  # type: ignore[assignment]

    def dump_counters(self) -> None:
        if not self.counters:
            return
        now = self._clock()
        stage = str(self.step or "").split(" ")[0].lower()
        started = min(info.start_time for info in self.counter_info.values())
        parts = []
        for key, count in self.counters.items():
            info = self.counter_info[key]
            if key.startswith("_dlt") or key == "Resources":
                continue
            if key in ("Files", "Jobs"):  # normalize and load count files and load jobs
                parts.append(f"{key.lower()} {count:,}/{info.total or count:,}")
                continue
            elapsed = now - info.start_time
            rate = f" ({count / elapsed:,.0f}/s)" if count >= 1000 and elapsed > 0 else ""
            parts.append(f"{info.description} {count:,} rows{rate}")
        sys.stdout.write(
            f"progress: {self.pipeline_name} {stage} {now - started:.0f} s: {', '.join(parts)}\n"
        )
        sys.stdout.flush()
        self.logged = True


def progress_collector(pipeline_name: str) -> LogCollector | None:
    """The progress display of a load (``TRIBUTARY_PROGRESS_SECONDS``), or None when off."""
    text = os.environ.get(PROGRESS_SECONDS, "15").strip() or "15"
    try:
        seconds = float(text)
    except ValueError:
        raise SettingError(
            f"{PROGRESS_SECONDS}={text!r} is not a number of seconds; set it to e.g. 15, "
            "or 0 to switch progress lines off"
        ) from None
    return ProgressLine(pipeline_name, seconds) if seconds > 0 else None
