"""``rmbench models``: the presets table, and how one ``--model`` name resolves."""

from __future__ import annotations

from pathlib import Path

import click

from rmbench.errors import RmbenchError
from rmbench.tables import Column, Sheet, emit, format_option, note, stdout_console


def _installed(preset) -> str:
    """Whether a package-shipped model is usable here (hub models: cannot be checked offline)."""
    if preset.hub_id:
        return "hub"
    from rmbench.model.gguf_cache import package_file

    try:
        package_file(preset.package or preset.gguf)
    except RmbenchError:
        return "not installed"
    return "installed"


@click.command("models")
@click.argument("name", required=False)
@format_option()
def models_cmd(name, fmt):
    """List model presets and aliases, or show how NAME resolves.

    \b
    --model NAME accepts a preset or alias below, a local directory or a hub id (a hub
    id a preset knows gets its settings). Without NAME: the table. With NAME: the kind,
    input format, max length and dtype `rmbench evaluate --model NAME` would use.
    \b
    Examples: rmbench models
              rmbench models --format tsv
              rmbench models minilm
    """
    from rmbench.model.presets import presets

    if not name:
        sheet = Sheet([Column("name"), Column("aliases"), Column("kind"), Column("input"),
                       Column("max_length", "max len"), Column("dtype"), Column("weights")],
                      title="model presets (benchmark/model/presets.yaml)")
        for p in presets().values():
            where = p.hub_id or f"{_installed(p)}: {p.package or p.gguf}"
            sheet.add(p.name, ", ".join(p.aliases), p.kind or "any", p.input_format, str(p.max_length or "own"),
                      p.dtype, where)
        emit(sheet, fmt)
        note("kind 'any': a base model -- `rmbench run` trains a classifier head on it, "
             "`rmbench evaluate --model-kind judge` asks it. 'own' max length: the model's context, "
             "capped by model.max_length_cap.", fmt)
        return
    try:
        _show(stdout_console(), name)
    except RmbenchError as err:
        raise click.ClickException(str(err)) from err


def _show(out, name: str) -> None:
    from rmbench.model.config import ModelConfig
    from rmbench.model.kinds import resolve_spec
    from rmbench.model.load import check_model_name
    from rmbench.errors import did_you_mean
    from rmbench.model.presets import find_preset, preset_names
    from rich.markup import escape

    preset = find_preset(name)
    check_model_name(name)
    if preset is None and not Path(name).expanduser().is_dir():
        hint = did_you_mean(name.lower(), preset_names(), cutoff=0.4)
        out.print(f"{name!r} is not a preset or a local directory: it is read as a hub id when a run starts.{hint}",
                  markup=False)  # the name is the user's: brackets in it are text
        return
    if preset is not None:
        out.print(f"[bold]{escape(preset.name)}[/]: preset, "  # a plugin's preset text may hold brackets
                  + escape(preset.source + (f" -- {preset.note}" if preset.note else "")))
        if preset.trust_remote_code:
            out.print("  runs code from its hub repo: needs --trust-remote-code")
        if preset.ref_model:
            out.print(f"  dpo reference: {preset.ref_model}", markup=False)
        if preset.judge_prompt:
            out.print(f"  judge prompt: benchmark/model/{preset.judge_prompt} ({preset.input_format} format)", markup=False)
        if preset.hub_id:
            out.print("  (hub model: its checkpoint is read when a run starts)")
            return
    cfg = ModelConfig(name=name, trust_remote_code=bool(preset and preset.trust_remote_code))
    spec = resolve_spec(cfg, training=False, console=out, beta_given=False)
    out.print(f"  scored as: kind {spec.kind}, input {spec.input_format}, max length {spec.max_length}, "
              f"dtype {spec.dtype}; from {spec.path}", markup=False)
    if spec.kind == "dpo":
        out.print(f"  dpo reference: {spec.ref_model}, beta {cfg.dpo_beta:g}", markup=False)
