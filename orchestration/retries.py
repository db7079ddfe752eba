"""Retries of source loads that failed for a passing reason, with exponential backoff.

Each source already retries single HTTP requests (5xx, 429, dropped connections) a few times.
When a source is down for longer than that, the whole step is retried later by Dagster: the
first retry after ``first_retry_wait_seconds``, each next one after twice as long. Errors that a
retry cannot fix (bad configuration, a checksum mismatch, a malformed file) fail at once.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import requests
from dagster import AssetExecutionContext, Config, RetryRequested
from pydantic import Field

from orchestration.guidance import causes

TRANSIENT_HTTP = re.compile(r"\bHTTP (?:408|429|5\d\d)\b")
"""How our sources' errors name an HTTP status worth retrying (``... HTTP 503: ...``)."""
TRANSIENT_TYPES: tuple[type[BaseException], ...] = (
    ConnectionError,
    TimeoutError,
    requests.ConnectionError,
    requests.Timeout,
)


class SourceRunConfig(Config):
    """Run settings of a source load, editable in the Dagster launchpad."""

    max_retries: int = Field(
        default=3, ge=0, description="Retries of a step that failed for a passing reason."
    )
    first_retry_wait_seconds: float = Field(
        default=60.0, ge=0, description="Wait before the first retry; doubled for each next one."
    )


def is_transient(error: BaseException) -> bool:
    """True when ``error`` (or what caused it) is a dropped connection, a timeout, a rate limit
    or a server error: something that may pass if tried again later."""
    return any(
        isinstance(cause, TRANSIENT_TYPES) or TRANSIENT_HTTP.search(str(cause))
        for cause in causes(error)
    )


@contextmanager
def retry_transient_failures(
    context: AssetExecutionContext, config: SourceRunConfig
) -> Iterator[None]:
    """Turn a transient failure inside the block into a Dagster retry with exponential backoff."""
    try:
        yield
    except Exception as error:
        if not is_transient(error) or context.retry_number >= config.max_retries:
            raise
        wait = config.first_retry_wait_seconds * 2**context.retry_number
        context.log.warning(
            f"Transient source failure, retry {context.retry_number + 1} of "
            f"{config.max_retries} in {wait:.0f} s: {error}"
        )
        raise RetryRequested(max_retries=config.max_retries, seconds_to_wait=wait) from error
