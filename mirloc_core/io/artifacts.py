"""Safe storage of derived artefacts: safetensors tensors, JSON/CSV side files, and a sha256 manifest.

Nothing here (or anywhere in the package) unpickles: tensors are read with safetensors, metadata with
JSON. Every artefact directory carries a ``manifest.json``::

    {"name": ..., "created": ..., "command": ..., "files": {"model.safetensors": "<sha256>", ...},
     "data": {...data file hashes...}, "metrics": {...}, "config": {...}}

and :func:`verify_manifest` refuses files whose hash does not match, with a clear message.
"""

from __future__ import annotations

import datetime as _dt
import json
import shlex
import sys
from pathlib import Path

import numpy as np

from mirloc_core.io.data import file_sha256


class ArtifactError(RuntimeError):
    """A weight or artefact file is missing, corrupt, or does not match its manifest."""


def command_line() -> str:
    """The command that is running, for manifests (``python -m mirloc_core …``)."""
    argv = list(sys.argv)
    if argv and argv[0].endswith("__main__.py"):
        argv = ["python", "-m", "mirloc_core"] + argv[1:]
    return " ".join(shlex.quote(a) for a in argv)


def cpu_description() -> str:
    """The CPU model and its widest x86 vector extension (``avx512f``, ``avx2``, ...), for benchmark JSON: timings
    from different CPUs are not comparable."""
    import platform

    try:
        info = Path("/proc/cpuinfo").read_text()
    except OSError:
        return platform.processor() or platform.machine()
    model = next((line.split(":", 1)[1].strip() for line in info.splitlines() if line.startswith("model name")),
                 platform.machine())
    flags = set(next((line.split(":", 1)[1].split() for line in info.splitlines() if line.startswith("flags")), []))
    simd = next((f for f in ("avx512f", "avx2", "avx", "sse4_2") if f in flags), "")
    return f"{model} ({simd})" if simd else model


def save_tensors(path: Path, tensors: dict, metadata: dict | None = None) -> None:
    """Save a dict of numpy arrays or torch tensors as safetensors (metadata stored as JSON strings).

    An existing file with the same tensors and metadata is left untouched (safetensors writes the metadata in
    an arbitrary order, so re-saving identical content would otherwise change the bytes and the sha256)."""
    from safetensors.numpy import save_file

    arrays = {}
    for key, value in tensors.items():
        if hasattr(value, "detach"):
            value = value.detach().cpu().numpy()
        arrays[key] = np.ascontiguousarray(value)
    meta = {k: json.dumps(v) for k, v in (metadata or {}).items()}
    path = Path(path)
    if path.is_file():
        try:
            old, old_meta = load_tensors(path)
        except ArtifactError:
            old, old_meta = None, None
        if (old is not None and old_meta == {k: json.loads(v) for k, v in meta.items()} and old.keys() == arrays.keys()
                and all(old[k].dtype == v.dtype and np.array_equal(old[k], v) for k, v in arrays.items())):
            return
    path.parent.mkdir(parents=True, exist_ok=True)
    save_file(arrays, str(path), metadata=meta)


def load_tensors(path: Path) -> tuple[dict[str, np.ndarray], dict]:
    """Load a safetensors file as numpy arrays plus its JSON-decoded metadata."""
    from safetensors import safe_open

    if not Path(path).is_file():
        raise ArtifactError(f"missing weight file {path}")
    try:
        with safe_open(str(path), framework="np") as handle:
            meta = {k: json.loads(v) for k, v in (handle.metadata() or {}).items()}
            arrays = {k: handle.get_tensor(k) for k in handle.keys()}
    except Exception as exc:  # safetensors raises several error types for corrupt files
        raise ArtifactError(f"cannot read weight file {path}: {exc}") from exc
    return arrays, meta


def write_manifest(directory: Path, name: str, metrics: dict | None = None, config: dict | None = None,
                   data: dict | None = None, command: str | None = None) -> dict:
    """Hash every file in ``directory`` (recursively, except the manifest) and write ``manifest.json``."""
    directory = Path(directory)
    files = {
        str(p.relative_to(directory)): file_sha256(p)
        for p in sorted(directory.rglob("*"))
        if p.is_file() and p.name != "manifest.json"
    }
    manifest = {
        "name": name,
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "command": command or command_line(),
        "files": files,
        "data": data or {},
        "metrics": metrics or {},
        "config": config or {},
    }
    (directory / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=False) + "\n")
    return manifest


def verify_manifest(directory: Path, required: tuple[str, ...] = ()) -> dict:
    """Check that ``directory/manifest.json`` exists and every listed file matches its sha256.

    Parameters
    ----------
    directory : Path
    required : tuple of str
        Files that must be listed in the manifest.

    Raises
    ------
    ArtifactError
        Missing manifest or file, or a hash mismatch (a corrupt or tampered file).
    """
    directory = Path(directory)
    path = directory / "manifest.json"
    if not path.is_file():
        raise ArtifactError(f"missing {path}: the weights directory is incomplete")
    try:
        manifest = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise ArtifactError(f"corrupt manifest {path}: {exc}") from exc
    files = manifest.get("files", {})
    for name in required:
        if name not in files:
            raise ArtifactError(f"{path} does not list required file {name}")
    for name, digest in files.items():
        target = directory / name
        if not target.is_file():
            raise ArtifactError(f"missing weight file {target} (listed in {path})")
        if file_sha256(target) != digest:
            raise ArtifactError(f"{target} does not match its sha256 in {path}: the file is corrupt or was changed")
    return manifest


def read_json(path: Path, default=None):
    """Read JSON, returning ``default`` when the file does not exist."""
    path = Path(path)
    if not path.is_file():
        return default
    return json.loads(path.read_text())


def merge_summary(values: dict, path: Path | None = None) -> dict:
    """Merge headline figures into ``benchmarks/results/summary.json`` without dropping other keys."""
    from mirloc_core.config import results_dir

    path = Path(path) if path else results_dir() / "summary.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    summary = read_json(path, {}) or {}
    summary.update(values)
    path.write_text(json.dumps(dict(sorted(summary.items())), indent=2) + "\n")
    return summary


def update_doc_section(path: Path, section: str, text: str, title: str = "# Benchmarks") -> None:
    """Replace the text between ``<!-- section:start -->`` and ``<!-- section:end -->`` in a Markdown file.

    The section is appended when absent, so several benchmark commands can each own a part of
    ``docs/benchmarks.md`` and regenerate it from their JSON results without touching the others.
    """
    path = Path(path)
    start, end = f"<!-- {section}:start -->", f"<!-- {section}:end -->"
    block = f"{start}\n{text.rstrip()}\n{end}"
    content = path.read_text() if path.is_file() else f"{title}\n\nGenerated from `benchmarks/results/*.json`.\n"
    if start in content and end in content:
        before = content.split(start)[0]
        after = content.split(end, 1)[1]
        content = before + block + after
    else:
        content = content.rstrip() + "\n\n" + block + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content)
