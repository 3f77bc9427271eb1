"""Run the report workbook for many clients: papermill in-process, any executor.

For each client the runner executes ``workbooks/report.ipynb`` with papermill's
Python API (no ``papermill`` subprocess, no ``jupyter nbconvert`` subprocess:
a worker process imports them once and reuses them for every client it runs),
converts the result to HTML with :mod:`kpikit.report.html`, and publishes

``DIR/<client>/report.ipynb``
    the executed notebook (on failure: the error notebook, failing cell marked)
``DIR/<client>/report.html``
    the client-ready page (code hidden, works offline)
``DIR/<client>/consultant.html``
    the agency's notes: the workbook's cells tagged ``consultant`` (data fixes, config advice)
``DIR/<client>/report.pdf``, ``DIR/<client>/tables.xlsx``
    with ``pdf=True`` (:mod:`kpikit.report.pdf`, one browser for the batch) and ``xlsx=True``
    (:mod:`kpikit.report.xlsx`, written by the workbook)
``DIR/<client>/metrics.json``
    headline metrics, canonical JSON (same inputs, same bytes)
``DIR/<client>/charts/``
    every chart as SVG
``DIR/.kpikit-cache/<client>/``
    the client's parsed exports as Parquet (:mod:`kpikit.ingest.cache`), when the workbook
    has a ``cache_dir`` parameter: a re-run on unchanged exports reads them instead of the raw files

plus ``DIR/index.html`` listing every client (:mod:`kpikit.report.index`).

Guarantees:

* **One client never stops the batch.** A bad export, a failing cell, a
  kernel that dies (``os._exit``, segfault, OOM) or runs past ``timeout`` makes
  that client ``failed`` with a message; the others carry on.
* **Each config is read in its own job.** The batch only peeks at each config's
  ``client:`` id to name its folder (never raising); the client's job reads and
  validates the whole config before any kernel starts, so bad YAML, an unknown
  key, a path outside the client folder, an alias bomb, a UTF-16 file or a
  clashing id fails that client alone, with the :class:`~kpikit.errors.KpikitError`
  message, in ``index.html`` and on the terminal (:meth:`BatchResult.summary`).
* **One batch per output folder.** ``DIR/.kpikit-report.lock`` names the running
  batch's PID; a second batch into ``DIR`` refuses at once, a lock left by a dead
  batch is taken over with a notice (:mod:`kpikit.report.lock`), and a staging
  folder is removed only when the worker that made it is gone.
* **Atomic outputs.** The workbook writes into a staging folder inside the
  client's folder; files are moved into place with :func:`os.replace` only
  when everything succeeded. A killed batch leaves whole files, never half of
  one. A failed client's stale ``report.html``/``metrics.json`` from an
  earlier run are removed, so nothing in ``DIR`` describes a run that did not
  happen.
* **Explicit kernel.** Always ``python3`` of the running interpreter (see
  :mod:`kpikit.report.kernels`) unless another ``kernel_name`` is given.
* **Warm kernels.** Each worker keeps one kernel and wipes its namespace
  between clients (``%reset -f``, counter back to ``In [1]``), so the ~5 s of
  kernel start and imports is paid once per worker, not per client. A client
  that fails, crashes or times out takes its kernel with it; the next client
  starts a new one. ``reuse_kernels=False`` starts a kernel per client.
* **Any executor.** Pass a :class:`concurrent.futures.Executor`: the default is
  a :class:`~concurrent.futures.ProcessPoolExecutor` with one worker per core;
  a ``dask.distributed`` cluster works through ``client.get_executor()``::

      from distributed import Client
      with Client("tcp://scheduler:8786") as client:
          run_reports(["a/client.yaml", "b/client.yaml"], "out", executor=client.get_executor())

  Workers need kpikit installed and the client folders at the same paths.

Examples
--------
>>> from kpikit.report.runner import client_dir
>>> client_dir("/tmp/out", "acme").as_posix()
'/tmp/out/acme'
>>> client_dir("/tmp/out", "../escape")
Traceback (most recent call last):
...
kpikit.errors.ReportError: client id must be letters, digits, '-' or '_' (at most 64, starting with a letter or digit) (found '../escape'). Fix: use the client id from client.yaml, e.g. 'acme-industrial'
"""

