"""The one cache root, for the demo corpus and prepared data alike."""

from __future__ import annotations

from rmbench.cache import cache_root


def test_cache_root_follows_rmbench_cache_then_xdg_then_home(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("RMBENCH_CACHE", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    assert cache_root() == tmp_path / "home" / ".cache" / "rmbench"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_root() == tmp_path / "xdg" / "rmbench"
    monkeypatch.setenv("RMBENCH_CACHE", "~/my-cache")
    assert cache_root() == tmp_path / "home" / "my-cache"  # explicit wins, ~ expanded
    monkeypatch.setenv("RMBENCH_CACHE", "")  # empty counts as unset
    assert cache_root() == tmp_path / "xdg" / "rmbench"


def test_demo_corpus_and_prepared_data_share_the_root(tmp_path, monkeypatch, write_prepared):
    from rmbench.prepared.resolve import resolve_data
    from rmbench.sources.demo import DemoConfig, corpus_dir

    monkeypatch.setenv("RMBENCH_CACHE", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("rmbench.prepare.prepare", lambda source, out, **kw: write_prepared(out))
    prepared = resolve_data("demo", progress=False)
    assert prepared.parent == tmp_path / "cache" and prepared.name.startswith("prepared-demo-g")
    assert corpus_dir(DemoConfig()).parent == tmp_path / "cache" and corpus_dir(DemoConfig()).name.startswith("demo-")
    assert not (tmp_path / ".rmbench-cache").exists()  # the old per-directory cache is gone
