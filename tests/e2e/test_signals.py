"""A run started in the background can still be stopped, and so can what it starts.

A non-interactive shell starts background commands with SIGINT ignored; Dagster, around each
run, points SIGTERM at the SIGINT handler, so such a process would end up ignoring SIGTERM and
pass that on to every process it starts (seen: local servers that a test could not stop).
"""

import signal
import subprocess
import sys
import textwrap

import pytest

SCRIPT = textwrap.dedent(
    """
    import signal, subprocess, sys
    from dagster import job, op
    from orchestration.run import honour_interrupts

    if sys.argv[1] == "honour":
        honour_interrupts()

    @op
    def nothing():
        pass

    @job
    def one_step():
        nothing()

    one_step.execute_in_process()
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    ignored = int(open(f"/proc/{child.pid}/status").read().split("SigIgn:")[1].split()[0], 16)
    child.kill()
    child.wait()
    terminable = not ignored & (1 << (signal.SIGTERM - 1))
    print("terminable" if terminable else "ignores SIGTERM")
    """
)


def run_in_background(mode: str) -> str:
    """The script in a process that ignores SIGINT, as a background job of a shell does."""
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, mode],
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
        check=True,
    )
    return result.stdout.strip().splitlines()[-1]


@pytest.mark.parametrize(
    ("mode", "expected"), [("as-is", "ignores SIGTERM"), ("honour", "terminable")]
)
def test_a_background_run_keeps_sigterm_working(mode, expected):
    """Without honour_interrupts (what `make run` and the test session call first), Dagster
    leaves SIGTERM ignored, and a child process inherits that (its signal mask, read from
    /proc, says so)."""
    assert run_in_background(mode) == expected