from __future__ import annotations

import json
import multiprocessing
import os
import re
import shutil
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Executor, Future, ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from kpikit.core.names import CLIENT_ID_RULE, is_plain_id
from kpikit.core.paths import workbook
from kpikit.errors import ConfigError, KpikitError, ReportError
from kpikit.report._io import atomic_write_text, replace_dir, write_json
from kpikit.report.lock import OutputLock, pid_alive
from kpikit.report.redact import redact

__all__ = [
    "ClientJob",
    "ClientResult",
    "BatchResult",
    "run_reports",
    "run_client",
    "client_dir",
    "OUTPUTS",
    "REQUIRED_PARAMETERS",
]

# What a successful client publishes; anything else the workbook writes into
# ``output_dir`` is published too.
OUTPUTS = ("report.ipynb", "report.html", "metrics.json", "charts", "consultant.html", "tables.xlsx", "report.pdf")
REQUIRED_PARAMETERS = ("client_config", "output_dir")
# Set by the runner when the workbook declares it (DIR/.kpikit-cache/<client>); never by the caller.
CACHE_PARAMETER = "cache_dir"
#: Where the batch keeps each client's parsed exports: ``DIR/.kpikit-cache/<client>``.
CACHE_FOLDER = ".kpikit-cache"
DEFAULT_TIMEOUT = 600.0
# The watchdog kills the kernel this long after the per-cell limit would have
# fired, so a cell timeout (which nbclient reports precisely) normally wins.
_WATCHDOG_GRACE = 5.0
_STAGING_PREFIX = ".partial-"
_MAX_MESSAGE = 2000


def client_dir(out_dir: str | os.PathLike, client: str) -> Path:
    """The output folder of ``client`` inside ``out_dir``; refuse ids that would escape it.

    Raises
    ------
    ReportError
        if ``client`` is empty, absolute, contains a path separator or ``..``,
        or otherwise is not a plain id (:func:`kpikit.core.names.is_plain_id`).
    """
    if not is_plain_id(client):
        raise ReportError(
            f"client id must be {CLIENT_ID_RULE}",
            found=repr(client),
            fix="use the client id from client.yaml, e.g. 'acme-industrial'",
        )
    out = Path(out_dir)
    path = out / client
    # Belt and braces: the pattern already rules out separators and "..".
    if os.path.commonpath([out.resolve(), path.resolve()]) != str(out.resolve()):
        raise ReportError("client folder would be outside the output folder", found=repr(client))
    return path


@dataclass(frozen=True)
class ClientJob:
    """Everything a worker needs to produce one client's report (plain, picklable values)."""

    client: str
    config: str
    out_dir: str
    notebook: str
    kernel_name: str = "python3"
    timeout: float | None = DEFAULT_TIMEOUT
    parameters: Mapping[str, Any] = field(default_factory=dict)
    # Reuse the worker thread's warm kernel (namespace reset between clients).
    reuse_kernel: bool = True
    # The config of an earlier client with the same ``client:`` id: this one fails once its config is checked.
    duplicate_of: str | None = None
    # Pass DIR/.kpikit-cache/<client> as the workbook's cache_dir (parsed exports reused across runs).
    cache: bool = False


