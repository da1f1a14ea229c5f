"""Prediction for any sequence: the sequence models, the network lookup, nearest known miRNAs, CSV output.

:class:`Predictor` loads the released sequence models (``weights/sequence/``, verified against their manifest)
and, when present, the network atlas (``weights/network/``, through
:func:`mirloc_core.pretrained.load_atlas`). :meth:`Predictor.predict` returns a
:class:`PredictionResult`; :func:`write_csv` writes its table (the app's download uses the same writer).

Determinism: models run in eval mode and in float64 with results rounded to float32, padding is masked, and
the per-sequence computation does not depend on the other sequences of the input.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from mirloc_core.config import (COMPARTMENT_KEYS, COMPARTMENTS, MIN_CONTAINED_LENGTH, NETWORK_MATCH_SIMILARITY,
                                get_device, weights_dir as default_weights_dir)
from mirloc_core.io.fasta import make_ids_unique, parse_fasta

CSV_COLUMNS = ["id", "sequence", "length", "p_extracellular", "p_intracellular", "call", "p_cytoplasm",
               "p_exosome", "p_nucleolus", "p_nucleus", "p_extracellular_vesicle", "p_microvesicle",
               "p_mitochondrion", "source", "known_mirna", "nearest_known_mirna", "nearest_similarity"]
PROB_COLUMNS = [f"p_{key}" for key in COMPARTMENT_KEYS]
_INJECTION_PREFIXES = ("=", "+", "-", "@")


@dataclass
class NetworkMatch:
    """A query that is (near-)identical to a network miRNA, with that miRNA's network-model prediction."""

    name: str
    similarity: float
    probabilities: np.ndarray
    out_of_fold: bool
    labels: np.ndarray | None
    modality_attention: np.ndarray
    relation: str = "near-identical"
    """``near-identical`` (normalised SW ≥ 0.95), or ``contained in`` / ``contains`` when one sequence lies
    inside the other (e.g. a mature miRNA inside the network's precursor hairpin); see :func:`known_relation`."""


@dataclass
class PredictionResult:
    """Everything :meth:`Predictor.predict` computes (see ``docs/contracts``)."""

    table: pd.DataFrame
    records: list
    attention: dict = field(default_factory=dict)
    attention_7comp: dict = field(default_factory=dict)
    sequence_probabilities: pd.DataFrame | None = None
    network: dict = field(default_factory=dict)
    nearest: dict = field(default_factory=dict)
    provenance: dict = field(default_factory=dict)
    notices: list = field(default_factory=list)
    conservation: dict = field(default_factory=dict)
    """Id → number of other species sharing a 20-nt stretch with the sequence in miRBase 22 (when the
    conservation head was used; see :func:`mirloc_core.features.conservation.shared_species`)."""
    paralogs: dict = field(default_factory=dict)
    """Id → number of other human miRBase 22 loci sharing a 20-nt stretch with the sequence (when the
    conservation head was used; see :func:`mirloc_core.features.conservation.human_paralogs`)."""


def _load_atlas(root: Path | None):
    """The network atlas, or ``(None, reason)`` when the network module or its weights are missing."""
    from mirloc_core.io.artifacts import ArtifactError

    try:
        from mirloc_core.pretrained import load_atlas
    except ImportError as exc:
        return None, f"network weights not found (network model unavailable: {exc}): sequence model only"
    try:
        return (load_atlas(root) if root is not None else load_atlas()), ""
    except (ArtifactError, FileNotFoundError) as exc:
        return None, f"network weights not found ({exc}): sequence model only"


def _reference_sequences(atlas) -> tuple[list[str], list[str], str]:
    """Names and sequences of the known network miRNAs: from the atlas, else from the shared data."""
    if atlas is not None:
        pairs = [(n, s) for n, s in zip(atlas.names, atlas.sequences) if s]
        return [p[0] for p in pairs], [p[1] for p in pairs], "network atlas"
    from mirloc_core.config import DataMissingError, data_available

    if data_available():
        try:
            from mirloc_core.io.data import map_names_to_sequences

            frame = map_names_to_sequences()
            frame = frame[frame["sequence"] != ""]
            return frame["name"].tolist(), frame["sequence"].tolist(), "shared data"
        except DataMissingError:
            pass
    return [], [], ""


