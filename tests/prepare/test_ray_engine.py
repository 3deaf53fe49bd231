"""``prepare --engine ray`` (Ray in local mode, 2 CPUs): the same bytes as the local engine,
on the shared real dumps, the demo and mis-filed threads; a killed run resumes without
redoing finished stage tasks; its work folder follows the output rules."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from rmbench.atomic import MARKER
from rmbench.errors import ConfigError, OutputExistsError
from rmbench.prepare import prepare
from rmbench.prepare.ray_driver import work_dir
from rmbench.prepare.ray_engine import bucket_of

ray = pytest.importorskip("ray", reason="the ray extra is not installed: pip install 'rmbench[ray]'")
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def local_ray():
    """One local Ray for the in-process tests (prepare uses a running Ray, and leaves it running)."""
    ray.init(num_cpus=2, include_dashboard=False, logging_level="ERROR", log_to_driver=False)
    yield
    ray.shutdown()


def _output_bytes(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()
            and p.name not in (MARKER, "manifest.json")}


def _same(a: Path, b: Path, ma: dict, mb: dict) -> None:
    assert _output_bytes(a) == _output_bytes(b)  # every split file and the dataset card
    assert ma["fingerprint"] == mb["fingerprint"]
    assert {k: v for k, v in ma.items() if k != "engine"} == {k: v for k, v in mb.items() if k != "engine"}
    assert mb["engine"]["name"] == "ray" and "engine" not in ma


def test_the_shared_dumps_give_the_local_engines_bytes_with_any_bucket_count(tmp_path, shared_dumps, local_ray):
    local = prepare(str(shared_dumps), tmp_path / "local", progress=False, workers=1)
    for buckets in (None, 3):
        out = tmp_path / f"ray-{buckets}"
        m = prepare(str(shared_dumps), out, progress=False, workers=2, engine="ray", ray_buckets=buckets)
        _same(tmp_path / "local", out, local, m)
        per_sub = m["engine"]["buckets_per_subreddit"]
        assert per_sub == {s: buckets or 1 for s in ("askacademia", "collegemajors", "emory", "gradschool")}
        assert m["engine"]["read_tasks"] == 8 and not work_dir(out).exists()
    assert local["tasks"]["askacademia"]["splits"]["train"]["pairs"] > 1000  # real data, not an empty match


def test_the_demo_gives_the_local_engines_bytes(tmp_path, local_ray):
    local = prepare("demo", tmp_path / "local", progress=False, workers=2)
    m = prepare("demo", tmp_path / "ray", progress=False, engine="ray", ray_buckets=2)
    _same(tmp_path / "local", tmp_path / "ray", local, m)


def test_a_hub_layout_source_is_read_whole_and_gives_the_local_bytes(tmp_path, write_shp_layout, local_ray):
    shp = write_shp_layout(tmp_path / "shp", {"askculinary": 9, "askphysics": 6})
    local = prepare(str(shp), tmp_path / "local", progress=False, workers=1)
    m = prepare(str(shp), tmp_path / "ray", progress=False, engine="ray", ray_buckets=3)
    _same(tmp_path / "local", tmp_path / "ray", local, m)
    assert m["engine"]["read_tasks"] == 2  # one per pass: a hub source is not split by file
    assert local["tasks"]["askculinary"]["pairs"]["kept"] > 0


def test_misfiled_threads_bad_lines_and_other_subreddits_count_as_locally(tmp_path, add_thread, dump_thread,
                                                                          write_dumps, local_ray):
    files: dict[str, list] = {}
    add = lambda *a: add_thread(files, *a)  # noqa: E731

    for i in range(10):
        add("askscience", f"s{i:02d}", "askscience")
        add("GradSchool", f"g{i:02d}", "GradSchool")
    for i in range(3):
        add("askscience", f"mf{i}", "GradSchool")  # GradSchool threads filed under r/askscience
        add("GradSchool", f"mc{i}", "AskCulinary")  # a selected subreddit with no file of its own
    add("GradSchool", "cc1", "CasualConversation")  # no selected task: counted, not paired
    post, comments = dump_thread("dup1", "askscience")
    files["askscience_submissions.ndjson"] += [post, post]  # a post read twice: the last copy wins
    files["askscience_comments.ndjson"] += comments + [b"{broken"]
    files["GradSchool_comments.ndjson"].append(dict(comments[0], link_id="t3_nopost"))  # an orphan
    dumps = write_dumps(tmp_path / "dumps", files)
    tasks = ["askscience", "gradschool", "askculinary"]
    local = prepare(str(dumps), tmp_path / "local", tasks=tasks, progress=False, workers=1)
    m = prepare(str(dumps), tmp_path / "ray", tasks=tasks, progress=False, engine="ray", ray_buckets=4)
    _same(tmp_path / "local", tmp_path / "ray", local, m)
    assert m["tasks"]["askculinary"]["posts"]["kept"] == 3
    assert m["source"]["records"]["other_subreddits"] == {"posts": 1, "comments": 4}
    assert m["bad_input"][str(dumps / "askscience_comments.ndjson")]["malformed_json"]["count"] == 1


def test_a_corrupt_file_is_one_error_naming_it_and_nothing_is_written(tmp_path, local_ray):
    from rmbench.errors import SourceError

    dumps = tmp_path / "dumps"
    dumps.mkdir()
    (dumps / "askscience_submissions.zst").write_bytes(b"\x28\xb5\x2f\xfd" + b"\x00" * 40)  # a broken frame
    with pytest.raises(SourceError, match="askscience_submissions.zst"):
        prepare(str(dumps), tmp_path / "out", progress=False, engine="ray")
    assert not (tmp_path / "out").exists()


def test_a_killed_ray_prepare_resumes_without_redoing_finished_tasks(tmp_path, shared_dumps):
    """SIGKILL the driver once two pair buckets are done; the next run reuses every read task
    and those buckets, and writes what the local engine writes."""
    out = tmp_path / "out"
    # The driver kills itself (SIGKILL: no cleanup runs) as the second bucket's result arrives.
    code = ("import os, signal, sys\nimport rmbench.prepare.ray_driver as D\n"
            "real = D._gather\n"
            "def gather(ray, refs, tick):\n"
            "    if any(k[0] == 'pair' for k in refs.values()):\n"
            "        def tick(n, done=False, tick=tick):\n"
            "            if n >= 2: os.killpg(0, signal.SIGKILL)\n"
            "    return real(ray, refs, tick)\n"
            "D._gather = gather\n"
            "from rmbench.prepare import prepare\n"
            "prepare(sys.argv[1], sys.argv[2], progress=False, workers=2, engine='ray', ray_buckets=4)\n")
    proc = subprocess.run([sys.executable, "-c", code, str(shared_dumps), str(out)], start_new_session=True,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == -9, proc.stderr[-2000:]
    work = work_dir(out)
    pair_done = [p for p in work.glob("pair/*/result.pkl")]
    assert len(list(work.glob("read/*/result.pkl"))) == 8 and 2 <= len(pair_done) < 16 and not out.exists()
    rerun = subprocess.run([sys.executable, "-m", "rmbench.cli", "prepare", "--source", str(shared_dumps), "--out",
                            str(out), "--engine", "ray", "--ray-buckets", "4", "--workers", "2", "--quiet"],
                           capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    reused = int(rerun.stderr.split("ray: ")[1].split(" of ")[0])
    m = json.loads((out / "manifest.json").read_text())
    # Every task that was complete is reused (a bucket the dying run's workers finished after the
    # kill too), and what was not is done now.
    assert 8 + len(pair_done) <= m["engine"]["reused_tasks"] == reused < 8 + m["engine"]["pair_buckets"]
    local = prepare(str(shared_dumps), tmp_path / "local", progress=False, workers=1)
    _same(tmp_path / "local", out, local, m)
    assert not work.exists()  # removed once the output is in place


def test_the_work_folder_is_ours_only(tmp_path, monkeypatch):
    from rmbench.prepare.ray_engine import open_work

    foreign = tmp_path / "out.ray-work"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    with pytest.raises(OutputExistsError):
        open_work(foreign, {"plan": 1}, print)
    assert (foreign / "notes.txt").read_text() == "mine"
    ours = tmp_path / "b.ray-work"
    open_work(ours, {"plan": 1}, print)
    (ours / "read" / "00000-posts").mkdir(parents=True)
    said = []
    open_work(ours, {"plan": 1}, said.append)  # same plan: kept
    assert (ours / "read").is_dir() and not said
    open_work(ours, {"plan": 2}, said.append)  # other inputs: started over
    assert not (ours / "read").exists() and "starting over" in said[0]


def test_without_ray_the_error_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)
    with pytest.raises(ConfigError, match=r"rmbench\[ray\]"):
        prepare("demo", tmp_path / "out", progress=False, engine="ray")
    assert not (tmp_path / "out").exists()


def test_buckets_are_a_stable_hash_of_the_post_id():
    b = {"askscience": 7}
    assert bucket_of("askscience", "abc123", b) == bucket_of("askscience", "abc123", dict(b))
    assert {bucket_of("askscience", f"p{i}", b) for i in range(200)} == {f"askscience.{k}" for k in range(7)}