@dataclass(frozen=True)
class ClientResult:
    """The outcome of one client's report.

    Attributes
    ----------
    client : str
        Client id (its folder name in the output folder).
    status : str
        ``"ok"`` or ``"failed"``.
    config : str
        The client config the report was run from.
    seconds : float
        Wall time of this client, kernel start included.
    error, error_type : str or None
        What went wrong (personal data removed), and its kind (the exception
        name raised in the workbook, ``KernelDied``, ``Timeout``, ...).
    failed_cell : int or None
        Execution count of the cell that failed (``In [n]`` in the notebook).
    metrics : dict
        The client's ``metrics.json`` (empty on failure).
    html_bytes : int
        Size of ``report.html``.
    """

    client: str
    status: str
    config: str
    seconds: float = 0.0
    error: str | None = None
    error_type: str | None = None
    failed_cell: int | None = None
    metrics: dict = field(default_factory=dict)
    html_bytes: int = 0

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class BatchResult:
    """Every client's :class:`ClientResult`, in client-id order, and where the index is."""

    results: tuple[ClientResult, ...]
    out_dir: Path
    index: Path | None = None

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.results)

    @property
    def failed(self) -> tuple[ClientResult, ...]:
        return tuple(r for r in self.results if not r.ok)

    def __getitem__(self, client: str) -> ClientResult:
        for r in self.results:
            if r.client == client:
                return r
        raise KeyError(client)

    def summary(self) -> str:
        """Lines for a terminal: counts, then each failed client with its whole message.

        The first line of a failure keeps the kind (``ConfigError``, ``KernelDied``...); the
        rest of the message (every problem of a file, the fix) follows, indented, so a
        consultant never has to open the index to learn what "1 problem" was.
        """
        n_ok = sum(r.ok for r in self.results)
        lines = [f"{n_ok} of {len(self.results)} client reports written to {self.out_dir}"]
        for r in self.failed:
            message = (r.error or "").strip().splitlines() or [""]
            lines.append(f"  FAILED {r.client}: {r.error_type}: {message[0]}")
            lines += [f"      {line.strip()}" for line in message[1:] if line.strip()]
        if self.index is not None:
            lines.append(f"index: {self.index}")
        return "\n".join(lines)

    def to_frame(self):
        import pandas as pd

        return pd.DataFrame([{k: v for k, v in r.to_dict().items() if k != "metrics"} for r in self.results])

    def _repr_html_(self) -> str:
        from kpikit.report.index import index_table

        return index_table(self.results)


# --------------------------------------------------------------------------- worker side


def _truncate(text: str) -> str:
    text = redact(text.strip())
    return text if len(text) <= _MAX_MESSAGE else text[: _MAX_MESSAGE - 1] + "…"


def _last_started_cell(nb: Any) -> int | None:
    """Index of the cell that was running when execution stopped.

    papermill stamps ``start_time`` on each cell it starts; at the end it marks
    never-started cells "completed" too, so the status alone cannot tell.
    """
    last = None
    for i, cell in enumerate(nb.cells):
        if cell.get("metadata", {}).get("papermill", {}).get("start_time"):
            last = i
    return last


def _mark_failed_cell(nb: Any, ename: str, evalue: str) -> int | None:
    """Mark the cell that was running as failed, the way papermill marks a raising cell.

    Used when the kernel died or timed out: papermill marks only cells that
    raised. Returns the cell's execution count.
    """
    import nbformat
    from papermill.execute import ERROR_ANCHOR_MSG, ERROR_MARKER_TAG, ERROR_MESSAGE_TEMPLATE

    index = _last_started_cell(nb)
    if index is None:
        return None
    cell = nb.cells[index]
    cell.metadata.setdefault("papermill", {})["exception"] = True
    cell.metadata["papermill"]["status"] = "failed"
    if cell.cell_type == "code":
        cell.outputs.append(
            nbformat.v4.new_output("error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"])
        )
    count = cell.get("execution_count")
    if count is None and cell.cell_type == "code":
        # The kernel died before echoing the count: number it as Jupyter would have.
        count = 1 + max((c.get("execution_count") or 0 for c in nb.cells[:index] if c.cell_type == "code"), default=0)
        cell.execution_count = count
    head = nbformat.v4.new_markdown_cell(ERROR_MESSAGE_TEMPLATE % str(count))
    head.metadata["tags"] = [ERROR_MARKER_TAG]
    anchor = nbformat.v4.new_markdown_cell(ERROR_ANCHOR_MSG)
    anchor.metadata["tags"] = [ERROR_MARKER_TAG]
    nb.cells.insert(index, anchor)
    nb.cells.insert(0, head)
    return count


