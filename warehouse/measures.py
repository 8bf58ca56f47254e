"""Measures of variation: a YAML file each in sql/measures/, all run through the one SQL
template sql/reports/measure_template.sql into rpt_variation. Adding a measure is adding a
file. Every model forbids unknown keys, so a typo is an error naming the file and the key
(`numerator.service_line: unknown key`), never silently ignored.

    title: Crisis spend per weighted head
    description: Crisis houses and crisis resolution / home treatment, net of eliminations.
    numerator:
      source: ledger                                          # ledger (default), provider_finance, provider_activity
      service_lines: [crisis_house, crisis_home_treatment]   # omitted: every mental-health line
      funding_streams: [recurrent]                            # omitted: every stream (ledger only)
      partner_kinds: [nhs_trust, vcse]                        # omitted: every kind (ledger only)
      line_types: [expenditure]                               # default (ledger only)
      basis: net                                              # net (default) or gross (ledger only)
    denominator: weighted_population                          # see DENOMINATORS (the unit's)
    grouping: place                                           # the unit: place (default), ics or provider
    scale: 1                                                  # rate = numerator x scale / denominator
    rate_unit: £ per weighted head                            # default from source, denominator, scale
    higher_is_better: true
    thresholds: {z_95: 1.96, z_998: 3.09}                     # the defaults
    within_unit_cv: 10                                        # CV of one head's spend in a year (default)
    min_peers: 5                                              # fewer peers: rank, no flags (default)

The unit decides where numerator and denominator come from. Places and systems (ics): the
mental-health ledger (fct_mh_ledger) over weighted population (dim_place). Providers: the
trusts of the provider alliance (ref_alliance_providers), their cost return (source
provider_finance: ref_alliance_finance, filtered by service_lines and service_hours) or their
activity (source provider_activity: one column of ref_alliance_activity), over the weighted
population each serves, its occupied bed days or its total spend. The combinations are checked
here (PROVIDER_DENOMINATORS only with grouping provider, and so on); the template binds them.

The comparison (sql/reports/measure_template.sql's header has the references): each unit against
its peers (the other units of the year), centre = the peers' pooled rate, spread = a within-unit
variance (within_unit_cv x centre)^2 / denominator, which scales with money (pounds or pence give
the same z) and shrinks with population, plus the peers' DerSimonian-Laird between-unit variance.
within_unit_cv is about sqrt((1 + CV of cost per user^2) / share of heads using the services in a
year): 10 for all mental-health spend (about 4% of people in contact, costs CV about 1.7); rarer
services (crisis) have a larger one.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import duckdb
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from warehouse.sql_docs import apply_comments, parse_model_doc
from warehouse.sql_files import SQL_DIR, run_sql, sql_text, transaction

MEASURES_DIR = SQL_DIR / "measures"
TEMPLATE = "reports/measure_template"
TABLE = "rpt_variation"
# The denominators and groupings the template's registry knows (sql/reports/measure_template.sql).
# mh_weighted_population: NHS England's MH weighted population (need_weighted_population: older name).
PLACE_DENOMINATORS = ("weighted_population", "mh_weighted_population", "need_weighted_population")
# A provider's denominators: the weighted population its services cover (ref_alliance_populations), its
# occupied bed days in the year (ref_alliance_activity) and all its spend in the year (ref_alliance_finance).
PROVIDER_DENOMINATORS = ("weighted_population_served", "occupied_bed_days", "provider_total_spend")
DENOMINATORS = PLACE_DENOMINATORS + PROVIDER_DENOMINATORS
GROUPINGS = ("place", "ics", "provider")
SOURCES = ("ledger", "provider_finance", "provider_activity")
ACTIVITIES = ("occupied_bed_days", "community_contacts", "out_of_area_placements")
SERVICE_HOURS = ("seven_day", "weekday", "inpatient")
# What one unit of a denominator is called, for the rate's unit in words.
DENOMINATOR_WORDS = {"weighted_population": "weighted head", "mh_weighted_population": "need-weighted head",
                     "need_weighted_population": "need-weighted head",
                     "weighted_population_served": "weighted head served",
                     "occupied_bed_days": "occupied bed day", "provider_total_spend": "£ of the trust's spend"}
FUNDING_STREAMS = ("recurrent", "non_recurrent", "sdf", "s75_pooled", "grant")
PARTNER_KINDS = ("icb", "nhs_trust", "lead_provider", "local_authority", "vcse", "independent")
_MEASURE_ID = re.compile(r"^[a-z][a-z0-9_]*$")


class MeasureError(ValueError):
    """A measure definition is wrong; the message names the file and the key."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Numerator(_Strict):
    source: Literal[SOURCES] = "ledger"  # type: ignore[valid-type]
    service_lines: list[str] | None = None
    funding_streams: list[Literal[FUNDING_STREAMS]] | None = None  # type: ignore[valid-type]
    partner_kinds: list[Literal[PARTNER_KINDS]] | None = None  # type: ignore[valid-type]
    line_types: list[Literal["expenditure", "income"]] | None = None   # ledger: default [expenditure]
    basis: Literal["net", "gross"] | None = None                       # ledger: default net
    service_hours: list[Literal[SERVICE_HOURS]] | None = None  # type: ignore[valid-type]
    activity: Literal[ACTIVITIES] | None = None  # type: ignore[valid-type]

    @model_validator(mode="after")
    def _fits_source(self) -> "Numerator":
        ledger_only = [k for k in ("funding_streams", "partner_kinds", "line_types", "basis")
                       if getattr(self, k) is not None]
        if self.source != "ledger" and ledger_only:
            raise ValueError(f"{', '.join(ledger_only)}: only for source ledger (this is {self.source})")
        if self.source != "provider_finance" and self.service_hours is not None:
            raise ValueError("service_hours: only for source provider_finance")
        if self.source == "provider_activity":
            if self.activity is None:
                raise ValueError(f"activity: required with source provider_activity (one of {', '.join(ACTIVITIES)})")
            if self.service_lines is not None:
                raise ValueError("service_lines: not for source provider_activity (activity has no service line)")
        elif self.activity is not None:
            raise ValueError("activity: only for source provider_activity")
        if self.source == "ledger":
            self.line_types = self.line_types or ["expenditure"]
            self.basis = self.basis or "net"
        return self


