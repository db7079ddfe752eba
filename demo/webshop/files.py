"""The demo repository's files: text files as keyed entries (a function, a section, a
requirement) rendered sorted by key, and the changes commits make to them."""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from pathlib import Path

from demo.webshop.timeline import seeded_random

Tree = dict[str, dict[str, str]]
"""Text files as keyed entries (a function, a section, a requirement), rendered sorted by key."""
Change = dict[str, dict[str, str | None]]
"""New entry values per file (``None`` deletes the entry)."""

AREAS = ("cart", "checkout", "catalog", "payments", "search", "accounts", "shipping", "orders")
MODULES = ("service", "models", "api")
FEATURES = {
    "cart": ("coupon codes", "saved carts", "quantity limits", "gift wrapping", "cart expiry"),
    "checkout": ("guest checkout", "address autocomplete", "order notes", "express checkout"),
    "catalog": ("product variants", "stock badges", "bulk price import", "category filters"),
    "payments": ("PayPal payments", "refund webhooks", "3-D Secure", "invoice payments"),
    "search": ("typo tolerance", "search suggestions", "facet counts", "synonyms"),
    "accounts": ("password reset", "two-factor login", "address book", "wishlists"),
    "shipping": ("parcel tracking", "pickup points", "delivery estimates", "shipping rates cache"),
    "orders": ("order history export", "partial refunds", "status emails", "returns portal"),
}
FIXES = {
    "cart": ("rounding of line totals", "stale prices in saved carts", "duplicate lines"),
    "checkout": ("tax on shipping costs", "postal code validation", "double submit"),
    "catalog": ("missing variant images", "stock count after import", "slow category page"),
    "payments": ("webhook signature check", "currency of refunds", "retry backoff"),
    "search": ("accented queries", "pagination of results", "empty facet labels"),
    "accounts": ("session expiry", "email change confirmation", "locale of emails"),
    "shipping": ("weight units", "holiday delivery dates", "address line length"),
    "orders": ("timezone of order dates", "export encoding", "cancelled order totals"),
}
CHORES = ("speed up tests", "tidy service layer", "typed models", "structured logging")
PACKAGES = {
    "django": ("5.1.1", "5.1.2", "5.1.3", "5.1.4", "5.1.5", "5.1.6"),
    "requests": ("2.32.2", "2.32.3"),
    "stripe": ("10.9.0", "10.12.0", "11.1.0", "11.3.0", "11.4.1"),
    "celery": ("5.4.0", "5.5.0rc1"),
    "redis": ("5.0.8", "5.1.1", "5.2.0", "5.2.1"),
    "pydantic": ("2.8.2", "2.9.2", "2.10.3", "2.10.6"),
    "gunicorn": ("23.0.0",),
    "sentry-sdk": ("2.13.0", "2.17.0", "2.19.2", "2.22.0"),
}
STATEMENTS = (
    "total = sum(line.price * line.quantity for line in {arg}.lines)",
    "if not {arg}:\n        return None",
    'log.info("{name} %s", {arg})',
    "limit = settings.{const}",
    "items = [item for item in {arg}.items if item.active]",
    'cache.set(f"{name}:{{{arg}.id}}", {arg}, timeout={number})',
    "retries = max(1, settings.{const} // {number})",
    "now = timezone.now()",
    "event = Event(kind={name!r}, subject={arg}.id)",
    "queue.publish(event)",
    "amount = Decimal({arg}.amount).quantize(CENT)",
    "if {arg}.currency != settings.CURRENCY:\n        raise CurrencyError({arg}.currency)",
)
CONSTANTS = ("MAX_ITEMS", "PAGE_SIZE", "TIMEOUT_SECONDS", "RETRY_LIMIT", "CACHE_SECONDS")
ARGUMENTS = ("order", "cart", "request", "customer", "payment", "query", "product")
VERBS = ("apply", "validate", "load", "compute", "render", "sync", "build", "check")


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def function_entry(name: str, doc: str, rng: random.Random) -> str:
    arg = rng.choice(ARGUMENTS)
    lines = [
        statement.format(
            arg=arg, name=name, const=rng.choice(CONSTANTS), number=rng.randint(2, 900)
        )
        for statement in rng.sample(STATEMENTS, rng.randint(2, 5))
    ]
    result = rng.choice(("total", "items", "limit", "event", arg, "None"))
    body = "\n".join(f"    {line}" for line in [*lines, f"return {result}"])
    return f'def {name}({arg}):\n    """{doc}."""\n{body}'