def _publish(staging: Path, target: Path) -> None:
    """Move every staged output into the client's folder; drop outputs this run did not make."""
    for name in OUTPUTS:
        if not (staging / name).exists():
            _remove(target / name)
    # The notebook last: its presence with a fresh mtime means the rest is there.
    entries = sorted(staging.iterdir(), key=lambda p: (p.name == "report.ipynb", p.name))
    for entry in entries:
        if entry.is_dir():
            replace_dir(entry, target / entry.name)
        else:
            os.replace(entry, target / entry.name)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def _write_notebook(nb: Any, path: Path) -> None:
    import nbformat

    atomic_write_text(path, nbformat.writes(nb))


class _Watchdog:
    """Kill the kernel when the whole client overruns its time limit."""

    def __init__(self, limit: float | None, started: list) -> None:
        self.fired = False
        self._started = started
        self._timer = None if limit is None else threading.Timer(limit, self._kill)
        if self._timer is not None:
            self._timer.daemon = True
            self._timer.start()

    def _kill(self) -> None:
        from kpikit.report.kernels import kill_kernel

        self.fired = True
        for km in list(self._started):
            kill_kernel(km)

    def cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()


def _explain(exc: BaseException, job: ClientJob, watchdog: _Watchdog | None) -> tuple[str, str, int | None]:
    """(error_type, message, execution count or None) for any failure."""
    from nbclient.exceptions import CellTimeoutError, DeadKernelError
    from papermill.exceptions import PapermillExecutionError

    if isinstance(exc, PapermillExecutionError):
        return exc.ename, exc.evalue or exc.ename, exc.exec_count
    if (watchdog is not None and watchdog.fired) or isinstance(exc, CellTimeoutError | TimeoutError):
        return "Timeout", f"the report ran longer than the {job.timeout:g} s limit (--timeout) and was stopped", None
    if isinstance(exc, DeadKernelError):
        return "KernelDied", "the Python kernel died while running the report (crash or out of memory)", None
    if isinstance(exc, KpikitError):
        return type(exc).__name__, str(exc), None
    return type(exc).__name__, str(exc) or repr(exc), None


def run_client(job: ClientJob) -> ClientResult:
    """Produce one client's report. Never raises: a failure is a ``failed`` result.

    This is what each executor worker runs; it must stay a top-level function
    so process pools and dask can pickle it.
    """
    start = time.perf_counter()
    target = Path(job.out_dir) / job.client

    def failed(error_type: str, message: str, cell: int | None = None) -> ClientResult:
        for name in OUTPUTS[1:]:  # a stale report from an earlier run must not look current
            _remove(target / name)
        return ClientResult(
            client=job.client,
            status="failed",
            config=job.config,
            seconds=round(time.perf_counter() - start, 3),
            error=_truncate(message),
            error_type=error_type,
            failed_cell=cell,
        )

    try:
        target.mkdir(parents=True, exist_ok=True)
        for stale in target.glob(_STAGING_PREFIX + "*"):
            if not _staging_alive(stale):  # left by a killed run; a live one is another worker's
                _remove(stale)
    except OSError as exc:
        return failed(type(exc).__name__, str(exc))

    # The config is read and validated here, in the client's own job, before any kernel starts:
    # whatever is wrong with it (YAML, keys, paths, encoding, a parser crash) fails this client only.
    cfg, problem = _read_config(job.config)
    if problem is None and job.duplicate_of is not None:
        problem = (
            "ConfigError",
            str(
                ConfigError(
                    f"client id {cfg.client!r} is also used by another client config: their reports would overwrite "
                    "each other",
                    file=job.config,
                    found=job.duplicate_of,
                    fix="give each client a unique `client:` id",
                )
            ),
        )
    if problem is not None:
        _remove(target / "report.ipynb")  # no notebook ran: an old one must not look like this run's
        return failed(*problem)

    try:
        staging = target / f"{_STAGING_PREFIX}{os.getpid()}-{uuid.uuid4().hex[:8]}"
        staging.mkdir()
    except OSError as exc:
        return failed(type(exc).__name__, str(exc))
    try:
        return _run_in(job, cfg, staging, target, start, failed)
    finally:
        _remove(staging)


