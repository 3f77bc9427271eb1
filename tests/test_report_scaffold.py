"""kpikit new-client: a valid client folder from templates/client.yaml, never an overwrite."""

from __future__ import annotations

import pytest

from kpikit.cli import main as kpikit_main
from kpikit.config import ClientConfig
from kpikit.errors import ConfigError
from kpikit.report.scaffold import TARGET_ACCOUNTS_HEADER, new_client


def test_new_client_via_the_cli(tmp_path, capsys):
    assert kpikit_main(["new-client", "acme-industrial", "--dir", str(tmp_path)]) == 0
    folder = tmp_path / "acme-industrial"
    cfg = ClientConfig.from_yaml(folder / "client.yaml")
    assert (cfg.client, cfg.name, cfg.currency) == ("acme-industrial", "Acme Industrial", "EUR")
    assert (folder / "exports").is_dir() and cfg.exports == ()
    assert (folder / "target_accounts.csv").read_text() == TARGET_ACCOUNTS_HEADER
    text = (folder / "client.yaml").read_text()
    assert "# id used for folders" in text  # the template's comments survive
    assert "change-me" not in text and len(cfg.salt) == 32
    assert "created" in capsys.readouterr().out


def test_every_client_gets_its_own_salt(tmp_path):
    a = ClientConfig.from_yaml(new_client("a", tmp_path) / "client.yaml")
    b = ClientConfig.from_yaml(new_client("b", tmp_path) / "client.yaml")
    assert a.salt != b.salt


def test_display_name_is_quoted_safely(tmp_path):
    folder = new_client("odd", tmp_path, display_name='O\'Brien "&" Sons: #1')
    assert ClientConfig.from_yaml(folder / "client.yaml").name == 'O\'Brien "&" Sons: #1'


def test_existing_client_is_never_overwritten(tmp_path, capsys):
    folder = new_client("acme", tmp_path)
    (folder / "client.yaml").write_text("client: acme\nname: Edited by hand\n")
    assert kpikit_main(["new-client", "acme", "--dir", str(tmp_path)]) == 1
    assert "never overwrites" in capsys.readouterr().err
    assert "Edited by hand" in (folder / "client.yaml").read_text()


@pytest.mark.parametrize("bad", ["../escape", "/abs", "a b", "", "-lead", "acme\n", "x" * 65])
def test_bad_names_are_refused(tmp_path, bad):
    with pytest.raises(ConfigError, match="client id"):
        new_client(bad, tmp_path)
    assert list(tmp_path.iterdir()) == []
