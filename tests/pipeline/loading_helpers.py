"""What the loading tests share: the council file they edit and small readers of the warehouse."""
import json
import os
import shutil
from decimal import Decimal

from tests.dagster_events import events_kept_in_memory
from tests.pipeline.conftest import query

LA_FILE = "inbox/la_ashby/Spend_over_500_2025-06.csv"


def rewrite_csv(path, transform, encoding="utf-8"):
    lines = path.read_text(encoding=encoding).splitlines(keepends=True)
    path.write_text("".join(transform(lines)), encoding=encoding)


def demo_copy_and_month_before(demo_home, tmp_path, partner):
    """A copy of the demo home, its latest period, and `partner`'s file (its path in the home) for the month
    before it, the one a corrected file replaces."""
    home = tmp_path / "home"
    shutil.copytree(demo_home, home, symlinks=True, copy_function=shutil.copy2)
    truth = json.loads((home / "demo_truth.json").read_text(encoding="utf-8"))
    period = max(f["period"] for f in truth["files"])
    month_before = max(f["period"] for f in truth["files"] if f["period"] < period)
    (changed,) = [f["path"] for f in truth["files"] if f["partner_id"] == partner and f["period"] == month_before
                  and not f["superseded"]]
    return home, period, changed


def one_payment_larger(path, more):
    """A council's file (its amount the last column) with its first payment `more` larger."""
    def larger(lines):
        cells = lines[1].rstrip("\n").split(",")
        cells[-1] = f"{Decimal(cells[-1]) + more:.2f}"
        return [lines[0], ",".join(cells) + "\n", *lines[2:]]
    rewrite_csv(path, larger)


def spend(home, partner, period):
    return query(home, "SELECT sum(spend) FROM rpt_mh_spend WHERE partner_id = $p AND period = $m",
                 {"p": partner, "m": period})[0][0]


def fct_expenditure(home, partner, period):
    return query(home, "SELECT sum(amount) FROM fct_ledger WHERE partner_id = $p AND period = $m"
                       " AND line_type = 'expenditure'", {"p": partner, "m": period})[0][0]


def next_month(lines):
    """Move the first payment into the next month: a valid date, outside the submitted period."""
    cells = lines[1].split(",")
    cells[lines[0].split(",").index("Payment Date")] = "02-Jul-25"
    return [lines[0], ",".join(cells), *lines[2:]]


def set_checks(home, partner, text):
    config = home / "config" / "sources" / f"{partner}.yaml"
    config.write_text(config.read_text(encoding="utf-8").rstrip("\n") + f"\nchecks: {text}\n", encoding="utf-8")


def send(home, name, lines, hours_later):
    path = home / "inbox" / "la_ashby" / name
    path.write_text("".join(lines), encoding="utf-8")
    later = (home / LA_FILE).stat().st_mtime + 3600 * hours_later
    os.utime(path, (later, later))
    return path


def fresh(runner):
    """A new runner on the same home: a run summary covers one runner's runs. Where the home keeps
    Dagster's event log in memory (tests/dagster_events.py), the new runner takes over the first
    one's instance: its event log holds the periods and events a new process would read from disk."""
    new = type(runner)(runner.paths)
    if events_kept_in_memory(runner.paths.home):
        new.instance.dispose()
        new.instance = runner.instance
    return new


def fct_total(home):
    return query(home, "SELECT sum(amount) FROM fct_ledger WHERE partner_id = 'la_ashby' AND period = '2025-06'")[0][0]


def june_log(home):
    return [(source.rsplit("/", 1)[1], status) for source, status in query(
        home, "SELECT source_file, status FROM load_log WHERE partner_id = 'la_ashby' AND period = '2025-06'"
              " ORDER BY loaded_at")]


def run_once(runner, **kwargs) -> list[tuple[str, str]]:
    """The (job, partition) outcomes of one run_all, one per period ingested (several periods
    share one Dagster run) and per other job (the runner's summary accumulates)."""
    before = len(runner.summary.outcomes)
    runner.run_all(progress=lambda _: None, **kwargs)
    return [(o.job, o.partition) for o in runner.summary.outcomes[before:]]


def sha(path):
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


def check_history(instance, check: str) -> dict[str, list[str]]:
    """stg_ledger check `check`'s recorded executions per period, oldest first, as Dagster's
    event log storage (which the UI reads) gives them."""
    import dagster as dg

    key = dg.AssetCheckKey(dg.AssetKey("stg_ledger"), check)
    history: dict[str, list[str]] = {}
    for record in reversed(instance.event_log_storage.get_asset_check_execution_history(key, limit=100)):
        history.setdefault(record.partition, []).append(record.status.value)
    return history
