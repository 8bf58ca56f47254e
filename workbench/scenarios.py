"""Rebalancing scenarios: "what if this money had been spent differently?", run through the same SQL as
the actual position.

A scenario is a small YAML file, `<home>/config/scenarios/<name>.yaml`, parsed by pydantic models that
forbid unknown keys:

    description: Move £100,000 of community framework money into Carrow's crisis house
    changes:
      - move:                       # money from an ICB investment scheme to a service line (or scheme)
          amount: 100000.00         # pounds in all, spread evenly over the months reported in range
          from_scheme: NW-S01
          to_service_line: crisis_house
          to_place: carrow          # optional (system-wide when left out); or to_scheme: NW-S04
          funding_stream: recurrent # optional (default: the receiving cost centre's, else the scheme's)
          from_period: 2026-03
          until_period: 2026-03     # optional (default: the end of from_period's financial year)
      - fund_like_services:         # all like contracts paid through one block model at one price
          service_line: crisis_house
          capacity_unit: beds
          annual_price_per_unit: 95000.00
          funding_stream: recurrent
          from_period: 2025-04
      - hand_back:                  # money a scheme will not spend handed back to its ICB: its plan falls
          amount: 500000.00
          scheme: SF-S01
          from_period: 2025-10

How it runs (`run_scenario`): a scratch in-memory DuckDB attaches the warehouse read-only as `base`.
Each change builds tagged adjustment lines (sql/reports/scenario_move.sql, scenario_fund_like_services.sql)
or plan changes (scenario_hand_back.sql) from the actual position; sql/reports/scenario_apply.sql shapes
them as ledger lines and defines views `fct_ledger` (base fct_ledger UNION ALL the overlay) and
`ref_investment_plans` (base plan plus the changes) in the scratch database. Then every mart and rpt
model downstream of those two is run again, from its own SQL file, unchanged: unqualified names resolve
to the scratch database first and the warehouse second (search_path). Nothing is written to the
warehouse. Each change is built from the actual position, not from the changes before it.

`compare` puts the scenario's break-even (rpt_system_position), schemes (rpt_plan_vs_actual), MHIS
(rpt_mhis), variation per head (rpt_variation), sector share (rpt_sector_share), total mental-health
spend (rpt_open_book) and flags (rpt_flags) beside the actual position's.
"""
from __future__ import annotations

import graphlib
import re
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Any, Literal

import duckdb
from pydantic import BaseModel, BeforeValidator, ConfigDict, StringConstraints, ValidationError, model_validator

from warehouse import model_graph as models
from warehouse.measures import build_variation
from warehouse.periods import fy_end, fy_of
from warehouse.plain_text import pounds
from warehouse.report_settings import report_params
from warehouse.settings import Paths
from warehouse.sql_files import execute, run_sql
from warehouse.yaml_files import read_yaml, validation_problems
from workbench.flags import attach_read_only, base_database

SCENARIO_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
PERIOD = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
FUNDING_STREAMS = ("recurrent", "non_recurrent", "sdf", "s75_pooled", "grant")
CHANGED_ROOTS = ("fct_ledger", "ref_investment_plans")


class ScenarioError(ValueError):
    """A scenario file or change is wrong; the message names the file, the change and the key."""


def scenarios_dir(paths: Paths) -> Path:
    return paths.home / "config" / "scenarios"


