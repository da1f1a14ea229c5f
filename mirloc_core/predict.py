"""Prediction for any sequence: compose the sequence ensembles, the kNN-SW homology transfer, the conservation
head and the network match into one :class:`~mirloc_core.results.PredictionResult`.

:class:`Predictor` gets its models from :mod:`mirloc_core.pretrained` (manifests verified): the sequence bundle
(``weights/sequence`` + ``weights/lm``) and, when present, the network atlas (``weights/network``). The steps of
:meth:`Predictor.predict`, in order:

1. both sequence ensembles (binary call and seven compartments, with their attention);
2. one Smith–Waterman pass of every distinct sequence against the known network miRNAs and the kNN reference:
   the kNN-SW transfer is blended into the seven compartments, and the nearest known miRNAs are kept;
3. the conservation head (k-mers shared with other species and other human loci in miRBase 22) is blended in;
4. a sequence that *is* a labelled network miRNA (near-identical, or one inside the other) gets that miRNA's
   network-model prediction instead (out-of-fold for labelled miRNAs).

Determinism: models run in eval mode and in float64 with results rounded to float32, padding is masked, and
the per-sequence computation does not depend on the other sequences of the input.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from mirloc_core.config import (COMPARTMENTS, MIN_CONTAINED_LENGTH, NEAR_KNOWN_SIMILARITY, NETWORK_MATCH_SIMILARITY, Settings,
                                get_device)
from mirloc_core.io.fasta import parse_fasta
from mirloc_core.results import NetworkMatch, PredictionResult, RecordPrediction


def _load_atlas(root: Path):
    """The network atlas, or ``(None, reason)`` when its weights are missing or corrupt."""
    from mirloc_core.io.artifacts import ArtifactError
    from mirloc_core.pretrained import load_atlas

    try:
        return load_atlas(root), ""
    except (ArtifactError, FileNotFoundError) as exc:
        return None, f"network weights not found ({exc}): sequence model only"


def _reference_sequences(atlas, data_dir: Path) -> tuple[list[str], list[str], str]:
    """Names and sequences of the known network miRNAs: from the atlas, else from the shared data."""
    if atlas is not None:
        pairs = [(n, s) for n, s in zip(atlas.names, atlas.sequences) if s]
        return [p[0] for p in pairs], [p[1] for p in pairs], "network atlas"
    from mirloc_core.config import DataMissingError

    if (Path(data_dir) / "network1041" / "miRNA_ID_1041.txt").is_file():
        try:
            from mirloc_core.io.data import map_names_to_sequences

            frame = map_names_to_sequences(data_dir)
            frame = frame[frame["sequence"] != ""]
            return frame["name"].tolist(), frame["sequence"].tolist(), "shared data"
        except DataMissingError:
            pass
    return [], [], ""


def _labelled_mask(names: list[str], atlas, data_dir: Path) -> tuple[np.ndarray, np.ndarray]:
    """Which of the known network miRNAs ``names`` carry localization labels, and their labels (n, 7), from the
    atlas, else from the shared data."""
    if not names:
        return np.zeros(0, dtype=bool), np.zeros((0, len(COMPARTMENTS)), dtype=bool)
    if atlas is None:
        from mirloc_core.io.data import load_network

        atlas = load_network(data_dir)
    index = {n: i for i, n in enumerate(atlas.names)}
    rows = [index[n] for n in names]
    return np.asarray(atlas.labelled, bool)[rows], np.asarray(atlas.labels, bool)[rows]


def _specific_names(names: list[str], atlas, data_dir: Path) -> np.ndarray:
    """Which known network miRNAs are specific entries (a miRBase hairpin or mature) rather than family nodes."""
    if not names:
        return np.zeros(0, dtype=bool)
    if atlas is not None:
        source = dict(zip(atlas.names, atlas.mapping_source))
    else:
        from mirloc_core.io.data import map_names_to_sequences

        frame = map_names_to_sequences(data_dir)
        source = dict(zip(frame["name"], frame["source"]))
    return np.array([source.get(n) != "family" for n in names], dtype=bool)


def evidence_level(in_domain: bool | None, known: str, labelled_similarity: float) -> str:
    """What a prediction can rest on (see :data:`mirloc_core.config.EVIDENCE_LEVELS`): ``out_of_domain`` when the
    sequence is not miRNA-like, ``known`` when it is a labelled network miRNA, ``near_known`` when a labelled one is
    at least :data:`~mirloc_core.config.NEAR_KNOWN_SIMILARITY` similar, else ``novel``. ``in_domain`` None (miRBase
    not available to decide) counts as miRNA-like."""
    if in_domain is False:
        return "out_of_domain"
    if known:
        return "known"
    return "near_known" if labelled_similarity >= NEAR_KNOWN_SIMILARITY else "novel"


def known_relation(similarity: np.ndarray, contained: np.ndarray, query_length: int, ref_lengths,
                   names, preference=None) -> tuple[str, float, str] | None:
    """Which known network miRNA a query *is*, if any.

    1. ``near-identical``: normalised SW similarity (Eq. 1) ≥ :data:`NETWORK_MATCH_SIMILARITY` — the most
       similar such miRNA;
    2. otherwise one sequence lies inside the other: SW score ≥ 95 % of the shorter sequence's self-score, the
       shorter being at least :data:`MIN_CONTAINED_LENGTH` nt (a mature miRNA and its precursor hairpin, e.g.
       hsa-miR-21-5p and the network's hsa-mir-21) — among those, the most similar by Eq. 1.

    Among equally similar miRNAs, ``preference`` (higher first; e.g. labelled and specific names before an
    unlabelled family node with the same sequence, such as hsa-let-7a-1 before hsa-let-7) breaks the tie, then
    network order. Returns ``(name, similarity, relation)`` or None.
    """
    preference = np.zeros(len(similarity)) if preference is None else np.asarray(preference, float)
    rounded = np.round(similarity, 9)
    best = int(np.lexsort((np.arange(len(similarity)), -preference, -rounded))[0])
    if similarity[best] >= NETWORK_MATCH_SIMILARITY:
        return str(names[best]), float(similarity[best]), "near-identical"
    ref_lengths = np.asarray(ref_lengths)
    ok = (contained >= NETWORK_MATCH_SIMILARITY) & (np.minimum(ref_lengths, query_length) >= MIN_CONTAINED_LENGTH)
    if not ok.any():
        return None
    candidates = np.flatnonzero(ok)
    j = int(candidates[np.lexsort((candidates, -preference[candidates], -rounded[candidates]))[0]])
    relation = "contained in" if query_length < ref_lengths[j] else "contains"
    return str(names[j]), float(similarity[j]), relation


def nearest_with_match_first(names: np.ndarray, similarity: np.ndarray, known: tuple | None,
                             top: int = 5) -> pd.DataFrame:
    """The ``top`` most similar known miRNAs (ties: network order), with the matched known miRNA first when there
    is one (a mature matched to its precursor is less similar by Eq. 1 than some unrelated hairpin may be)."""
    order = list(np.lexsort((np.arange(len(names)), -similarity)))
    if known is not None:
        j = int(np.flatnonzero(names == known[0])[0])
        order = [j] + [i for i in order if i != j]
    order = order[:top]
    return pd.DataFrame({"name": names[order], "similarity": similarity[order]})


class Predictor:
    """Loaded models, ready to predict.

    Use :meth:`load`; ``device`` is the torch device the models run on.
    """

    def __init__(self, binary, sevencomp, manifest: dict, lm_manifest: dict, device: torch.device,
                 atlas=None, atlas_notice: str = "", weights_root: Path | None = None,
                 settings: Settings | None = None):
        self.settings = settings if settings is not None else Settings.from_env()
        self.binary = binary
        self.sevencomp = sevencomp
        self.manifest = manifest
        self.lm_manifest = lm_manifest
        self.device = device
        self.atlas = atlas
        self.atlas_notice = atlas_notice
        self.weights_root = weights_root if weights_root is not None else self.settings.weights_dir
        self.ref_names, self.ref_sequences, self.ref_source = _reference_sequences(atlas, self.settings.data_dir)
        self._ref_labelled, self._ref_labels = _labelled_mask(self.ref_names, atlas, self.settings.data_dir)
        self._ref_index = {name: j for j, name in enumerate(self.ref_names)}
        specific = _specific_names(self.ref_names, atlas, self.settings.data_dir)
        self._ref_preference = 2.0 * self._ref_labelled + specific
        """Tie-breaking among equally similar known miRNAs: labelled first, then specific names (not a family)."""
        self._atlas_index = {name: i for i, name in enumerate(atlas.names)} if atlas is not None else {}
        self.knn_reference = None
        self.conservation = None
        """(head arrays, weight) of the released conservation head, or None (see :mod:`.conservation`)."""
        self.calibrator = None
        """Isotonic map of the seven-compartment sequence output to calibrated probabilities, or None."""
        self.sequence_base_rates = None
        """Compartment prevalence among the sequence model's training rows (released with the calibrator)."""
        self.threads = max(1, int(self.settings.threads or 1))
        """torch CPU threads used while predicting (restored afterwards): ``settings.threads``, default 1 (small
        models; the app serves one request per thread)."""

    @classmethod
    def load(cls, weights_dir=None, device=None, settings: Settings | None = None) -> "Predictor":
        """Load ``weights/sequence`` and ``weights/lm`` (manifests verified) and the network atlas if present.

        Parameters
        ----------
        weights_dir : path, optional
            The weights root (default ``settings.weights_dir``).
        device : str or torch.device, optional
            ``"cpu"``, ``"cuda"``; default ``settings.device``, else the GPU when present.
        settings : Settings, optional
            Data and weights directories, device and torch threads (default :meth:`Settings.from_env`).

        Raises
        ------
        mirloc_core.io.artifacts.ArtifactError
            When the sequence or LM weights are missing or corrupt.
        """
        from mirloc_core.pretrained import load_sequence_bundle

        settings = (settings if settings is not None else Settings.from_env()).replace(weights_dir=weights_dir)
        root = settings.weights_dir
        device = device if isinstance(device, torch.device) else get_device(device or settings.device)
        bundle = load_sequence_bundle(root, device)
        atlas, notice = _load_atlas(root)
        predictor = cls(bundle.binary, bundle.sevencomp, bundle.manifest, bundle.lm_manifest, device, atlas, notice,
                        root, settings)
        predictor.knn_reference = bundle.knn_reference
        predictor.conservation = bundle.conservation
        predictor.calibrator, predictor.sequence_base_rates = bundle.calibrator, bundle.base_rates
        return predictor

    def warm(self) -> "Predictor":
        """Load what the first prediction would otherwise load lazily (the miRBase k-mer index of the
        conservation head, about 1 s from the disk cache; the compiled alignment kernels, about 0.3 s from numba's
        cache, 1.5 s to compile); returns ``self``. The app calls it at start-up."""
        from mirloc_core.features import conservation, domain
        from mirloc_core.features.alignment import sw_scores

        sw_scores(["ACGU"], self._targets)
        sw_scores(["ACGU"], ["ACGU"])  # the kernel for small target sets (the domain check's candidates)
        if self.conservation is not None and conservation.available(self.settings.data_dir):
            conservation.indexes(self.settings.data_dir)
        if domain.available(self.settings.data_dir):
            domain.reference(self.settings.data_dir)
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

        data_dir = self.settings.data_dir
        if self.conservation is None or not sequences or not conservation.available(data_dir):
            return probabilities, 0.0, None
        head, weight = self.conservation
        features = conservation.conservation_features(sequences, conservation.indexes(data_dir))
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
        from mirloc_core.features.alignment import TargetSet, self_scores

        self._knn_reference = value
        knn_seqs = list(value[0]) if value is not None else []
        # every distinct sequence of the two reference sets, aligned once per query (see _lookup)
        self._targets = TargetSet(list(dict.fromkeys([*self.ref_sequences, *knn_seqs])))
        column = {seq: j for j, seq in enumerate(self._targets.sequences)}
        self._ref_columns = np.array([column[seq] for seq in self.ref_sequences], dtype=np.intp)
        self._knn_columns = np.array([column[seq] for seq in knn_seqs], dtype=np.intp)
        self._ref_self = self_scores(self.ref_sequences)
        self._ref_lengths = np.array([len(seq) for seq in self.ref_sequences])
        self._knn_self = self_scores(knn_seqs)

    # ------------------------------------------------------------------ prediction

    def _lookup(self, sequences: list[str], top: int = 5, progress=None, nearest: bool = True,
                knn: bool = True) -> tuple[dict, dict, dict, dict]:
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
        labelled : dict
            Sequence → ``(name, closeness)`` of its closest *labelled* network miRNA (``("", 0.0)`` if none):
            the larger of the normalised similarity and, when both are at least :data:`MIN_CONTAINED_LENGTH` long,
            the share of the shorter sequence's self-score reached (a variant of a mature inside its precursor).
        """
        from mirloc_core.features.alignment import knn_transfer, self_scores

        nearest = nearest and bool(self.ref_sequences)
        knn = knn and self.knn_reference is not None
        frames, known, transfer, labelled = {}, {}, {}, {}
        if not (nearest or knn):
            return frames, known, transfer, labelled
        unique = sorted(set(sequences))
        names = np.array(self.ref_names)
        chunks = [unique[start : start + 256] for start in range(0, len(unique), 256)]
        for chunk, raw in zip(chunks, self._scores(chunks)):
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
                    hit = known_relation(sims[row], contained[row], len(seq), self._ref_lengths, names,
                                         self._ref_preference)
                    if hit is not None:  # other network names with exactly this similarity (e.g. a family node)
                        ties = names[np.round(sims[row], 9) == round(hit[1], 9)]
                        hit = (*hit, [str(n) for n in ties if n != hit[0]])
                    known[seq] = hit
                    frames[seq] = nearest_with_match_first(names, sims[row], known[seq], top)
                    closeness = np.where(np.minimum(self._ref_lengths, len(seq)) >= MIN_CONTAINED_LENGTH,
                                         np.maximum(sims[row], contained[row]), sims[row])
                    labelled[seq] = self._best_labelled(closeness, names)
                if progress is not None:
                    progress(len(chunk))
        return frames, known, transfer, labelled

    def _scores(self, chunks: list[list[str]]):
        """Raw SW scores of each chunk against every known sequence, in order; on :attr:`threads` threads (the
        kernel releases the GIL) when there are several chunks."""
        from concurrent.futures import ThreadPoolExecutor

        from mirloc_core.features.alignment import sw_scores

        if self.threads <= 1 or len(chunks) <= 1:
            yield from (sw_scores(chunk, self._targets) for chunk in chunks)
            return
        with ThreadPoolExecutor(min(self.threads, len(chunks))) as pool:
            yield from pool.map(lambda chunk: sw_scores(chunk, self._targets), chunks)

    def _best_labelled(self, similarity: np.ndarray, names: np.ndarray) -> tuple[str, float]:
        """The most similar labelled network miRNA (ties: network order) and its similarity."""
        if not self._ref_labelled.any():
            return "", 0.0
        masked = np.where(self._ref_labelled, similarity, -1.0)
        best = int(np.lexsort((np.arange(len(masked)), -masked))[0])
        return str(names[best]), float(similarity[best])

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
        frames, known, _, _ = self._lookup(sequences, top, progress, knn=False)
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

        Runs on :attr:`threads` torch CPU threads (restored afterwards).
        """
        if isinstance(records, (str, bytes)):
            records = parse_fasta(records)
        records = list(records)
        threads = torch.get_num_threads()
        torch.set_num_threads(self.threads)
        try:
            return self._predict(records, sequence_only, batch_size, progress)
        finally:
            torch.set_num_threads(threads)

    def _predict(self, records: list, sequence_only: bool, batch_size: int, progress: bool) -> PredictionResult:
        notices = [r.notice for r in records if r.notice]
        seqs = [r.sequence for r in records]
        bar = self._progress_bar(seqs) if progress else None
        tick = bar.update if bar is not None else None
        cache: dict = {}
        binary = self.binary.predict(seqs, batch_size=batch_size, progress=tick, lm_cache=cache)
        seven = self.sevencomp.predict(seqs, batch_size=batch_size, progress=tick, lm_cache=cache)
        del cache
        frames, known_by_seq, transfer, labelled = self._lookup(seqs, progress=tick)  # one SW pass for all uses
        if self.knn_reference is not None:
            seven.probabilities = self._blend_knn(seqs, seven.probabilities, transfer)
        seven.probabilities, conservation_weight, counts = self._blend_conservation(seqs, seven.probabilities)
        if self.calibrator is not None:
            seven.probabilities = self.calibrator(seven.probabilities).astype(np.float32)
        domains = self._domain(seqs)
        if bar is not None:
            bar.close()
        notices += self._notices(conservation_weight, sequence_only, domains)
        sequence_source = ("sequence model (without conservation)" if self.conservation is not None
                           and conservation_weight == 0.0 else "sequence model")
        nearest_frames, known_hits = self._per_record(seqs, frames, known_by_seq)
        predictions = []
        for i, rec in enumerate(records):
            hit = known_hits[i]
            match = self._network_match(hit) if not sequence_only else None
            sequence_probs = seven.probabilities[i].astype(np.float64)
            known_labelled = hit is not None and self._is_labelled(hit[0])
            near = labelled.get(rec.sequence, ("", 0.0))
            domain = domains[i] if domains is not None else None
            predictions.append(RecordPrediction(
                record=rec, p_intracellular=float(np.float64(binary.probabilities[i, 0])),
                probabilities=match.probabilities if match is not None else sequence_probs,
                source=(("network model (out-of-fold)" if match.out_of_fold else "network model")
                        if match is not None else sequence_source),
                sequence_probabilities=sequence_probs, attention=binary.attention[i],
                attention_7comp=seven.attention[i], network=match, known_mirna=hit[0] if hit is not None else "",
                nearest=nearest_frames[i],
                conservation=int(counts["species"][i]) if counts else None,
                paralogs=int(counts["paralogs"][i]) if counts else None,
                evidence=evidence_level(domain.in_domain if domain is not None else None,
                                        hit[0] if known_labelled else "", near[1]),
                domain=domain, nearest_labelled=(*near, self.known_labels(near[0])),
                base_rates=self.base_rates["network" if match is not None else "sequence"]))
        return PredictionResult(predictions, self._provenance(not sequence_only, conservation_weight), notices)

    def _notices(self, conservation_weight: float, sequence_only: bool, domains) -> list[str]:
        notices = []
        if self.conservation is not None and conservation_weight == 0.0:
            notices.append("miRBase 22 is not in the data directory, so the conservation features are off: the "
                           "seven-compartment probabilities from sequence are less accurate (see the model card)")
        if domains is None:
            notices.append("miRBase 22 is not in the data directory, so whether a sequence is miRNA-like cannot be "
                           "checked: no sequence is flagged out of domain")
        if not sequence_only and self.atlas is None:
            notices.append(self.atlas_notice or "network weights not found: sequence model only")
        if not self.ref_sequences:
            notices.append("no known miRNAs available (no network atlas and no shared data): "
                           "nearest known miRNAs are not reported")
        return notices

    def _domain(self, seqs: list[str]):
        """Per sequence, how miRNA-like it is (:mod:`mirloc_core.features.domain`); None without miRBase."""
        from mirloc_core.features import domain

        if not domain.available(self.settings.data_dir):
            return None
        unique = sorted(set(seqs))
        scores = dict(zip(unique, domain.domain_scores(unique, domain.reference(self.settings.data_dir))))
        return [scores[s] for s in seqs]

    def _is_labelled(self, name: str) -> bool:
        j = self._ref_index.get(name)
        return j is not None and bool(self._ref_labelled[j])

    def known_labels(self, name: str) -> list[str]:
        """The compartments a labelled network miRNA is known in (empty when unlabelled or unknown)."""
        j = self._ref_index.get(name)
        if j is None or not self._ref_labelled[j]:
            return []
        return [c for c, v in zip(COMPARTMENTS, self._ref_labels[j]) if v]

    @property
    def base_rates(self) -> dict:
        """Training prevalence of each compartment, per model: ``"network"`` (the labelled network miRNAs) and
        ``"sequence"`` (the seven-compartment sequence model's training labels); arrays of 7 (NaN if unknown)."""
        if getattr(self, "_base_rates", None) is None:
            unknown = np.full(7, np.nan)
            network = np.asarray(self.atlas.base_rates, float) if self.atlas is not None else unknown
            sequence = (np.asarray(self.sequence_base_rates, float) if self.sequence_base_rates is not None
                        else np.asarray(self.knn_reference[1], float).mean(0) if self.knn_reference is not None
                        else unknown)
            self._base_rates = {"network": network, "sequence": sequence}
        return self._base_rates

    def _progress_bar(self, seqs: list[str]):
        from tqdm import tqdm

        lookups = len(set(seqs)) if self.ref_sequences else 0
        return tqdm(total=2 * len(seqs) + lookups, unit="seq", desc="predicting", file=sys.stderr)

    def _network_match(self, hit) -> NetworkMatch | None:
        """The network-model prediction of the known network miRNA ``hit`` (``(name, similarity, relation)``), or
        None when there is no hit, no atlas, or the miRNA is not in it."""
        if hit is None or self.atlas is None:
            return None
        j = self._atlas_index.get(hit[0])
        if j is None:
            return None
        labelled = bool(self.atlas.labelled[j])
        return NetworkMatch(
            name=hit[0], similarity=hit[1], relation=hit[2], also_matches=list(hit[3]) if len(hit) > 3 else [],
            probabilities=np.asarray((self.atlas.calibrated_probabilities if self.atlas.calibrated_probabilities
                                      is not None else self.atlas.probabilities)[j], dtype=np.float64),
            out_of_fold=bool(self.atlas.out_of_fold[j]),
            labels=np.asarray(self.atlas.labels[j]) if labelled else None,
            modality_attention=np.asarray(self.atlas.modality_attention[j], dtype=np.float64))

    def _provenance(self, lookup: bool, conservation_weight: float) -> dict:
        """Which models, weights (manifest sha256) and settings produced a result."""
        return {
            "binary_model": f"TextCNN-BiLSTM-attention ensemble of {len(self.binary.models)} (RNALoc-LM train.tsv)",
            "sevencomp_model": f"TextCNN-BiLSTM-attention ensemble of {len(self.sevencomp.models)} "
                               "(labelled network miRNAs)",
            "sevencomp_knn_blend": self.knn_reference[3] if self.knn_reference is not None else 0.0,
            "sevencomp_conservation_weight": conservation_weight,
            "sevencomp_calibrated": self.calibrator is not None,
            "network_calibrated": self.atlas is not None and self.atlas.calibrated_probabilities is not None,
            "encoders": list(self.binary.cfg.encoders),
            "language_model": "own RNA LM (weights/lm)",
            "sequence_manifest_sha256": _sha(self.weights_root / "sequence" / "manifest.json"),
            "lm_manifest_sha256": _sha(self.weights_root / "lm" / "manifest.json"),
            "network_manifest_sha256": _sha(self.weights_root / "network" / "manifest.json")
            if self.atlas is not None else "",
            "device": str(self.device),
            "torch_threads": self.threads,
            "network_lookup": bool(lookup and self.atlas is not None),
            "reference_sequences": self.ref_source,
            "network_match_similarity": NETWORK_MATCH_SIMILARITY,
        }


def _sha(path: Path) -> str:
    from mirloc_core.io.data import file_sha256

    return file_sha256(path) if path.is_file() else ""
