"""Atomic outputs and the one output-directory rule every command follows.

- ``write_text`` / ``write_json`` / ``json_text``: atomic files and the one JSON format
  (``rmbench.atomicfile``, re-exported here).
- ``atomic_dir``: build a directory in ``<name>.tmp-XXXX`` beside it, rename it into place
  at the end; on any error the temporary directory is removed and the target left as it was.
- ``claim_dir``: the same rule for a directory filled step by step (a resumable run).

The rule: a command writes only into a new or empty directory or one carrying its own
marker (``.rmbench-output.json``, naming the command that made it and every entry it wrote);
``--overwrite`` replaces only such a directory, only when nothing was added to it since (a
file or folder the marker does not list is the user's: refused, naming it) and only when
the caller's ``owned`` check agrees (a feedback page that has collected clicks never passes it). ``--out`` may not be an input of the command, hold
one, or be the current directory. A lock beside the output (``.<name>.lock``, an flock; ``rmbench.outputlock``
released when its process dies) makes a second concurrent writer fail at once with a clear
message, and every check runs again just before the final rename. Scratch directories of
runs that died (their owner pid is gone) are removed by the next run, with a line saying so.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import json
import os
import shutil
import socket
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from rmbench.atomicfile import clean_json, json_text, shareable, write_json, write_text
from rmbench.errors import OutputExistsError, OutputWriteError
from rmbench.jsonlimits import read_json_file
from rmbench.outputlock import ENV_ERRNOS, OutputLock, env_error

__all__ = ["MARKER", "OutputLock", "add_entries", "atomic_dir", "check_out_path", "check_replaceable", "claim_dir", "clean_json",
           "env_error", "foreign_entries", "is_empty_dir", "json_text", "owner_alive", "read_marker",
           "remove_stale_scratch", "shareable", "write_json", "write_text"]

MARKER = ".rmbench-output.json"  # in every directory this module builds: which command made it, and what
FOREIGN_SHOWN = 3  # entries a refusal names; the rest are counted
# errno values that mean "the disk or the permissions refuse", not "rmbench has a bug"


# -- who made a directory ---------------------------------------------------------------
def read_marker(path: Path) -> dict | None:
    with contextlib.suppress(OSError, ValueError):
        doc = read_json_file(Path(path) / MARKER)
        return doc if isinstance(doc, dict) else None
    return None


def _proc_start(pid: int) -> str | None:
    """The kernel's start time of ``pid`` (Linux), so a reused pid is not mistaken for the owner."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]  # field 22, counted after "pid (comm)"