def _read_config(path: str) -> tuple[Any, tuple[str, str] | None]:
    """``(config, None)``, or ``(None, (error_type, message))`` when the client config cannot be used.

    Never raises: a config that breaks the reader in a way kpikit did not foresee is still one
    client's failure, described by its kind only (the exception text could quote the file).
    """
    from kpikit.config import ClientConfig

    try:
        return ClientConfig.from_yaml(path), None
    except KpikitError as exc:
        return None, (type(exc).__name__, str(exc))
    except Exception as exc:  # isolation is the point: one client's config never stops the batch
        return None, ("ConfigError", f"{path}: the client config could not be read ({type(exc).__name__})")


def _staging_alive(folder: Path) -> bool:
    """Whether the worker that made staging ``folder`` (``.partial-<pid>-<hex>``) is still running."""
    pid = folder.name[len(_STAGING_PREFIX) :].split("-", 1)[0]
    return pid.isdigit() and int(pid) != os.getpid() and pid_alive(int(pid))


def _run_in(job: ClientJob, cfg: Any, staging: Path, target: Path, start: float, failed: Callable) -> ClientResult:
    # Deferred: papermill and nbconvert cost ~1.5 s to import; a worker pays it once.
    import nbformat
    import papermill

    from kpikit.report.html import Branding, export_html, has_audience
    from kpikit.report.kernels import WARM, kernel_manager_class, kill_kernel, warm_engine
    from kpikit.report.redact import redact_notebook

    staged_nb = staging / "report.ipynb"
    parameters = {**job.parameters, "client_config": job.config, "output_dir": str(staging)}
    if job.cache:
        # Beside the deliverables, not among them: a client folder can be zipped and sent as it is.
        parameters[CACHE_PARAMETER] = str(Path(job.out_dir) / CACHE_FOLDER / job.client)
    # Kernel cwd = the workbook's folder, as in JupyterLab.
    cwd = str(Path(job.notebook).parent)
    started: list = []
    watchdog = None
    succeeded = False
    try:
        if job.reuse_kernel:
            started.append(WARM.acquire(job.kernel_name, cwd))
            kernel = {"km": started[0], "engine_name": warm_engine()}
        else:
            # cwd through nbclient's resources, not papermill's cwd= (os.chdir is process-wide, races in threads).
            kernel = {
                "kernel_manager_class": kernel_manager_class(job.kernel_name, started),
                "resources": {"metadata": {"path": cwd}},
            }
        watchdog = _Watchdog(None if job.timeout is None else job.timeout + _WATCHDOG_GRACE, started)
        nb = papermill.execute_notebook(
            job.notebook,
            str(staged_nb),
            parameters=parameters,
            kernel_name=job.kernel_name,
            progress_bar=False,
            request_save_on_cell_execute=True,
            execution_timeout=job.timeout,
            **kernel,
        )
        watchdog.cancel()
        if watchdog.fired:
            raise TimeoutError("watchdog")
        redact_notebook(nb)
        metrics_path = staging / "metrics.json"
        if not metrics_path.is_file():
            raise ReportError(
                "the workbook ran but wrote no metrics.json",
                file=job.notebook,
                fix="end the workbook with a cell that calls book.save_metrics()",
            )
        metrics = json.loads(metrics_path.read_text(encoding="utf-8"))
        write_json(metrics_path, metrics)  # canonical bytes whatever the workbook wrote
        branding = Branding.from_config(cfg)
        page = export_html(nb, branding)
        atomic_write_text(staging / "report.html", page)
        if has_audience(nb, "consultant"):
            atomic_write_text(staging / "consultant.html", export_html(nb, branding, audience="consultant"))
        _write_notebook(nb, staged_nb)
        _publish(staging, target)
        succeeded = True
        return ClientResult(
            client=job.client,
            status="ok",
            config=job.config,
            seconds=round(time.perf_counter() - start, 3),
            metrics=metrics,
            html_bytes=len(page.encode("utf-8")),
        )
    except Exception as exc:
        if watchdog is not None:
            watchdog.cancel()
        error_type, message, cell = _explain(exc, job, watchdog)
        if staged_nb.is_file():
            try:
                nb = nbformat.read(staged_nb, as_version=4)
                if error_type in {"Timeout", "KernelDied"}:
                    cell = _mark_failed_cell(nb, error_type, message)
                redact_notebook(nb)
                _write_notebook(nb, target / "report.ipynb")
            except Exception as write_exc:  # the original failure matters more
                message += f" (the error notebook could not be saved: {write_exc})"
        else:
            _remove(target / "report.ipynb")
        if cell is not None:
            message = f"{message} [cell In [{cell}] of report.ipynb]"
        return failed(error_type, message, cell)
    finally:
        if job.reuse_kernel:
            # A warm kernel survives only a clean run; after any failure the next client gets a new one.
            if succeeded:
                WARM.reset()
            else:
                WARM.discard()
        else:
            for km in started:  # nbclient shuts its kernel down; make sure a killed one leaves no process
                kill_kernel(km)


