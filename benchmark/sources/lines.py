"""Stream the lines of a dump file (zstd, gzip, bz2, xz or plain), hashing the raw bytes on the way.

Why not ``zstandard``'s ``stream_reader`` + ``io.TextIOWrapper``: a truncated ``.zst``
reads back as a clean, shorter file there (no error at all), and decoding the whole
stream as text would turn one bad byte into a crash. Here each compressed chunk goes
through a one-frame ``decompressobj``: a file that ends inside a frame is reported as
truncated, and lines come out as ``bytes`` so the caller decides what one bad line costs.
Splitting a big decompressed chunk with ``bytes.split`` is as fast as any readline.
"""

from __future__ import annotations

import hashlib
import os
import stat
import zlib
from collections.abc import Iterator
from pathlib import Path

import zstandard

from rmbench.errors import SourceError

READ_SIZE = 1 << 20  # compressed bytes per read: big enough that per-chunk overhead vanishes
# Pushshift/Arctic Shift dumps are written with --long=31; the default limit refuses them.
ZSTD_MAX_WINDOW = 2**31


def codec_of(path: Path) -> str:
    name = path.name.lower()
    if name.endswith((".zst", ".zstd")):
        return "zstd"
    if name.endswith(".gz"):
        return "gzip"
    if name.endswith(".bz2"):
        return "bz2"
    if name.endswith(".xz"):
        return "xz"
    return "plain"


def file_kind(path: Path) -> str:
    """What ``path`` is, in words, for messages about things that are not regular files."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return "a dangling symlink" if os.path.islink(path) else "missing"
    for test, word in ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"), (stat.S_ISREG, "a file")):
        if test(mode):
            return word
    return "not a regular file"


class FileStats:
    """What one full pass over a file learned: its sha256 and size, and bytes read so far."""

    __slots__ = ("sha256", "bytes", "read")

    def __init__(self) -> None:
        self.sha256: str | None = None
        self.bytes: int | None = None
        self.read = 0


def sha256_file(path: Path) -> tuple[str, int]:
    h = hashlib.sha256()
    size = 0
    with open(path, "rb") as f:
        while chunk := f.read(READ_SIZE):
            h.update(chunk)
            size += len(chunk)
    return h.hexdigest(), size


# Said when a zstd file ends inside a frame: by the reader at its end, or before any reading by
# DumpSource.check_whole (rmbench.sources.zstdframes).
TRUNCATED_ZSTD = ("truncated zstd file: it ends inside a compressed frame (an interrupted download?). "
                  "Fetch it again or remove it.")


def _zstd_chunks(raw: Iterator[bytes], path: Path) -> Iterator[bytes]:
    dctx = zstandard.ZstdDecompressor(max_window_size=ZSTD_MAX_WINDOW)
    dobj = dctx.decompressobj()
    in_frame = False  # bytes of the current frame were fed but the frame has not ended
    for chunk in raw:
        while chunk:
            try:
                out = dobj.decompress(chunk)
            except zstandard.ZstdError as e:
                raise SourceError(str(path), f"corrupt zstd data ({e}); the file cannot be read past this point") from None
            if out:
                yield out
            if dobj.eof:  # a frame ended inside this chunk: the rest starts the next frame
                chunk = dobj.unused_data
                dobj = dctx.decompressobj()
                in_frame = False
            else:
                in_frame = True
                chunk = b""
    if in_frame:
        raise SourceError(str(path), TRUNCATED_ZSTD)


def _gzip_chunks(raw: Iterator[bytes], path: Path) -> Iterator[bytes]:
    dobj = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    in_member = False
    for chunk in raw:
        while chunk:
            try:
                out = dobj.decompress(chunk)
            except zlib.error as e:
                raise SourceError(str(path), f"corrupt gzip data ({e})") from None
            if out:
                yield out
            if dobj.eof:  # concatenated gzip members are one valid file
                chunk = dobj.unused_data
                dobj = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
                in_member = False
            else:
                in_member = True
                chunk = b""
    if in_member:
        raise SourceError(str(path), "truncated gzip file: it ends inside a compressed member")


def _stdlib_chunks(raw: Iterator[bytes], path: Path, codec: str) -> Iterator[bytes]:
    """bz2 / xz (stdlib decompressors): concatenated streams read on, a cut one is an error."""
    import bz2
    import lzma

    new = bz2.BZ2Decompressor if codec == "bz2" else lambda: lzma.LZMADecompressor(lzma.FORMAT_AUTO)
    dobj, in_stream = new(), False
    for chunk in raw:
        while chunk:
            try:
                out = dobj.decompress(chunk)
            except (OSError, EOFError, lzma.LZMAError) as e:
                raise SourceError(str(path), f"corrupt {codec} data ({e})") from None
            if out:
                yield out
            if dobj.eof:
                chunk, dobj, in_stream = dobj.unused_data, new(), False
            else:
                chunk, in_stream = b"", True
    if in_stream:
        raise SourceError(str(path), f"truncated {codec} file: it ends inside a compressed stream")


def iter_lines(path: Path, stats: FileStats | None = None) -> Iterator[bytes]:
    """Every line of ``path`` without its newline, as bytes (``\\r`` kept; JSON ignores it).

    Raises ``SourceError`` naming the file when it is missing, truncated or corrupt.
    ``stats`` (optional) gets the compressed bytes read so far and, after a full pass,
    the file's sha256 and size, so provenance costs no second read.
    """
    path = Path(path)
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):  # a FIFO would block forever, a device never end
            raise SourceError(str(path), f"not a regular file ({file_kind(path)}); rmbench reads dump files")
        f = open(path, "rb")
    except FileNotFoundError:
        raise SourceError(str(path), "no such file") from None
    except OSError as e:
        raise SourceError(str(path), f"cannot open: {e.strerror or e}") from None
    digest = hashlib.sha256()

    def raw() -> Iterator[bytes]:
        with f:
            while chunk := f.read(READ_SIZE):
                digest.update(chunk)
                if stats is not None:
                    stats.read += len(chunk)
                yield chunk

    codec = codec_of(path)
    if codec != "plain" and os.fstat(f.fileno()).st_size == 0:
        f.close()  # not even a header: an interrupted download, never "a file of no records"
        raise SourceError(str(path), f"empty {codec} file (0 bytes): an interrupted download? Fetch it again or remove it.")
    chunks = (_zstd_chunks(raw(), path) if codec == "zstd" else _gzip_chunks(raw(), path) if codec == "gzip"
              else _stdlib_chunks(raw(), path, codec) if codec in ("bz2", "xz") else raw())
    rest = b""
    for block in chunks:
        parts = block.split(b"\n")
        if rest:  # the line cut at the last block's end: join it to its first part only, not
            parts[0] = rest + parts[0]  # rest + block, which would copy a whole block per block
        rest = parts.pop()
        yield from parts
    if rest:
        yield rest  # last line without a trailing newline
    if stats is not None:
        stats.sha256 = digest.hexdigest()
        stats.bytes = stats.read


__all__ = ["TRUNCATED_ZSTD", "iter_lines", "codec_of", "file_kind", "sha256_file", "FileStats", "ZSTD_MAX_WINDOW"]
