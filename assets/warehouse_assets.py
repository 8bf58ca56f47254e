"""The open book: every mart (fct_/dim_/dq_) and rpt_ table, one Dagster asset per model that
warehouse/model_graph.py finds in sql/marts and sql/reports, with the dependencies DuckDB's
parser reads from its SQL. Adding a model is adding its SQL file.

All of them are built by one step (a multi-asset, as dbt's models are): in Dagster each model
is still its own asset with its lineage, materialisations, metadata and checks, and any subset
can be materialised on its own, but a run of the open book is one step on one warehouse
connection instead of some forty, whose start, output and success events (each a commit to
Dagster's event log) cost more than building the models of a month's data.

A model is its SQL file run with the settings (sql/settings.yaml, `report_params`), except
those with a builder of their own (assets/model_builders.py). After each model its checks run
(assets/model_checks.py: keys unique, reconciliations across layers); a blocking check that
fails, or an input the user must fix, stops every model downstream of it, the step fails, and
nothing is published and no report replaced. Models that do not read it are still built.
"""

import graphlib

import dagster as dg

from assets.ingest.last_good import settle
from assets.model_builders import BUILDERS, PYTHON_READS, ModelInputError
from assets.model_checks import checks_for
from warehouse.connection import Warehouse
from warehouse.model_graph import Model, model_graph
from warehouse.report_settings import report_params
from warehouse.sql_docs import apply_comments, parse_model_doc
from warehouse.sql_files import run_sql, transaction

GROUPS = {"marts": "marts", "reports": "analytics"}


def _settle_submissions(con) -> dict:
    """Before dq_load_status: resubmissions that failed their checks give the month back to
    the last good submission (assets/ingest/last_good.py)."""
    decided = settle(con)
    return {f"partner_months_{what}": dg.MetadataValue.text(", ".join(items) or "none")
            for what, items in decided.items()}


# Steps a SQL model runs first, on the same connection (the one hand-written exception to
# "a model is its SQL file": which submissions are in use is decided in Python).
BEFORE = {"dq_load_status": _settle_submissions}


def _deps(name: str) -> list[str]:
    return sorted({*model_graph().deps(name), *PYTHON_READS.get(name, [])})


def _check_models() -> dict[str, Model]:
    models = model_graph().models
    for model in models.values():
        if model.name not in BUILDERS and not model.plain:
            raise ValueError(f"{model.path}: binds parameters sql/settings.yaml does not set "
                             f"({', '.join(sorted(model.params))}) and has no builder of its own")
    return models


MODELS = _check_models()
DOCS = {name: parse_model_doc(model.path.read_text(encoding="utf-8")) for name, model in MODELS.items()}
CHECKS = {name: checks_for(name, DOCS[name]) for name in MODELS}


def build_order(names) -> list[str]:
    """`names` in an order where each model comes after every model it reads (its Python
    reads included, which the SQL graph does not know)."""
    sorter = graphlib.TopologicalSorter()
    for name in sorted(names):
        sorter.add(name, *[d for d in _deps(name) if d in names])
    return list(sorter.static_order())


def build_sql_model(con, model: Model) -> dict:
    prepared = BEFORE[model.name](con) if model.name in BEFORE else {}
    with transaction(con):  # one commit: on a lake each statement alone is a snapshot of its own
        run_sql(con, model.sql_name, report_params() if model.params else None)
        apply_comments(con, DOCS[model.name])
    (rows,) = con.execute(f'SELECT count(*) FROM "{model.name}"').fetchone()
    return {"rows": dg.MetadataValue.int(rows), "sql": f"sql/{model.sql_name}.sql", **prepared}


@dg.multi_asset(
    name="open_book_models",
    specs=[dg.AssetSpec(name, deps=_deps(name), group_name=GROUPS[model.layer], kinds={"duckdb", "sql"},
                        description=DOCS[name].table_comment, skippable=True)
           for name, model in sorted(MODELS.items())],
    check_specs=[check.spec(name) for name in sorted(MODELS) for check in CHECKS[name]],
    can_subset=True,
)
def open_book_models(context: dg.AssetExecutionContext, warehouse: Warehouse):
    selected = {key.to_user_string() for key in context.selected_asset_keys}
    checks = {(key.asset_key.to_user_string(), key.name) for key in context.selected_asset_check_keys}
    stopped: dict[str, str] = {}  # model -> why it was not built
    problems: list[str] = []
    with warehouse.writer() as con:
        for name in build_order(selected):
            upstream = [d for d in _deps(name) if d in stopped]
            if upstream:
                stopped[name] = f"not built: {upstream[0]} {stopped[upstream[0]]}"
                context.log.warning(f"{name}: {stopped[name]}")
                continue
            model = MODELS[name]
            try:
                metadata = BUILDERS[name](con, warehouse.paths) if name in BUILDERS else build_sql_model(con, model)
            except ModelInputError as problem:
                stopped[name] = "failed"
                problems.append(str(problem))
                context.log.error(f"{name}: {problem}")
                continue
            results = [check.result(con, name, DOCS[name]) for check in CHECKS[name] if (name, check.name) in checks]
            if any(not r.passed for r in results):  # every model check blocks
                stopped[name] = "failed its checks"
            yield dg.MaterializeResult(asset_key=name, metadata=metadata, check_results=results)
    if problems:  # after the models that could still be built: the run fails with the first problem
        raise dg.Failure(description=problems[0])
