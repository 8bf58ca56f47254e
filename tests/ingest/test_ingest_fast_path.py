"""The fast path types every file exactly as the reference path does.

The fast path (assets/ingest/fields.py FieldParser.run): plain amounts typed by one cast,
every other amount by the money stages, and dates typed in stages. The reference path
(fields.REFERENCE) is the typing as it was before: the money stages for every amount and
each date as one expression. Every file of the bad-input corpus, of both real-world
corpora and of the demo is parsed by both, and loaded by both into a warehouse of its own:
the parsed lines, quarantined rows (reason, field and message) and skipped rows, the row
counts, and the raw_ledger, quarantine, skipped_rows and load_log tables must be the same.
"""
from __future__ import annotations

import shutil
from decimal import Decimal
import tempfile
from pathlib import Path

import polars as pl
import pytest

from assets.ingest import fields, money, readers, submissions
from assets.ingest.errors import SubmissionError
from assets.ingest.parse import ParsedSubmission, parse_submission
from assets.ingest.source_config import AmountRules, SourceConfig, load_source_config, load_source_configs
from tests.reliability.corpus_harness import CORPUS, load_cases, materialise
from warehouse.connection import open_writer

ROOT = Path(__file__).resolve().parents[2]
REAL_WORLD = ROOT / "tests" / "realworld"
FIXTURES = ROOT / "tests" / "fixtures" / "real_world"
BAD_INPUT_CASES = [case for case in load_cases() if case.outcome != "config_error"]
# load_log columns that differ between two loads of the same file: when and by which run,
# and the id of a refused file's entry (it has the time in it).
VOLATILE = {"load_log": ("load_id", "loaded_at", "run_id")}
TABLES = ("raw_ledger", "quarantine", "skipped_rows", "load_log")


@pytest.fixture(scope="module")
def demo(tmp_path_factory, demo_files) -> Path:
    """The demo system's inbox and source configs (the bad-input corpus uses its configs too)."""
    home = tmp_path_factory.mktemp("fast-path-demo")
    demo_files(home)
    return home


def _parsed(path: Path, config: SourceConfig, reference: bool, monkeypatch) -> dict:
    """What a parse of the file gives, by one path: the frames and counts, or the refusal."""
    monkeypatch.setattr(fields, "REFERENCE", reference)
    return _parse_outcome(path, config)


def _parse_outcome(path: Path, config: SourceConfig) -> dict:
    """What parse_submission gives by the path fields.REFERENCE names: the frames and counts, or the refusal."""
    try:
        return _outcome(parse_submission(path, config))
    except SubmissionError as error:
        return {"refused": str(error)}


def _outcome(parsed: ParsedSubmission) -> dict:
    return {"lines": parsed.lines, "quarantine": parsed.quarantine, "skipped": parsed.skipped,
            "counts": (parsed.rows_read, parsed.periods, parsed.header_row, parsed.source_columns, parsed.column_map)}


def assert_same_parse(path: Path, config: SourceConfig, monkeypatch) -> dict:
    reference, fast = (_parsed(path, config, flag, monkeypatch) for flag in (True, False))
    return assert_same_outcome(path.name, reference, fast)


def assert_same_outcome(name: str, reference: dict, fast: dict) -> dict:
    assert reference.keys() == fast.keys(), name
    for key, expected in reference.items():
        got = fast[key]
        if isinstance(expected, pl.DataFrame):
            assert got.schema == expected.schema, (name, key)
            assert got.equals(expected), (name, key, _first_difference(expected, got))
        else:
            assert got == expected, (name, key)
    return reference


def _first_difference(expected: pl.DataFrame, got: pl.DataFrame) -> object:
    if expected.height != got.height:
        return f"{expected.height} rows, fast path {got.height}"
    for index, (a, b) in enumerate(zip(expected.iter_rows(), got.iter_rows())):
        if a != b:
            return {"row": index, "reference": a, "fast": b}
    return None


def loaded_tables(inbox: Path, configs: dict[str, SourceConfig], reference: bool, monkeypatch) -> dict:
    """Every table the loader writes, after every month of the inbox was loaded by one path
    (scan_inbox + load_period, as the raw_ledger asset does) into a new warehouse."""
    monkeypatch.setattr(fields, "REFERENCE", reference)
    submissions._remembered.clear()  # a parse remembered from the other path must not be reused
    files = submissions.scan_inbox(inbox, configs)
    with tempfile.TemporaryDirectory() as folder, open_writer(Path(folder) / "w.duckdb") as con:
        for period in [*submissions.inbox_periods(files), "2099-12"]:  # 2099-12: files of no month
            submissions.load_period(con, files, period, None)
        found = {}
        for table in TABLES:
            columns = ", ".join(c for (c,) in con.execute(
                "SELECT column_name FROM duckdb_columns() WHERE table_name = $t ORDER BY column_index",
                {"t": table}).fetchall() if c not in VOLATILE.get(table, ()))
            found[table] = con.execute(f"SELECT {columns} FROM {table} ORDER BY ALL").fetchall()
    submissions._remembered.clear()
    return found


