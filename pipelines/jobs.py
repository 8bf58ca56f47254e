"""The jobs: reference data, the monthly ingest, the open book (marts and rpt_ tables),
and the monthly reports. They run in-process: DuckDB allows one writer process, so
Dagster's multiprocess executor would only make steps queue on the warehouse lock."""
import dagster as dg


reference_job = dg.define_asset_job(
    "reference_job", selection=dg.AssetSelection.groups("reference"),
    executor_def=dg.in_process_executor,
    description="Load reference data (partners, places, populations, taxonomy, maps, contracts, plans).")

ingest_job = dg.define_asset_job(
    "ingest_job", selection=dg.AssetSelection.groups("ingest"),
    executor_def=dg.in_process_executor,
    description="Load every partner's submission for one period (or, from `openbook run`, a range of periods), "
                "stage it and run its checks, recorded per period.")

open_book_job = dg.define_asset_job(
    "open_book_job", selection=dg.AssetSelection.groups("marts", "analytics", "publish"),
    executor_def=dg.in_process_executor,
    description="Rebuild the consolidated open book and every rpt_ table from checked submissions.")

report_job = dg.define_asset_job(
    "report_job", selection=dg.AssetSelection.groups("reports"),
    executor_def=dg.in_process_executor,
    description="Write the board packs and HTML site for one period.")

all_jobs = [reference_job, ingest_job, open_book_job, report_job]
