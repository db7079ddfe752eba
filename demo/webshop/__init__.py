"""A deterministic demo engineering world: the git repository ``webshop`` and its GitHub data.

Six developers in five time zones (one commits under two emails that a committed ``.mailmap``
reconciles, one under a GitHub noreply address) build a small web shop from 2024-09-02 to the
demo's "now", 2025-03-03T12:00Z. Work reaches ``main`` through pull requests merged the three
ways GitHub offers (merge commit, squash, rebase), through direct pushes and through dependabot;
a few pull requests are closed unmerged or still open. Production deployments go out two to
four times a week (none in the Christmas freeze), some fail and are retried, release tags and
GitHub releases follow every one or two weeks, and six incidents follow specific deployments:
three are fixed by reverting a shipped commit, two by a fix pushed straight to ``main`` (one
tagged ``-hotfix``), one is still open.

How it is made, module by module: who works when (:mod:`~demo.webshop.people`,
:mod:`~demo.webshop.timeline`); the plan of everything that happens
(:mod:`~demo.webshop.plan`, from :mod:`~demo.webshop.plan_work` and
:mod:`~demo.webshop.plan_deployments`, objects in :mod:`~demo.webshop.model`); the simulation
that plays it in time order and makes every commit (:mod:`~demo.webshop.simulation`, file
contents from :mod:`~demo.webshop.files`); the repository, written by one ``git fast-import``
stream with fixed identities, dates and time zones, so every run gives the same commit SHAs
(:mod:`~demo.webshop.repository`); and the GitHub world that names those SHAs, so git and GitHub
data join up (:mod:`~demo.webshop.github_items`, :mod:`~demo.webshop.github_delivery`; served by
:mod:`demo.github`). :func:`demo.webshop.world.write_demo_world` writes both::

    python -m demo.webshop --root data/demo
"""

GENERATOR_VERSION = 1
"""Bump when the generated world changes: existing worlds of another version are rebuilt."""


OWNER = "tributary-demo"
REPOSITORY = "webshop"
FULL_NAME = f"{OWNER}/{REPOSITORY}"
REMOTE_URL = f"https://github.com/{FULL_NAME}.git"
API_URL = f"https://api.github.com/repos/{FULL_NAME}"
HTML_URL = f"https://github.com/{FULL_NAME}"
VERSION_CONFIG_KEY = "tributary.demoworldversion"
