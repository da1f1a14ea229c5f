"""Project-wide settings and constants: where the data, the weights and the cache live, which device to use,
the compartments, and the thresholds and length limits every layer shares.

Settings are *passed*: :class:`Settings` is built once at the edge (the CLI, the app, a benchmark) with
:meth:`Settings.from_env` and handed down; library code never writes ``os.environ``. The defaults read one
environment variable each:

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

import dataclasses
import functools
import os
from dataclasses import dataclass
from pathlib import Path

PACKAGE_ROOT = Path(__file__).resolve().parent
REPO_ROOT = PACKAGE_ROOT.parent
"""The source checkout (or, for an installed package, the folder above it: then only the packaged weights and
assets are used from here)."""
IN_CHECKOUT = (REPO_ROOT / "pyproject.toml").is_file() and (REPO_ROOT / "mirloc_core").is_dir()

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


CALL_THRESHOLD = 0.5
"""A probability at or above this (after rounding to :data:`DISPLAY_DECIMALS`) is a positive call."""
DISPLAY_DECIMALS = 2
"""Probabilities are shown with this many decimals, and compartment calls are made on the value shown, so that a
bar labelled 0.50 is always called and 0.49 never (the page, its lists and the CSV's ``above_threshold`` agree)."""


def is_called(probability: float) -> bool:
    """The one rule for a compartment call: the probability, as shown, is at or above :data:`CALL_THRESHOLD`."""
    return round(float(probability), DISPLAY_DECIMALS) >= CALL_THRESHOLD


SHORT_LENGTH = 30
"""Sequences up to this length are mature-like (the length rule of the binary call: ≤ 30 nt ⇒ extracellular)."""
MIN_LENGTH = 15
MAX_LENGTH = 1000
"""Shortest and longest accepted input sequence (nt)."""
MAX_INPUT_BYTES = 1_000_000
"""Largest accepted input (pasted text or upload), in bytes after UTF-8 encoding."""
APP_MAX_RECORDS = 10
"""Records the web app accepts per submission."""
NETWORK_MATCH_SIMILARITY = 0.95
"""A query at least this similar (normalised SW) to a network miRNA is treated as that miRNA."""
MIN_CONTAINED_LENGTH = 18
"""Shortest sequence for the "one lies inside the other" relation to a network miRNA (nt)."""
NEAR_KNOWN_SIMILARITY = 0.8
"""A labelled network miRNA at least this similar (normalised SW) makes a prediction ``near_known`` (the same
threshold groups homologous miRNAs in the homology-aware cross-validation)."""
EVIDENCE_LEVELS = ("known", "near_known", "novel", "out_of_domain")
"""What a prediction rests on: a labelled network miRNA itself, a close relative of one, a miRNA-like sequence far
from every labelled miRNA, or a sequence that is not miRNA-like (no prediction)."""


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
    """Return the weights directory: ``MIRLOC_WEIGHTS``, else the released weights (``weights/`` of the checkout,
    or the copy installed inside the package by ``pip install``)."""
    env = os.environ.get("MIRLOC_WEIGHTS")
    if env:
        return Path(env).expanduser().resolve()
    packaged = PACKAGE_ROOT / "weights"
    return packaged if packaged.is_dir() and not IN_CHECKOUT else REPO_ROOT / "weights"


def cache_dir() -> Path:
    """Return (and create) the on-disk cache for derived artefacts: ``MIRLOC_CACHE``, else ``.cache/`` in the
    checkout, else ``~/.cache/mirloc`` for an installed package."""
    env = os.environ.get("MIRLOC_CACHE")
    if env:
        path = Path(env).expanduser().resolve()
    else:
        path = REPO_ROOT / ".cache" if IN_CHECKOUT else Path.home() / ".cache" / "mirloc"
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


@dataclass(frozen=True)
class Settings:
    """Everything a run can be configured with, passed explicitly from the edge (CLI, app, benchmark).

    Attributes
    ----------
    data_dir : Path
        The shared, read-only data directory.
    weights_dir : Path
        The released weights (``lm/``, ``sequence/``, ``network/``, ``motifs/``).
    cache_dir : Path
        Derived, recomputable artefacts (similarity matrices, embeddings).
    results_dir : Path
        Where benchmarks write their JSON.
    device : str or None
        ``"cpu"``, ``"cuda"`` or None (the GPU when present).
    threads : int or None
        torch CPU threads for prediction (None: one, the app's default per request; ``mirloc predict`` passes
        all cores unless told otherwise).
    jobs : int
        Cross-validation folds fitted in parallel worker processes.
    """

    data_dir: Path
    weights_dir: Path
    cache_dir: Path
    results_dir: Path
    device: str | None = None
    threads: int | None = None
    jobs: int = 1

    @classmethod
    def from_env(cls, **overrides) -> "Settings":
        """The defaults (each from its ``MIRLOC_*`` variable, see the module docstring), with ``overrides``
        (``None`` values are ignored)."""
        base = cls(data_dir=data_dir(), weights_dir=weights_dir(), cache_dir=cache_dir(), results_dir=results_dir(),
                   device=os.environ.get("MIRLOC_DEVICE") or None)
        return base.replace(**overrides)

    def replace(self, **changes) -> "Settings":
        """A copy with ``changes`` applied (``None`` values are ignored; paths are resolved)."""
        changes = {k: v for k, v in changes.items() if v is not None}
        for key in ("data_dir", "weights_dir", "cache_dir", "results_dir"):
            if key in changes:
                changes[key] = Path(changes[key]).expanduser().resolve()
        return dataclasses.replace(self, **changes)

    def torch_device(self):
        """The torch device these settings ask for (see :func:`get_device`)."""
        return get_device(self.device)
