"""rmbench.sources.zstdframes: the framing walk says "cut" exactly where decompression would
run out of input inside a frame, and prepare says so before reading a record."""

from __future__ import annotations

import io
import random
from pathlib import Path

import pytest
import zstandard

from rmbench.errors import SourceError
from rmbench.sources.dumps import DumpSource
from rmbench.sources.zstdframes import cut_at, foreign_start

DUMPS = Path(__file__).resolve().parents[3] / "shared" / "data" / "reddit-dumps"
SKIPPABLE = (0x184D2A53).to_bytes(4, "little") + (5).to_bytes(4, "little") + b"hello"


def ends_inside_a_frame(data: bytes) -> bool | None:
    """The reader's own test (rmbench.sources.lines): True when the input stops inside a frame,
    False when whole, None when decompression fails first (corrupt, not cut)."""
    dctx = zstandard.ZstdDecompressor(max_window_size=2**31)
    dobj, in_frame = dctx.decompressobj(), False
    try:
        while data:
            dobj.decompress(data)
            if dobj.eof:
                data, dobj, in_frame = dobj.unused_data, dctx.decompressobj(), False
            else:
                data, in_frame = b"", True
    except zstandard.ZstdError:
        return None
    return in_frame


def variants() -> list[bytes]:
    rng = random.Random(0)
    text = b"".join(b'{"id":"%d","body":"%s"}\n' % (i, bytes(rng.randrange(32, 127) for _ in range(rng.randrange(300))))
                    for i in range(1500))
    out = []
    for level in (1, 19):
        for checksum in (True, False):
            for content_size in (True, False):
                c = zstandard.ZstdCompressor(level=level, write_checksum=checksum, write_content_size=content_size)
                # several frames, an empty one, and an RLE-friendly one
                out.append(c.compress(text[:20000]) + c.compress(b"") + c.compress(b"a" * 70000) + c.compress(text))
    stream = io.BytesIO()
    with zstandard.ZstdCompressor(level=3, write_checksum=True).stream_writer(stream, closefd=False) as w:
        w.write(text * 4)  # one frame of many blocks, no content size
    out.append(stream.getvalue())
    out.append(SKIPPABLE + out[0] + SKIPPABLE)
    return out


def test_the_walk_agrees_with_decompression_at_every_cut(tmp_path: Path):
    rng = random.Random(1)
    path, checked = tmp_path / "x.zst", 0
    for data in variants():
        for n in sorted({len(data), *range(1, 24), *(rng.randrange(1, len(data)) for _ in range(80))}):
            path.write_bytes(data[:n])
            reader = ends_inside_a_frame(data[:n])
            if reader is None:
                continue  # decompression calls it corrupt before its end: nothing to agree on
            assert (cut_at(path) is not None) == reader, (len(data), n)
            checked += 1
    assert checked > 500


def test_whole_files_pass_and_framing_it_cannot_read_is_left_to_the_decompressor(tmp_path: Path):
    whole = tmp_path / "w.zst"
    whole.write_bytes(variants()[0])
    assert cut_at(whole) is None
    plain = tmp_path / "p.zst"
    plain.write_bytes(b'{"id": "1"}\n' * 10)  # not zstd at all: foreign_start's to report, not a cut
    assert cut_at(plain) is None
    assert foreign_start(whole) is None
    assert "uncompressed JSON lines: name it .ndjson" in foreign_start(plain)


def test_a_foreign_start_is_refused_by_decompression_at_byte_zero(tmp_path: Path):
    """foreign_start never refuses a file the decompressor would read: every start it refuses,
    decompression refuses too; every zstd or skippable start it leaves alone."""
    rng = random.Random(2)
    path, body = tmp_path / "x.zst", variants()[0]
    starts = [bytes(rng.randrange(256) for _ in range(4)) for _ in range(300)]
    starts += [b"\x1f\x8b\x08\x00", b"BZh9", b"\xfd7zXZ\x00", b'{"id', b"\x28\xb5\x2f\xfd", SKIPPABLE[:4]]
    refused = 0
    for start in starts:
        data = start + body[4:]
        path.write_bytes(data)
        why = foreign_start(path)
        if why is None:
            continue
        refused += 1
        assert ends_inside_a_frame(data) is None, start  # the decompressor calls it corrupt too
    assert refused >= 295
    for whole in (body, SKIPPABLE + body, b"", b"abc"):
        path.write_bytes(whole)
        assert foreign_start(path) is None
    path.write_bytes(b"\x1f\x8b" + body)
    assert "gzip data: name it .gz" in foreign_start(path)


