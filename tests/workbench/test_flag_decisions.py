"""Decisions on flags: the YAML file model, `openbook flags decide` and `openbook flags list`, and
every way a decision can be wrong failing with one clear line."""
from __future__ import annotations

import datetime as dt
import os

import pytest
import yaml

from workbench import flags
from analyst import publish
from workbench.flags import DecisionsFile, FlagError, load_decisions, save_decisions
from warehouse.settings import Paths

TODAY = dt.date(2026, 1, 15)


def decisions_file(home) -> dict:
    return yaml.safe_load((home / "config" / "flag_decisions.yaml").read_text(encoding="utf-8"))


def test_decide_explained_then_action_then_close_writes_the_file_and_moves_the_status(workbench, wb_home):
    code, out, err = workbench("flags", "decide", "VAR-mh_spend_per_head-carrow", "--explained",
                               "Carrow Lodge, a system-wide unit, is coded to Carrow", "--by", "Jane Doe",
                               today=TODAY)
    assert (code, err) == (0, "")
    assert "status now: open" in out
    saved = decisions_file(wb_home)["flags"]["VAR-mh_spend_per_head-carrow"]
    assert saved == [{"decision": "explained", "reason": "Carrow Lodge, a system-wide unit, is coded to Carrow",
                      "date": TODAY, "by": "Jane Doe", "as_at": "2026-03"}]

    code, out, err = workbench("flags", "decide", "OVER-NW-PL-2025-26", "--action", "agree a contract variation",
                               "--owner", "NW contracts team", "--due", "2026-01-31", "--by", "Jane Doe",
                               "--on", "2026-01-14", today=TODAY)
    assert code == 0, err
    code, out, _ = workbench("flags", "list", "--status", "open", today=TODAY)
    assert code == 0 and "OVER-NW-PL-2025-26" in out and "VAR-mh_spend_per_head-carrow" in out
    code, out, _ = workbench("flags", "list", "--status", "overdue", today=dt.date(2026, 2, 1))
    assert code == 0 and "OVER-NW-PL-2025-26" in out and "VAR-mh_spend" not in out

    code, out, err = workbench("flags", "decide", "OVER-NW-PL-2025-26", "--close", "variation signed",
                               "--by", "Jane Doe", today=TODAY)
    assert code == 0, err
    assert "status now: closed" in out
    history = decisions_file(wb_home)["flags"]["OVER-NW-PL-2025-26"]
    assert [d["decision"] for d in history] == ["action", "closed"]
    assert history[0] == {"decision": "action", "owner": "NW contracts team", "due": dt.date(2026, 1, 31),
                          "note": "agree a contract variation", "date": dt.date(2026, 1, 14), "by": "Jane Doe",
                          "as_at": "2026-03"}
    code, out, _ = workbench("flags", "list", "--status", "closed", today=TODAY)
    assert "OVER-NW-PL-2025-26" in out
    code, out, _ = workbench("flags", "show", "OVER-NW-PL-2025-26", today=TODAY)
    assert code == 0 and "Closed on 2026-01-15" in out and "Action: agree a contract variation" in out
    # untouched flags are still new, and the file reads back through the strict model
    code, out, _ = workbench("flags", "list", "--status", "new", today=TODAY)
    assert "ELIM-nw_icb-wfmh-2025-11" in out and "OVER-NW-PL" not in out
    assert set(load_decisions(wb_home / "config" / "flag_decisions.yaml").flags) == {
        "VAR-mh_spend_per_head-carrow", "OVER-NW-PL-2025-26"}


def test_flags_list_period_and_system_filters(workbench):
    code, out, _ = workbench("flags", "list", "--period", "2025-11", today=TODAY)
    assert code == 0
    assert "ELIM-nw_icb-wfmh-2025-11" in out and "OVER-NW-PL-2025-26" not in out   # first seen 2026-03
    code, out, _ = workbench("flags", "list", "--ics", "south_fen", today=TODAY)
    assert "MHIS-sf_icb-2025-26" in out and "ELIM-nw_icb-wfmh-2025-11" not in out


