"""How the suite is shared among pytest-xdist workers (``tests/conftest.py``)."""

SHARED_BUILD_MODULES = ("tests/e2e/test_engineering_cases.py",)
"""End-to-end modules whose tests share a build (a module fixture): one work unit each."""


def work_unit(nodeid: str) -> str:
    """The tests that one pytest-xdist worker runs together with ``nodeid``: its file, whose
    tests share module fixtures; in ``tests/e2e``, where most tests build their own warehouse,
    its class (which shares one) or the test alone."""
    path, _, name = nodeid.partition("::")
    if not path.startswith("tests/e2e/") or path in SHARED_BUILD_MODULES:
        return path
    test_class, _, method = name.partition("::")
    return f"{path}::{test_class}" if method else nodeid