# --------------------------------------------------------------------------- orchestration


def _read_notebook_parameters(notebook: Path) -> set[str]:
    import papermill

    if not notebook.is_file():
        raise ReportError("report workbook not found", file=str(notebook), fix="pass --notebook or reinstall kpikit")
    names = set(papermill.inspect_notebook(str(notebook)))
    missing = [p for p in REQUIRED_PARAMETERS if p not in names]
    if missing:
        raise ReportError(
            "the report workbook's parameters cell lacks required parameters",
            file=str(notebook),
            expected=f"parameters {list(REQUIRED_PARAMETERS)}",
            found=f"{sorted(names)}",
            fix="tag the first code cell 'parameters' and define client_config and output_dir there",
        )
    return names


def _jobs_for(
    clients: Iterable[str | os.PathLike] | Mapping[str, str | os.PathLike],
    out_dir: Path,
    **common: Any,
) -> list[ClientJob]:
    items = clients.items() if isinstance(clients, Mapping) else ((None, c) for c in clients)
    named: list[tuple[str, bool, Path]] = []  # (client id, taken from the folder name, config)
    for given_id, config in items:
        config_path = Path(config)
        if config_path.is_dir():
            config_path = config_path / "client.yaml"
        config_path = config_path.resolve()
        client = given_id or _peek_client_id(config_path)
        named.append((client or _folder_id(config_path), client is None, config_path))
    jobs: list[ClientJob] = []
    seen: dict[str, str] = {}  # client id -> its config
    taken = {client for client, fallback, _ in named if not fallback}
    listed: set[Path] = set()
    for client, fallback, config_path in named:
        if config_path in listed:
            raise ReportError(
                "the same client config is listed twice: its reports would overwrite each other",
                file=str(config_path),
                fix="list each client once (a config and its folder are the same client)",
            )
        listed.add(config_path)
        duplicate_of = None
        if not fallback and client in seen:
            # Another config has this id: this client fails on its own, under a stand-in id, once its
            # config is checked (a real problem in it comes first), instead of stopping the batch.
            duplicate_of, fallback, client = seen[client], True, _folder_id(config_path)
        if fallback:
            # A stand-in id must not collide: two broken configs are two failures, not a batch refusal.
            base, n = client, 1
            while client in seen or client in taken:
                n += 1
                client = f"{base[:60]}-{n}"
        client_dir(out_dir, client)  # raises ReportError for ids that escape out_dir
        seen[client] = str(config_path)
        jobs.append(
            ClientJob(client=client, config=str(config_path), out_dir=str(out_dir), duplicate_of=duplicate_of, **common)
        )
    return jobs


def _peek_client_id(config_path: Path) -> str | None:
    """The ``client:`` id a config names, to name its output folder (None: no usable id); never raises.

    Only the id is looked at, through the bounded YAML reader, and nothing is validated
    here: the client's own job reads and validates the whole config.
    """
    from kpikit.config import read_yaml_mapping

    try:
        client = read_yaml_mapping(config_path, what="client config", missing_fix="", template="").get("client")
    except Exception:  # the job reports what is wrong with the config
        return None
    return client if is_plain_id(client) else None


