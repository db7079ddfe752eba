"""Load the configured repositories into the warehouse: ``python -m ingestion.git``."""

from ingestion.git.source import git_source
from ingestion.warehouse import dlt_pipeline


def main() -> None:
    print(dlt_pipeline("git").run(git_source()))


if __name__ == "__main__":
    main()
