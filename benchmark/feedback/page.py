"""Write a feedback page: public items (prompt, two stories in random order) and, apart from
them, the private provenance (which model wrote which story, and the evaluator's rewards).

Layout of DIR:

    index.html app.js style.css   static files shipped with rmbench.feedback
    items.json                    what the page shows: item ids, prompts, stories "A" and "B"
    private/provenance.json       never served: item -> side -> model, sample id, reward
    private/clicks.sqlite         the server's store (created by ``rmbench feedback serve``)

Item ids are random, so neither an id nor the order of items says which model is which.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timezone
from importlib import resources
from pathlib import Path

from rmbench.atomic import atomic_dir, write_json

STATIC_FILES = ("index.html", "app.js", "style.css")
PUBLIC_FILES = STATIC_FILES + ("items.json",)
PRIVATE = "private"
PROVENANCE = "provenance.json"
DB_NAME = "clicks.sqlite"  # the server's click store, in private/ beside the provenance


def db_path(page_dir: str | Path) -> Path:
    return Path(page_dir) / PRIVATE / DB_NAME


PAGE_COMMAND = "feedback page"  # the output marker of a page (rmbench.atomic)
PAGE_WHAT = "feedback page without clicks"


def is_fresh_page(path: Path) -> bool:
    """A page this module wrote that has collected no clicks: the only kind ``write_page`` replaces.
    Anything in ``private/`` beside the provenance (a click store, its journal) means people clicked."""
    private = path / PRIVATE
    return (path / "items.json").is_file() and private.is_dir() and \
        sorted(p.name for p in private.iterdir()) == [PROVENANCE]


def static_text(name: str) -> str:
    return resources.files("rmbench.feedback").joinpath("static", name).read_text(encoding="utf-8")


def write_page(out_dir: str, comparisons: list[dict], *, seed: int | None = None, meta: dict | None = None,
               overwrite: bool = False, inputs: list = ()) -> dict:
    """``comparisons``: dicts with ``prompt`` and ``stories``: two dicts each with ``text``,
    ``model`` and optionally ``reward`` (the evaluator's) and ``sample_id``.

    Sides are shuffled per item (by ``seed``, or by the OS's randomness when None).
    Returns a summary; the directory is written atomically. An existing ``out_dir`` is
    replaced only with ``overwrite`` and only when it is a page without clicks: people's
    votes and the provenance that gives them meaning are never deleted.
    """
    import random

    rng = random.Random(seed) if seed is not None else random.SystemRandom()
    items, provenance = [], {}
    for c in comparisons:
        stories = list(c["stories"])
        if len(stories) != 2:
            raise ValueError(f"a comparison needs exactly two stories, got {len(stories)}")
        rng.shuffle(stories)
        item_id = f"{rng.getrandbits(64):016x}" if seed is not None else secrets.token_hex(8)
        items.append({"item_id": item_id, "prompt": c["prompt"],
                      "stories": [{"side": side, "text": s["text"]} for side, s in zip("AB", stories)]})
        provenance[item_id] = {side: {"model": s["model"], "sample_id": s.get("sample_id", f"{item_id}{side}"),
                                      "reward": s.get("reward")} for side, s in zip("AB", stories)}
        provenance[item_id]["prompt_id"] = c.get("prompt_id")
    created = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    with atomic_dir(out_dir, overwrite=overwrite, owned=is_fresh_page, what=PAGE_WHAT, command=PAGE_COMMAND,
                    inputs=inputs) as tmp:
        for name in STATIC_FILES:
            (tmp / name).write_text(static_text(name), encoding="utf-8")
        write_json(tmp / "items.json", {"items": items})
        write_json(tmp / PRIVATE / PROVENANCE, {"created_utc": created, "meta": meta or {},
                                                        "items": provenance})
    return {"items": len(items), "dir": str(out_dir)}


def require_page(page_dir: str | Path, private: bool = False) -> None:
    """One error for a folder that is not a page (``serve`` needs items.json, ``export`` also
    the provenance): a ``ConfigError`` naming what is missing."""
    from rmbench.errors import ConfigError

    need = ["items.json"] + ([f"{PRIVATE}/{PROVENANCE}"] if private else [])
    missing = [n for n in need if not (Path(page_dir) / n).is_file()]
    if missing:
        raise ConfigError(f"{page_dir} is not a feedback page (no {' or '.join(missing)}): "
                          "`rmbench agent compare --out DIR` writes one")


def load_items(page_dir: str | Path) -> list[dict]:
    from rmbench.jsonlimits import read_json_file

    return read_json_file(Path(page_dir) / "items.json")["items"]


def load_provenance(page_dir: str | Path) -> dict:
    from rmbench.jsonlimits import read_json_file

    p = Path(page_dir) / PRIVATE / PROVENANCE
    if not p.is_file():
        raise FileNotFoundError(f"{p} is missing: was {page_dir} written by `rmbench agent compare`?")
    return read_json_file(p)