ONE_LINE_ERRORS = [
    (("NOPE-nothing", "--explained", "x"), "unknown flag id 'NOPE-nothing'"),
    (("VAR-mh_spend_per_head-carow", "--explained", "x"), "did you mean VAR-mh_spend_per_head-carrow"),
    (("VAR-mh_spend_per_head-carrow", "--explained"), "an explanation is required"),
    (("VAR-mh_spend_per_head-carrow", "--explained", "   "), "an explanation is required"),
    (("VAR-mh_spend_per_head-carrow", "--close"), "a reason for closing is required"),
    (("VAR-mh_spend_per_head-carrow", "--adjudicated", ""), "the agreed position is required"),
    (("OVER-NW-PL-2025-26", "--action", "--due", "2026-03-31"), "an action's owner is required"),
    (("OVER-NW-PL-2025-26", "--action", "--owner", "X"), "an action needs a due date"),
    (("OVER-NW-PL-2025-26", "--action", "--owner", "X", "--due", "2026-02-30"), "'2026-02-30' is not a date"),
    (("OVER-NW-PL-2025-26", "--action", "--owner", "X", "--due", "31/03/2026"), "'31/03/2026' is not a date"),
    (("OVER-NW-PL-2025-26", "--action", "--owner", "X", "--due", "2026-01-14"), "is in the past"),
    (("OVER-NW-PL-2025-26", "--explained", "x", "--on", "2026-13-01"), "'2026-13-01' is not a date"),
    (("OVER-NW-PL-2025-26", "--explained", "x", "--on", "2026-01-16"), "is in the future"),
    (("OVER-NW-PL-2025-26", "--explained", "x", "--owner", "X"), "--owner and --due go with --action"),
    (("OVER-NW-PL-2025-26",), "give one decision"),
    (("OVER-NW-PL-2025-26", "--explained", "x", "--close", "y"), "give one decision"),
]


@pytest.mark.parametrize("args, message", ONE_LINE_ERRORS)
def test_invalid_decisions_fail_with_one_clear_line_and_write_nothing(workbench, wb_home, args, message):
    code, out, err = workbench("flags", "decide", *args, today=TODAY)
    assert code == 2
    assert err.startswith("openbook flags decide: ") and message in err, err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert not (wb_home / "config" / "flag_decisions.yaml").exists()


def test_closing_a_closed_flag_is_refused(workbench, wb_home):
    assert workbench("flags", "decide", "ELIM-nw_icb-wfmh-2025-11", "--close", "accrual corrected",
                     today=TODAY)[0] == 0
    before = (wb_home / "config" / "flag_decisions.yaml").read_bytes()
    code, _, err = workbench("flags", "decide", "ELIM-nw_icb-wfmh-2025-11", "--close", "again", today=TODAY)
    assert code == 2 and "already closed" in err
    assert (wb_home / "config" / "flag_decisions.yaml").read_bytes() == before
    # another decision reopens it
    assert workbench("flags", "decide", "ELIM-nw_icb-wfmh-2025-11", "--explained", "reopened: wfmh disputes it",
                     today=TODAY)[0] == 0


def test_show_unknown_flag_fails_clearly(workbench):
    code, _, err = workbench("flags", "show", "ELIM-nw_icb-wfmh-2025-12", today=TODAY)
    assert code == 2 and "unknown flag id" in err and "ELIM-nw_icb-wfmh-2025-11" in err


BAD_FILES = [
    ("flags:\n  VAR-x-y:\n    - decision: explained\n      reasn: typo\n      date: 2026-01-01\n      by: J\n",
     "flags.VAR-x-y.0.reasn: unknown key"),
    ("flags:\n  VAR-x-y:\n    - decision: explained\n      date: 2026-01-01\n      by: J\n",
     "flags.VAR-x-y.0.reason: Field required"),
    ("flags:\n  VAR-x-y:\n    - decision: action\n      owner: A\n      due: 20260131\n      date: 2026-01-01\n"
     "      by: J\n", "flags.VAR-x-y.0.due: 20260131 is not a date"),
    ("flags:\n  VAR-x-y:\n    - decision: parked\n      date: 2026-01-01\n      by: J\n", "flags.VAR-x-y.0"),
    ("flags:\n  Carrow:\n    - decision: closed\n      reason: r\n      date: 2026-01-01\n      by: J\n",
     "'Carrow' is not a flag id"),
    ("flagz: {}\n", "flagz: unknown key"),
    ("flags: [\n", "not valid YAML"),
    ("flags:\n  VAR-x-y:\n    - decision: closed\n      reason: r\n      date: 2026-01-01\n      by: J\n"
     "      as_at: 2026-1\n", "as_at: '2026-1' is not a month"),
]