class Thresholds(_Strict):
    z_95: float = 1.96
    z_998: float = 3.09

    @model_validator(mode="after")
    def _ordered(self) -> "Thresholds":
        if not 0 < self.z_95 < self.z_998:
            raise ValueError(f"need 0 < z_95 < z_998, got z_95={self.z_95}, z_998={self.z_998}")
        return self


class MeasureDefinition(_Strict):
    title: str
    description: str
    numerator: Numerator
    denominator: Literal[DENOMINATORS]  # type: ignore[valid-type]
    grouping: Literal[GROUPINGS] = "place"  # type: ignore[valid-type]
    scale: int = Field(1, ge=1)
    rate_unit: str | None = None
    higher_is_better: bool
    thresholds: Thresholds = Thresholds()
    within_unit_cv: float = Field(10.0, gt=0)
    min_peers: int = Field(5, ge=2)

    @model_validator(mode="after")
    def _unit_fits(self) -> "MeasureDefinition":
        provider = self.grouping == "provider"
        if provider != (self.denominator in PROVIDER_DENOMINATORS):
            known = PROVIDER_DENOMINATORS if provider else PLACE_DENOMINATORS
            raise ValueError(f"denominator: {self.denominator} is not a {self.grouping} denominator "
                             f"(one of {', '.join(known)})")
        if provider == (self.numerator.source == "ledger"):
            raise ValueError(f"numerator.source: {self.numerator.source} does not fit grouping {self.grouping} "
                             f"(place and ics: ledger; provider: provider_finance or provider_activity)")
        if self.rate_unit is None:
            self.rate_unit = default_rate_unit(self)
        return self


def default_rate_unit(d: "MeasureDefinition") -> str:
    """The rate's unit in words: '£ per weighted head', 'out of area placements per 100,000 weighted
    head served', '% of the trust's spend'."""
    if d.denominator == "provider_total_spend" and d.scale == 100:
        return "% of the trust's spend"
    what = ("£" if d.numerator.source != "provider_activity"
            else (d.numerator.activity or "").replace("_", " "))
    per = f"{d.scale:,} " if d.scale != 1 else ""
    return f"{what} per {per}{DENOMINATOR_WORDS[d.denominator]}"


@dataclass(frozen=True)
class Measure:
    measure_id: str
    path: Path
    definition: MeasureDefinition

    def params(self) -> dict:
        d, n = self.definition, self.definition.numerator
        return {"measure_id": self.measure_id, "measure_name": d.title, "description": " ".join(d.description.split()),
                "grouping": d.grouping, "source": n.source, "activity": n.activity, "service_hours": n.service_hours,
                "scale": d.scale, "rate_unit": d.rate_unit,
                "denominator": d.denominator, "basis": n.basis, "line_types": n.line_types,
                "service_lines": n.service_lines, "funding_streams": n.funding_streams,
                "partner_kinds": n.partner_kinds, "higher_is_better": d.higher_is_better,
                "z_95": d.thresholds.z_95, "z_998": d.thresholds.z_998,
                "within_unit_cv": d.within_unit_cv, "min_peers": d.min_peers}


