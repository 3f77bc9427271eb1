"""Which kernel runs a report: always the interpreter that runs kpikit.

papermill's most common failure is the kernel name: a notebook names a kernel
that is not installed (``NoSuchKernel``), or a user-level kernelspec found
through ``JUPYTER_PATH`` shadows the virtualenv's own and starts a Python
without kpikit ("Kernel died before replying to kernel_info"). The runner
therefore always passes an explicit kernel name and resolves ``python3`` only
from this interpreter's own kernelspec folder (``sys.prefix/share/jupyter/
kernels``), falling back to ipykernel's built-in spec, which also runs
``sys.executable``.

Examples
--------
>>> import sys
>>> from kpikit.report.kernels import kernel_spec_manager, resolve_kernel_name
>>> resolve_kernel_name(None)
'python3'
>>> spec = kernel_spec_manager("python3").get_kernel_spec("python3")
>>> spec.argv[0] in {"python", "python3", sys.executable}
True
"""

from __future__ import annotations

import atexit
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from kpikit.errors import ReportError

__all__ = [
    "DEFAULT_KERNEL",
    "WARM",
    "WarmKernels",
    "kernel_spec_manager",
    "resolve_kernel_name",
    "kernel_manager_class",
    "kill_kernel",
]

DEFAULT_KERNEL = "python3"


def _own_kernel_dir() -> Path:
    return Path(sys.prefix) / "share" / "jupyter" / "kernels"


def kernel_spec_manager(kernel_name: str):
    """A KernelSpecManager that finds ``python3`` in this interpreter's prefix only.

    Other kernel names use Jupyter's normal search path.
    """
    from jupyter_client.kernelspec import KernelSpecManager  # deferred: jupyter_client is slow to import

    if kernel_name == DEFAULT_KERNEL:
        return KernelSpecManager(kernel_dirs=[str(_own_kernel_dir())], ensure_native_kernel=True)
    return KernelSpecManager()


def resolve_kernel_name(kernel_name: str | None) -> str:
    """Check that ``kernel_name`` exists (default ``python3``); raise :class:`ReportError` if not."""
    name = kernel_name or DEFAULT_KERNEL
    specs = kernel_spec_manager(name).find_kernel_specs()
    if name not in specs:
        raise ReportError(
            f"no Jupyter kernel named {name!r}",
            expected=f"one of {sorted(specs)}",
            found=repr(name),
            fix="omit --kernel to use this Python, or install the kernel (`python -m ipykernel install --sys-prefix`)",
        )
    return name


def kernel_manager_class(kernel_name: str, started: list):
    """An ``AsyncKernelManager`` subclass pinned to :func:`kernel_spec_manager`.

    Every manager that starts a kernel appends itself to ``started`` so the
    runner's watchdog can kill a kernel that overruns the client's time limit.
    nbclient creates and owns the manager, so it also shuts the kernel down.
    """
    from jupyter_client.manager import AsyncKernelManager
    from traitlets import default

    class PinnedKernelManager(AsyncKernelManager):
        @default("kernel_spec_manager")
        def _pinned_spec_manager(self):
            return kernel_spec_manager(kernel_name)

        async def start_kernel(self, **kw):
            # The kernel's own log (tracebacks of a killed kernel, warnings) would
            # interleave with the batch's progress bar; the notebook keeps the errors.
            kw.setdefault("stdout", subprocess.DEVNULL)
            kw.setdefault("stderr", subprocess.DEVNULL)
            await super().start_kernel(**kw)
            started.append(self)

    return PinnedKernelManager


def kernel_process(km: Any) -> Any:
    """The ``subprocess.Popen`` of a started local kernel (None when not running locally)."""
    return getattr(getattr(km, "provisioner", None), "process", None)


def kill_kernel(km: Any) -> None:
    """Kill a kernel's process now (used by the time-limit watchdog; safe from any thread)."""
    process = kernel_process(km)
    if process is not None and process.poll() is None:
        process.kill()


# Namespace reset between two clients in one warm kernel. Runs with store_history=False,
# so it does not count as a cell, and the next report's cells are numbered from In [1].
_RESET = "get_ipython().run_line_magic('reset', '-f')\nimport gc as _gc; _gc.collect(); del _gc\nget_ipython().execution_count = 1\n"


