"""The one Dagster Definitions object of openbook (`dagster dev -m pipelines.definitions`)."""
import dagster as dg

from assets.checks import all_suite_checks
from assets.ingest.dagster_assets import raw_ledger, reference_assets, stg_ledger
from assets.ingest.reference_checks import reference_checks
from assets.publish_assets import build_publish_assets
from assets.report_assets import board_reports
from assets.submission_checks import submission_checks
from assets.warehouse_assets import open_book_models
from pipelines.jobs import all_jobs
from pipelines.schedules import all_schedules
from pipelines.sensors import all_sensors
from warehouse.connection import Warehouse

all_assets = [*reference_assets, raw_ledger, stg_ledger, open_book_models, board_reports]
# Publishing and the data dictionary depend on every public (rpt_/fct_/dim_) asset above.
all_assets += build_publish_assets(all_assets)

defs = dg.Definitions(
    assets=all_assets,
    asset_checks=[*all_suite_checks(), *submission_checks, *reference_checks],
    jobs=all_jobs,
    schedules=all_schedules,
    sensors=all_sensors,
    resources={"warehouse": Warehouse(home=dg.EnvVar("OPENBOOK_HOME"))},
)
