"""Load the released weights into typed bundles: the RNA language model, the sequence ensembles, the network
atlas and the motif artefacts.

Every loader verifies the folder's ``manifest.json`` (sha256 of every file) before reading, and reads only
safetensors and JSON (nothing is unpickled). Model *definitions* live in :mod:`mirloc_core.models`; training
and release live in :mod:`mirloc_core.training`, which writes what this module reads.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from mirloc_core import config
from mirloc_core.io.artifacts import ArtifactError, load_tensors, verify_manifest
from mirloc_core.models.graph import MODALITIES

ATLAS_FILE = "atlas.safetensors"
SEQUENCE_FILES = ("binary.safetensors", "sevencomp.safetensors")
CALIBRATION_FILE = "sevencomp_calibration.json"
"""Optional: the isotonic calibrator of the seven-compartment sequence output and the training base rates."""
KNN_REFERENCE_FILE = "sevencomp_reference.json"
"""Optional: training sequences and labels of the seven-compartment model, for homology (kNN-SW) transfer."""
MOTIF_FILES = ("known_motifs.meme", "attention_motifs.meme", "attention_motifs_strict.meme",
               "denovo_glam2.meme", "motifs.json", "matches.csv")
"""Files of a built ``weights/motifs`` folder."""


def _root(weights_dir) -> Path:
    return Path(weights_dir) if weights_dir is not None else config.weights_dir()


# ---------------------------------------------------------------------------------------------- language model
def load_lm(directory: Path | None = None, verify: bool = True):
    """Load the pretrained LM from ``directory`` (default ``weights/lm``), checking its manifest.

    Raises
    ------
    mirloc_core.io.artifacts.ArtifactError
        When the weights are missing, corrupt or do not match the manifest.
    """
    import torch

    from mirloc_core.models.lm import LM_FILE, LMConfig, RNALanguageModel

    directory = Path(directory) if directory else config.weights_dir() / "lm"
    if verify:
        verify_manifest(directory, required=(LM_FILE,))
    arrays, meta = load_tensors(directory / LM_FILE)
    cfg = meta.get("config", {})
    if isinstance(cfg, str):
        cfg = json.loads(cfg)
    model = RNALanguageModel(LMConfig(**cfg))
    model.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in arrays.items()})
    model.eval()
    return model


# ---------------------------------------------------------------------------------------------- sequence models
@dataclass
class SequenceBundle:
    """The released sequence models (``weights/sequence`` + ``weights/lm``), ready to run on ``device``.

    Attributes
    ----------
    binary, sevencomp : SequenceEnsemble
        Extracellular/intracellular and seven-compartment ensembles (sharing one float64 LM copy).
    manifest, lm_manifest : dict
        The verified manifests.
    knn_reference : tuple or None
        ``(sequences, labels, k, weight)`` of the kNN-SW homology transfer blended into the seven compartments.
    conservation : tuple or None
        ``(head arrays, weight)`` of the conservation head (:mod:`mirloc_core.features.conservation`).
    calibrator : IsotonicCalibrator or None
        Maps the seven-compartment output to calibrated probabilities.
    base_rates : ndarray (7,) or None
        The prevalence of each compartment among the seven-compartment model's training rows.
    """

    binary: object
    sevencomp: object
    manifest: dict
    lm_manifest: dict
    knn_reference: tuple | None = None
    conservation: tuple | None = None
    calibrator: object = None
    base_rates: np.ndarray | None = None


def load_sequence_bundle(weights_dir=None, device=None) -> SequenceBundle:
    """Load ``weights/sequence`` and ``weights/lm`` (manifests verified) onto ``device`` (a torch device).

    Raises
    ------
    mirloc_core.io.artifacts.ArtifactError
        When the sequence or LM weights are missing or corrupt, or the conservation head was fitted on other
        features than this version computes.
    """
    from mirloc_core.features.conservation import FEATURES as CONSERVATION_FEATURES
    from mirloc_core.features.conservation import HEAD_FILE
    from mirloc_core.models.sequence import ModelConfig, SequenceEnsemble

    root = _root(weights_dir)
    manifest = verify_manifest(root / "sequence", required=SEQUENCE_FILES)
    lm_manifest = verify_manifest(root / "lm")
    lm = load_lm(root / "lm", verify=False)
    ensembles = []
    for name in SEQUENCE_FILES:
        arrays, meta = load_tensors(root / "sequence" / name)
        ensembles.append(SequenceEnsemble.from_tensors(arrays, ModelConfig.from_dict(meta["config"]), lm, device))
        lm = ensembles[-1].lm  # the float64 copy, shared by both ensembles
    bundle = SequenceBundle(ensembles[0], ensembles[1], manifest, lm_manifest)
    reference = root / "sequence" / KNN_REFERENCE_FILE
    if reference.is_file() and KNN_REFERENCE_FILE in manifest.get("files", {}):
        ref = json.loads(reference.read_text())
        bundle.knn_reference = (list(ref["sequences"]), np.asarray(ref["labels"], dtype=np.float64),
                                int(ref.get("k", 10)), float(ref.get("weight", 0.5)))
    head = root / "sequence" / HEAD_FILE
    if head.is_file() and HEAD_FILE in manifest.get("files", {}):
        arrays, meta = load_tensors(head)
        if list(meta.get("features", [])) != list(CONSERVATION_FEATURES):
            raise ArtifactError(f"{head} was fitted on other conservation features than this version computes "
                                f"({len(meta.get('features', []))} vs {len(CONSERVATION_FEATURES)}); retrain "
                                "with `mirloc train sequence`")
        bundle.conservation = (arrays, float(meta.get("weight", 0.0)))
    calibration = root / "sequence" / CALIBRATION_FILE
    if calibration.is_file() and CALIBRATION_FILE in manifest.get("files", {}):
        from mirloc_core.models.calibration import IsotonicCalibrator

        side = json.loads(calibration.read_text())
        bundle.calibrator = IsotonicCalibrator.from_dict(side["calibrator"])
        bundle.base_rates = np.array([side["base_rates"][c] for c in config.COMPARTMENTS], dtype=np.float64)
    return bundle


# ---------------------------------------------------------------------------------------------- network atlas
@dataclass
class NetworkAtlas:
    """Per-miRNA predictions of the released network model, for all 1,041 network miRNAs.

    ``probabilities`` are out-of-fold (10-fold CV) for labelled rows (``out_of_fold`` True) and from the
    model trained on all 901 labelled miRNAs for the 140 unlabelled ones.

    ``calibrated_probabilities`` (None in atlases released before issue 13): the same through per-compartment
    Platt scaling (isotonic before 2026-12-06); cross-fitted for the labelled rows (each fold's rows through a
    calibrator fitted on the other folds' out-of-fold rows), through the released calibrator (``calibration.json``,
    fitted on all out-of-fold rows) for the unlabelled ones. ``base_rates``: the training prevalence of each compartment
    (``metadata["base_rates"]``, else computed from the labelled rows).
    """

    names: list
    sequences: list
    mapping_source: list
    probabilities: np.ndarray
    out_of_fold: np.ndarray
    labels: np.ndarray
    labelled: np.ndarray
    embedding: np.ndarray
    modality_attention: np.ndarray
    modalities: tuple = MODALITIES
    metadata: dict = field(default_factory=dict)
    calibrated_probabilities: np.ndarray | None = None

    @property
    def base_rates(self) -> np.ndarray:
        """(7,) training prevalence of each compartment, in :data:`config.COMPARTMENTS` order."""
        stored = self.metadata.get("base_rates")
        if stored:
            return np.array([stored[c] for c in config.COMPARTMENTS], np.float64)
        return self.labels[self.labelled].mean(0).astype(np.float64)


def load_atlas(weights_dir: Path | None = None) -> NetworkAtlas:
    """Read the released atlas from ``weights_dir/network`` (default :func:`config.weights_dir`).

    Verifies the manifest's sha256 first; needs no shared data.

    Raises
    ------
    mirloc_core.io.artifacts.ArtifactError
        When the directory, the manifest or a file is missing or corrupt.
    """
    directory = _root(weights_dir)
    if (directory / "network").is_dir() or not (directory / "atlas.json").is_file():
        directory = directory / "network"
    verify_manifest(directory, required=(ATLAS_FILE, "atlas.json"))
    return read_atlas(directory)


def read_atlas(directory: Path) -> NetworkAtlas:
    """The atlas files of ``directory`` read as they are, without the manifest check of :func:`load_atlas` (for
    a caller that has checked them itself, such as ``train network --calibration-only``)."""
    arrays, meta = load_tensors(directory / ATLAS_FILE)
    try:
        side = json.loads((directory / "atlas.json").read_text())
        n = len(side["names"])
        atlas = NetworkAtlas(
            names=list(side["names"]), sequences=list(side["sequences"]),
            mapping_source=list(side["mapping_source"]),
            probabilities=arrays["probabilities"].astype(np.float64),
            out_of_fold=arrays["out_of_fold"].astype(bool), labels=arrays["labels"].astype(np.int64),
            labelled=arrays["labelled"].astype(bool), embedding=arrays["embedding"],
            modality_attention=arrays["modality_attention"].astype(np.float64),
            modalities=tuple(meta.get("modalities", MODALITIES)), metadata=side.get("metadata", {}),
            calibrated_probabilities=(arrays["calibrated_probabilities"].astype(np.float64)
                                      if "calibrated_probabilities" in arrays else None))
    except (KeyError, ValueError, json.JSONDecodeError) as exc:
        raise ArtifactError(f"corrupt network atlas in {directory}: {exc}") from exc
    n_classes = len(config.COMPARTMENTS)
    shapes_ok = (atlas.probabilities.shape == (n, n_classes) and atlas.labels.shape == (n, n_classes)
                 and atlas.modality_attention.shape == (n, len(atlas.modalities)) and len(atlas.embedding) == n
                 and len(atlas.sequences) == n and atlas.out_of_fold.shape == (n,)
                 and (atlas.calibrated_probabilities is None or atlas.calibrated_probabilities.shape == (n, n_classes)))
    if not shapes_ok:
        raise ArtifactError(f"network atlas in {directory} has inconsistent shapes")
    return atlas


# ---------------------------------------------------------------------------------------------- motifs
def load_motif_artifacts(weights_dir=None) -> dict | None:
    """Load the built motif artefacts (``weights/motifs/``), or ``None`` when not built.

    The manifest's sha256 are verified (:class:`~mirloc_core.io.artifacts.ArtifactError` on a corrupt file).
    Keys: ``dir``, ``manifest``, ``report`` (motifs.json), ``motifs`` (id → Motif), ``attention``,
    ``attention_strict``, ``denovo``, ``known`` (lists of Motif), ``matches`` and ``classes`` (DataFrames),
    ``logos`` (id → PNG path).
    """
    from mirloc_core.motifs.pwm import Motif

    directory = _root(weights_dir) / "motifs"
    if not (directory / "manifest.json").is_file():
        return None
    manifest = verify_manifest(directory, required=MOTIF_FILES)
    report = json.loads((directory / "motifs.json").read_text())
    motifs = {d["id"]: Motif.from_dict(d) for d in report["motifs"]}

    def by_source(src, rule=None):
        return [m for m in motifs.values() if m.source == src and (rule is None or m.info.get("rule") == rule)]

    logos = {mid: directory / rel for mid, rel in report.get("logos", {}).items() if (directory / rel).is_file()}
    return {
        "dir": directory, "manifest": manifest, "report": report, "motifs": motifs,
        "attention": by_source("attention", "median"), "attention_strict": by_source("attention", "strict"),
        "denovo": by_source("glam2"), "known": [m for m in motifs.values()
                                               if m.source in ("known_localization", "rbp")],
        "matches": pd.DataFrame(report["matches"]), "classes": pd.DataFrame(report["classes"]), "logos": logos,
    }


# ---------------------------------------------------------------------------------------------- release summary
WEIGHT_PARTS = ("lm", "sequence", "network", "motifs")


def released_parts(weights_dir=None) -> list[dict]:
    """One row per weights part: ``part``, ``created``, ``files`` (count), ``command`` — from each folder's
    ``manifest.json`` ("not released" / "corrupt manifest" when absent or unreadable)."""
    rows = []
    for part in WEIGHT_PARTS:
        path = _root(weights_dir) / part / "manifest.json"
        row = {"part": part, "created": "not released", "files": 0, "command": ""}
        if path.is_file():
            try:
                manifest = json.loads(path.read_text())
                row.update(created=manifest.get("created", ""), files=len(manifest.get("files", {})),
                           command=manifest.get("command", ""))
            except json.JSONDecodeError:
                row["created"] = "corrupt manifest"
        rows.append(row)
    return rows


def model_cards(weights_dir=None) -> dict[str, str]:
    """Part → the text of its released ``model_card.md``."""
    return {card.parent.name: card.read_text(encoding="utf-8")
            for card in sorted(_root(weights_dir).glob("*/model_card.md"))}
