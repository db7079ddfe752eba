"""dlt settings by key, read from the environment or ``.dlt/config.toml``, with readable errors.

A value that does not parse raises :class:`~ingestion.errors.SettingError` naming the
environment variable, the value and the expected form, instead of dlt's type error deep inside a
run.
"""

from __future__ import annotations

import os
from typing import Any

import dlt
import dlt.common.configuration.exceptions

from ingestion.errors import SettingError


def env_name(key: str) -> str:
    """The environment variable of a dlt setting: ``sources.git.repositories`` ->
    ``SOURCES__GIT__REPOSITORIES``."""
    return key.replace(".", "__").upper()


def config_value(key: str, hint: type, example: str | None = None) -> Any:
    """A dlt setting (environment, ``.dlt/config.toml``) as ``hint``, or None when unset.

    A value that does not parse raises :class:`SettingError` naming the variable, the value and
    the expected form (lists and mappings are JSON).
    """
    try:
        return dlt.config.get(key, hint)
    except dlt.common.configuration.exceptions.ConfigValueCannotBeCoercedException:
        variable = env_name(key)
        value = os.environ.get(variable)
        shown = f"{variable}={value!r}" if value is not None else f"{key} (in .dlt/config.toml)"
        expected = {
            list: 'a JSON list, e.g. \'["a","b"]\'',
            dict: "a JSON object, e.g. '{\"name\": {...}}'",
            bool: "true or false",
            int: "a whole number",
            float: "a number",
        }.get(hint, f"a {hint.__name__}")
        if example is not None:
            expected = f"{expected.split(', e.g.')[0]}, e.g. {example}"
        raise SettingError(f"{shown} cannot be read: set it to {expected}") from None
