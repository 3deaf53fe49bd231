"""The presets table (``presets.yaml`` beside this module): known reward models by name.

    find_preset("armorm")                        # by name, alias or hub id, any case
    find_preset("RLHFlow/ArmoRM-Llama3-8B-v0.1") # the same preset
    presets()                                    # name -> Preset, checked on every read

The file is data, checked here: unknown keys, kinds, formats and dtypes are errors, each
entry has exactly one source (hub_id, package or gguf), and no name or alias is taken twice.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field, fields
from pathlib import Path

from rmbench.errors import ConfigError

PRESETS_PATH = Path(__file__).resolve().parent / "presets.yaml"
KINDS = ("classifier", "dpo", "judge")
DTYPES = ("float32", "bfloat16", "float16")
SOURCES = ("hub_id", "package", "gguf")


@dataclass(frozen=True)
class Preset:
    name: str
    input_format: str
    hub_id: str | None = None
    package: str | None = None
    gguf: str | None = None
    kind: str | None = None
    max_length: int | None = None
    dtype: str = "float32"
    trust_remote_code: bool = False
    output: str = "logits"
    head: str | None = None
    ref_model: str | None = None
    judge_prompt: str | None = None  # judge: its own prompt file, beside presets.yaml
    aliases: tuple[str, ...] = field(default=())
    note: str = ""

    @property
    def source(self) -> str:
        """Where the weights are, as `rmbench models` shows it."""
        if self.hub_id:
            return self.hub_id
        return f"package {self.package}" if self.package else f"gguf {self.gguf}"


def _check(name: str, raw: dict, where: str) -> Preset:
    known = {f.name for f in fields(Preset)} - {"name"}
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: preset {name!r} must be a mapping")
    unknown = sorted(set(raw) - known)
    if unknown:
        raise ConfigError(f"{where}: preset {name!r} has unknown key(s) {', '.join(unknown)}")
    sources = [s for s in SOURCES if raw.get(s)]
    if len(sources) != 1:
        raise ConfigError(f"{where}: preset {name!r} needs exactly one of {', '.join(SOURCES)} (has {sources or 'none'})")
    checks = [("kind", (None, *KINDS)), ("input_format", ("chat", "pair", "auto", "text")), ("dtype", DTYPES),
              ("output", ("logits", "score")), ("head", (None, "mlp2"))]
    for key, allowed in checks:
        if key in raw and raw[key] not in allowed:
            raise ConfigError(f"{where}: preset {name!r}: {key} {raw[key]!r} is not one of {allowed}")
    if "input_format" not in raw:
        raise ConfigError(f"{where}: preset {name!r} needs input_format")
    if raw.get("ref_model") and raw.get("kind") != "dpo":
        raise ConfigError(f"{where}: preset {name!r}: ref_model is for kind dpo")
    if raw.get("input_format") == "text" and not raw.get("judge_prompt"):
        raise ConfigError(f"{where}: preset {name!r}: input_format text is a judge's with its own judge_prompt")
    if raw.get("judge_prompt") and (raw.get("kind") != "judge" or not (Path(where).parent / raw["judge_prompt"]).is_file()):
        raise ConfigError(f"{where}: preset {name!r}: judge_prompt is for kind judge and names a file beside {where}")
    if (raw.get("package") or raw.get("gguf")) and "/" not in (raw.get("package") or raw.get("gguf")):
        raise ConfigError(f"{where}: preset {name!r}: package and gguf are 'python_package/path'")
    values = dict(raw)
    values["aliases"] = tuple(str(a).lower() for a in raw.get("aliases") or ())
    return Preset(name=name.lower(), **values)


def load_presets(path: str | Path = PRESETS_PATH) -> dict[str, Preset]:
    import yaml

    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as err:
        raise ConfigError(f"cannot read the presets table {path}: {err}") from err
    table, taken = {}, {}
    for name, entry in raw.items():
        preset = _check(str(name), entry, str(path))
        for key in (preset.name, *preset.aliases, (preset.hub_id or "").lower()):
            if key and key in taken:
                raise ConfigError(f"{path}: {key!r} names both {taken[key]!r} and {preset.name!r}")
            if key:
                taken[key] = preset.name
        table[preset.name] = preset
    return table


@functools.cache
def presets() -> dict[str, Preset]:
    return load_presets()


def find_preset(name: str) -> Preset | None:
    """The preset ``name`` names (its name, an alias or its hub id, any case), or None."""
    key = name.strip().lower()
    for preset in presets().values():
        if key == preset.name or key in preset.aliases or (preset.hub_id and key == preset.hub_id.lower()):
            return preset
    return None


def preset_names() -> list[str]:
    """Every name and alias (for did-you-mean)."""
    return [k for p in presets().values() for k in (p.name, *p.aliases)]