@pytest.mark.parametrize("text, message", BAD_FILES)
def test_a_bad_decisions_file_is_an_error_naming_the_file_and_key(tmp_path, text, message):
    path = tmp_path / "flag_decisions.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(FlagError) as error:
        load_decisions(path)
    assert str(error.value).startswith(str(path)) and message in str(error.value), str(error.value)


def test_a_bad_decisions_file_stops_the_cli_with_one_line(workbench, wb_home):
    (wb_home / "config" / "flag_decisions.yaml").write_text("flags:\n  VAR-x-y: [{decision: explained}]\n")
    code, _, err = workbench("flags", "list", today=TODAY)
    assert code == 2 and "flag_decisions.yaml: invalid decisions" in err and err.count("\n") == 1


def test_the_file_is_written_atomically(tmp_path, monkeypatch):
    path = tmp_path / "config" / "flag_decisions.yaml"
    first = DecisionsFile(flags={"VAR-a-b": [flags.Explained(decision="explained", reason="r", date=TODAY, by="J")]})
    save_decisions(path, first)
    before = path.read_bytes()

    def crash(*_):
        raise OSError("disk full")

    monkeypatch.setattr(publish.os, "replace", crash)  # the one atomic writer (analyst/publish.py)
    second = DecisionsFile(flags={**first.flags, "VAR-c-d": first.flags["VAR-a-b"]})
    with pytest.raises(OSError):
        save_decisions(path, second)
    assert path.read_bytes() == before                     # the old file is intact
    assert os.listdir(path.parent) == ["flag_decisions.yaml"]   # and no temporary file is left behind
    monkeypatch.undo()
    save_decisions(path, second)
    assert set(load_decisions(path).flags) == {"VAR-a-b", "VAR-c-d"}


def test_decisions_round_trip_and_keep_their_order(tmp_path):
    path = tmp_path / "flag_decisions.yaml"
    history = [flags.Action(decision="action", owner="O", due=dt.date(2026, 2, 1), date=TODAY, by="J", as_at="2025-12"),
               flags.Adjudicated(decision="adjudicated", position="50/50 split agreed", date=TODAY, by="K"),
               flags.Closed(decision="closed", reason="settled", date=TODAY, by="K")]
    save_decisions(path, DecisionsFile(flags={"ELIM-a-b-2025-11": history}))
    assert load_decisions(path).flags["ELIM-a-b-2025-11"] == history
    assert path.read_text(encoding="utf-8").startswith("# openbook flag decisions")


def test_the_register_warns_about_decisions_on_flags_no_longer_raised(workbench, wb_home):
    save_decisions(wb_home / "config" / "flag_decisions.yaml", DecisionsFile(flags={
        "ELIM-nw_icb-wfmh-2024-05": [flags.Closed(decision="closed", reason="old", date=TODAY, by="J")]}))
    code, out, _ = workbench("flags", "list", today=TODAY)
    assert code == 0 and "no longer raised: ELIM-nw_icb-wfmh-2024-05" in out


def test_decide_uses_the_warehouse_only_read_only(wb_home):
    """Recording a decision never writes to the warehouse."""
    warehouse = Paths(wb_home).warehouse
    before = warehouse.resolve().stat().st_mtime_ns
    flags.decide(Paths(wb_home), "MHIS-sf_icb-2025-26", "explained", reason="allocation growth front-loaded",
                 by="J", today=TODAY)
    assert warehouse.resolve().stat().st_mtime_ns == before


def test_commands_without_a_warehouse_say_to_run_first(tmp_path, capsys):
    from workbench import cli as cli_workbench

    for argv in (["flags", "list"], ["flags", "decide", "VAR-a-b", "--explained", "x"]):
        code = cli_workbench.main(["--home", str(tmp_path), *argv])
        err = capsys.readouterr().err
        assert code == 2 and "no warehouse in" in err and "run `openbook run` first" in err, err