def _marker(command: str) -> dict:
    from rmbench import __version__

    return {"command": command, "pid": os.getpid(), "proc_start": _proc_start(os.getpid()),
            "host": socket.gethostname(), "rmbench_version": __version__,
            "created_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}


def owner_alive(marker: dict) -> bool:
    """Whether the process that wrote ``marker`` may still be running (another host: assume so)."""
    if marker.get("host") != socket.gethostname() or not isinstance(marker.get("pid"), int):
        return True
    pid = marker["pid"]
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    start = marker.get("proc_start")
    return start is None or _proc_start(pid) in (None, start)


def check_out_path(out: Path, inputs: Iterable[str | Path] = ()) -> None:
    """``--out`` may not be the current directory (or above it), an input, or hold an input."""
    target = Path(out).expanduser().resolve()
    cwd = Path.cwd().resolve()
    if target == cwd or target in cwd.parents:
        raise OutputExistsError(f"--out {out} is the current directory (or one above it); "
                                "name a new directory for the output")
    for inp in inputs:
        if inp is None or str(inp) == "" or ":" in str(inp) and not Path(str(inp)).exists():
            continue  # demo / hf:... specs are not paths
        src = Path(inp).expanduser().resolve()
        if src == target or target in src.parents:
            raise OutputExistsError(f"--out {out} is an input of this command ({inp}); writing there would "
                                    "replace the input. Choose another --out")


def _a(what: str) -> str:
    """``what`` with its article: "an export directory", "an rmbench agent model", "a run directory"."""
    return f"{'an' if what[:1].lower() in 'aeiou' or what.startswith('rmbench') else 'a'} {what}"


def check_replaceable(out: Path, *, overwrite: bool, owned: Callable[[Path], bool] | None = None,
                      what: str = "output", command: str | None = None) -> None:
    """Raise ``OutputExistsError`` unless ``out`` is absent, or replaceable under the rule above."""
    out = Path(out)
    if not out.exists() and not out.is_symlink() or is_empty_dir(out):
        return  # nothing there to lose
    if not overwrite:
        raise OutputExistsError(f"{out} already exists; pass --overwrite to replace it")
    if not out.is_dir() or out.is_symlink():
        raise OutputExistsError(f"{out} exists and is not a directory; refusing to replace it")
    command = command or what
    mark = read_marker(out)
    if mark is None or mark.get("command") != command:
        raise OutputExistsError(f"{out} exists and is not {_a(what)} this command wrote (it was made {_made(mark)}); "
                                "refusing to replace it (move it away or choose another path)")
    if owned is not None and not owned(out):
        raise OutputExistsError(f"{out} exists and is not {_a(what)} this command wrote; refusing to replace "
                                "it (move it away or choose another path)")
    added = foreign_entries(out, mark)
    if added:
        shown = ", ".join(added[:FOREIGN_SHOWN]) + (f" and {len(added) - FOREIGN_SHOWN} more"
                                                    if len(added) > FOREIGN_SHOWN else "")
        raise OutputExistsError(f"{out} holds what `{command}` did not write ({shown}); refusing to replace it: "
                                "move those out of it, or choose another path")


def is_empty_dir(path: Path) -> bool:
    """A real (not symlinked) directory with nothing in it: any command may write there."""
    return path.is_dir() and not path.is_symlink() and next(path.iterdir(), None) is None


def _entries(root: Path) -> list[str]:
    """Every file, folder and link under ``root`` (relative, '/'-separated, sorted), the marker aside."""
    found = []
    for parent, dirs, files in os.walk(root):
        rel = Path(parent).relative_to(root)
        found += [(rel / name).as_posix() for name in dirs + files]
    return sorted(e for e in found if e != MARKER)


def add_entries(out: Path, names: Iterable[str]) -> None:
    """List ``names`` (relative paths) in the marker of ``out``: files its command adds after the build."""
    mark = read_marker(out)
    if mark is not None and isinstance(mark.get("entries"), list):
        write_text(Path(out) / MARKER, json.dumps({**mark, "entries": sorted({*mark["entries"], *names})}) + "\n")


def foreign_entries(out: Path, mark: dict) -> list[str]:
    """What is in ``out`` but not in the entries its marker lists (only the topmost of a new folder).
    A marker from before markers listed entries says nothing: [] (the ``owned`` check decides)."""
    made = mark.get("entries")
    if not isinstance(made, list):
        return []
    new = set(_entries(out)) - set(made)
    return sorted(e for e in new if not any(p.as_posix() in new for p in Path(e).parents))


def _made(mark: dict | None) -> str:
    return f"by `{mark.get('command')}`" if mark else f"without a {MARKER} marker"


# -- stale scratch (the lock: rmbench.outputlock) ----------------------------------------
def _say(message: str) -> None:  # the default notify: a line on stderr
    print(message, file=sys.stderr)


def remove_stale_scratch(out: Path, notify: Callable[[str], None] = _say) -> list[Path]:
    """Remove ``<name>.tmp-*`` / ``<name>.old-*`` beside ``out`` left by dead rmbench runs (only
    directories with this module's marker); an ``.old-*`` whose swap was cut short (``out``
    missing) is put back. Call it holding ``OutputLock(out)``."""
    removed = []
    parent = Path(out).parent
    if not parent.is_dir():
        return removed
    for p in sorted(parent.glob(f"{out.name}.tmp-*")) + sorted(parent.glob(f"{out.name}.old-*")):
        mark = read_marker(p) if p.is_dir() and not p.is_symlink() else None
        # A .tmp- marker names the process building it; an .old- copy is only mid-swap while
        # its swapper holds the lock, which we now hold: it is left over whoever made it.
        if mark is None or (".tmp-" in p.name and owner_alive(mark)):
            continue  # not ours to judge (or still being written)
        if ".old-" in p.name and not out.exists():
            p.rename(out)
            notify(f"restored {out} from {p.name}, left by a run that died mid-swap (pid {mark.get('pid')})")
            continue
        shutil.rmtree(p, ignore_errors=True)
        removed.append(p)
        notify(f"removed stale scratch directory {p} left by a run that died (pid {mark.get('pid')})")
    return removed


def _rename_noreplace(src: Path, dst: Path) -> None:
    """rename(2) that fails if ``dst`` appeared meanwhile (Linux renameat2), else a checked rename."""
    libc = getattr(_rename_noreplace, "libc", None)  # looked up once
    if libc is None and sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None, use_errno=True)
            libc.renameat2  # noqa: B018 - glibc >= 2.28
            _rename_noreplace.libc = libc
    if libc is not None:
        at_fdcwd, noreplace = -100, 1
        if libc.renameat2(at_fdcwd, os.fsencode(src), at_fdcwd, os.fsencode(dst), noreplace) == 0:
            return
        err = ctypes.get_errno()
        if err not in (errno.ENOSYS, errno.EINVAL):
            raise OSError(err, os.strerror(err), str(dst))
    if dst.exists() or dst.is_symlink():
        raise FileExistsError(errno.EEXIST, "exists", str(dst))
    src.rename(dst)


