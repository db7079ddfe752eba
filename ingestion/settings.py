"""A source's settings resolved once through dlt's configuration, with readable errors.

Each source has one typed settings object (a dlt ``@configspec``: ``ExchangeSettings``,
``GitSettings``, ``GitHubSettings``) resolved by :func:`resolve_settings` from the environment,
``.dlt/config.toml`` and ``secrets.toml`` under ``sources.<source>``. A field is None when its
setting is unset, so that an explicitly empty list (which switches a feature off) differs from
an unset one (which falls back to a default). A value that does not parse raises
:class:`~ingestion.errors.SettingError` naming the environment variable, the value and the
expected form, instead of dlt's type error deep inside a run.
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from dlt.common.configuration import resolve_configuration
from dlt.common.configuration.exceptions import ConfigValueCannotBeCoercedException
from dlt.common.configuration.specs import BaseConfiguration

from ingestion.errors import SettingError

TSettings = TypeVar("TSettings", bound=BaseConfiguration)

EXPECTED_FORMS = {
    list: 'a JSON list, e.g. \'["a","b"]\'',
    dict: "a JSON object, e.g. '{\"name\": {...}}'",
    bool: "true or false",
    int: "a whole number",
    float: "a number",
}
"""What a value of each type looks like in an environment variable."""


def env_name(key: str) -> str:
    """The environment variable of a dlt setting: ``sources.git.repositories`` ->
    ``SOURCES__GIT__REPOSITORIES``."""
    return key.replace(".", "__").upper()


def unreadable_message(key: str, hint: type, example: str | None = None) -> str:
    """Why the setting ``key`` cannot be read as ``hint``: its variable and value (or its
    place in ``.dlt/config.toml``) and the expected form, with ``example`` when given."""
    variable = env_name(key)
    value = os.environ.get(variable)
    shown = f"{variable}={value!r}" if value is not None else f"{key} (in .dlt/config.toml)"
    expected = EXPECTED_FORMS.get(hint, f"a {getattr(hint, '__name__', hint)}")
    if example is not None:
        expected = f"{expected.split(', e.g.')[0]}, e.g. {example}"
    return f"{shown} cannot be read: set it to {expected}"


def resolve_settings(
    settings: TSettings, source: str, examples: Mapping[str, str] | None = None
) -> TSettings:
    """``settings`` resolved from dlt's configuration under ``sources.<source>``.

    A value that does not parse raises :class:`SettingError` (see :func:`unreadable_message`;
    ``examples`` holds an example value per field).
    """
    try:
        return resolve_configuration(settings, sections=("sources", source))
    except ConfigValueCannotBeCoercedException as error:
        example = (examples or {}).get(error.field_name)
        key = f"sources.{source}.{error.field_name}"
        raise SettingError(unreadable_message(key, error.hint, example)) from None


def source_arguments(source: Callable[..., Any], settings: BaseConfiguration) -> dict[str, Any]:
    """Every argument of the dlt source function ``source`` that ``settings`` holds: the
    setting, or the source's default where it is unset (None). Passed explicitly, dlt resolves
    none of them a second time."""
    parameters = inspect.signature(source).parameters
    arguments = {}
    for name in settings.get_resolvable_fields():
        value = getattr(settings, name)
        arguments[name] = parameters[name].default if value is None else value
    return arguments