def assert_same_tables(tables: dict) -> dict:
    reference, fast = tables[True], tables[False]
    for table in TABLES:
        assert fast[table] == reference[table], table
    return reference


def loads_by_both_paths(inbox: Path, configs: dict[str, SourceConfig], monkeypatch) -> dict:
    """The inbox loaded by each path (loaded_tables), and every parse those loads made:
    {"tables": {reference: tables}, "parses": {(path, config, reference): [outcome of each parse]}}.
    A load parses each of its files by its path, exactly as parse_submission is called alone, so a test
    of the parses reads these (assert_same_parses) instead of parsing each file by both paths again."""
    parses: dict[tuple, list[dict]] = {}

    def recorded(path: Path, config: SourceConfig) -> ParsedSubmission:
        outcomes = parses.setdefault((str(path), config.model_dump_json(), fields.REFERENCE), [])
        try:
            parsed = parse_submission(path, config)
        except SubmissionError as error:
            outcomes.append({"refused": str(error)})
            raise
        outcomes.append(_outcome(parsed))
        return parsed

    monkeypatch.setattr(submissions, "parse_submission", recorded)
    try:
        tables = {reference: loaded_tables(inbox, configs, reference, monkeypatch) for reference in (True, False)}
    finally:
        monkeypatch.setattr(submissions, "parse_submission", parse_submission)
    return {"tables": tables, "parses": parses}


def assert_same_parses(path: Path, config: SourceConfig, parses: dict, monkeypatch) -> None:
    """The file parses the same by both paths: as the loads of loads_by_both_paths parsed it (each parse
    the same), or, where they did not parse it by both, parsed here."""
    by_path = [parses.get((str(path), config.model_dump_json(), flag)) for flag in (True, False)]
    if None in by_path:
        assert_same_parse(path, config, monkeypatch)
        return
    reference = assert_same_outcome(path.name, by_path[0][0], by_path[1][0])
    for again in by_path[0][1:] + by_path[1][1:]:  # a file parsed again by a load parses the same
        assert_same_outcome(path.name, reference, again)


# --------------------------------------------------------------------------- the corpora


def _loaded_inbox(tmp_path_factory, name: str, files: list[tuple[SourceConfig, Path]]) -> dict:
    """loads_by_both_paths of an inbox holding each (config, file) under its partner, and the inbox:
    {"inbox", "configs", "tables", "parses"}."""
    inbox = tmp_path_factory.mktemp(name)
    configs = {}
    for config, file in files:
        configs[config.partner_id] = config
        (inbox / config.partner_id).mkdir()
        # copied, not linked: the temporary folder may be on another file system (a RAM disk)
        shutil.copy2(file, inbox / config.partner_id / file.name)
    with pytest.MonkeyPatch.context() as patch:
        return {"inbox": inbox, "configs": configs, **loads_by_both_paths(inbox, configs, patch)}


REAL_WORLD_CONFIGS = sorted((REAL_WORLD / "configs").glob("*.yaml"))


@pytest.fixture(scope="module")
def real_world_corpus(tmp_path_factory) -> dict:
    """The real-world corpus loaded by both paths, once for the tests of its parses and of its load."""
    configs = [load_source_config(path) for path in REAL_WORLD_CONFIGS]
    return _loaded_inbox(tmp_path_factory, "real-world-corpus",
                         [(config, REAL_WORLD / "files" / config.file.pattern) for config in configs])


@pytest.mark.parametrize("config_path", REAL_WORLD_CONFIGS, ids=lambda p: p.stem)
def test_real_world_corpus_files_parse_the_same(config_path, real_world_corpus, monkeypatch):
    config = real_world_corpus["configs"][load_source_config(config_path).partner_id]
    assert_same_parses(real_world_corpus["inbox"] / config.partner_id / config.file.pattern, config,
                       real_world_corpus["parses"], monkeypatch)


def test_real_world_corpus_loads_the_same(real_world_corpus):
    tables = assert_same_tables(real_world_corpus["tables"])
    assert len(tables["raw_ledger"]) > 10_000 and tables["quarantine"]  # the corpus has both


def _fixture_cases() -> list[tuple[str, str]]:
    from tests.ingest.test_ingest_real_world import CASES

    return [(case.config, case.file) for case in CASES]


@pytest.fixture(scope="module")
def real_world_fixtures(tmp_path_factory) -> dict:
    """The real-world fixture files loaded by both paths, each under its config's name as partner, once
    for the tests of their parses and of their load."""
    return _loaded_inbox(tmp_path_factory, "real-world-fixtures", [
        (load_source_config(FIXTURES / f"{config_name}.yaml").model_copy(update={"partner_id": config_name}),
         FIXTURES / file_name) for config_name, file_name in _fixture_cases()])


@pytest.mark.parametrize("config_name, file_name", _fixture_cases(), ids=lambda value: value)
def test_real_world_fixture_files_parse_the_same(config_name, file_name, real_world_fixtures, monkeypatch):
    assert_same_parses(real_world_fixtures["inbox"] / config_name / file_name,
                       real_world_fixtures["configs"][config_name], real_world_fixtures["parses"], monkeypatch)


