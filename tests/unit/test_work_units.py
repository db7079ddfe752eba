"""How the suite shares a machine: the work units of the pytest-xdist workers
(``tests/conftest.py``) and the dbt folders and DuckDB path each worker's tests get."""

import os

import pytest
from xdist.scheduler import LoadScopeScheduling

from support.environment import DBT_TARGET_DIR, PROJECT_ROOT, TESTS_DBT_DIR, isolate_environment
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


def test_every_test_of_a_worker_names_its_duckdb_file_by_one_path(tmp_path):
    """dbt compares its profile, which holds the DuckDB path, before it reuses a partial parse."""
    paths = []
    for name in ("first", "second"):
        with pytest.MonkeyPatch.context() as monkeypatch:
            isolate_environment(monkeypatch, tmp_path / name, "duckdb")
            paths.append(os.environ["TRIBUTARY_DUCKDB_PATH"])
            (tmp_path / name).mkdir()
            file = tmp_path.resolve() / name / "tributary.duckdb"
            assert os.path.realpath(paths[-1]) == str(file)
    assert paths[0] == paths[1]


def test_every_worker_reads_one_shared_manifest_folder(tmp_path):
    """Tributary's manifest folder, inside each worker's own dbt target, is one folder that
    every worker shares, so the project is parsed once per warehouse kind."""
    from orchestration.dbt_assets import tributary_dbt_project

    with pytest.MonkeyPatch.context() as monkeypatch:
        isolate_environment(monkeypatch, tmp_path / "data", "duckdb")
        manifests = tributary_dbt_project().target_path
        assert manifests.is_relative_to(DBT_TARGET_DIR)
        assert manifests.resolve() == (TESTS_DBT_DIR / "manifests" / "duckdb").resolve()
