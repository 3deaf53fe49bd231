"""The lock an output directory is written under, and the one message for a full disk.

``OutputLock``: an exclusive, non-blocking ``flock`` on ``<parent>/.<name>.lock`` beside the
output, released when its holder dies, so a second concurrent writer fails at once with a
clear message (``rmbench.atomic`` takes it around every output it builds). ``env_error``:
a disk or permission failure while writing, as one line.
"""

from __future__ import annotations

import contextlib
import errno
import os
from pathlib import Path

from rmbench.errors import OutputBusyError, OutputWriteError

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: the lock degrades to an O_EXCL file
    fcntl = None

ENV_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM}


def env_error(e: OSError, out: Path) -> OutputWriteError:
    """One clear message for a disk/permission failure while writing ``out``."""
    why = "the disk is full" if e.errno in (errno.ENOSPC, errno.EDQUOT) else e.strerror or str(e)
    where = f" ({e.filename})" if e.filename and str(e.filename) != str(out) else ""
    return OutputWriteError(f"cannot write {out}: {why}{where}; nothing was left behind")


class OutputLock:
    """An exclusive, non-blocking lock on ``<parent>/.<name>.lock``; released when the holder dies."""

    def __init__(self, out: Path, what: str = "output"):
        self.out, self.what = Path(out), what
        self.path = self.out.parent / f".{self.out.name}.lock"
        self.fd: int | None = None

    def __enter__(self) -> OutputLock:
        busy = f"{self.out} is being written by another rmbench process"
        while True:
            try:
                self.out.parent.mkdir(parents=True, exist_ok=True)
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT | (0 if fcntl else os.O_EXCL), 0o666)
            except FileExistsError:
                raise OutputBusyError(f"{busy} (lock file {self.path})") from None
            except OSError as e:
                raise (env_error(e, self.out) if e.errno in ENV_ERRNOS else e) from None
            try:
                if fcntl:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = os.read(fd, 64).decode(errors="replace").strip() or "?"
                os.close(fd)
                raise OutputBusyError(f"{busy} (pid {holder}); wait for it to finish or choose another --out") from None
            if os.path.exists(self.path) and os.stat(self.path).st_ino == os.fstat(fd).st_ino:
                break  # not a lock file its last holder unlinked while we waited to open it
            os.close(fd)
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self.fd = fd
        return self

    def __exit__(self, *exc) -> None:
        if self.fd is not None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.path)
            os.close(self.fd)
            self.fd = None


__all__ = ["ENV_ERRNOS", "OutputLock", "env_error"]
