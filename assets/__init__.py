"""The Dagster assets and asset checks, by layer: ingest/ (reading partners' files into the
raw and staging tables), quality/ (Great Expectations suites and the data-quality report
tables), the marts and rpt_ models built from sql/ (warehouse_assets, sql_model, measures,
flags), the checks, the reports and the published copy; partitions holds the periods.

Imports: warehouse, reports, analyst, workbench. Nothing but pipelines imports assets.
"""
