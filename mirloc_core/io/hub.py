"""Where the app finds its weights and data: the repository, a local directory, or the Hugging Face Hub.

Resolution rules (used by the Streamlit app at start-up, see :func:`resolve`; the result is passed on as
:class:`~mirloc_core.config.Settings`, never written into ``os.environ``):

Weights
    1. ``MIRLOC_WEIGHTS_REPO`` set (e.g. ``me/mirloc-weights``): the Hub model repository is fetched with
       ``huggingface_hub.snapshot_download`` (revision ``MIRLOC_WEIGHTS_REVISION``, default ``main``). Its
       root, or its ``weights/`` folder when it has one, must hold ``lm/`` and ``sequence/`` (and optionally
       ``network/``, ``motifs/``), each with a ``manifest.json`` whose sha256 of every file is checked:
       a file that did not arrive, or arrived corrupt, raises :class:`~mirloc_core.io.artifacts.ArtifactError`.
    2. otherwise ``MIRLOC_WEIGHTS`` or the committed ``weights/`` (:func:`mirloc_core.config.weights_dir`).
Data
    1. ``MIRLOC_DATA`` set: that directory.
    2. ``MIRLOC_DATA_REPO`` set: the Hub *dataset* repository (revision ``MIRLOC_DATA_REVISION``), its root
       or its ``data/`` folder; the files the app reads (:data:`DATA_FILES`) must be present, and when the
       snapshot carries a ``manifest.json`` every listed sha256 is checked.
    3. otherwise ``../shared/data`` (:func:`mirloc_core.config.data_dir`); when that is absent the app runs in
       its degraded mode (sequence prediction only).

``HF_HUB_OFFLINE=1`` makes the Hub look-ups use the local Hugging Face cache only (``local_files_only``),
which is also how the tests exercise this module without network access.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from mirloc_core import config
from mirloc_core.io.artifacts import ArtifactError, verify_manifest

WEIGHT_PARTS = ("lm", "sequence", "network", "motifs")
"""Weight sub-directories, each with its own ``manifest.json``."""
REQUIRED_WEIGHT_PARTS = ("lm", "sequence")
"""Parts without which the app cannot predict."""
DATA_FILES = (
    "network1041/miRNA_ID_1041.txt",
    "network1041/miRNA_localization.csv",
    "network1041/miRNA_have_loc_information_index.txt",
    "network1041/miRNA_disease.csv",
    "network1041/miRNA_drug.csv",
    "network1041/mRNA_localization.txt",
    "mirbase22/hsa_hairpin.fa",
    "mirbase22/hsa_mature.fa",
    "mirbase22/hairpin.fa.gz",
    "mirbase22/mature.fa.gz",
    "case_studies/gtmaloc_table5.tsv",
    "motifs/known_localization_motifs.tsv",
)
"""Data files the app reads (network pages; all-species miRBase for the conservation features); a data
snapshot missing any of them is refused."""


@dataclass
class Resolution:
    """Where the weights and data were found.

    Attributes
    ----------
    weights_dir : Path
    weights_source : str
        ``"local"`` or ``"hub:<repo_id>"``.
    data_dir : Path
    data_source : str
        ``"local"``, ``"env"`` or ``"hub:<repo_id>"``.
    notices : list of str
        Problems met while resolving (a failed download, a corrupt file); the app shows them.
    """

    weights_dir: Path
    weights_source: str
    data_dir: Path
    data_source: str
    notices: list = field(default_factory=list)

    def settings(self, base: config.Settings | None = None, **overrides) -> config.Settings:
        """``base`` (default :meth:`Settings.from_env`) with these weights and data directories."""
        base = base if base is not None else config.Settings.from_env()
        return base.replace(weights_dir=self.weights_dir, data_dir=self.data_dir, **overrides)

    @property
    def data_available(self) -> bool:
        """Whether the shared network data are in :attr:`data_dir`."""
        return (Path(self.data_dir) / "network1041" / "miRNA_ID_1041.txt").is_file()


def _offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on")


def download_snapshot(repo_id: str, repo_type: str = "model", revision: str | None = None,
                      cache_dir: str | Path | None = None, local_files_only: bool | None = None) -> Path:
    """Fetch a Hub repository snapshot with ``huggingface_hub.snapshot_download``.

    Parameters
    ----------
    repo_id : str
        ``owner/name``.
    repo_type : {"model", "dataset"}
    revision : str, optional
        Branch, tag or commit (default ``main``).
    cache_dir : path, optional
        Hugging Face cache directory (default: the library's, ``HF_HOME``).
    local_files_only : bool, optional
        Use only the local cache; default: true when ``HF_HUB_OFFLINE`` is set.

    Raises
    ------
    ArtifactError
        The snapshot could not be obtained (network, permissions, unknown repository or revision).
    """
    from huggingface_hub import snapshot_download

    if local_files_only is None:
        local_files_only = _offline()
    try:
        path = snapshot_download(repo_id=repo_id, repo_type=repo_type, revision=revision, cache_dir=cache_dir,
                                 local_files_only=local_files_only)
    except Exception as exc:  # huggingface_hub raises many error types (HTTP, offline, not found)
        raise ArtifactError(f"could not fetch the Hugging Face {repo_type} repository '{repo_id}'"
                            f"{' at ' + revision if revision else ''}: {type(exc).__name__}: {exc}") from exc
    return Path(path)


def check_weights(directory: Path, required: tuple[str, ...] = REQUIRED_WEIGHT_PARTS) -> dict[str, dict]:
    """Verify the manifests of the weight parts present in ``directory``.

    Returns
    -------
    dict
        ``part -> manifest`` for every part found.

    Raises
    ------
    ArtifactError
        A required part is missing, or any file of a present part is missing or does not match its sha256.
    """
    directory = Path(directory)
    found = {}
    for part in WEIGHT_PARTS:
        if (directory / part).is_dir() or part in required:
            if not (directory / part / "manifest.json").is_file():
                if part in required:
                    raise ArtifactError(f"weights part '{part}' is missing from {directory} (no manifest.json)")
                continue
            found[part] = verify_manifest(directory / part)
    return found


def check_data(directory: Path) -> None:
    """Check that a data directory holds every file in :data:`DATA_FILES` (and matches its manifest, if any).

    Raises
    ------
    ArtifactError
        A file is missing or does not match the snapshot's ``manifest.json``.
    """
    directory = Path(directory)
    missing = [name for name in DATA_FILES if not (directory / name).is_file()]
    if missing:
        raise ArtifactError(f"data snapshot {directory} is incomplete: missing {', '.join(missing)}")
    if (directory / "manifest.json").is_file():
        verify_manifest(directory)


def _subfolder(root: Path, name: str) -> Path:
    return root / name if (root / name).is_dir() else root


def resolve_weights_dir(cache_dir: str | Path | None = None) -> tuple[Path, str]:
    """Resolve the weights directory (see the module docstring); returns ``(path, source)``.

    Raises
    ------
    ArtifactError
        ``MIRLOC_WEIGHTS_REPO`` is set but the snapshot cannot be fetched or fails its manifest checks.
    """
    repo = os.environ.get("MIRLOC_WEIGHTS_REPO", "").strip()
    if not repo:
        return config.weights_dir(), "local"
    snapshot = download_snapshot(repo, "model", os.environ.get("MIRLOC_WEIGHTS_REVISION") or None, cache_dir)
    root = _subfolder(snapshot, "weights")
    check_weights(root)
    return root, f"hub:{repo}"


def resolve_data_dir(cache_dir: str | Path | None = None) -> tuple[Path, str]:
    """Resolve the data directory (see the module docstring); returns ``(path, source)``.

    Raises
    ------
    ArtifactError
        ``MIRLOC_DATA_REPO`` is set but the snapshot cannot be fetched or is incomplete.
    """
    if os.environ.get("MIRLOC_DATA"):
        return config.data_dir(), "env"
    repo = os.environ.get("MIRLOC_DATA_REPO", "").strip()
    if not repo:
        return config.data_dir(), "local"
    snapshot = download_snapshot(repo, "dataset", os.environ.get("MIRLOC_DATA_REVISION") or None, cache_dir)
    root = _subfolder(snapshot, "data")
    check_data(root)
    return root, f"hub:{repo}"


def resolve(cache_dir: str | Path | None = None) -> Resolution:
    """Resolve weights and data once (see the module docstring); :meth:`Resolution.settings` hands them on.

    Never raises for a Hub problem: the failure is recorded in ``notices`` and the local defaults are kept,
    so the app can start and explain what is missing.
    """
    notices = []
    try:
        weights, weights_source = resolve_weights_dir(cache_dir)
    except ArtifactError as exc:
        notices.append(f"Weights from the Hub could not be used ({exc}); using {config.weights_dir()}.")
        weights, weights_source = config.weights_dir(), "local"
    try:
        data, data_source = resolve_data_dir(cache_dir)
    except ArtifactError as exc:
        notices.append(f"Data from the Hub could not be used ({exc}); using {config.data_dir()}.")
        data, data_source = config.data_dir(), "local"
    return Resolution(weights, weights_source, data, data_source, notices)
