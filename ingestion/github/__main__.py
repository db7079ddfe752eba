"""Load the configured GitHub repositories into the warehouse: ``python -m ingestion.github``."""

from ingestion.github.source import github_source
from ingestion.warehouse import dlt_pipeline


def main() -> None:
    print(dlt_pipeline("github").run(github_source()))


if __name__ == "__main__":
    main()