class WarmKernels(threading.local):
    """One warm kernel per worker thread, reused from client to client.

    A kernel start plus ``import kpikit`` (pandas, altair, vl-convert) costs
    several seconds; a batch pays it once per worker instead of once per
    client. Between clients the user namespace is wiped (``%reset -f``) and
    the execution counter restarts at 1. Modules stay imported: that is the
    point. After any failure, timeout or crash the kernel is discarded, so a
    broken client never leaves state for the next one.
    """

    def __init__(self) -> None:
        self.km: Any = None
        self.key: tuple[str, str] | None = None
        self.uses = 0

    def acquire(self, kernel_name: str, cwd: str) -> Any:
        """A started kernel manager for ``kernel_name`` whose kernel runs in ``cwd``."""
        from jupyter_core.utils import run_sync

        alive = self.km is not None and (p := kernel_process(self.km)) is not None and p.poll() is None
        if self.km is not None and (not alive or self.key != (kernel_name, cwd)):
            self.discard()
        if self.km is None:
            km = kernel_manager_class(kernel_name, [])(kernel_name=kernel_name)
            run_sync(km.start_kernel)(cwd=cwd)
            self.km, self.key, self.uses = km, (kernel_name, cwd), 0
            if not getattr(self, "_finalizer", None):
                # Shut the kernel down when the worker process exits (process pools skip atexit;
                # multiprocessing runs its finalizers). ipykernel also exits when its parent dies.
                from multiprocessing import util

                self._finalizer = util.Finalize(self, self.discard, exitpriority=10)
                atexit.register(self.discard)
        self.uses += 1
        return self.km

    def reset(self, timeout: float = 60.0) -> None:
        """Wipe the kernel's namespace for the next client; discard the kernel if that fails."""
        if self.km is None:
            return
        kc = self.km.blocking_client()
        try:
            kc.start_channels()
            kc.wait_for_ready(timeout=timeout)
            reply = kc.execute_interactive(_RESET, store_history=False, timeout=timeout, output_hook=lambda _m: None)
            if reply["content"].get("status") != "ok":
                raise RuntimeError("namespace reset failed")
        except Exception:
            self.discard()
        finally:
            kc.stop_channels()

    def discard(self) -> None:
        """Shut the warm kernel down (killed if it does not stop)."""
        from jupyter_core.utils import run_sync

        km, self.km, self.key = self.km, None, None
        if km is None:
            return
        try:
            run_sync(km.shutdown_kernel)(now=True)
        except Exception:
            kill_kernel(km)


WARM = WarmKernels()


def warm_engine():
    """A papermill engine that runs on a kernel it does not own and closes its own channels.

    papermill's nbclient engine, given ``km=``, leaves the kernel running (as we
    want) but also leaves its kernel client's ZMQ channels open; the IOPub socket
    of every such client would keep receiving the next reports' output. This
    engine is the nbclient engine plus ``kc.stop_channels()`` at the end.
    """
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import NBClientEngine, logger, papermill_engines
    from papermill.utils import merge_kwargs, remove_args

    class WarmKernelEngine(NBClientEngine):
        @classmethod
        def execute_managed_notebook(
            cls, nb_man, kernel_name, log_output=False, stdout_file=None, stderr_file=None,
            start_timeout=60, execution_timeout=None, **kwargs,
        ):  # fmt: skip
            kwargs = remove_args(["input_path", "timeout", "startup_timeout"], **kwargs)
            final = merge_kwargs(
                kwargs, timeout=execution_timeout, startup_timeout=start_timeout, kernel_name=kernel_name,
                log=logger, log_output=log_output, stdout_file=stdout_file, stderr_file=stderr_file,
            )  # fmt: skip
            client = PapermillNotebookClient(nb_man, **final)
            try:
                return client.execute()
            finally:
                if client.kc is not None:
                    client.kc.stop_channels()

    papermill_engines.register(WARM_ENGINE, WarmKernelEngine)
    return WARM_ENGINE


WARM_ENGINE = "kpikit-warm-kernel"
