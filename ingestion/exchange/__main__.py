"""Load the configured archive files into the warehouse: ``python -m ingestion.exchange``."""

from ingestion.exchange.outcomes import RejectedFiles
from ingestion.exchange.source import exchange_source
from ingestion.warehouse import dlt_pipeline


def main() -> None:
    rejected = RejectedFiles()
    load_info = dlt_pipeline("exchange").run(exchange_source(rejected=rejected))
    print(load_info)
    rejected.raise_if_any()


if __name__ == "__main__":
    main()