def _folder_id(config_path: Path) -> str:
    # The folder name stands in for the id, so a config without one still gets a row and a folder.
    return re.sub(r"[^A-Za-z0-9_-]", "_", config_path.parent.name).lstrip("_-")[:64] or "client"


def default_executor(jobs: int | None = None) -> ProcessPoolExecutor:
    """A process pool with ``jobs`` workers (default: one per core).

    Workers are started with ``forkserver`` (``spawn`` where unavailable), never
    ``fork``: forking a process that runs threads (a Jupyter kernel calling
    :func:`run_reports`, zmq) can deadlock.
    """
    n = jobs or os.cpu_count() or 1
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
    return ProcessPoolExecutor(max_workers=n, mp_context=context, initializer=_quiet_worker)


def _quiet_worker() -> None:
    # papermill/nbclient log every kernel death and timeout to stderr; the runner
    # reports them as results, and the log lines would break the progress bar.
    import logging

    logging.getLogger("papermill").setLevel(logging.CRITICAL)
    logging.getLogger("traitlets").setLevel(logging.CRITICAL)


def run_reports(
    clients: Iterable[str | os.PathLike] | Mapping[str, str | os.PathLike],
    out_dir: str | os.PathLike,
    *,
    executor: Executor | None = None,
    jobs: int | None = None,
    notebook: str | os.PathLike | None = None,
    kernel_name: str | None = None,
    timeout: float | None = DEFAULT_TIMEOUT,
    parameters: Mapping[str, Any] | None = None,
    progress: Callable[[ClientResult], None] | None = None,
    write_index: bool = True,
    reuse_kernels: bool = True,
    pdf: bool = False,
    xlsx: bool = False,
    browser: str | os.PathLike | None = None,
    notice: Callable[[str], None] | None = None,
    cache: bool = True,
) -> BatchResult:
    """Run the report workbook for every client and write ``out_dir/index.html``.

    Parameters
    ----------
    clients : list of paths, or mapping of client id to path
        Client configs (``client.yaml`` or its folder). With a list, each
        client's id is its config's ``client:``; a mapping sets the ids.
    out_dir : path
        Output folder; each client gets ``out_dir/<client>/``.
    executor : concurrent.futures.Executor, optional
        Where clients run. Default: a process pool with ``jobs`` workers,
        shut down afterwards. A passed executor is left running (it is yours).
    jobs : int, optional
        Workers of the default pool (default: number of cores).
    notebook : path, optional
        Report workbook (default ``workbooks/report.ipynb``).
    kernel_name : str, optional
        Jupyter kernel; default ``python3`` of this interpreter.
    timeout : float or None
        Seconds one client may run (kernel start excluded). None: no limit.
    parameters : mapping, optional
        Extra workbook parameters for every client; must exist in the
        workbook's parameters cell.
    progress : callable, optional
        Called with each :class:`ClientResult` as it completes (progress bars).
    write_index : bool
        Write ``out_dir/index.html`` (default True).
    reuse_kernels : bool
        Keep one warm kernel per worker and wipe its namespace between
        clients (default), instead of a new kernel per client. Imports
        (pandas, altair, vl-convert) are then paid once per worker. Any
        failure discards the kernel.
    pdf : bool
        Also print each report to ``report.pdf`` (Chromium via Playwright, one
        browser for the whole batch, after every client ran). Needs the ``pdf``
        extra; checked before anything runs.
    xlsx : bool
        Also write ``tables.xlsx`` per client (the workbook's ``xlsx`` parameter).
    browser : path, optional
        Chromium or Chrome executable for ``pdf`` (see :func:`kpikit.report.pdf.find_browser`).
    notice : callable, optional
        Called with one line when the batch takes over a stale lock on ``out_dir`` left by a
        run that died (default: a :class:`UserWarning`).
    cache : bool
        Keep each client's parsed exports in ``out_dir/.kpikit-cache/<client>`` and reuse them while
        the exports are unchanged (default True; only for a workbook with a ``cache_dir`` parameter).

    Returns
    -------
    BatchResult
        Results in client-id order. Failed clients are results, not exceptions.

    Raises
    ------
    ReportError
        Before anything runs, for problems that concern the whole batch: a
        client id that would escape ``out_dir``, duplicate ids, a missing
        workbook or kernel, unknown parameters, or another batch writing into ``out_dir``
        (:class:`~kpikit.report.lock.OutputLock`; the message names the lock file and its PID).
    """
    from kpikit.report.kernels import resolve_kernel_name

    out = Path(out_dir).resolve()
    nb_path = Path(notebook).resolve() if notebook else workbook("report.ipynb")
    known = _read_notebook_parameters(nb_path)
    extra = dict(parameters or {})
    if xlsx:
        extra["xlsx"] = True
    if pdf:
        from kpikit.report.pdf import check_pdf

        browser = check_pdf(browser)  # before any client runs: a batch must not fail at its very end
    unknown = sorted(set(extra) - known)
    reserved = sorted(set(extra) & {*REQUIRED_PARAMETERS, CACHE_PARAMETER})
    if unknown or reserved:
        raise ReportError(
            "unknown or reserved workbook parameters",
            file=str(nb_path),
            expected=f"some of {sorted(known - {*REQUIRED_PARAMETERS, CACHE_PARAMETER})}",
            found=repr(unknown + reserved),
            fix="check the names with `papermill --help-notebook workbooks/report.ipynb`",
        )
    kernel = resolve_kernel_name(kernel_name)
    if timeout is not None and not timeout > 0:
        raise ReportError("timeout must be a positive number of seconds", found=repr(timeout))
    job_list = _jobs_for(
        clients,
        out,
        notebook=str(nb_path),
        kernel_name=kernel,
        timeout=timeout,
        parameters=extra,
        reuse_kernel=reuse_kernels,  # `kpikit report --fresh-kernels` arrives here as False
        cache=cache and CACHE_PARAMETER in known,
    )
    out.mkdir(parents=True, exist_ok=True)
    # Held until the index is written: a second batch into this folder refuses at once (kpikit.report.lock).
    with OutputLock(out, notice=notice or _warn):
        return _run_batch(job_list, out, executor, jobs, progress, pdf, browser, write_index)


