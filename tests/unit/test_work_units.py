"""The suite's work units: what one pytest-xdist worker runs together (``tests/conftest.py``)."""

from xdist.scheduler import LoadScopeScheduling

from support.environment import PROJECT_ROOT
from support.scheduling import SHARED_BUILD_MODULES, work_unit


def test_files_share_module_fixtures_and_end_to_end_tests_run_apart():
    unit = "tests/unit/ingestion/test_git_history.py"
    assert work_unit(f"{unit}::test_deleted_tags_leave_the_snapshot") == unit
    browser = "tests/browser/test_dagster_ui.py"
    assert work_unit(f"{browser}::test_materialize_from_ui_until_success") == browser
    build = (
        "tests/e2e/test_build_warehouse.py::test_build_incrementally_gives_the_complete_warehouse"
    )
    assert work_unit(f"{build}[duckdb]") == f"{build}[duckdb]"
    assert work_unit(f"{build}[postgres]") == f"{build}[postgres]"
    readers = "tests/e2e/test_bi_readers.py::TestDuckDB"
    assert work_unit(f"{readers}::test_the_build_publishes_every_mart") == readers
    cases = "tests/e2e/test_engineering_cases.py"
    assert work_unit(f"{cases}::test_each_release_ships_what_git_rev_list_says[postgres]") == cases


def test_the_scheduler_hook_and_the_shared_modules_still_exist():
    """A renamed module, or a pytest-xdist whose scheduler no longer splits scopes this way,
    would silently spread tests that share a build over the workers."""
    assert all((PROJECT_ROOT / module).is_file() for module in SHARED_BUILD_MODULES)
    assert callable(getattr(LoadScopeScheduling, "_split_scope", None))
