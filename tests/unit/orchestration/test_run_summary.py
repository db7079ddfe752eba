"""What ``make run`` prints at the end: where things are (with the ports actually set), and for a
failed step its own cause rather than the wrapper Dagster puts around it."""

from dagster._utils.error import SerializableErrorInfo

from orchestration.run import locations
from orchestration.run_outcome import root_cause


def error(cls_name: str, message: str, cause: SerializableErrorInfo | None = None):
    return SerializableErrorInfo(message=message, stack=[], cls_name=cls_name, cause=cause)


def test_summary_names_the_ports_that_are_set(tributary_env, monkeypatch):
    monkeypatch.setenv("DAGSTER_PORT", "3111")
    monkeypatch.setenv("DBT_DOCS_PORT", "8111")
    where = dict(locations())
    assert "http://127.0.0.1:3111" in where["ui"]
    assert "http://127.0.0.1:8111" in where["docs"]
    monkeypatch.delenv("DAGSTER_PORT")
    assert "http://127.0.0.1:3000" in dict(locations())["ui"]


def test_a_failed_load_is_reported_by_its_own_error():
    github = error(
        "GitHubError",
        "ingestion.github.session.GitHubError: GET /pulls: HTTP 401: Bad credentials; set an "
        "access token in sources.github.access_token or GITHUB_TOKEN\n",
    )
    dlt = error("PipelineStepFailed", "Pipeline execution failed at stage extract", github)
    step = error(
        "DagsterExecutionStepExecutionError", 'Error occurred while executing op "github"', dlt
    )
    assert root_cause(step) == (
        "GET /pulls: HTTP 401: Bad credentials; set an access token in "
        "sources.github.access_token or GITHUB_TOKEN",
        None,
    )


def test_an_unexpected_error_is_named_by_its_class_and_first_line():
    inner = error("ZeroDivisionError", "builtins.ZeroDivisionError: division by zero\nmore")
    step = error("DagsterExecutionStepExecutionError", "Error occurred while executing op", inner)
    assert root_cause(step) == ("ZeroDivisionError: division by zero", None)


def test_a_failed_dbt_build_is_reported_by_the_nodes_dbt_names():
    message = (
        "dagster_dbt.errors.DagsterDbtCliRuntimeError: The dbt CLI process with command\n\n"
        "`dbt build`\n\nfailed with exit code `1`.\n\nErrors parsed from dbt logs:\n\n"
        "210 of 226 ERROR creating sql table model marts.fct_commits .......... [\x1b[31mERROR"
        "\x1b[0m in 0.08s]\n\n  Compilation Error in model fct_commits\n"
        "12 of 226 FAIL 2 not_null_fct_candles_open_at ......................... [FAIL 2 in 0.1s]\n"
    )
    cause, advice = root_cause(error("DagsterDbtCliRuntimeError", message))
    assert cause == (
        "dbt build failed:\n210 of 226 ERROR creating sql table model marts.fct_commits\n"
        "12 of 226 FAIL 2 not_null_fct_candles_open_at"
    )
    assert advice is not None
