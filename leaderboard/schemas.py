"""The JSON Schemas the leaderboard checks, with their cross-references resolved."""

from __future__ import annotations

import functools
import json
from pathlib import Path

from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from rmbench.eval.results import SCHEMA_PATH as RESULTS_SCHEMA

HERE = Path(__file__).resolve().parent
# results.json's schema belongs to the results builder (rmbench.eval.results), which
# validates every document against it when writing; the leaderboard checks the same file.
FILES = {"results": RESULTS_SCHEMA, "submission": HERE / "submission.schema.json", "tracks": HERE / "tracks.schema.json"}


@functools.cache
def schema(kind: str) -> dict:
    return json.loads(FILES[kind].read_text())


@functools.cache
def _registry() -> Registry:
    resources = [(schema(k)["$id"], Resource.from_contents(schema(k))) for k in FILES]
    return Registry().with_resources(resources)


@functools.cache
def validator(kind: str) -> Draft202012Validator:
    return Draft202012Validator(schema(kind), registry=_registry())