# -- the directory writers ----------------------------------------------------------------
@contextlib.contextmanager
def atomic_dir(out: str | Path, *, overwrite: bool = False, owned: Callable[[Path], bool] | None = None,
               what: str = "output", command: str | None = None, inputs: Iterable[str | Path] = (),
               notify: Callable[[str], None] = _say) -> Iterator[Path]:
    """Yield a fresh temporary directory beside ``out``; rename it to ``out`` if the block succeeds.

    ``command`` (default ``what``) is written into the output's marker; an existing ``out``
    is replaced only with ``overwrite``, a marker of the same command and ``owned(out)``,
    checked before any work and again, under the lock, just before the swap.
    """
    out = Path(out)
    command = command or what
    check_out_path(out, inputs)
    check_replaceable(out, overwrite=overwrite, owned=owned, what=what, command=command)
    with OutputLock(out, what):
        remove_stale_scratch(out, notify)
        check_replaceable(out, overwrite=overwrite, owned=owned, what=what, command=command)
        try:
            tmp = Path(tempfile.mkdtemp(prefix=f"{out.name}.tmp-", dir=out.parent))
        except OSError as e:
            raise (env_error(e, out) if e.errno in ENV_ERRNOS else e) from None
        try:
            shareable(tmp)
            (tmp / MARKER).write_text(json.dumps(_marker(command)) + "\n", encoding="utf-8")
            yield tmp
            mark = {**(read_marker(tmp) or _marker(command)), "entries": _entries(tmp)}
            (tmp / MARKER).write_text(json.dumps(mark) + "\n", encoding="utf-8")
            check_replaceable(out, overwrite=overwrite, owned=owned, what=what, command=command)
            if is_empty_dir(out):
                try:
                    out.rmdir()  # fails, keeping it, if something landed in it since the check
                except OSError:
                    raise OutputExistsError(f"{out} was written to while this command ran; "
                                            "left it alone and kept nothing") from None
            if out.exists():
                # Move the old output aside first, so a crash between the renames keeps one of them.
                old = Path(tempfile.mkdtemp(prefix=f"{out.name}.old-", dir=out.parent))
                old.rmdir()
                out.rename(old)
                tmp.rename(out)
                shutil.rmtree(old, ignore_errors=True)
            else:
                try:
                    _rename_noreplace(tmp, out)
                except FileExistsError:
                    raise OutputExistsError(f"{out} appeared while this command was writing it; "
                                            "left it alone and kept nothing") from None
        except BaseException as e:
            shutil.rmtree(tmp, ignore_errors=True)
            if isinstance(e, sqlite3.OperationalError) and "full" in str(e):  # SQLite's ENOSPC
                e = OSError(errno.ENOSPC, str(e))
            if isinstance(e, OSError) and not isinstance(e, OutputWriteError) and e.errno in ENV_ERRNOS:
                raise env_error(e, out) from None
            raise


@contextlib.contextmanager
def claim_dir(path: str | Path, *, command: str, resume: bool, what: str = "output",
              inputs: Iterable[str | Path] = ()) -> Iterator[Path]:
    """Hold ``path`` for a command that fills it step by step (a resumable run directory).

    Allowed: a new or empty directory (it gets the marker), or with ``resume`` one carrying
    this command's marker. Held under ``OutputLock`` for the whole block.
    """
    path = Path(path)
    check_out_path(path, inputs)
    with OutputLock(path, what):
        if path.exists() and not path.is_dir():
            raise OutputExistsError(f"{path} exists and is not a directory")
        busy = path.is_dir() and any(path.iterdir())
        mark = read_marker(path) if busy else None
        if busy and (mark is None or mark.get("command") != command):
            raise OutputExistsError(f"{path} is not empty and is not {_a(what)} (it was made {_made(mark)}); "
                                    "refusing to write into it: choose another --out")
        if busy and not resume:
            raise OutputExistsError(f"{path} already holds {_a(what)}; pass --resume to continue it, "
                                    "or choose another --out")
        try:
            path.mkdir(parents=True, exist_ok=True)
            if not busy:
                (path / MARKER).write_text(json.dumps(_marker(command)) + "\n", encoding="utf-8")
        except OSError as e:
            raise (env_error(e, path) if e.errno in ENV_ERRNOS else e) from None
        yield path
