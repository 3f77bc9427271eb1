"""One ``kpikit report`` at a time per output folder: ``DIR/.kpikit-report.lock``.

Two batches writing into one ``--out`` would overwrite each other's reports and
index, and each would clean the other's staging folders up. So a batch holds a
lock on the output folder while it runs:

* the lock file names its holder (``pid``, host, start time, one JSON line);
* a second batch refuses **at once** with a :class:`~kpikit.errors.ReportError`
  naming the lock file and the holder's PID: it never waits, never half-runs;
* a lock whose holder is gone (killed, crashed, the machine rebooted) is taken
  over, and the caller is told (``notice``);
* the lock is released (file removed) when the batch ends, however it ends.

On POSIX the file is also held with :func:`fcntl.flock`, which the operating
system drops when the holder dies, so "is the holder alive?" is never a guess
from a PID that may have been reused, and two runs taking over one stale lock
cannot both win. Where ``fcntl`` is missing (Windows) the file is created with
``O_EXCL`` and staleness is judged by the PID.

Examples
--------
>>> import tempfile
>>> from kpikit.report.lock import OutputLock
>>> out = tempfile.mkdtemp()
>>> with OutputLock(out) as lock:
...     OutputLock(out).acquire()  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
kpikit.errors.ReportError: ....kpikit-report.lock: another `kpikit report` is writing into this output folder (found PID ...). Fix: wait for it to finish, or pass another --out
>>> lock.path.exists()
False
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import socket
from collections.abc import Callable
from pathlib import Path

from kpikit.errors import ReportError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None

__all__ = ["OutputLock", "LOCK_NAME", "pid_alive"]

LOCK_NAME = ".kpikit-report.lock"


def pid_alive(pid: int) -> bool:
    """Whether a process ``pid`` runs on this machine (a zombie counts as gone)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, owned by someone else
        return True
    except OSError:
        return False
    try:  # a killed child its parent has not reaped yet still answers kill(0)
        with open(f"/proc/{pid}/stat", "rb") as fh:
            return fh.read().rsplit(b")", 1)[-1].split()[0] != b"Z"
    except OSError:
        return True


def _holder(text: str) -> dict:
    try:
        data = json.loads(text)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


class OutputLock:
    """The lock of one output folder; use as a context manager around a batch.

    Parameters
    ----------
    out_dir : path
        The batch's output folder (must exist).
    notice : callable, optional
        Called with one line when a stale lock is taken over (default: ignore).
    """

    def __init__(self, out_dir: str | os.PathLike, notice: Callable[[str], None] | None = None) -> None:
        self.path = Path(out_dir) / LOCK_NAME
        self.notice = notice or (lambda line: None)
        self._fd: int | None = None

    def _refuse(self, holder: dict) -> ReportError:
        pid = holder.get("pid", "unknown")
        since = f", running since {holder['started']}" if holder.get("started") else ""
        return ReportError(
            "another `kpikit report` is writing into this output folder",
            file=str(self.path),
            found=f"PID {pid}{since}",
            fix="wait for it to finish, or pass another --out",
        )

    def _stale(self, holder: dict) -> None:
        self.notice(
            f"kpikit report: took over the stale lock {self.path} "
            f"(PID {holder.get('pid', 'unknown')} is no longer running)"
        )

    def acquire(self) -> OutputLock:
        """Take the lock now, or raise :class:`~kpikit.errors.ReportError` naming its holder."""
        if fcntl is None:  # pragma: no cover - Windows
            return self._acquire_exclusive()
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                holder = _holder(os.pread(fd, 4096, 0).decode("utf-8", "replace"))
                os.close(fd)
                raise self._refuse(holder) from None
            try:
                same = os.fstat(fd).st_ino == os.stat(self.path).st_ino
            except FileNotFoundError:
                same = False
            if not same:  # the holder released (removed) the file between our open and flock: retry
                os.close(fd)
                continue
            old = os.pread(fd, 4096, 0).decode("utf-8", "replace").strip()
            if old:  # a holder that died without releasing left its line behind
                self._stale(_holder(old))
            self._write(fd)
            return self

    def _acquire_exclusive(self) -> OutputLock:  # pragma: no cover - Windows
        for _ in range(2):
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644)
            except FileExistsError:
                holder = _holder(self.path.read_text(encoding="utf-8", errors="replace"))
                if isinstance(holder.get("pid"), int) and pid_alive(holder["pid"]):
                    raise self._refuse(holder) from None
                self._stale(holder)
                self.path.unlink(missing_ok=True)
                continue
            self._write(fd)
            return self
        raise self._refuse({})

    def _write(self, fd: int) -> None:
        line = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "started": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        }
        os.ftruncate(fd, 0)
        os.pwrite(fd, (json.dumps(line) + "\n").encode("utf-8"), 0)
        os.fsync(fd)
        self._fd = fd

    def release(self) -> None:
        """Remove the lock file and let go of it (a no-op when not held)."""
        if self._fd is None:
            return
        # Unlink before unlocking: a run waiting on this inode then sees it is gone and retries on a fresh file.
        self.path.unlink(missing_ok=True)
        os.close(self._fd)
        self._fd = None

    def __enter__(self) -> OutputLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()
