"""The simulation: plays the plan in time order and makes every commit of the demo repository,
with its parents, files and dates (merges, squashes, rebases, reverts and fixes included)."""

from __future__ import annotations

import heapq
import random
from collections.abc import Callable
from datetime import datetime, timedelta

from demo.webshop import OWNER
from demo.webshop.files import (
    MODULES,
    VERBS,
    Change,
    Tree,
    apply_change,
    file_updates,
    function_entry,
    initial_tree,
    net_change,
    slug,
    test_entry,
)
from demo.webshop.model import (
    Commit,
    Deployment,
    Incident,
    Plan,
    PlannedCommit,
    PullRequest,
    Release,
)
from demo.webshop.people import MAILMAP, UTC_ZONE, WEB_FLOW, Person
from demo.webshop.timeline import iso, seed_of


class History:
    """Plays the plan in time order and creates every commit with its parents and files."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.commits: list[Commit] = []
        self.main_tip: Commit | None = None
        self.main_tree: Tree = {}
        self.mainline: list[tuple[Commit, list[Commit]]] = []
        """First-parent chain of ``main``: each commit and the commits it brought in."""
        self.shipped_upto = 0
        self.tags: list[Release] = []
        self.trees: dict[int, Tree] = {}
        """The tree after each commit, by mark (reverts restore entries from it)."""

    # -- commit creation --

    def _new_commit(
        self,
        planned_author: Person,
        identity: tuple[str, str],
        authored_at: datetime,
        committer: tuple[str, str],
        committed_at: datetime,
        message: str,
        parents: list[Commit],
        old_tree: Tree,
        new_tree: Tree,
        change: Change,
        *,
        author_offset: int | None = None,
        committer_offset: int | None = None,
        reverts: Commit | None = None,
    ) -> Commit:
        paths = [path for path in change if old_tree.get(path) != new_tree.get(path)]
        committer_zone = planned_author.zone if committer != WEB_FLOW else UTC_ZONE
        commit = Commit(
            mark=len(self.commits) + 1,
            author=identity,
            authored_at=authored_at,
            author_offset=(
                planned_author.zone.offset(authored_at) if author_offset is None else author_offset
            ),
            committer=committer,
            committed_at=committed_at,
            committer_offset=(
                committer_zone.offset(committed_at)
                if committer_offset is None
                else committer_offset
            ),
            message=message,
            parents=parents,
            files=file_updates(old_tree, new_tree, paths),
            change=change,
            author_person=planned_author,
            reverts=reverts,
            is_bot=planned_author.is_bot,
        )
        self.commits.append(commit)
        self.trees[commit.mark] = new_tree
        return commit

    def _from_plan(
        self, planned: PlannedCommit, parents: list[Commit], old: Tree, change: Change
    ) -> tuple[Commit, Tree]:
        new, _ = apply_change(old, change)
        message = planned.subject + (f"\n\n{planned.body}" if planned.body else "")
        commit = self._new_commit(
            planned.author,
            planned.identity,
            planned.authored_at,
            planned.committer or planned.identity,
            planned.committed_at,
            message,
            parents,
            old,
            new,
            change,
        )
        planned.commit = commit
        return commit, new

    def _push_main(self, commit: Commit, tree: Tree, brought: list[Commit]) -> None:
        self.main_tip, self.main_tree = commit, tree
        self.mainline.append((commit, brought))

    # -- changes --

    def make_change(self, planned: PlannedCommit, tree: Tree, pull: PullRequest | None) -> Change:
        rng = random.Random(seed_of(planned.subject, iso(planned.authored_at), planned.recipe))
        recipe, area = planned.recipe, planned.area
        source = f"src/webshop/{area}/{rng.choice(MODULES)}.py"
        if recipe == "initial":
            change: Change = {path: dict(entries) for path, entries in initial_tree().items()}
            return change
        if recipe == "mailmap":
            return {".mailmap": {"bogdan": MAILMAP}}
        if recipe.startswith("deps:"):
            requirement = recipe.removeprefix("deps:")
            return {"requirements.txt": {requirement.split("==")[0]: requirement}}
        if recipe == "readme":
            return {"README.md": {f"4-{rng.randint(0, 9)}": f"## Notes\n\n{planned.subject}."}}
        if recipe == "chore":
            target = rng.choice(("Makefile", ".github/workflows/ci.yml"))
            key = rng.choice(sorted(tree.get(target, {"1": ""})))
            current = tree.get(target, {}).get(key, "")
            return {target: {key: current.rstrip() + f"\n# {planned.subject}"}}
        if recipe == "config":
            workers = rng.choice((6, 8, 10, 12, 16))
            return {"config/production.yaml": {"workers": f"workers: {workers}"}}
        if recipe == "config-break":
            return {
                "config/production.yaml": {"payment_timeout_seconds": "payment_timeout_seconds: 5"}
            }
        if recipe == "config-fix":
            return {
                "config/production.yaml": {
                    "payment_timeout_seconds": "payment_timeout_seconds: 30",
                    "payment_retries": "payment_retries: 2",
                }
            }
        if recipe in ("fix", "tweak") and pull is not None and pull.added and recipe == "tweak":
            path, key = rng.choice(pull.added)
            if key in tree.get(path, {}):
                return {path: {key: function_entry(key, f"{planned.subject.capitalize()}", rng)}}
        if recipe in ("fix", "tweak", "hotfix"):
            existing = sorted(tree.get(source, {}))
            if existing:
                key = rng.choice(existing)
                return {source: {key: function_entry(key, planned.subject.capitalize(), rng)}}
        if recipe == "test":
            targets = pull.added if pull is not None and pull.added else []
            key = rng.choice(targets)[1] if targets else f"{area}_{rng.randint(1, 99)}"
            path = f"tests/{area}/test_service.py"
            return {path: {f"test_{key}": test_entry(key, rng)}}
        if recipe == "docs":
            topic = slug(planned.subject.split(" ", 1)[-1])
            return {f"docs/{area}.md": {topic: f"## {planned.subject}\n\nSee `{source}`."}}
        # add: new functions (and sometimes their tests)
        change = {}
        words = slug(pull.title if pull is not None else planned.subject).split("-")[1:4]
        for _ in range(rng.randint(1, 2)):
            name = f"{rng.choice(VERBS)}_{'_'.join(words)}".replace("3_d", "three_d")
            while name in tree.get(source, {}) or name in change.get(source, {}):
                name += f"_{rng.randint(2, 9)}"
            change.setdefault(source, {})[name] = function_entry(
                name, pull.title if pull else name, rng
            )
            if pull is not None:
                pull.added.append((source, name))
            if rng.random() < 0.4:
                test_path = f"tests/{area}/test_service.py"
                change.setdefault(test_path, {})[f"test_{name}"] = test_entry(name, rng)
        return change

    # -- operations --

    def direct_push(self, planned: PlannedCommit) -> Commit:
        assert self.main_tip is not None or planned.recipe == "initial"
        change = self.make_change(planned, self.main_tree, None)
        parents = [self.main_tip] if self.main_tip is not None else []
        commit, tree = self._from_plan(planned, parents, self.main_tree, change)
        self._push_main(commit, tree, [commit])
        return commit

    def branch_commit(self, pull: PullRequest, planned: PlannedCommit) -> None:
        if pull.tree is None:
            assert self.main_tip is not None
            pull.base_commit, pull.base_tree = self.main_tip, self.main_tree
            pull.tip, pull.tree = self.main_tip, self.main_tree
        assert pull.tree is not None and pull.tip is not None
        change = self.make_change(planned, pull.tree, pull)
        pull.tip, pull.tree = self._from_plan(planned, [pull.tip], pull.tree, change)

    def merge(self, pull: PullRequest) -> None:
        assert pull.ended_at is not None and pull.merger is not None and self.main_tip is not None
        assert pull.tree is not None and pull.base_tree is not None
        branch_commits = [c.commit for c in pull.commits if c.commit is not None]
        at, merger = pull.ended_at, pull.merger
        merger_identity = merger.identity
        if pull.outcome == "rebase":
            for planned, original in zip(pull.commits, branch_commits, strict=True):
                new_tree, _ = apply_change(self.main_tree, original.change)
                commit = self._new_commit(
                    planned.author,
                    original.author,
                    original.authored_at,
                    WEB_FLOW,
                    at,
                    original.message,
                    [self.main_tip],
                    self.main_tree,
                    new_tree,
                    original.change,
                    author_offset=original.author_offset,
                )
                self._push_main(commit, new_tree, [commit])
            pull.merge_commit = self.main_tip
            return
        change = net_change(pull.base_tree, pull.tree)
        new_tree, _ = apply_change(self.main_tree, change)
        if pull.outcome == "squash":
            subjects = [c.subject for c in branch_commits]
            message = f"{pull.title} (#{pull.number})"
            if len(subjects) > 1:
                message += "\n\n" + "\n\n".join(f"* {s}" for s in subjects)
            commit = self._new_commit(
                pull.author, pull.author.identity, at, WEB_FLOW, at, message,
                [self.main_tip], self.main_tree, new_tree, change, author_offset=0,
            )  # fmt: skip
            self._push_main(commit, new_tree, [commit])
        else:
            message = (
                f"Merge pull request #{pull.number} from {OWNER}/{pull.branch}\n\n{pull.title}"
            )
            commit = self._new_commit(
                merger, merger_identity, at, WEB_FLOW, at, message,
                [self.main_tip, branch_commits[-1]], self.main_tree, new_tree, change,
                author_offset=0,
            )  # fmt: skip
            self._push_main(commit, new_tree, [*branch_commits, commit])
        pull.merge_commit = commit

    def deploy(self, deployment: Deployment) -> None:
        assert self.main_tip is not None
        deployment.commit = self.main_tip
        if deployment.production and deployment.succeeded:
            for _, brought in self.mainline[self.shipped_upto :]:
                deployment.shipped += brought
            self.shipped_upto = len(self.mainline)

    def tag(self, release: Release) -> None:
        assert self.main_tip is not None
        release.commit = self.main_tip
        self.tags.append(release)

    def revert(self, incident: Incident) -> None:
        """Revert the latest commit the incident's deployment shipped that can be reverted."""
        assert self.main_tip is not None and incident.fix_at is not None
        candidate = incident.culprit.commit
        assert candidate is not None and candidate in incident.deployment.shipped
        parent_tree = self._tree_before(candidate)
        inverse: Change = {}
        for path, entries in candidate.change.items():
            for key, value in entries.items():
                if self.main_tree.get(path, {}).get(key) == value:
                    inverse.setdefault(path, {})[key] = parent_tree.get(path, {}).get(key)
        if not inverse:
            raise RuntimeError(f"nothing left to revert for {incident.title!r}")
        new_tree, _ = apply_change(self.main_tree, inverse)
        fixer = incident.fix_author
        message = (
            f'Revert "{candidate.subject}"\n\nThis reverts commit {{reverted_sha}}.\n\n'
            f"It broke production: #{incident.number}."
        )
        commit = self._new_commit(
            fixer, fixer.identity, incident.fix_at, fixer.identity,
            incident.fix_at + timedelta(seconds=40), message, [self.main_tip],
            self.main_tree, new_tree, inverse, reverts=candidate,
        )  # fmt: skip
        incident.fix_commit, incident.reverted = commit, candidate
        self._push_main(commit, new_tree, [commit])

    def _tree_before(self, commit: Commit) -> Tree:
        return self.trees[commit.parents[0].mark] if commit.parents else {}

    def fix(self, incident: Incident) -> None:
        assert incident.fix_at is not None
        recipe = "config-fix" if incident.resolution == "fix" else "hotfix"
        planned = PlannedCommit(
            incident.fix_author,
            incident.fix_author.identity,
            incident.fix_at,
            incident.fix_at + timedelta(seconds=25),
            incident.fix_subject,
            recipe,
            "payments",
            body=f"Fixes #{incident.number}.",
        )
        incident.fix_commit = self.direct_push(planned)
        if incident.hotfix is not None:
            incident.hotfix.commit = incident.fix_commit
            self.tags.append(incident.hotfix)

    def run(self) -> None:
        plan = self.plan
        operations: list[tuple[datetime, int, Callable[[], None]]] = []

        def add(moment: datetime, action: Callable[[], None]) -> None:
            operations.append((moment, len(operations), action))

        for planned in [*plan.setup, *plan.pushes]:
            add(planned.committed_at, lambda p=planned: self.direct_push(p))
        for pull in plan.pulls:
            for planned in pull.commits:
                add(planned.committed_at, lambda p=pull, c=planned: self.branch_commit(p, c))
            if pull.merged:
                assert pull.ended_at is not None
                add(pull.ended_at, lambda p=pull: self.merge(p))
        hotfix_tags = {i.hotfix for i in plan.incidents if i.hotfix is not None}
        for release in plan.releases:
            if release not in hotfix_tags:
                add(release.tagged_at, lambda r=release: self.tag(r))
        for deployment in plan.deployments:
            add(deployment.cut_at, lambda d=deployment: self.deploy(d))
        for incident in plan.incidents:
            if incident.resolution == "revert":
                assert incident.fix_at is not None
                add(incident.fix_at, lambda i=incident: self.revert(i))
            elif incident.fix_at is not None:
                add(incident.fix_at, lambda i=incident: self.fix(i))
        heapq.heapify(operations)
        while operations:
            _, _, action = heapq.heappop(operations)
            action()
