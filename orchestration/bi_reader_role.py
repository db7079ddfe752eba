"""The role BI tools read a Postgres warehouse as: its password, and what it can read.

On Postgres the marts are not copied: BI tools read the live marts as a role of their own
(``bi_reader`` by default), which dbt creates and grants ``select`` on each mart
(``dbt_project/macros/bi_reader.sql``). :func:`ensure_bi_reader_access` sets its password from
``BI_READER_PASSWORD`` (kept out of dbt's logs) and reports what it can read, so that the BI
step can fail when it cannot read a mart or can see another schema.
"""

from __future__ import annotations

import os
from contextlib import closing
from dataclasses import dataclass
from urllib.parse import quote

import psycopg2
from psycopg2 import sql

from ingestion.warehouse import PostgresSettings
from orchestration.bi_copy import BI_SCHEMAS

DEFAULT_BI_READER_ROLE = "bi_reader"
PRIVATE_SCHEMAS = (
    "raw_exchange",
    "raw_git",
    "raw_github",
    "commit_graph",
    "staging",
    "intermediate",
    "reference",
)
"""Schemas the BI role must not see."""


def bi_reader_role() -> str:
    """The Postgres role of BI tools (``BI_READER_ROLE``; empty turns the BI grants off)."""
    return os.environ.get("BI_READER_ROLE", DEFAULT_BI_READER_ROLE)


@dataclass(frozen=True)
class BiReaderAccess:
    """What the BI role of a Postgres warehouse can read."""

    role: str
    url: str
    readable_marts: list[str]
    unreadable_marts: list[str]
    visible_private_schemas: list[str]


def bi_reader_url(settings: PostgresSettings, role: str) -> str:
    """The libpq URL a BI tool connects with (the password goes into the tool's own settings)."""
    url = PostgresSettings(settings.host, settings.port, role, "", settings.database).url()
    return url.replace(f"{quote(role)}:@", f"{quote(role)}@", 1)


def ensure_bi_reader_access(role: str | None = None) -> BiReaderAccess:
    """Set the BI role's password from ``BI_READER_PASSWORD`` (when given) and report what the
    role can read. dbt creates the role and grants it the marts (``macros/bi_reader.sql``)."""
    role = role if role is not None else bi_reader_role()
    settings = PostgresSettings.from_env()
    password = os.environ.get("BI_READER_PASSWORD")
    with closing(psycopg2.connect(**settings.connect_args())) as connection:
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute("select 1 from pg_roles where rolname = %s", [role])
            if not cursor.fetchone():
                raise RuntimeError(
                    f"Postgres role {role!r} does not exist: dbt's on-run-start hook creates it; "
                    "run `dbt build` (or set BI_READER_ROLE to an existing role)"
                )
            if password:
                cursor.execute(
                    sql.SQL("alter role {} with login password {}").format(
                        sql.Identifier(role), sql.Literal(password)
                    )
                )
            cursor.execute(
                "select table_schema || '.' || table_name, has_table_privilege(%s, "
                "quote_ident(table_schema) || '.' || quote_ident(table_name), 'select') "
                "and has_schema_privilege(%s, table_schema, 'usage') "
                "from information_schema.tables where table_schema = any(%s) order by 1",
                [role, role, list(BI_SCHEMAS)],
            )
            marts = cursor.fetchall()
            cursor.execute(
                "select nspname from pg_namespace "
                "where nspname = any(%s) and has_schema_privilege(%s, nspname, 'usage') order by 1",
                [list(PRIVATE_SCHEMAS), role],
            )
            private = cursor.fetchall()
    return BiReaderAccess(
        role=role,
        url=bi_reader_url(settings, role),
        readable_marts=[table for table, readable in marts if readable],
        unreadable_marts=[table for table, readable in marts if not readable],
        visible_private_schemas=[schema for (schema,) in private],
    )
