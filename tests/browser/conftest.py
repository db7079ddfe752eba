"""Browser-test fixtures: Debian's chromium through Playwright, free ports, services started in
their own session and stopped by process id, and screenshots kept as test artifacts."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from support.environment import PROJECT_ROOT

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # Without these, chromium keeps calling home, which on a closed network only slows it down.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
SCREENSHOTS = PROJECT_ROOT / "test-artifacts" / "screenshots"
VIEWPORT = {"width": 1600, "height": 1000}


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def port_is_bound(port: int) -> bool:
    """True while something listens on 127.0.0.1:``port``."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def _session_and_group(pid: int) -> tuple[int, int, str] | None:
    """(session id, process group id, state) of a live process, from ``/proc/<pid>/stat``."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    return int(fields[3]), int(fields[2]), fields[0]


class Service:
    """A command started in a new session (its pid is the session and group id), stopped with
    everything it started, by process id: SIGTERM to its group, then SIGKILL to what is left."""

    def __init__(self, command: list[str], log_path: Path, port: int) -> None:
        self.command = command
        self.log_path = log_path
        self.port = port
        with log_path.open("wb") as log:
            self.process = subprocess.Popen(
                command,
                cwd=PROJECT_ROOT,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def pids(self) -> set[int]:
        """Live (non-zombie) processes of the service's session or process group."""
        leader = self.process.pid
        found = set()
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            ids = _session_and_group(int(entry.name))
            if ids and leader in ids[:2] and ids[2] != "Z":
                found.add(int(entry.name))
        return found

    def log_tail(self, lines: int = 40) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def wait_for_http(self, path: str = "/", timeout: float = 120) -> None:
        """Wait until ``path`` answers 200; fail with the log's tail if the service exits."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(
                    f"{self.command} exited with {self.process.returncode}:\n{self.log_tail()}"
                )
            try:
                with urllib.request.urlopen(self.url + path, timeout=5) as response:
                    if response.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.5)
        pytest.fail(f"{self.url}{path} did not answer within {timeout} s:\n{self.log_tail()}")

    def stop(self, timeout: float = 30) -> None:
        """Stop the service and everything it started; fail if a process or the port remains."""
        self._signal_all(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while self.pids() and time.monotonic() < deadline:
            time.sleep(0.2)
        if self.pids():
            self._signal_all(signal.SIGKILL)
            time.sleep(1)
        if self.process.poll() is None:
            self.process.wait(timeout=10)
        left = self.pids()
        assert not left, f"processes of {self.command} still running: {sorted(left)}"
        deadline = time.monotonic() + 10
        while port_is_bound(self.port) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not port_is_bound(self.port), f"port {self.port} is still bound"

    def _signal_all(self, signum: int) -> None:
        """Signal the process group, and any process of the session that left the group."""
        for sender, target in ((os.killpg, self.process.pid), *((os.kill, p) for p in self.pids())):
            with contextlib.suppress(ProcessLookupError):
                sender(target, signum)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Headless Debian chromium, driven by Playwright (never a downloaded browser)."""
    if not CHROMIUM.exists():
        pytest.skip(f"chromium not found at {CHROMIUM} (`make test` installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def screenshot_dir() -> Path:
    """``test-artifacts/screenshots``: each run overwrites the files of the previous one."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> object:
    """Remember each phase's report on the item, so ``page`` knows whether the test failed."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture
def page(browser, screenshot_dir, request) -> Iterator[object]:
    """A fresh browser page; when the test fails, a screenshot of it goes to the artifacts."""
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(30_000)
    tab = context.new_page()
    yield tab
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        try:
            tab.screenshot(path=str(screenshot_dir / f"{request.node.name}-failure.png"))
        except Exception as error:  # the page may be gone; the test's own error matters more
            print(f"no failure screenshot: {error}")
    context.close()