def _warn(line: str) -> None:
    import warnings

    warnings.warn(line, stacklevel=3)


def _run_batch(
    job_list: list[ClientJob],
    out: Path,
    executor: Executor | None,
    jobs: int | None,
    progress: Callable[[ClientResult], None] | None,
    pdf: bool,
    browser: Any,
    write_index: bool,
) -> BatchResult:
    """Run ``job_list`` on the executor, then the PDFs and the index (the caller holds the lock)."""
    own = executor is None
    pool = default_executor(min(jobs or os.cpu_count() or 1, max(len(job_list), 1))) if own else executor
    results: dict[str, ClientResult] = {}
    try:
        futures: dict[Future, ClientJob] = {pool.submit(run_client, job): job for job in job_list}
        for future in as_completed(futures):
            job = futures[future]
            try:
                result = future.result()
            except Exception as exc:  # the worker itself died (not the kernel): still one client
                result = ClientResult(
                    client=job.client,
                    status="failed",
                    config=job.config,
                    error=_truncate(f"the worker running this client failed: {type(exc).__name__}: {exc}"),
                    error_type="WorkerError",
                )
            results[job.client] = result
            if progress is not None:
                progress(result)
    finally:
        if own:
            pool.shutdown(wait=True, cancel_futures=True)

    ordered = tuple(results[c] for c in sorted(results))
    if pdf:
        from kpikit.report.pdf import print_reports

        ordered = print_reports(ordered, out, browser=browser)
    index = None
    if write_index:
        from kpikit.report.index import write_index as _write_index

        index = _write_index(ordered, out)
    return BatchResult(results=ordered, out_dir=out, index=index)
