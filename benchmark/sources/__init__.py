"""Sources of Reddit posts and comments: ``open_source(spec)`` picks one.

Specs:
- ``demo`` (``demo:seed=N``, ``demo:scale=4``, ``demo:seed=1,scale=4``): the generated corpus;
- ``hf:stanfordnlp/SHP``, ``hf:euclaise/WritingPrompts_preferences``: hub datasets;
- a path: a directory or file of Pushshift/Arctic Shift dumps, or local files in SHP's or
  WritingPrompts_preferences' hub layout (told apart by file names and columns).
"""

from __future__ import annotations

from pathlib import Path

from rmbench.errors import SourceError
from rmbench.sources.base import Source

__all__ = ["open_source", "Source", "SourceError"]


def _parse_options(text: str, spec: str) -> dict[str, int]:
    opts: dict[str, int] = {}
    for part in filter(None, text.split(",")):
        key, _, value = part.partition("=")
        try:
            opts[key.strip()] = int(value)
        except ValueError:
            raise SourceError(spec, f"bad option {part!r}: expected key=integer, e.g. demo:seed=1,scale=4") from None
    return opts


def open_source(spec: str) -> Source:
    """The source a user typed. Raises ``SourceError`` for a missing path or unknown spec."""
    spec = spec.strip()
    if spec == "demo" or spec.startswith("demo:"):
        from rmbench.sources.demo import DemoConfig, DemoSource

        opts = _parse_options(spec[5:], spec)
        unknown = set(opts) - {"seed", "scale"}
        if unknown:
            raise SourceError(spec, f"unknown demo option(s) {sorted(unknown)}; known: seed, scale")
        return DemoSource(DemoConfig(**opts), spec=spec)
    if spec.startswith("hf:"):
        from rmbench.sources.hub import open_hub

        return open_hub(spec[3:], spec=spec)
    path = Path(spec).expanduser()
    if not path.exists():
        raise SourceError(spec, "no such file or directory (expected a dump directory or file, "
                                "'demo', or 'hf:<dataset id>')")
    if not path.is_dir() and not path.is_file():  # a FIFO blocks, a device never ends: refuse both
        from rmbench.sources.lines import file_kind

        raise SourceError(spec, f"is {file_kind(path)}, not a dump file or a folder of them")
    from rmbench.sources.hub import detect_local_layout, open_local_hub_layout

    layout = detect_local_layout(path)
    if layout is not None:
        return open_local_hub_layout(path, layout, spec=spec)
    from rmbench.sources.dumps import DumpSource

    return DumpSource(path, spec=spec)
