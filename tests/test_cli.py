from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

from kpikit import cli


def test_help_lists_every_command(capsys):
    assert cli.main(["--help"]) == 0
    out = capsys.readouterr().out
    for name in cli.COMMANDS:
        assert name in out


def test_unknown_command(capsys):
    assert cli.main(["frobnicate"]) == 2
    assert "unknown command 'frobnicate'" in capsys.readouterr().err


@pytest.mark.parametrize("name", list(cli.COMMANDS))
def test_every_command_module_exists(name):
    module = importlib.import_module(cli.COMMANDS[name][0])
    assert callable(module.main)


def test_console_script_runs():
    out = subprocess.run([sys.executable, "-m", "kpikit.cli", "--help"], capture_output=True, text=True, check=True)
    assert "usage: kpikit" in out.stdout