def _key(location: tuple) -> str:
    return ".".join(str(part) for part in location) or "(top level)"


def _problem(e: dict) -> str:
    if e["type"] == "extra_forbidden":
        return f"{_key(e['loc'])}: unknown key"
    message = e["msg"].removeprefix("Value error, ")
    # a check across keys (e.g. the unit against the denominator) names its keys itself
    return message if not e["loc"] else f"{_key(e['loc'])}: {message}"


def load_measure(path: Path) -> Measure:
    path = Path(path)
    if not _MEASURE_ID.match(path.stem):
        raise MeasureError(f"{path}: a measure's file name is its id: lower case, digits and _ only")
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise MeasureError(f"{path}: not valid YAML: {error}") from None
    if not isinstance(document, dict):
        raise MeasureError(f"{path}: expected a mapping of keys (title, numerator, ...)")
    try:
        definition = MeasureDefinition.model_validate(document)
    except ValidationError as error:
        problems = "; ".join(_problem(e) for e in error.errors())
        raise MeasureError(f"{path}: invalid measure: {problems}") from None
    return Measure(path.stem, path, definition)


def load_measures(folder: Path = MEASURES_DIR) -> list[Measure]:
    measures = [load_measure(path) for path in sorted(Path(folder).glob("*.yaml"))]
    if not measures:
        raise MeasureError(f"{folder}: no measure definitions (*.yaml)")
    return measures


def check_service_lines(measure: Measure, con: duckdb.DuckDBPyConnection) -> None:
    """Numerator service lines must be known: for the ledger, mental-health lines of dim_service_line
    (the template reads fct_mh_ledger, which holds no others); for a provider's cost return, lines the
    return holds (ref_alliance_finance; with no return loaded there is nothing to check against, and
    the measure simply has no rows)."""
    ledger = measure.definition.numerator.source == "ledger"
    if ledger:
        sql, kind = "SELECT service_line FROM dim_service_line WHERE mental_health", "mental-health service line"
    else:
        sql, kind = "SELECT DISTINCT service_line FROM ref_alliance_finance", "service line of the trusts' cost return"
    known = {r[0] for r in con.execute(sql).fetchall()}
    if not known and not ledger:
        return
    for index, line in enumerate(measure.definition.numerator.service_lines or []):
        if line not in known:
            raise MeasureError(f"{measure.path}: invalid measure: numerator.service_lines.{index}: "
                               f"{line!r} is not a {kind} (known: {', '.join(sorted(known))})")


# The provider units' reference tables (sql/staging/ref_alliance_*.sql), optional like their files.
PROVIDER_SOURCES = ("alliance_providers", "alliance_populations", "alliance_activity", "alliance_finance")


def ensure_provider_sources(con: duckdb.DuckDBPyConnection) -> None:
    """The template reads the provider tables for every measure (DuckDB binds every branch), so a
    database without them - a scratch one holding only the ledger and places - gets them empty, from
    the same SQL and the empty stand-in files the reference loader uses for an absent file. A table
    that resolves (the warehouse's, or an attached base's) is left alone."""
    for name in PROVIDER_SOURCES:
        try:
            con.execute(f"SELECT * FROM ref_{name} LIMIT 0")
        except duckdb.CatalogException:
            run_sql(con, f"staging/ref_{name}", {"path": str(SQL_DIR / "staging" / "empty" / f"{name}.csv")})


def build_variation(con: duckdb.DuckDBPyConnection, folder: Path = MEASURES_DIR) -> int:
    """Rebuild rpt_variation from every measure in `folder`; returns its row count. All or
    nothing: a bad measure leaves the previous table in place."""
    measures = load_measures(folder)
    ensure_provider_sources(con)
    for measure in measures:
        check_service_lines(measure, con)
    with transaction(con):
        con.execute(f"DROP TABLE IF EXISTS {TABLE}")
        for measure in measures:
            run_sql(con, TEMPLATE, measure.params())
        apply_comments(con, parse_model_doc(sql_text(TEMPLATE)))
    return con.execute(f"SELECT count(*) FROM {TABLE}").fetchone()[0]
