"""The JSON Schemas shipped beside this module, with their cross-references resolved."""

from __future__ import annotations

import functools
import json
from pathlib import Path

from jsonschema import Draft202012Validator
from referencing import Registry, Resource

HERE = Path(__file__).resolve().parent
FILES = {"results": "results.schema.json", "submission": "submission.schema.json", "tracks": "tracks.schema.json"}


@functools.cache
def schema(kind: str) -> dict:
    return json.loads((HERE / FILES[kind]).read_text())


@functools.cache
def _registry() -> Registry:
    resources = [(schema(k)["$id"], Resource.from_contents(schema(k))) for k in FILES]
    return Registry().with_resources(resources)


@functools.cache
def validator(kind: str) -> Draft202012Validator:
    return Draft202012Validator(schema(kind), registry=_registry())