# ---------------------------------------------------------------------------------------------
# The scenario file
def _money(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError("not an amount of money")
    try:
        amount = Decimal(str(value).replace(",", "").replace("£", "").strip())
    except InvalidOperation:
        raise ValueError(f"{value!r} is not an amount of money") from None
    if not amount.is_finite() or amount <= 0:
        raise ValueError(f"{value!r}: the amount must be more than zero")
    if amount != amount.quantize(Decimal("0.01")):
        raise ValueError(f"{value!r}: pounds and pence only (at most two decimal places)")
    return amount.quantize(Decimal("0.01"))


def _period(value: Any) -> Any:
    if isinstance(value, str) and PERIOD.match(value):
        return value
    raise ValueError(f"{value!r} is not a month (YYYY-MM)")


Money = Annotated[Decimal, BeforeValidator(_money)]
Month = Annotated[str, BeforeValidator(_period)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Stream = Literal[FUNDING_STREAMS]  # type: ignore[valid-type]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Months(_Strict):
    from_period: Month
    until_period: Month | None = None

    @model_validator(mode="after")
    def _ordered(self):
        if self.until_period is not None and self.until_period < self.from_period:
            raise ValueError(f"until_period {self.until_period} is before from_period {self.from_period}")
        return self

    def months(self) -> tuple[str, str]:
        return self.from_period, self.until_period or fy_end(self.from_period)


class Move(_Months):
    amount: Money
    from_scheme: Text
    to_service_line: Text | None = None
    to_place: Text | None = None
    to_scheme: Text | None = None
    funding_stream: Stream | None = None

    @model_validator(mode="after")
    def _one_target(self):
        if (self.to_scheme is None) == (self.to_service_line is None):
            raise ValueError("give either to_service_line (with to_place) or to_scheme")
        if self.to_scheme is not None and self.to_place is not None:
            raise ValueError("to_place goes with to_service_line; a scheme has its own place")
        if self.to_scheme == self.from_scheme:
            raise ValueError("from_scheme and to_scheme are the same scheme")
        return self


class FundLikeServices(_Months):
    service_line: Text = "crisis_house"
    capacity_unit: Text = "beds"
    annual_price_per_unit: Money
    funding_stream: Stream = "recurrent"


class HandBack(_Months):
    amount: Money
    scheme: Text


class Change(_Strict):
    move: Move | None = None
    fund_like_services: FundLikeServices | None = None
    hand_back: HandBack | None = None

    @model_validator(mode="after")
    def _exactly_one(self):
        given = [k for k in ("move", "fund_like_services", "hand_back") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("each change is exactly one of move, fund_like_services, hand_back")
        return self

    @property
    def kind(self) -> str:
        return next(k for k in ("move", "fund_like_services", "hand_back") if getattr(self, k) is not None)

    @property
    def body(self) -> Move | FundLikeServices | HandBack:
        return getattr(self, self.kind)


class Scenario(_Strict):
    description: Text
    changes: list[Change]

    @model_validator(mode="after")
    def _some_change(self):
        if not self.changes:
            raise ValueError("a scenario needs at least one change")
        return self


def load_scenario(path: Path) -> Scenario:
    path = Path(path)
    try:
        document = read_yaml(path, ScenarioError)
    except FileNotFoundError:
        raise ScenarioError(f"no scenario file {path}") from None
    if not isinstance(document, dict):
        raise ScenarioError(f"{path}: expected a mapping with 'description' and 'changes'")
    try:
        return Scenario.model_validate(document)
    except ValidationError as error:
        raise ScenarioError(f"{path}: invalid scenario: {validation_problems(error)}") from None


def scenario_names(paths: Paths) -> list[str]:
    folder = scenarios_dir(paths)
    return sorted(p.stem for p in folder.glob("*.yaml")) if folder.is_dir() else []


def scenario_path(paths: Paths, name: str) -> Path:
    if not SCENARIO_NAME.match(name):
        raise ScenarioError(f"{name!r} is not a scenario name (lower case, digits, - and _)")
    path = scenarios_dir(paths) / f"{name}.yaml"
    if not path.is_file():
        known = ", ".join(scenario_names(paths)) or "none yet"
        raise ScenarioError(f"no scenario {name!r}: expected {path} (scenarios: {known})")
    return path


# ---------------------------------------------------------------------------------------------
# Building the scenario database
def split_evenly(amount: Decimal, parts: int) -> list[Decimal]:
    """`amount` in `parts` equal shares to the penny; the pennies left over go to the last share."""
    pence = int(amount * 100)
    share, rest = divmod(pence, parts)
    shares = [share] * parts
    shares[-1] += rest
    return [Decimal(p) / 100 for p in shares]


def split_pro_rata(amount: Decimal, weights: list[Decimal]) -> list[Decimal]:
    """`amount` in shares proportional to `weights`, each rounded down to the penny; what rounding
    leaves goes to the last share, so the shares add up to `amount` exactly."""
    total = sum(weights)
    shares = [(amount * w / total).quantize(Decimal("0.01"), rounding=ROUND_DOWN) for w in weights]
    shares[-1] += amount - sum(shares)
    return shares


@dataclass
class Applied:
    """What one change did."""
    number: int
    kind: str
    text: str
    months: list[str]
    lines: int = 0
    plan_changes: int = 0
    notes: list[str] = field(default_factory=list)


@dataclass
class ScenarioRun:
    name: str
    scenario: Scenario
    con: duckdb.DuckDBPyConnection
    base: Path
    applied: list[Applied]
    latest_period: str

    def close(self) -> None:
        self.con.close()

    @property
    def changed_periods(self) -> list[str]:
        return [p for a in self.applied for p in a.months]


def _one(con, sql: str, params: dict | None = None):
    row = execute(con, sql, params).fetchone()
    return None if row is None else row[0]


def _column(con, sql: str, params: dict | None = None) -> list:
    return [r[0] for r in execute(con, sql, params).fetchall()]


def _reported_between(con, first: str, last: str, where: str) -> list[str]:
    months = _column(con, "SELECT DISTINCT period FROM base.main.fct_ledger WHERE period BETWEEN $a AND $b ORDER BY 1",
                     {"a": first, "b": last})
    if not months:
        latest = _one(con, "SELECT max(period) FROM base.main.fct_ledger")
        raise ScenarioError(f"{where}: no month reported from {first} to {last} (the data run to {latest})")
    return months


def _known(con, sql: str, value: str, what: str, where: str, params: dict | None = None) -> None:
    known = _column(con, sql, params)
    if value not in known:
        raise ScenarioError(f"{where}: unknown {what} {value!r} (known: {', '.join(map(str, known))})")


def _apply_move(con, number: int, move: Move, where: str) -> Applied:
    schemes = "SELECT DISTINCT scheme_id FROM base.main.ref_investment_plans ORDER BY 1"
    _known(con, schemes, move.from_scheme, "scheme", f"{where}.from_scheme")
    icb = _one(con, "SELECT any_value(icb_id) FROM base.main.ref_investment_plans WHERE scheme_id = $s",
               {"s": move.from_scheme})
    if move.to_scheme is not None:
        _known(con, "SELECT DISTINCT scheme_id FROM base.main.ref_investment_plans WHERE icb_id = $icb ORDER BY 1",
               move.to_scheme, f"scheme of {icb}", f"{where}.to_scheme", {"icb": icb})
    else:
        _known(con, "SELECT service_line FROM base.main.dim_service_line ORDER BY 1", move.to_service_line,
               "service line", f"{where}.to_service_line")
        if move.to_place is not None:
            _known(con, "SELECT DISTINCT p.place_id FROM base.main.ref_places p JOIN base.main.dim_partner i "
                        "ON i.ics_id = p.ics_id WHERE i.partner_id = $icb ORDER BY 1",
                   move.to_place, f"place in {icb}'s system", f"{where}.to_place", {"icb": icb})
    if not _one(con, "SELECT count(*) FROM base.main.ref_cost_centre_map WHERE scheme_id = $s "
                     "AND line_type = 'expenditure'", {"s": move.from_scheme}):
        raise ScenarioError(f"{where}.from_scheme: {move.from_scheme} has no cost centre in the cost-centre map")
    months = _reported_between(con, *move.months(), where)
    amounts = split_evenly(move.amount, len(months))
    before = _column(con, "SELECT count(*) FROM scenario_change_lines")[0]
    run_sql(con, "reports/scenario_move", {
        "change_no": number, "periods": months, "amounts": amounts, "from_scheme": move.from_scheme,
        "to_scheme": move.to_scheme, "to_service_line": move.to_service_line, "to_place": move.to_place,
        "funding_stream": move.funding_stream})
    target = move.to_scheme or (move.to_service_line + (f" at {move.to_place}" if move.to_place else " (system-wide)"))
    applied = Applied(number, "move", f"move {pounds(move.amount)} from scheme {move.from_scheme} to {target}", months)
    applied.lines = _one(con, "SELECT count(*) FROM scenario_change_lines") - before
    actual = _one(con, "SELECT coalesce(sum(amount), 0) FROM base.main.fct_ledger WHERE scheme_id = $s "
                       "AND line_type = 'expenditure' AND period BETWEEN $a AND $b",
                  {"s": move.from_scheme, "a": months[0], "b": months[-1]})
    if actual < move.amount:
        applied.notes.append(f"{move.from_scheme} spent only {pounds(actual)} in those months: its actual goes "
                             "below zero in the scenario")
    return applied


def _apply_fund_like(con, number: int, change: FundLikeServices, where: str) -> Applied:
    _known(con, "SELECT service_line FROM base.main.dim_service_line ORDER BY 1", change.service_line,
           "service line", f"{where}.service_line")
    _known(con, "SELECT DISTINCT capacity_unit FROM base.main.ref_contracts WHERE service_line = $s "
                "AND capacity > 0 ORDER BY 1", change.capacity_unit,
           f"capacity unit of {change.service_line} contracts", f"{where}.capacity_unit", {"s": change.service_line})
    months = _reported_between(con, *change.months(), where)
    before = _one(con, "SELECT count(*) FROM scenario_change_lines")
    run_sql(con, "reports/scenario_fund_like_services", {
        "change_no": number, "periods": months, "service_line": change.service_line,
        "capacity_unit": change.capacity_unit, "annual_price_per_unit": change.annual_price_per_unit,
        "funding_stream": change.funding_stream})
    contracts = _column(con, "SELECT DISTINCT regexp_extract(note, 'under ([^ :]+)', 1) FROM scenario_change_lines "
                             "WHERE change_no = $n AND note LIKE 'block payment%' ORDER BY 1", {"n": number})
    applied = Applied(number, "fund_like_services",
                      f"fund every {change.service_line} contract ({', '.join(contracts) or 'none in force'}) as a "
                      f"{change.funding_stream} block at {pounds(change.annual_price_per_unit)} a "
                      f"{change.capacity_unit.rstrip('s')} a year", months)
    applied.lines = _one(con, "SELECT count(*) FROM scenario_change_lines") - before
    return applied


def _apply_hand_back(con, number: int, change: HandBack, where: str) -> Applied:
    _known(con, "SELECT DISTINCT scheme_id FROM base.main.ref_investment_plans ORDER BY 1", change.scheme, "scheme",
           f"{where}.scheme")
    first, last = change.months()
    plan = execute(con, "SELECT period, planned_amount FROM base.main.ref_investment_plans WHERE scheme_id = $s "
                        "AND period BETWEEN $a AND $b AND planned_amount > 0 ORDER BY period",
                   {"s": change.scheme, "a": first, "b": last}).fetchall()
    planned = sum((p[1] for p in plan), Decimal(0))
    if change.amount > planned:
        raise ScenarioError(f"{where}: {pounds(change.amount)} is more than the {pounds(planned)} planned for "
                            f"{change.scheme} from {first} to {last}")
    months = [p[0] for p in plan]
    shares = split_pro_rata(change.amount, [p[1] for p in plan])
    run_sql(con, "reports/scenario_hand_back", {"change_no": number, "scheme": change.scheme, "periods": months,
                                                "amounts": [-s for s in shares]})
    applied = Applied(number, "hand_back", f"hand back {pounds(change.amount)} of {change.scheme}'s plan to its ICB",
                      months, plan_changes=len(months))
    return applied


APPLY = {"move": _apply_move, "fund_like_services": _apply_fund_like, "hand_back": _apply_hand_back}


def model_graph() -> dict[str, tuple[str, set[str]]]:
    """Every warehouse model the scenario may re-run: name -> (how it is built, what it reads),
    from the SQL (warehouse/model_graph.py): the models built from their SQL alone, and
    rpt_variation, which the scenario builds through the measures' template."""
    graph = models.model_graph()
    return {m.name: ("variation" if m.name == "rpt_variation" else m.layer, set(graph.deps(m.name)))
            for m in graph.self_contained(also=["rpt_variation"])}


def models_to_rerun(graph: dict[str, tuple[str, set[str]]], roots=CHANGED_ROOTS) -> list[str]:
    """The models downstream of `roots`, in an order where each comes after what it reads."""
    affected = set(roots)
    grew = True
    while grew:
        grew = False
        for name, (_, deps) in graph.items():
            if name not in affected and deps & affected:
                affected.add(name)
                grew = True
    order = graphlib.TopologicalSorter({n: graph[n][1] & affected for n in affected if n in graph})
    return [n for n in order.static_order() if n in graph and n not in roots]


def rerun_models(con: duckdb.DuckDBPyConnection, roots=CHANGED_ROOTS) -> list[str]:
    """Run every model downstream of `roots` again on `con`, each from its own SQL file, unchanged;
    returns their names in the order run."""
    params = report_params()
    graph = model_graph()
    done = []
    for name in models_to_rerun(graph, roots):
        how = graph[name][0]
        if how == "variation":
            # build_variation drops rpt_variation first: make the scratch one, so the drop never
            # reaches the read-only warehouse's table.
            con.execute("CREATE OR REPLACE TABLE rpt_variation AS SELECT * FROM base.main.rpt_variation LIMIT 0")
            build_variation(con)
        elif how == "marts":
            run_sql(con, f"marts/{name}")
        else:
            run_sql(con, f"reports/{name}", params)
        done.append(name)
    return done


def run_scenario(base: Path, name: str, scenario: Scenario, source_file: str = "") -> ScenarioRun:
    """Build the scenario's database over the actual position in `base` (read-only)."""
    if not SCENARIO_NAME.match(name):
        raise ScenarioError(f"{name!r} is not a scenario name (lower case, digits, - and _)")
    con = attach_read_only(base)
    try:
        # The actual position's flags, from the same SQL, before anything is overlaid.
        run_sql(con, "reports/rpt_flags")
        con.execute("ALTER TABLE rpt_flags RENAME TO scenario_actual_flags")
        run_sql(con, "reports/scenario_overlay")
        applied = []
        for number, change in enumerate(scenario.changes, start=1):
            where = f"{source_file or name}: changes.{number - 1}.{change.kind}"
            applied.append(APPLY[change.kind](con, number, change.body, where))
        run_sql(con, "reports/scenario_apply", {"scenario": name, "source_file": source_file or name})
        rerun_models(con)
        latest = _one(con, "SELECT max(period) FROM base.main.fct_ledger")
    except BaseException:
        con.close()
        raise
    return ScenarioRun(name, scenario, con, base, applied, latest)


def run_named(paths: Paths, name: str) -> ScenarioRun:
    path = scenario_path(paths, name)
    scenario = load_scenario(path)
    return run_scenario(base_database(paths), name, scenario, str(path.relative_to(paths.home)))


# ---------------------------------------------------------------------------------------------
# Comparing with the actual position
@dataclass(frozen=True)
class Block:
    key: str
    title: str
    table: str
    sql: str                      # selects keys, labels and values from {T}; may use $fy and $as_at
    keys: tuple[str, ...]
    labels: tuple[str, ...]
    values: tuple[tuple[str, str], ...]   # (column, label)
    changed_only: bool = False
    actual_table: str | None = None      # default: base.main.<table>
    context: tuple[str, ...] = ()        # value columns shown but not counted as a change of the row


BLOCKS = (
    Block("break_even", "Break-even: each system's investment plan for the year", "rpt_system_position",
          "SELECT ics_id, ics_name, fy_plan, actual_ytd, forecast_outturn_plan_profile, net_forecast_underspend, "
          "underspend_to_rebalance, overspend_to_cover, slipping_schemes FROM {T} WHERE fy = $fy",
          ("ics_id",), ("ics_name",),
          (("fy_plan", "plan for the year"), ("actual_ytd", "actual to date"),
           ("forecast_outturn_plan_profile", "forecast outturn"),
           ("net_forecast_underspend", "net forecast underspend"),
           ("underspend_to_rebalance", "underspend to rebalance"), ("overspend_to_cover", "overspend to cover"),
           ("slipping_schemes", "schemes slipping"))),
    Block("schemes", "Investment schemes (changed schemes only)", "rpt_plan_vs_actual",
          "SELECT scheme_id, scheme_name, fy_plan, plan_ytd, actual_ytd, slippage_ytd, status FROM {T} "
          "WHERE fy = $fy AND period = $as_at",
          ("scheme_id",), ("scheme_name",),
          (("fy_plan", "plan for the year"), ("plan_ytd", "plan to date"), ("actual_ytd", "actual to date"),
           ("slippage_ytd", "slippage to date"), ("status", "status")), changed_only=True),
    Block("mhis", "Mental Health Investment Standard", "rpt_mhis",
          "SELECT icb_id, icb_name, mhis_spend, required_spend, met, forecast_met, shortfall, headroom, "
          "mhis_share_of_allocation_pct FROM {T} WHERE fy = $fy",
          ("icb_id",), ("icb_name",),
          (("mhis_spend", "MHIS spend"), ("required_spend", "required spend"), ("met", "met"),
           ("forecast_met", "forecast met"), ("shortfall", "shortfall"), ("headroom", "headroom"),
           ("mhis_share_of_allocation_pct", "MHIS share of allocation %"))),
    Block("variation", "Variation per weighted head (units whose spend, rate or flag changed)", "rpt_variation",
          "SELECT measure_id, unit_id, unit_name || ': ' || measure_name AS subject, numerator, rate, pooled_rate, "
          "flag FROM {T} WHERE fy = $fy",
          ("measure_id", "unit_id"), ("subject",),
          (("numerator", "spend"), ("rate", "per head"), ("pooled_rate", "pooled per head"), ("flag", "flag")),
          changed_only=True, context=("pooled_rate",)),
    Block("sector_share", "Sector share of net mental-health spend, year to date", "rpt_sector_share",
          "SELECT ics_id, sector, ics_name || ': ' || sector_name AS subject, ytd_net_spend, ytd_share_pct FROM {T} "
          "WHERE fy = $fy AND period = $as_at AND geography_level = 'ics'",
          ("ics_id", "sector"), ("subject",),
          (("ytd_net_spend", "net spend to date"), ("ytd_share_pct", "share %"))),
    Block("mh_spend", "Total mental-health spend in the year (the open book)", "rpt_open_book",
          "SELECT ics_id, any_value(ics_name) AS ics_name, sum(gross_spend) AS gross_spend, "
          "sum(eliminated_spend) AS eliminated_spend, sum(net_spend) AS net_spend FROM {T} WHERE fy = $fy "
          "GROUP BY ics_id UNION ALL SELECT 'all', 'All systems', sum(gross_spend), sum(eliminated_spend), "
          "sum(net_spend) FROM {T} WHERE fy = $fy",
          ("ics_id",), ("ics_name",),
          (("gross_spend", "gross spend"), ("eliminated_spend", "eliminated"), ("net_spend", "net spend"))),
    Block("flags", "Flags raised (changed only)", "rpt_flags",
          "SELECT flag_id, subject, amount FROM {T}",
          ("flag_id",), ("subject",), (("amount", "amount at stake"),), changed_only=True,
          actual_table="scenario_actual_flags"),
)


@dataclass
class Figure:
    subject: str
    label: str
    actual: Any
    scenario: Any

    @property
    def changed(self) -> bool:
        return self.actual != self.scenario

    @property
    def change(self) -> Any:
        a, s = self.actual, self.scenario
        if isinstance(a, bool) or isinstance(s, bool):
            return None
        if isinstance(a, (int, float, Decimal)) or isinstance(s, (int, float, Decimal)):
            if a is None or s is None:
                return None
            return s - a
        return None


@dataclass
class BlockResult:
    block: Block
    figures: list[Figure]
    unchanged_subjects: int = 0


def compare(run: ScenarioRun, fy: str | None = None) -> tuple[str, str, list[BlockResult]]:
    """The scenario beside the actual position for a financial year (default: the year of the
    scenario's latest changed month, else of the latest month reported). Returns fy, as-at month and
    the blocks."""
    periods = sorted(run.changed_periods) or [run.latest_period]
    fy = fy or fy_of(periods[-1])
    if not re.fullmatch(r"\d{4}-\d{2}", fy):
        raise ScenarioError(f"--fy {fy!r} is not a financial year (e.g. 2025-26)")
    as_at = _one(run.con, "SELECT max(period) FROM base.main.fct_ledger WHERE fy_of(period) = $fy", {"fy": fy})
    if as_at is None:
        raise ScenarioError(f"no month of {fy} is reported")
    results = []
    for block in BLOCKS:
        results.append(_compare_block(run.con, block, {"fy": fy, "as_at": as_at}))
    return fy, as_at, results


def _compare_block(con, block: Block, params: dict) -> BlockResult:
    actual = block.sql.replace("{T}", block.actual_table or f"base.main.{block.table}")
    scenario = block.sql.replace("{T}", f"memory.main.{block.table}")
    keys = ", ".join(f"coalesce(a.{k}, s.{k}) AS {k}" for k in block.keys)
    labels = ", ".join(f"coalesce(a.{c}, s.{c}) AS {c}" for c in block.labels)
    values = ", ".join(f"a.{c} AS a_{c}, s.{c} AS s_{c}" for c, _ in block.values)
    join = " AND ".join(f"a.{k} IS NOT DISTINCT FROM s.{k}" for k in block.keys)
    sql = (f"WITH a AS ({actual}), s AS ({scenario}) SELECT {keys}, {labels}, {values} "
           f"FROM a FULL JOIN s ON {join} ORDER BY {', '.join(block.keys)}")
    cur = execute(con, sql, params)
    names = [d[0] for d in cur.description]
    figures, unchanged = [], 0
    for row in cur.fetchall():
        record = dict(zip(names, row))
        subject = " / ".join(str(record[c]) for c in block.labels if record[c] is not None) or \
            " / ".join(str(record[k]) for k in block.keys)
        rows = [Figure(subject, label, record[f"a_{c}"], record[f"s_{c}"]) for c, label in block.values]
        deciding = [f for f, (c, _) in zip(rows, block.values) if c not in block.context]
        if block.changed_only and not any(f.changed for f in deciding):
            unchanged += 1
            continue
        figures += rows
    return BlockResult(block, figures, unchanged)


def overlay_lines(run: ScenarioRun) -> list[dict]:
    cur = run.con.execute("SELECT change_no, change_kind, partner_id, period, cost_centre, service_line, place_id, "
                          "funding_stream, line_type, scheme_id, amount, description FROM scenario_ledger_overlay "
                          "ORDER BY source_row")
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]


# ---------------------------------------------------------------------------------------------
# Output
def show(value: Any, column: str = "") -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Decimal):
        if column.endswith("_pct") or "%" in column:
            return f"{value:,.2f}%"
        places = -value.as_tuple().exponent if value.as_tuple().exponent < 0 else 0
        return f"{value:,.{max(2, min(places, 4))}f}"
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def show_change(figure: Figure) -> str:
    change = figure.change
    if change is None:
        return "changed" if figure.changed else ""
    if change == 0:
        return "0.00" if isinstance(change, Decimal) else "0"
    text = show(change, figure.label)
    return text if text.startswith("-") else "+" + text


def _table(headers: tuple[str, ...], rows: list[tuple], right: set[int]) -> list[str]:
    widths = [max(len(h), *(len(str(r[i])) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]

    def line(cells) -> str:
        return "  ".join(str(c).rjust(w) if i in right else str(c).ljust(w)
                         for i, (c, w) in enumerate(zip(cells, widths))).rstrip()

    return [line(headers), line("-" * w for w in widths), *(line(r) for r in rows)]


def comparison_text(run: ScenarioRun, fy: str, as_at: str, results: list[BlockResult]) -> str:
    out = [f"Scenario {run.name}: {run.scenario.description}",
           f"Actual position: {run.base} (data to {run.latest_period}); figures for {fy} as at {as_at}.", ""]
    for a in run.applied:
        months = f"{a.months[0]}..{a.months[-1]}" if len(a.months) > 1 else (a.months[0] if a.months else "-")
        what = f"{a.lines} ledger lines" if a.kind != "hand_back" else f"{a.plan_changes} plan months"
        out.append(f"  change {a.number}: {a.text} ({months}; {what})")
        out += [f"    note: {n}" for n in a.notes]
    for result in results:
        out += ["", result.block.title]
        rows = []
        last = None
        for f in result.figures:
            rows.append((f.subject if f.subject != last else "", f.label, show(f.actual, f.label),
                         show(f.scenario, f.label), show_change(f)))
            last = f.subject
        if rows:
            out += ["  " + line for line in _table(("", "figure", "actual", "scenario", "change"), rows, {2, 3, 4})]
        else:
            out.append("  (no change)")
        if result.unchanged_subjects:
            out.append(f"  ({result.unchanged_subjects} other rows unchanged)")
    return "\n".join(out) + "\n"


def write_xlsx(run: ScenarioRun, fy: str, as_at: str, results: list[BlockResult], path: Path) -> Path:
    """The comparison as a workbook: a sheet about the scenario, then one per block (long format:
    subject, figure, actual, scenario, change), numbers as numbers."""
    import openpyxl
    from openpyxl.styles import Font

    def text_cell(ws, row, col, value):
        cell = ws.cell(row=row, column=col, value=value)
        if isinstance(value, str):
            cell.data_type = "s"     # never a formula, whatever the text starts with
        return cell

    def number(value):
        if isinstance(value, bool) or value is None:
            return show(value)
        return float(value) if isinstance(value, (Decimal, float, int)) else str(value)

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Scenario"
    lines = [f"Scenario {run.name}", run.scenario.description, f"Actual position: data to {run.latest_period}",
             f"Figures for {fy} as at {as_at}", ""]
    lines += [f"Change {a.number}: {a.text} ({', '.join(a.months)})" for a in run.applied]
    for i, text in enumerate(lines, start=1):
        text_cell(ws, i, 1, text).font = Font(bold=(i == 1))
    ws.column_dimensions["A"].width = 100
    for result in results:
        sheet = wb.create_sheet(result.block.key.replace("_", " ").title()[:31])
        text_cell(sheet, 1, 1, result.block.title).font = Font(bold=True)
        for col, head in enumerate(("Subject", "Figure", "Actual", "Scenario", "Change"), start=1):
            text_cell(sheet, 3, col, head).font = Font(bold=True)
        for r, f in enumerate(result.figures, start=4):
            text_cell(sheet, r, 1, f.subject)
            text_cell(sheet, r, 2, f.label)
            for col, value in ((3, f.actual), (4, f.scenario), (5, f.change if f.change is not None
                                                                 else ("changed" if f.changed else None))):
                cell = sheet.cell(row=r, column=col, value=number(value) if value is not None else None)
                if isinstance(value, Decimal):
                    cell.number_format = "#,##0.00"
        sheet.column_dimensions["A"].width = 60
        sheet.column_dimensions["B"].width = 28
        for col in "CDE":
            sheet.column_dimensions[col].width = 18
        sheet.freeze_panes = "A4"
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path
