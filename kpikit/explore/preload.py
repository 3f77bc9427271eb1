"""The workshop's model, loaded while the server starts.

``kpikit workshop`` starts Voila first and, in parallel, loads the client and
precomputes its cube in its own process (:func:`write_preloaded`), writing them
to a private temporary file that it names in the environment variable
:data:`ENV` (Voila's kernels inherit it). The workbook's
:func:`load_client` then reads that file instead of parsing every export
again, and falls back to :func:`kpikit.load_client` whenever the file is
missing, stale (another ``client.yaml``) or unreadable: in JupyterLab,
papermill or a test, it is exactly :func:`kpikit.load_client`.

The file is a pickle written by this machine's own ``kpikit workshop`` into a
``mkdtemp`` folder (mode 0700) that the command removes when it stops; it is
never read from anywhere else.
"""

from __future__ import annotations

import os
import pickle
import time
from pathlib import Path
from typing import Any

__all__ = ["ENV", "BUNDLE_FILE", "write_preloaded", "load_client"]

#: Environment variable naming the preloaded model file (set only in ``kpikit workshop``'s Voila).
ENV = "KPIKIT_WORKSHOP_MODEL"
#: The charts' JavaScript bundle as a file in the workshop's folder: the one file Voila may serve from it.
BUNDLE_FILE = "kpikit-vega.js"
# While the CLI is still loading, a "<file>.pending" marker exists; the kernel waits this long for it.
WAIT_S = 60.0


def write_preloaded(config: Any, path: Path) -> None:
    """Load ``config``'s client and its cube, and write both to ``path`` (atomically).

    Removes ``<path>.pending`` when done, whether it succeeded or not.
    """
    pending = Path(f"{path}.pending")
    try:
        import kpikit
        from kpikit.explore.precompute import precompute

        model = kpikit.load_client(config)
        doc = {"config": str(Path(config).resolve()), "model": model, "cube": precompute(model)}
        tmp = Path(f"{path}.tmp")
        with tmp.open("wb") as f:
            pickle.dump(doc, f, protocol=pickle.HIGHEST_PROTOCOL)
        tmp.replace(path)
    finally:
        pending.unlink(missing_ok=True)


def load_client(config: Any):
    """:func:`kpikit.load_client`, read from what ``kpikit workshop`` preloaded when it can.

    Examples
    --------
    >>> from kpikit.core.paths import data_samples_dir
    >>> load_client(data_samples_dir() / "lumora" / "client.yaml").config.client
    'lumora'
    """
    import kpikit

    model = _preloaded(config)
    return model if model is not None else kpikit.load_client(config)


def _preloaded(config: Any):
    name = os.environ.get(ENV)
    if not name:
        return None
    path = Path(name)
    end = time.monotonic() + WAIT_S
    while Path(f"{path}.pending").exists() and time.monotonic() < end:
        time.sleep(0.05)
    try:
        with path.open("rb") as f:
            doc = pickle.load(f)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
        return None  # the CLI could not load it either: kpikit.load_client says why
    if not isinstance(doc, dict) or doc.get("config") != str(Path(config).resolve()):
        return None
    from kpikit.explore.precompute import remember

    remember(doc["model"], doc["cube"])
    return doc["model"]