def known_relation(similarity: np.ndarray, contained: np.ndarray, query_length: int, ref_lengths,
                   names) -> tuple[str, float, str] | None:
    """Which known network miRNA a query *is*, if any.

    1. ``near-identical``: normalised SW similarity (Eq. 1) ≥ :data:`NETWORK_MATCH_SIMILARITY` — the most
       similar such miRNA;
    2. otherwise one sequence lies inside the other: SW score ≥ 95 % of the shorter sequence's self-score, the
       shorter being at least :data:`MIN_CONTAINED_LENGTH` nt (a mature miRNA and its precursor hairpin, e.g.
       hsa-miR-21-5p and the network's hsa-mir-21) — among those, the most similar by Eq. 1.

    Returns ``(name, similarity, relation)`` or None.
    """
    best = int(np.lexsort((np.arange(len(similarity)), -similarity))[0])
    if similarity[best] >= NETWORK_MATCH_SIMILARITY:
        return str(names[best]), float(similarity[best]), "near-identical"
    ref_lengths = np.asarray(ref_lengths)
    ok = (contained >= NETWORK_MATCH_SIMILARITY) & (np.minimum(ref_lengths, query_length) >= MIN_CONTAINED_LENGTH)
    if not ok.any():
        return None
    candidates = np.flatnonzero(ok)
    j = int(candidates[np.lexsort((candidates, -similarity[candidates]))[0]])
    relation = "contained in" if query_length < ref_lengths[j] else "contains"
    return str(names[j]), float(similarity[j]), relation