@pytest.mark.skipif(not DUMPS.is_dir(), reason="no shared dumps beside the checkout")
def test_the_shared_dumps_are_whole():
    assert [p.name for p in sorted(DUMPS.glob("*.zst")) if cut_at(p) is not None] == []


def _dump(folder: Path, sub: str, cut: bool = False) -> Path:
    """A small <Sub>_submissions.zst / <Sub>_comments.zst pair; ``cut``: the comments file stops
    halfway, as an interrupted download does."""
    import json

    t = 1_600_000_000
    posts = [{"id": f"p{i}", "subreddit": sub, "title": f"q {i}", "selftext": "body", "created_utc": t,
              "score": 50, "is_self": True, "author": "op"} for i in range(20)]
    comments = [{"id": f"c{i}_{j}", "link_id": f"t3_p{i}", "parent_id": f"t3_p{i}", "subreddit": sub,
                 "body": f"answer {j} " * (5 + j), "author": f"u{j}", "created_utc": t + 60 * j, "score": 2 ** j}
                for i in range(20) for j in range(6)]
    c = zstandard.ZstdCompressor(level=3)
    for kind, rows in (("submissions", posts), ("comments", comments)):
        data = c.compress("".join(json.dumps(r) + "\n" for r in rows).encode())
        (folder / f"{sub}_{kind}.zst").write_bytes(data[: len(data) // 2] if cut and kind == "comments" else data)
    return folder / f"{sub}_comments.zst"


def test_prepare_refuses_a_cut_dump_before_reading_a_record(tmp_path: Path, monkeypatch):
    from rmbench.prepare import prepare

    dumps = tmp_path / "dumps"
    dumps.mkdir()
    cut = _dump(dumps, "Emory", cut=True)

    def no_reading(*a, **kw):
        raise AssertionError("a record was read before the cut file was found")

    monkeypatch.setattr(DumpSource, "iter_posts", no_reading)
    with pytest.raises(SourceError, match="before reading anything") as err:
        prepare(str(dumps), tmp_path / "out", progress=False, workers=1)
    assert err.value.path == str(cut) and "truncated zstd" in str(err.value)
    assert not (tmp_path / "out").exists()  # nothing half-made is left behind


def test_prepare_refuses_a_file_that_is_not_zstd_before_reading_a_record(tmp_path: Path, monkeypatch):
    from rmbench.prepare import prepare

    dumps = tmp_path / "dumps"
    dumps.mkdir()
    renamed = _dump(dumps, "Emory")
    renamed.write_bytes(zstandard.ZstdDecompressor().decompress(renamed.read_bytes()))  # plain lines named .zst

    def no_reading(*a, **kw):
        raise AssertionError("a record was read before the foreign file was found")

    monkeypatch.setattr(DumpSource, "iter_posts", no_reading)
    with pytest.raises(SourceError, match="before reading anything") as err:
        prepare(str(dumps), tmp_path / "out", progress=False, workers=1)
    assert err.value.path == str(renamed) and "not zstd data" in str(err.value) and ".ndjson" in str(err.value)
    assert not (tmp_path / "out").exists()


def test_a_cut_file_of_a_subreddit_not_prepared_is_not_read_and_stops_nothing(tmp_path: Path):
    from rmbench.prepare import prepare

    dumps = tmp_path / "dumps"
    dumps.mkdir()
    _dump(dumps, "Emory", cut=True)
    _dump(dumps, "GradSchool")
    manifest = prepare(str(dumps), tmp_path / "out", tasks=["gradschool"], progress=False, workers=1)
    assert manifest["tasks"]["gradschool"]["comments"]["seen"] == 120


def test_several_sources_are_each_checked_before_reading(tmp_path: Path):
    from rmbench.prepare import prepare

    whole, cut = tmp_path / "a", tmp_path / "b"
    whole.mkdir(), cut.mkdir()
    _dump(whole, "GradSchool")
    bad = _dump(cut, "Emory", cut=True)
    with pytest.raises(SourceError, match="before reading anything") as err:
        prepare([str(whole), str(cut)], tmp_path / "out", progress=False, workers=1)
    assert err.value.path == str(bad)
