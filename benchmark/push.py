"""``rmbench push``: a prepared dataset, a trained reward model or a run's results, to the
Hugging Face hub, through ``huggingface_hub.HfApi``.

Only rmbench's own outputs go up, each recognised by what rmbench wrote into it:

- ``--data DIR``: a prepared directory (``manifest.json`` of kind ``rmbench.prepared``), to a
  dataset repo; its ``README.md`` card (written by ``prepare``) is what lets
  ``load_dataset(REPO, TASK)`` find every split;
- ``--model DIR``: a model ``rmbench run`` trained (its ``config.json`` carries
  ``rmbench_input``), or the run directory that holds it, to a model repo, card included;
- ``--results RUN``: a run directory (``results.json`` of kind ``rmbench.results``): the
  results, predictions, report, plots, config and training log, to ``runs/<RUN>/`` of a
  dataset repo. Weights and per-split score caches stay home; push the model separately.

Never uploaded: rmbench's own bookkeeping (output markers, locks, scratch directories,
checkpoints). The repo is created if missing (``--private`` makes a new one private).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import click

from rmbench.errors import DataError
from rmbench.jsonlimits import read_json_file

# rmbench's bookkeeping, never part of what a reader wants (patterns as huggingface_hub reads them)
IGNORE = [".rmbench-output.json", "**/.rmbench-output.json", ".*.lock", "**/.*.lock", "*.tmp-*", "**/*.tmp-*/**",
          "checkpoints/**", "**/__pycache__/**"]
RESULTS_FILES = ["results.json", "predictions.jsonl", "report.md", "report.html", "config.json", "train_info.json",
                 "train_log.jsonl", "plots/*", "README.md"]


@dataclass
class Upload:
    """What one push sends: a folder, where it lands, and which files of it go."""

    kind: str  # data | model | results
    folder: Path
    repo_type: str
    path_in_repo: str | None = None
    allow: list[str] | None = None
    ignore: list[str] = field(default_factory=lambda: list(IGNORE))

    @property
    def message(self) -> str:
        return f"rmbench push --{self.kind} {self.folder.name}"


def _json(path: Path) -> dict | None:
    try:
        doc = read_json_file(path)
    except (OSError, ValueError):
        return None
    return doc if isinstance(doc, dict) else None


def _is_model(folder: Path) -> bool:
    from rmbench.model.kinds import META_KEY

    cfg = _json(folder / "config.json")
    weights = any(folder.glob("*.safetensors")) or any(folder.glob("*.bin"))
    return bool(cfg and META_KEY in cfg and weights)


def model_notes(folder: Path) -> list[str]:
    """What a downloader of this model needs and the upload does not carry: a DPO policy's
    reference is scored beside it, and a local directory exists only on this machine."""
    from rmbench.model.kinds import META_KEY

    meta = (_json(folder / "config.json") or {}).get(META_KEY) or {}
    ref = meta.get("ref_model")
    if meta.get("kind") != "dpo" or not isinstance(ref, str) or not Path(ref).is_absolute():
        return []
    return [f"note: this DPO policy's reference is the local directory {ref}: whoever downloads it scores it "
            "with --ref-model pointing at a copy of that model (push the reference too, or train against a hub id)"]


def plan_upload(kind: str, folder: str | Path) -> Upload:
    """Check that ``folder`` is the rmbench output ``kind`` names; say what would go up."""
    folder = Path(folder)
    if not folder.is_dir():
        raise DataError(f"{folder}: not a directory")
    if kind == "data":
        doc = _json(folder / "manifest.json")
        if not doc or doc.get("kind") != "rmbench.prepared":
            raise DataError(f"{folder}: not a prepared directory (no manifest.json of kind rmbench.prepared); "
                            "make one with `rmbench prepare`")
        if not (folder / "README.md").is_file():
            raise DataError(f"{folder}: no README.md dataset card, so the hub could not tell its splits apart; "
                            "prepare it again with this rmbench version")
        return Upload("data", folder, "dataset")
    if kind == "model":
        if not _is_model(folder) and _is_model(folder / "model"):
            folder = folder / "model"  # a run directory: its model
        if not _is_model(folder):
            raise DataError(f"{folder}: not a reward model trained by rmbench (no config.json with "
                            "rmbench_input and weights); `rmbench run` saves one in RUN/model")
        return Upload("model", folder, "model")
    if kind == "results":
        doc = _json(folder / "results.json")
        if not doc or doc.get("kind") != "rmbench.results":
            raise DataError(f"{folder}: not a run directory (no results.json of kind rmbench.results)")
        return Upload("results", folder, "dataset", path_in_repo=f"runs/{folder.resolve().name}",
                      allow=list(RESULTS_FILES))
    raise ValueError(kind)


def files_of(up: Upload) -> list[str]:
    """The files ``up`` sends, filtered exactly as ``HfApi.upload_folder`` filters them."""
    from huggingface_hub.utils import filter_repo_objects

    rel = sorted(p.relative_to(up.folder).as_posix() for p in up.folder.rglob("*") if p.is_file())
    return list(filter_repo_objects(rel, allow_patterns=up.allow, ignore_patterns=up.ignore))


def push(up: Upload, repo: str, *, private: bool = False, api=None, token: str | None = None) -> str:
    """Create ``repo`` if needed and upload; returns the commit URL. ``api``: an ``HfApi``
    (tests pass a stand-in); the token comes from ``HF_TOKEN`` or ``hf auth login`` if not given."""
    if api is None:
        from huggingface_hub import HfApi

        api = HfApi(token=token)
    api.create_repo(repo_id=repo, repo_type=up.repo_type, private=private, exist_ok=True)
    info = api.upload_folder(repo_id=repo, folder_path=str(up.folder), repo_type=up.repo_type,
                             path_in_repo=up.path_in_repo, commit_message=up.message,
                             allow_patterns=up.allow, ignore_patterns=up.ignore)
    return getattr(info, "commit_url", None) or str(info)


# -- the command ------------------------------------------------------------------------
@click.command("push", epilog="""\b
Examples:
  rmbench push --data prepared --repo me/reddit-prefs --private
  rmbench push --model runs/my-run --repo me/minilm-reddit-rm
  rmbench push --results runs/my-run --repo me/rmbench-results --dry-run""")
@click.option("--data", "data_dir", type=click.Path(file_okay=False, path_type=Path),
              help="A prepared directory (`rmbench prepare`): to a dataset repo.")
@click.option("--model", "model_dir", type=click.Path(file_okay=False, path_type=Path),
              help="A model `rmbench run` trained (RUN/model, or RUN): to a model repo.")
@click.option("--results", "run_dir", type=click.Path(file_okay=False, path_type=Path),
              help="A run directory: results, predictions, report, plots to runs/<RUN>/ of a dataset repo.")
@click.option("--repo", required=True, metavar="OWNER/NAME", help="The hub repository (created if missing).")
@click.option("--private", is_flag=True, help="Create the repository private (an existing one keeps its setting).")
@click.option("--dry-run", is_flag=True, help="List the files that would go up, upload nothing.")
def push_cmd(data_dir, model_dir, run_dir, repo, private, dry_run):
    """Upload a prepared dataset, a trained reward model or a run's results to the Hugging Face hub."""
    given = [(k, v) for k, v in (("data", data_dir), ("model", model_dir), ("results", run_dir)) if v]
    if len(given) != 1:
        raise click.UsageError("give exactly one of --data, --model, --results")
    from huggingface_hub.utils import HFValidationError, validate_repo_id

    try:  # the hub's own rule, before anything is planned: a --dry-run must catch it too
        validate_repo_id(repo)
    except HFValidationError as e:
        raise click.BadParameter(str(e).split(". Use `repo_type`")[0], param_hint="--repo") from None
    up = plan_upload(*given[0])
    files = files_of(up)
    where = f"{repo}/{up.path_in_repo}" if up.path_in_repo else repo
    click.echo(f"{len(files)} files of {up.folder} -> {up.repo_type} repo {where}", err=True)
    for note in model_notes(up.folder) if up.kind == "model" else []:
        click.echo(note, err=True)
    if dry_run:
        click.echo("\n".join(files))
        return
    try:
        url = push(up, repo, private=private)
    except Exception as e:  # the hub's errors (auth, network) have many types; one line each
        if type(e).__module__.startswith(("huggingface_hub", "requests", "httpx")) or isinstance(e, OSError):
            raise click.ClickException(f"upload to {repo} failed: {e}") from None
        raise
    click.echo(url)
