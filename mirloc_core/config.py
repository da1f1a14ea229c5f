"""Project-wide settings: where the data, the weights and the cache live, and which device to use.

Every path the package reads is resolved here, from one environment variable each:

``MIRLOC_DATA``
    The shared, read-only data directory (default: ``../shared/data`` relative to the repository root).
``MIRLOC_WEIGHTS``
    The weights directory (default: ``weights/`` in the repository).
``MIRLOC_CACHE``
    Where derived, recomputable artefacts (similarity matrices, embeddings) are cached on disk
    (default: ``.cache/`` in the repository).
``MIRLOC_DEVICE``
    Force ``cpu`` or ``cuda``; by default the GPU is used when one is present.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent

COMPARTMENTS = (
    "Cytoplasm",
    "Exosome",
    "Nucleolus",
    "Nucleus",
    "Extracellular vesicle",
    "Microvesicle",
    "Mitochondrion",
)
"""The seven compartments, in the column order of ``miRNA_localization.csv``."""

COMPARTMENT_KEYS = tuple(c.lower().replace(" ", "_") for c in COMPARTMENTS)
"""Snake-case names of the compartments, as used in CSV columns (``p_<key>``)."""


class DataMissingError(FileNotFoundError):
    """A file of the shared data set is missing or malformed; the message says which and what to do."""


def data_dir() -> Path:
    """Return the shared data directory (``MIRLOC_DATA`` or ``../shared/data``)."""
    env = os.environ.get("MIRLOC_DATA")
    return Path(env).expanduser().resolve() if env else (REPO_ROOT.parent / "shared" / "data").resolve()


def data_available() -> bool:
    """Whether the shared network data can be found (the app degrades gracefully when not)."""
    return (data_dir() / "network1041" / "miRNA_ID_1041.txt").is_file()


def weights_dir() -> Path:
    """Return the weights directory (``MIRLOC_WEIGHTS`` or ``weights/`` in the repository)."""
    env = os.environ.get("MIRLOC_WEIGHTS")
    return Path(env).expanduser().resolve() if env else REPO_ROOT / "weights"


def cache_dir() -> Path:
    """Return (and create) the on-disk cache for derived artefacts (``MIRLOC_CACHE`` or ``.cache/``)."""
    env = os.environ.get("MIRLOC_CACHE")
    path = Path(env).expanduser().resolve() if env else REPO_ROOT / ".cache"
    path.mkdir(parents=True, exist_ok=True)
    return path


def results_dir() -> Path:
    """Return the directory benchmark JSON files are written to."""
    return REPO_ROOT / "benchmarks" / "results"


@functools.lru_cache(maxsize=None)
def get_device(preference: str | None = None):
    """Pick the torch device once: ``preference`` > ``MIRLOC_DEVICE`` > CUDA if available > CPU.

    Parameters
    ----------
    preference : str, optional
        ``"cpu"``, ``"cuda"`` or ``None`` (automatic).

    Returns
    -------
    torch.device
    """
    import torch

    choice = preference or os.environ.get("MIRLOC_DEVICE") or ("cuda" if torch.cuda.is_available() else "cpu")
    if choice.startswith("cuda") and not torch.cuda.is_available():
        raise RuntimeError("CUDA was requested but no GPU is available; use --device cpu")
    return torch.device(choice)