def test_entry(name: str, rng: random.Random) -> str:
    arg = rng.choice(ARGUMENTS)
    return (
        f"def test_{name}(make_{arg}):\n"
        f"    {arg} = make_{arg}()\n"
        f"    assert {name}({arg}) is not None or {arg}.is_empty"
    )


def render(path: str, entries: dict[str, str]) -> bytes:
    """A file's bytes from its entries (sorted by key)."""
    keys = sorted(entries)
    if path.endswith(".py"):
        module = path.removesuffix(".py").replace("/", ".").removeprefix("src.")
        text = f'"""{module}."""\n\n\n' + "\n\n\n".join(entries[k] for k in keys)
    elif path.endswith(".md"):
        title = Path(path).stem.replace("_", " ").title()
        text = f"# {title}\n\n" + "\n\n".join(entries[k] for k in keys)
    else:
        text = "\n".join(entries[k] for k in keys)
    return text.rstrip("\n").encode() + b"\n"


def apply_change(tree: Tree, change: Change) -> tuple[Tree, Change]:
    """The tree with ``change`` applied, and the values the changed entries had before."""
    updated = dict(tree)
    before: Change = {}
    for path, entries in change.items():
        current = tree.get(path, {})
        new_entries = dict(current)
        for key, value in entries.items():
            before.setdefault(path, {})[key] = current.get(key)
            if value is None:
                new_entries.pop(key, None)
            else:
                new_entries[key] = value
        if new_entries:
            updated[path] = new_entries
        else:
            updated.pop(path, None)
    return updated, before


def net_change(base: Tree, head: Tree) -> Change:
    """What a branch changed relative to its base, entry by entry."""
    change: Change = {}
    for path in set(base) | set(head):
        old, new = base.get(path, {}), head.get(path, {})
        if old is new:
            continue
        for key in set(old) | set(new):
            if old.get(key) != new.get(key):
                change.setdefault(path, {})[key] = new.get(key)
    return change


def file_updates(old: Tree, new: Tree, paths: Sequence[str]) -> dict[str, bytes | None]:
    """The files whose bytes differ between two trees (``None``: deleted)."""
    updates: dict[str, bytes | None] = {}
    for path in sorted(set(paths)):
        before = render(path, old[path]) if path in old else None
        after = render(path, new[path]) if path in new else None
        if before != after:
            updates[path] = after
    return updates


def initial_tree() -> Tree:
    rng = seeded_random("initial-tree")
    tree: Tree = {
        "README.md": {
            "1": "The webshop: catalog, cart, checkout and orders for tributary-demo.",
            "2": "## Development\n\n    make install\n    make test",
            "3": "## Deployment\n\nThe `Deploy` workflow ships `main` to production.",
        },
        "requirements.txt": {pkg: f"{pkg}=={versions[0]}" for pkg, versions in PACKAGES.items()},
        "config/production.yaml": {
            "cache_seconds": "cache_seconds: 300",
            "payment_timeout_seconds": "payment_timeout_seconds: 30",
            "search_backend": "search_backend: opensearch",
            "workers": "workers: 8",
        },
        ".github/workflows/ci.yml": {
            "1": "name: CI\non:\n  push:\n    branches: [main]\n  pull_request:",
            "2": "jobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n"
            "      - uses: actions/checkout@v4\n      - run: make test",
        },
        ".github/workflows/deploy.yml": {
            "1": "name: Deploy\non:\n  push:\n    branches: [main]",
            "2": "jobs:\n  deploy:\n    environment: production\n    runs-on: ubuntu-latest\n"
            "    steps:\n      - uses: actions/checkout@v4\n      - run: make deploy",
        },
        "Makefile": {
            "1": "install:\n\tpip install -r requirements.txt",
            "2": "test:\n\tpytest -q",
            "3": "deploy:\n\t./scripts/deploy.sh",
        },
    }
    for area in AREAS:
        for module in MODULES:
            name = f"{rng.choice(VERBS)}_{area}_{module}"
            tree[f"src/webshop/{area}/{module}.py"] = {
                name: function_entry(name, f"The {area} {module} entry point", rng)
            }
        tree[f"tests/{area}/test_service.py"] = {
            f"test_{area}": test_entry(next(iter(tree[f"src/webshop/{area}/service.py"])), rng)
        }
    return tree


LOGO = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
"""A binary file in the first commit."""