class Predictor:
    """Loaded models, ready to predict.

    Use :meth:`load`; ``device`` is the torch device the models run on.
    """

    def __init__(self, binary, sevencomp, manifest: dict, lm_manifest: dict, device: torch.device,
                 atlas=None, atlas_notice: str = "", weights_root: Path | None = None):
        self.binary = binary
        self.sevencomp = sevencomp
        self.manifest = manifest
        self.lm_manifest = lm_manifest
        self.device = device
        self.atlas = atlas
        self.atlas_notice = atlas_notice
        self.weights_root = weights_root
        self.ref_names, self.ref_sequences, self.ref_source = _reference_sequences(atlas)
        self._atlas_index = {name: i for i, name in enumerate(atlas.names)} if atlas is not None else {}
        self.knn_reference = None
        self.conservation = None
        """(head arrays, weight) of the released conservation head, or None (see :mod:`.conservation`)."""
        self.threads = 1
        """torch CPU threads used while predicting (restored afterwards)."""

    @classmethod
    def load(cls, weights_dir=None, device=None) -> "Predictor":
        """Load ``weights/sequence`` and ``weights/lm`` (manifests verified) and the network atlas if present.

        Parameters
        ----------
        weights_dir : path, optional
            The weights root (default :func:`mirloc_core.config.weights_dir`).
        device : str or torch.device, optional
            ``"cpu"``, ``"cuda"``; default: the GPU when present.

        Raises
        ------
        mirloc_core.io.artifacts.ArtifactError
            When the sequence or LM weights are missing or corrupt.
        """
        from mirloc_core.pretrained import load_sequence_bundle

        root = Path(weights_dir) if weights_dir is not None else default_weights_dir()
        device = device if isinstance(device, torch.device) else get_device(device)
        bundle = load_sequence_bundle(root, device)
        atlas, notice = _load_atlas(Path(weights_dir) if weights_dir is not None else None)
        predictor = cls(bundle.binary, bundle.sevencomp, bundle.manifest, bundle.lm_manifest, device, atlas, notice,
                        root)
        predictor.knn_reference = bundle.knn_reference
        predictor.conservation = bundle.conservation
        return predictor

    def warm(self) -> "Predictor":
        """Load what the first prediction would otherwise load lazily (the miRBase k-mer index of the
        conservation head, about 1 s from the disk cache); returns ``self``. The app calls it at start-up."""
        from mirloc_core.features import conservation

        if self.conservation is not None and conservation.available():
            conservation.indexes()
        return self

    def _blend_conservation(self, sequences: list[str],
                            probabilities: np.ndarray) -> tuple[np.ndarray, float, dict | None]:
        """Seven-compartment probabilities with the conservation head blended in, the weight applied, and per
        sequence the number of other species (``"species"``) and of other human loci (``"paralogs"``) sharing a
        20-nt stretch (None when not computed).

        The weight is 0 (probabilities unchanged) when no head was released or when miRBase 22 is not in the
        data directory (the features need it); :meth:`predict` then adds a notice.
        """
        from mirloc_core.features import conservation

        if self.conservation is None or not sequences or not conservation.available():
            return probabilities, 0.0, None
        head, weight = self.conservation
        features = conservation.conservation_features(sequences)
        cons = conservation.predict_head(head, features)
        blended = (1.0 - weight) * probabilities.astype(np.float64) + weight * cons
        counts = {"species": conservation.shared_species(features), "paralogs": conservation.human_paralogs(features)}
        return blended.astype(np.float32), weight, counts

    @property
    def knn_reference(self):
        """(sequences, labels, k, weight) when the released seven-compartment model blends in kNN-SW transfer."""
        return self._knn_reference

    @knn_reference.setter
    def knn_reference(self, value) -> None:
        from mirloc_core.features.alignment import self_scores

        self._knn_reference = value
        knn_seqs = list(value[0]) if value is not None else []
        # every distinct sequence of the two reference sets, aligned once per query (see _lookup)
        self._targets = list(dict.fromkeys([*self.ref_sequences, *knn_seqs]))
        column = {seq: j for j, seq in enumerate(self._targets)}
        self._ref_columns = np.array([column[seq] for seq in self.ref_sequences], dtype=np.intp)
        self._knn_columns = np.array([column[seq] for seq in knn_seqs], dtype=np.intp)
        self._ref_self = self_scores(self.ref_sequences)
        self._ref_lengths = np.array([len(seq) for seq in self.ref_sequences])
        self._knn_self = self_scores(knn_seqs)

    # ------------------------------------------------------------------ prediction

    def _lookup(self, sequences: list[str], top: int = 5, progress=None, nearest: bool = True,
                knn: bool = True) -> tuple[dict, dict, dict]:
        """One SW pass of the distinct ``sequences`` against the known network miRNAs and the kNN reference.

        Each distinct reference sequence is aligned once per query and its scores serve both sets.

        Parameters
        ----------
        sequences : list of str
        top : int
            Nearest known miRNAs kept per sequence.
        progress : callable, optional
            Receives the number of distinct sequences done after each chunk (when ``nearest`` runs).
        nearest, knn : bool
            Compute the nearest known miRNAs / the kNN-SW transfer (each only when its reference exists).

        Returns
        -------
        frames : dict
            Sequence → its top-``top`` known network miRNAs by normalised SW similarity (ties: network order).
        known : dict
            Sequence → the known network miRNA it corresponds to, or None (see :func:`known_relation`).
        transfer : dict
            Sequence → its kNN-SW transfer row (see :func:`mirloc_core.features.alignment.knn_transfer`).
        """
        from mirloc_core.features.alignment import self_scores, sw_scores
        from mirloc_core.features.alignment import knn_transfer

        nearest = nearest and bool(self.ref_sequences)
        knn = knn and self.knn_reference is not None
        frames, known, transfer = {}, {}, {}
        if not (nearest or knn):
            return frames, known, transfer
        unique = sorted(set(sequences))
        names = np.array(self.ref_names)
        for start in range(0, len(unique), 256):
            chunk = unique[start : start + 256]
            raw = sw_scores(chunk, self._targets)
            query_self = self_scores(chunk)
            if knn:
                _, labels, k, _ = self.knn_reference
                norm = np.sqrt(np.outer(query_self, self._knn_self))
                sims = np.clip(raw[:, self._knn_columns] / np.maximum(norm, 1e-12), 0.0, 1.0)
                transfer.update(zip(chunk, knn_transfer(sims, labels, k)))
            if nearest:
                ref_raw = raw[:, self._ref_columns]
                sims = np.clip(ref_raw / np.sqrt(np.outer(query_self, self._ref_self)), 0.0, 1.0)
                contained = ref_raw / np.minimum(query_self[:, None], self._ref_self[None, :])
                for row, seq in enumerate(chunk):
                    order = np.lexsort((np.arange(len(names)), -sims[row]))[:top]
                    frames[seq] = pd.DataFrame({"name": names[order], "similarity": sims[row, order]})
                    known[seq] = known_relation(sims[row], contained[row], len(seq), self._ref_lengths, names)
                if progress is not None:
                    progress(len(chunk))
        return frames, known, transfer

    def _blend_knn(self, sequences: list[str], neural: np.ndarray, transfer: dict | None = None) -> np.ndarray:
        """Seven-compartment probabilities: (1 - w) · neural + w · kNN-SW transfer from the training miRNAs.

        ``transfer`` (sequence → row, from :meth:`_lookup`) is computed when not given.
        """
        weight = self.knn_reference[3]
        if transfer is None:
            transfer = self._lookup(sequences, nearest=False)[2]
        knn = np.stack([transfer[s] for s in sequences]) if sequences else np.zeros((0, 7))
        return ((1.0 - weight) * neural.astype(np.float64) + weight * knn).astype(np.float32)

    def _nearest(self, sequences: list[str], top: int = 5, progress=None) -> tuple[list[pd.DataFrame], list]:
        """Top-``top`` known network miRNAs by normalised SW similarity (ties: network order), and per
        sequence the known network miRNA it corresponds to, if any (see :func:`known_relation`)."""
        frames, known, _ = self._lookup(sequences, top, progress, knn=False)
        return self._per_record(sequences, frames, known)

    def _per_record(self, sequences: list[str], frames: dict, known: dict) -> tuple[list[pd.DataFrame], list]:
        """:meth:`_lookup`'s nearest-known results in input order (one frame copy per record)."""
        if not self.ref_sequences:
            return [pd.DataFrame(columns=["name", "similarity"]) for _ in sequences], [None] * len(sequences)
        return [frames[s].copy() for s in sequences], [known[s] for s in sequences]

    def predict(self, records, sequence_only: bool = False, batch_size: int = 256,
                progress: bool = False) -> PredictionResult:
        """Predict localization for records (or FASTA text, parsed without a record limit).

        Parameters
        ----------
        records : list of SequenceRecord, or str
        sequence_only : bool
            Skip the network lookup (the seven compartments then always come from the sequence model).
        batch_size : int
            Sequences per forward pass (results do not depend on it).
        progress : bool
            Show a tqdm progress bar (the CLI turns it on for large inputs).
        """
        if isinstance(records, (str, bytes)):
            records = parse_fasta(records)
        records = list(records)
        notices = [r.notice for r in records if r.notice]
        seqs = [r.sequence for r in records]
        ids = [r.id for r in records]
        threads = torch.get_num_threads()
        torch.set_num_threads(self.threads)  # fixed: small models, and robust on a busy machine
        try:
            return self._predict(records, notices, seqs, ids, sequence_only, batch_size, progress)
        finally:
            torch.set_num_threads(threads)

    def _predict(self, records, notices, seqs, ids, sequence_only, batch_size, progress) -> PredictionResult:
        bar = None
        if progress:
            from tqdm import tqdm

            lookups = len(set(seqs)) if self.ref_sequences else 0
            bar = tqdm(total=2 * len(seqs) + lookups, unit="seq", desc="predicting", file=sys.stderr)
        tick = bar.update if bar is not None else None
        cache: dict = {}
        binary = self.binary.predict(seqs, batch_size=batch_size, progress=tick, lm_cache=cache)
        seven = self.sevencomp.predict(seqs, batch_size=batch_size, progress=tick, lm_cache=cache)
        del cache
        frames, known_by_seq, transfer = self._lookup(seqs, progress=tick)  # one SW pass for both uses
        if self.knn_reference is not None:
            seven.probabilities = self._blend_knn(seqs, seven.probabilities, transfer)
        seven.probabilities, conservation_weight, counts = self._blend_conservation(seqs, seven.probabilities)
        sequence_source = "sequence model"
        if self.conservation is not None and conservation_weight == 0.0:
            sequence_source = "sequence model (without conservation)"
            notices.append("miRBase 22 is not in the data directory, so the conservation features are off: the "
                           "seven-compartment probabilities from sequence are less accurate (see the model card)")
        p_intra = binary.probabilities[:, 0].astype(np.float64)
        seq_probs = pd.DataFrame(seven.probabilities.astype(np.float64), index=pd.Index(ids, name="id"),
                                 columns=list(COMPARTMENTS))

        lookup = not sequence_only
        nearest_frames, known_hits = self._per_record(seqs, frames, known_by_seq)
        if bar is not None:
            bar.close()
        nearest: dict = {}
        network: dict = {}
        if lookup and self.atlas is None:
            notices.append(self.atlas_notice or "network weights not found: sequence model only")
        if not self.ref_sequences:
            notices.append("no known miRNAs available (no network atlas and no shared data): "
                           "nearest known miRNAs are not reported")
        rows = []
        for i, rec in enumerate(records):
            probs7 = seven.probabilities[i].astype(np.float64)
            source = sequence_source
            known = ""
            near_name, near_sim = "", np.nan
            if nearest_frames:
                frame = nearest_frames[i]
                nearest[rec.id] = frame
                if len(frame):
                    near_name, near_sim = str(frame["name"].iloc[0]), float(frame["similarity"].iloc[0])
            hit = known_hits[i] if known_hits else None
            if hit is not None:
                known = hit[0]  # a known network miRNA, whether or not its prediction is used
            if lookup and self.atlas is not None and known:
                j = self._atlas_index.get(known)
                if j is not None:
                    labelled = bool(self.atlas.labelled[j])
                    match = NetworkMatch(
                        name=known, similarity=hit[1], relation=hit[2],
                        probabilities=np.asarray(self.atlas.probabilities[j], dtype=np.float64),
                        out_of_fold=bool(self.atlas.out_of_fold[j]),
                        labels=np.asarray(self.atlas.labels[j]) if labelled else None,
                        modality_attention=np.asarray(self.atlas.modality_attention[j], dtype=np.float64))
                    network[rec.id] = match
                    probs7 = match.probabilities
                    source = "network model (out-of-fold)" if match.out_of_fold else "network model"
            rows.append([rec.id, rec.sequence, len(rec.sequence), 1.0 - p_intra[i], p_intra[i],
                         "intracellular" if p_intra[i] >= 0.5 else "extracellular", *probs7, source, known,
                         near_name, near_sim])
        table = pd.DataFrame(rows, columns=CSV_COLUMNS)
        provenance = {
            "binary_model": f"TextCNN-BiLSTM-attention ensemble of {len(self.binary.models)} (RNALoc-LM train.tsv)",
            "sevencomp_model": f"TextCNN-BiLSTM-attention ensemble of {len(self.sevencomp.models)} "
                               "(labelled network miRNAs)",
            "sevencomp_knn_blend": self.knn_reference[3] if self.knn_reference is not None else 0.0,
            "sevencomp_conservation_weight": conservation_weight,
            "encoders": list(self.binary.cfg.encoders),
            "language_model": "own RNA LM (weights/lm)",
            "sequence_manifest_sha256": _sha(self.weights_root / "sequence" / "manifest.json"),
            "lm_manifest_sha256": _sha(self.weights_root / "lm" / "manifest.json"),
            "network_manifest_sha256": _sha(self.weights_root / "network" / "manifest.json")
            if self.atlas is not None else "",
            "device": str(self.device),
            "network_lookup": bool(lookup and self.atlas is not None),
            "reference_sequences": self.ref_source,
            "network_match_similarity": NETWORK_MATCH_SIMILARITY,
        }
        return PredictionResult(
            table=table, records=records,
            attention={rec.id: binary.attention[i] for i, rec in enumerate(records)},
            attention_7comp={rec.id: seven.attention[i] for i, rec in enumerate(records)},
            sequence_probabilities=seq_probs, network=network, nearest=nearest,
            provenance=provenance, notices=notices,
            conservation={rec.id: int(counts["species"][i]) for i, rec in enumerate(records)} if counts else {},
            paralogs={rec.id: int(counts["paralogs"][i]) for i, rec in enumerate(records)} if counts else {})