def test_real_world_fixtures_load_the_same(real_world_fixtures):
    tables = assert_same_tables(real_world_fixtures["tables"])
    assert tables["raw_ledger"] and tables["skipped_rows"]


def _case_config(case, demo: Path) -> SourceConfig:
    if case.config.endswith(".yaml"):
        return load_source_config(CORPUS / "configs" / case.config)
    return load_source_config(demo / "config" / "sources" / f"{case.config}.yaml")


@pytest.mark.parametrize("case", BAD_INPUT_CASES, ids=[case.id for case in BAD_INPUT_CASES])
def test_bad_input_corpus_parses_and_loads_the_same(case, demo, tmp_path, monkeypatch):
    for name, value in case.spec.get("limits", {}).items():
        monkeypatch.setattr(readers, name, value)
    config = _case_config(case, demo)
    inbox = tmp_path / "inbox"
    path = materialise(case, inbox / config.partner_id, tmp_path / "outside")
    loads = loads_by_both_paths(inbox, {config.partner_id: config}, monkeypatch)
    if path.is_file() and not path.is_symlink():
        assert_same_parses(path, config, loads["parses"], monkeypatch)
    assert_same_tables(loads["tables"])


@pytest.fixture(scope="module")
def demo_by_both_paths(demo) -> dict:
    """The demo inbox loaded by both paths and the parses the loads made (loads_by_both_paths): the two demo
    tests below share these, so the demo is parsed twice, not four times (each parse of it by the reference
    path costs several CPU seconds)."""
    with pytest.MonkeyPatch.context() as patch:
        return loads_by_both_paths(demo / "inbox", load_source_configs(demo / "config" / "sources"), patch)


def test_demo_files_parse_the_same(demo, demo_by_both_paths, monkeypatch):
    configs = load_source_configs(demo / "config" / "sources")
    inbox = demo / "inbox"
    files = [item for item in submissions.scan_inbox(inbox, configs) if item.config is not None]
    assert len(files) > 250
    for item in files:
        assert_same_parses(item.path, item.config, demo_by_both_paths["parses"], monkeypatch)


def test_demo_loads_the_same(demo_by_both_paths):
    reference = assert_same_tables(demo_by_both_paths["tables"])
    assert len(reference["raw_ledger"]) > 30_000 and reference["quarantine"] and reference["skipped_rows"]


# --------------------------------------------------------------------------- the plain amounts


TRICKY_AMOUNTS = [
    "1234.50", "-12", "£1,234.5", "1,23.00", "12.345", "12.3400", "", "  ", None, "+5", "(5)", "5-", "5 CR", "1.500",
    "00000000000000001.00", "9999999999999999.99", "99999999999999999", "-0", "0.00", "1,234,567,890,123.45",
    "12,345,678,901,234,567.00", "£ 5", "-£5", "£-5", "5.", ".5", "  7.1 ", "1\u00a0234", "1 234.00", "1.234,50",
    "12,34", "--5", "1e5", "£", "-", ",", "9,999,999,999,999.99", "0.005", "1,234.567",
]
RULES = [
    AmountRules(), AmountRules(currency_symbols=["£"], thousands_separator=","), AmountRules(thousands_separator=None),
    AmountRules(thousands_separator=" "), AmountRules(sub_penny="round"), AmountRules(ambiguous_dot="decimal"),
    AmountRules(thousands_separator="'"), AmountRules(currency_symbols=["GBP", "£"]),
    # A separator or symbol that plain text could hold: plain text would not read as written.
    AmountRules(thousands_separator="-"), AmountRules(currency_symbols=["1"]),
]


@pytest.mark.parametrize("rules", RULES, ids=lambda rules: str(rules.model_dump(exclude_defaults=True)))
def test_plain_amounts_are_typed_as_the_money_stages_type_them(rules):
    frame = pl.DataFrame({"text": TRICKY_AMOUNTS}, schema={"text": pl.String})
    full = money.money_columns(frame, "text", rules, value="value", problem="problem")
    if not money.plain_is_exact(rules):
        # Under these rules plain-looking text is not what it seems (so the fast path is off).
        read = full.filter(pl.col("text").is_in(["1234.50", "-12"]))["value"].to_list()
        assert read != [Decimal("1234.50"), Decimal("-12.00")]
        return
    fast = money.plain_money_columns(frame, "text", rules, value="value", problem="problem", unvouched="unvouched")
    vouched = ~fast["unvouched"]
    assert fast.filter(vouched).select("text", "value", "problem").equals(
        full.filter(vouched).select("text", "value", "problem"))
    # What is vouched for: blanks and plain numbers only, never a text with a problem.
    assert set(full.filter(vouched)["problem"].drop_nulls()) <= {money.BLANK}
    assert {"1234.50", "-12", "0.00", None}.issubset(set(fast.filter(vouched)["text"]))
