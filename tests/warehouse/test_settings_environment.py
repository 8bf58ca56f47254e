"""environment_restored: what a process that runs several homes relies on to leave its
environment as it found it (a Runner sets OPENBOOK_HOME and DAGSTER_HOME for the process)."""
import os

import pytest

from warehouse.settings import environment_restored


def test_a_changed_variable_gets_its_value_back_and_a_new_one_is_unset_again(monkeypatch):
    monkeypatch.setenv("OPENBOOK_TEST_KEPT", "before")
    monkeypatch.delenv("OPENBOOK_TEST_UNSET", raising=False)
    monkeypatch.delenv("OPENBOOK_TEST_OTHER", raising=False)  # monkeypatch unsets it again afterwards
    with environment_restored("OPENBOOK_TEST_KEPT", "OPENBOOK_TEST_UNSET"):
        os.environ["OPENBOOK_TEST_KEPT"] = "during"
        os.environ["OPENBOOK_TEST_UNSET"] = "during"
        os.environ["OPENBOOK_TEST_OTHER"] = "during"  # not named: left as the block set it
    assert os.environ["OPENBOOK_TEST_KEPT"] == "before"
    assert "OPENBOOK_TEST_UNSET" not in os.environ
    assert os.environ["OPENBOOK_TEST_OTHER"] == "during"


def test_the_environment_is_put_back_when_the_block_fails(monkeypatch):
    monkeypatch.setenv("OPENBOOK_TEST_KEPT", "before")
    with pytest.raises(RuntimeError), environment_restored("OPENBOOK_TEST_KEPT"):
        os.environ["OPENBOOK_TEST_KEPT"] = "during"
        raise RuntimeError("the run failed")
    assert os.environ["OPENBOOK_TEST_KEPT"] == "before"
