"""Rules of the dbt project checked over its manifest (sqlfluff runs in ``make lint``)."""


def _models(manifest):
    return [node for node in manifest["nodes"].values() if node["resource_type"] == "model"]


def test_marts_never_read_staging_or_sources(manifest):
    for model in _models(manifest):
        if model["fqn"][1] != "marts":
            continue
        parents = model["depends_on"]["nodes"]
        assert not [p for p in parents if p.startswith("source.") or ".stg_" in p], model["name"]


def test_staging_reads_only_sources(manifest):
    for model in _models(manifest):
        if model["fqn"][1] == "staging":
            assert all(p.startswith("source.") for p in model["depends_on"]["nodes"]), model["name"]


def test_every_model_and_column_is_described(manifest):
    for model in _models(manifest):
        assert model["description"].strip(), f"{model['name']} has no description"
        assert model["columns"], f"{model['name']} documents no columns"
        for column in model["columns"].values():
            assert column["description"].strip(), f"{model['name']}.{column['name']}"


def test_marts_enforce_their_contracts(manifest):
    """With an enforced contract, a mart column missing from (or extra to) its documented columns
    fails the build, so every mart column is described."""
    for model in _models(manifest):
        if model["fqn"][1] == "marts":
            assert model["config"]["contract"]["enforced"], model["name"]


def test_exposures_describe_dashboards_that_read_only_marts(manifest):
    exposures = list(manifest["exposures"].values())
    assert {exposure["name"] for exposure in exposures} >= {"market_overview", "engineering_dora"}
    for exposure in exposures:
        assert exposure["type"] == "dashboard" and exposure["description"].strip()
        parents = exposure["depends_on"]["nodes"]
        assert parents, exposure["name"]
        for parent in parents:
            assert manifest["nodes"][parent]["fqn"][1] == "marts", (exposure["name"], parent)
