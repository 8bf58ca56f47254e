"""The models a SQL file alone cannot build, each with a builder of its own: the counterparty
register (classified in Python by the functions the review command uses live), fct_mh_ledger and
dq_repeat_payments (their own SQL files, kept up to date by load rather than rebuilt: warehouse/by_load.py), rpt_variation
(every measure in sql/measures/ through one template), the flag decisions (from the oversight
group's YAML), the flag register (dated today), the rpt_ tables kept by partner-year rather than
rebuilt (their own SQL files, made from fct_mh_ledger's or fct_ledger's lines: warehouse/by_partner_year.py), and the models reading only fct_ledger's
months, which take them from the change markers (their own SQL files: warehouse/ledger_months.py). Every other model is its SQL file, run by
assets/warehouse_assets.py.

A builder takes the run's warehouse connection and the data home's paths, builds its table and
returns the metadata its materialisation shows. A problem the user must fix (a broken
decisions file) is a ModelInputError with a one-line message.
"""
from __future__ import annotations

import datetime as dt
from typing import Callable

import dagster as dg
import duckdb

from warehouse import by_load, by_partner_year, ledger_months
from warehouse.measures import build_variation
from warehouse.model_graph import model_graph
from warehouse.report_settings import report_params
from warehouse.settings import Paths
from warehouse.sql_docs import apply_comments, parse_model_doc
from warehouse.sql_files import run_sql, sql_text, transaction
from workbench.counterparties import CounterpartyError, build_dim_counterparty
from workbench.flags import FlagError, decision_columns, decisions_path, load_decisions

COUNTERPARTY_DECISIONS = "counterparty_decisions.csv"  # in <home>/config, written by `openbook counterparties decide`

Builder = Callable[[duckdb.DuckDBPyConnection, Paths], dict]


class ModelInputError(ValueError):
    """An input a model is built from is wrong; the message says which file and why."""


def _rows(con: duckdb.DuckDBPyConnection, table: str) -> dg.MetadataValue:
    (rows,) = con.execute(f'SELECT count(*) FROM "{table}"').fetchone()
    return dg.MetadataValue.int(rows)


def build_counterparties(con: duckdb.DuckDBPyConnection, paths: Paths) -> dict:
    try:
        with transaction(con):  # all or nothing, and one commit
            rows = build_dim_counterparty(con, paths.reference / "counterparties.csv",
                                          paths.home / "config" / COUNTERPARTY_DECISIONS)
            apply_comments(con, parse_model_doc(sql_text("marts/dim_counterparty")))
    except CounterpartyError as error:
        raise ModelInputError(str(error)) from None
    return {"rows": dg.MetadataValue.int(rows), "sql": "sql/marts/dim_counterparty.sql"}


def build_by_load(model: str) -> Builder:
    """A builder of a model kept by load (warehouse/by_load.py): its own SQL file, run whole or on
    the loads new or changed."""
    def build(con: duckdb.DuckDBPyConnection, paths: Paths) -> dict:
        built = by_load.build(con, model)
        if built.how != "by load":  # a table made anew has lost its comments
            with transaction(con):
                apply_comments(con, parse_model_doc(sql_text(by_load.sql_name(model))))
        return {"rows": _rows(con, model), "sql": f"sql/{by_load.sql_name(model)}.sql", "build": built.how,
                "loads_deleted": dg.MetadataValue.int(built.deleted),
                "loads_inserted": dg.MetadataValue.int(built.inserted)}
    return build


def build_by_partner_year(model: str) -> Builder:
    """A builder of a model kept by partner-year (warehouse/by_partner_year.py): its own SQL file,
    run whole or on the partner-years whose lines changed."""
    def build(con: duckdb.DuckDBPyConnection, paths: Paths) -> dict:
        built = by_partner_year.build(con, model, report_params())
        with transaction(con):
            apply_comments(con, parse_model_doc(sql_text(f"reports/{model}")))  # a table made anew has none
        return {"rows": _rows(con, model), "sql": f"sql/reports/{model}.sql", "build": built.how,
                "partner_years_built": dg.MetadataValue.int(built.partner_years)}
    return build


def build_on_months(model: str) -> Builder:
    """A builder of a model reading only fct_ledger's months (warehouse/ledger_months.py): its own SQL
    file, on the months the change markers give where they can be trusted."""
    def build(con: duckdb.DuckDBPyConnection, paths: Paths) -> dict:
        sql_name = model_graph().models[model].sql_name
        with transaction(con):
            months_from = ledger_months.build(con, model, report_params())
            apply_comments(con, parse_model_doc(sql_text(sql_name)))
        return {"rows": _rows(con, model), "sql": f"sql/{sql_name}.sql", "months_from": months_from}
    return build


def build_measures(con: duckdb.DuckDBPyConnection, paths: Paths) -> dict:
    return {"rows": dg.MetadataValue.int(build_variation(con)), "sql": "sql/reports/measure_template.sql"}


def build_flag_decisions(con: duckdb.DuckDBPyConnection, paths: Paths) -> dict:
    path = decisions_path(paths)
    try:
        doc = load_decisions(path)
    except FlagError as error:
        raise ModelInputError(str(error)) from None
    with transaction(con):
        run_sql(con, "reports/rpt_flag_decisions", decision_columns(doc))
        apply_comments(con, parse_model_doc(sql_text("reports/rpt_flag_decisions")))
    return {"rows": _rows(con, "rpt_flag_decisions"), "source": str(path),
            "flags_decided": dg.MetadataValue.int(len(doc.flags))}


def judged_on() -> dt.date:
    """The date the flag register judges each flag's status on: today (a function of its own so a test
    comparing runs made minutes apart can hold one date when they straddle midnight)."""
    return dt.date.today()


def build_flag_register(con: duckdb.DuckDBPyConnection, paths: Paths) -> dict:
    today = judged_on()
    with transaction(con):
        run_sql(con, "reports/rpt_flag_register", {"today": today})
        apply_comments(con, parse_model_doc(sql_text("reports/rpt_flag_register")))
    counts = dict(con.execute("SELECT status, count(*) FROM rpt_flag_register GROUP BY ALL").fetchall())
    return {"rows": dg.MetadataValue.int(sum(counts.values())), "as_of": today.isoformat(),
            **{f"status_{status}": dg.MetadataValue.int(n) for status, n in sorted(counts.items())},
            "sql": "sql/reports/rpt_flag_register.sql"}


BUILDERS: dict[str, Builder] = {
    "dim_counterparty": build_counterparties,
    "rpt_variation": build_measures,
    "rpt_flag_decisions": build_flag_decisions,
    "rpt_flag_register": build_flag_register,
    **{model: build_by_load(model) for model in sorted(by_load.KEPT_BY_LOAD)},
    **{model: build_by_partner_year(model) for model in sorted(by_partner_year.PARTNER_YEAR_MODELS)},
    **{model: build_on_months(model) for model in sorted(ledger_months.MONTHS_READERS)},
}
# Tables a builder's Python reads besides what its SQL names: rpt_variation checks the
# measures' service lines against dim_service_line first (warehouse/measures.py); the
# counterparty register reads the ledger and the partners (workbench/counterparties.py).
PYTHON_READS = {"rpt_variation": ["dim_service_line"], "dim_counterparty": ["fct_ledger", "dim_partner"]}
