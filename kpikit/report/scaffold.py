"""``kpikit new-client NAME``: a new client folder from ``templates/client.yaml``.

Creates ``DIR/NAME/client.yaml`` (the template with the client id, display
name and a fresh random hashing salt filled in), an empty ``exports/`` folder
for the raw platform and CRM exports, and a ``target_accounts.csv`` with just
its header. It never overwrites an existing client.

Examples
--------
>>> import tempfile
>>> from pathlib import Path
>>> from kpikit.config import ClientConfig
>>> from kpikit.report.scaffold import new_client
>>> with tempfile.TemporaryDirectory() as tmp:
...     folder = new_client("acme-industrial", tmp)
...     cfg = ClientConfig.from_yaml(folder / "client.yaml")
...     cfg.client, cfg.name, (folder / "exports").is_dir(), cfg.salt != "change-me"
('acme-industrial', 'Acme Industrial', True, True)
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import sys
from collections.abc import Sequence
from pathlib import Path

from kpikit.core.names import CLIENT_ID_RULE, is_plain_id
from kpikit.core.paths import client_template
from kpikit.errors import ConfigError

__all__ = ["new_client", "main"]

TARGET_ACCOUNTS_HEADER = "account_domain,account_name,tier\n"


def _set_value(text: str, key: str, value: str) -> str:
    """Replace a top-level ``key: value`` in YAML text, keeping its trailing comment."""
    pattern = re.compile(rf"^({re.escape(key)}:\s*)(\S.*?)(\s+#.*)?$", re.MULTILINE)
    if not pattern.search(text):
        return text + f"{key}: {value}\n"
    return pattern.sub(lambda m: f"{m.group(1)}{value}{m.group(3) or ''}", text, count=1)


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def new_client(
    name: str, parent: str | os.PathLike = ".", *, display_name: str | None = None, template: Path | None = None
) -> Path:
    """Create ``parent/name/`` from the client template and return the folder.

    Parameters
    ----------
    name : str
        Client id: letters, digits, ``-`` and ``_`` (it becomes a folder name).
    parent : path
        Folder to create the client folder in (default: current folder).
    display_name : str, optional
        Name shown in reports; default derived from ``name`` ("acme-industrial"
        -> "Acme Industrial").
    template : path, optional
        Client template; default ``templates/client.yaml`` (:func:`kpikit.core.paths.client_template`).

    Raises
    ------
    ConfigError
        for an invalid id, or when the client folder already has a client.yaml.
    """
    if not is_plain_id(name):
        raise ConfigError(
            f"client id must be {CLIENT_ID_RULE}",
            found=repr(name),
            fix="e.g. `kpikit new-client acme-industrial`",
        )
    template = client_template() if template is None else Path(template)
    folder = Path(parent) / name
    config = folder / "client.yaml"
    if config.exists():
        raise ConfigError(
            "client already exists; kpikit never overwrites a client config",
            file=str(config),
            fix="pick another name or edit the existing client.yaml",
        )
    if not template.is_file():
        raise ConfigError("client template not found", file=str(template), fix="reinstall kpikit from its repository")
    title = display_name or " ".join(part.capitalize() for part in re.split(r"[-_]+", name) if part)
    text = template.read_text(encoding="utf-8")
    text = _set_value(text, "client", name)
    text = _set_value(text, "name", _quote(title))
    # A fresh salt per client: contact keys of two clients never match by accident.
    text = _set_value(text, "salt", secrets.token_hex(16))
    (folder / "exports").mkdir(parents=True, exist_ok=True)
    accounts = folder / "target_accounts.csv"
    if not accounts.exists():
        accounts.write_text(TARGET_ACCOUNTS_HEADER, encoding="utf-8")
    config.write_text(text, encoding="utf-8")
    return folder


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``kpikit new-client``."""
    parser = argparse.ArgumentParser(
        prog="kpikit new-client", description="Create a client folder (client.yaml, exports/) from templates/."
    )
    parser.add_argument("name", help="client id: letters, digits, - and _")
    parser.add_argument("--dir", default=".", help="parent folder (default: current folder)")
    parser.add_argument("--display-name", default=None, help="name shown in reports")
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    folder = new_client(args.name, args.dir, display_name=args.display_name)
    print(f"created {folder}/client.yaml; put the client's exports in {folder}/exports/")
    print(f"then run: kpikit report {folder}/client.yaml --out build/reports")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