def _sha(path: Path) -> str:
    from mirloc_core.io.data import file_sha256

    return file_sha256(path) if path.is_file() else ""


def _neutralise(value):
    if isinstance(value, str) and value.startswith(_INJECTION_PREFIXES):
        return "'" + value
    return value


def write_csv(result, path_or_buffer=None):
    """Write the prediction table with exactly :data:`CSV_COLUMNS`, neutralising CSV injection.

    Text cells starting with ``=``, ``+``, ``-`` or ``@`` get a leading ``'``.

    Parameters
    ----------
    result : PredictionResult or pandas.DataFrame
    path_or_buffer : path or file-like, optional
        Where to write; when omitted the CSV text is returned.
    """
    table = result.table if isinstance(result, PredictionResult) else result
    table = table.loc[:, CSV_COLUMNS].copy()
    for column in table.columns:
        if table[column].dtype == object:
            table[column] = table[column].map(_neutralise)
    text = table.to_csv(index=False, float_format="%.6g", lineterminator="\n")
    if path_or_buffer is None:
        return text
    if isinstance(path_or_buffer, (str, Path)):
        Path(path_or_buffer).write_text(text)
    else:
        path_or_buffer.write(text)
    return None


def cli_predict(argv: list[str]) -> int:
    """``python -m mirloc_core predict INPUT.fa --out OUT.csv [--sequence-only] [--device cpu|cuda]``."""
    from mirloc_core.io.fasta import InputError

    parser = argparse.ArgumentParser(prog="python -m mirloc_core predict",
                                     description="Predict the localization of every sequence in a FASTA file.")
    parser.add_argument("input", help="FASTA file ('-' for standard input)")
    parser.add_argument("--out", required=True, help="output CSV ('-' for standard output)")
    parser.add_argument("--sequence-only", action="store_true", help="skip the network-model lookup")
    parser.add_argument("--device", choices=("cpu", "cuda"), default=None)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--threads", type=int, default=None,
                        help="torch CPU threads (default: all cores; the app uses 1 per request)")
    parser.add_argument("--weights", default=None, help="weights root (default: weights/)")
    args = parser.parse_args(argv)
    try:
        if args.input == "-":
            text = sys.stdin.read()
        else:
            text = Path(args.input).read_bytes()
        records = _parse_any_size(text)
    except (InputError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    from mirloc_core.io.artifacts import ArtifactError

    try:
        predictor = Predictor.load(args.weights, device=args.device)
    except (ArtifactError, RuntimeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    predictor.threads = max(1, args.threads or os.cpu_count() or 1)
    result = predictor.predict(records, sequence_only=args.sequence_only, batch_size=args.batch_size,
                               progress=len(records) > 100)
    for notice in dict.fromkeys(result.notices):
        print(f"note: {notice}", file=sys.stderr)
    if args.out == "-":
        write_csv(result, sys.stdout)
    else:
        write_csv(result, args.out)
        print(f"wrote {len(result.table)} predictions to {args.out}", file=sys.stderr)
    return 0


def _parse_any_size(text) -> list:
    """Parse FASTA of any size: the app's 1 MB input limit is for pasted text, so large files go in chunks."""
    from mirloc_core.io.fasta import MAX_INPUT_BYTES

    if isinstance(text, (bytes, bytearray)):
        text = bytes(text).decode("utf-8-sig")
    if len(text.encode("utf-8")) <= MAX_INPUT_BYTES:
        return parse_fasta(text)
    records: list = []
    chunk: list[str] = []
    size = 0
    for line in io.StringIO(text):
        if line.startswith(">") and size > MAX_INPUT_BYTES // 2:
            records.extend(parse_fasta("".join(chunk)))
            chunk, size = [], 0
        chunk.append(line)
        size += len(line.encode("utf-8"))
    if chunk:
        records.extend(parse_fasta("".join(chunk)))
    return make_ids_unique(records)
