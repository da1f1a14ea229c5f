"""Is a sequence miRNA-like? The applicability domain of the models, decided from the sequence itself.

The models were trained on miRNAs; a random or shuffled sequence still gets confident-looking probabilities. A
sequence is *in domain* when it resembles a miRNA of miRBase 22 (all species, matures and hairpins) by either of:

``similarity``
    the best local alignment (Smith–Waterman, the scoring of :mod:`mirloc_core.features.alignment`) with a miRBase
    entry, as a fraction of the query's own self-score: how much of the query a known miRNA explains. Candidate
    entries are found by 8-mer hits on a common diagonal (each query is aligned to its ``CANDIDATES`` best).
``seed_identity``
    for mature-length queries, the best identity, position by position, with a miRBase mature sharing its seed
    (nucleotides 2–8) at the same place: a variant of a known mature keeps its seed and most of the rest.

The thresholds (:data:`SIMILARITY_MIN`, :data:`SEED_IDENTITY_MIN`) are calibrated by ``mirloc benchmark domain``
(:mod:`mirloc_core.reports.domain`) on random, dinucleotide-shuffled and mutated real miRNAs, and checked there on
sets generated with other seeds. A miRNA of a family absent from miRBase 22 is *out of domain* by construction:
the models have nothing to say about it either.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np

K = 8
"""Length of the k-mers that propose candidate miRBase entries."""
CANDIDATES = 16
"""miRBase entries aligned per query (the best by k-mer hits on one diagonal)."""
SIMILARITY_MIN = 0.72
"""In domain at or above this fraction of the query explained by one miRBase entry (see the module docstring)."""
SEED_IDENTITY_MIN = 0.8
"""In domain at or above this identity with a miRBase mature of the same seed."""
SEED = slice(1, 8)
"""The seed: nucleotides 2–8 of a mature miRNA."""
MAX_SEED_QUERY = 30
"""Only queries up to this length (mature-like) are compared seed to seed."""

_CODE = np.full(256, 255, dtype=np.uint8)
for _i, _base in enumerate("ACGU"):
    _CODE[ord(_base)] = _i
_POWERS = (4 ** np.arange(K - 1, -1, -1)).astype(np.uint32)


def _kmers(sequence: str) -> np.ndarray:
    codes = _CODE[np.frombuffer(sequence.encode("ascii"), np.uint8)].astype(np.uint32)
    if len(codes) < K:
        return np.zeros(0, np.uint32)
    return (np.lib.stride_tricks.sliding_window_view(codes, K) * _POWERS).sum(1).astype(np.uint32)


@dataclass(frozen=True)
class MirbaseReference:
    """miRBase 22 entries (all species, matures and hairpins, distinct sequences) indexed for :func:`domain_scores`."""

    targets: tuple
    codes: np.ndarray       # sorted k-mer codes of every window of every target
    target_of: np.ndarray   # target index of each window
    offset_of: np.ndarray   # window start in its target
    seeds: dict             # seed 7-mer -> mature sequences with that seed

    @classmethod
    def build(cls, matures: list[str], hairpins: list[str]) -> "MirbaseReference":
        targets = tuple(dict.fromkeys([*matures, *hairpins]))
        windows = [_kmers(t) for t in targets]
        codes = np.concatenate(windows)
        target_of = np.concatenate([np.full(len(w), j, np.int32) for j, w in enumerate(windows)])
        offset_of = np.concatenate([np.arange(len(w), dtype=np.int32) for w in windows])
        order = np.argsort(codes, kind="stable")
        seeds: dict = {}
        for mature in dict.fromkeys(matures):
            seeds.setdefault(mature[SEED], []).append(mature)
        return cls(targets, codes[order], target_of[order], offset_of[order], seeds)

    def candidates(self, query: str, top: int = CANDIDATES) -> list[int]:
        """The ``top`` targets with the most k-mer hits on one diagonal with ``query`` (ties: lowest index)."""
        kmers = _kmers(query)
        lo = np.searchsorted(self.codes, kmers, "left")
        hi = np.searchsorted(self.codes, kmers, "right")
        if not (hi - lo).any():
            return []
        rows = np.concatenate([np.arange(a, b) for a, b in zip(lo, hi)])
        positions = np.repeat(np.arange(len(kmers)), hi - lo)
        diagonal = self.offset_of[rows].astype(np.int64) - positions + 4096
        keys, counts = np.unique(self.target_of[rows].astype(np.int64) * 16384 + diagonal, return_counts=True)
        ranked = keys[np.lexsort((keys, -counts))] // 16384
        return list(dict.fromkeys(ranked.tolist()))[:top]

    def seed_identity(self, query: str) -> float:
        """Best position-by-position identity (over the query's length) with a mature of the same seed."""
        if len(query) > MAX_SEED_QUERY:
            return 0.0
        best = 0
        q = np.frombuffer(query.encode("ascii"), np.uint8)
        for mature in self.seeds.get(query[SEED], ()):
            t = np.frombuffer(mature.encode("ascii"), np.uint8)
            n = min(len(q), len(t))
            best = max(best, int((q[:n] == t[:n]).sum()))
        return best / len(query)


@functools.lru_cache(maxsize=2)
def _reference(root: str) -> MirbaseReference:
    from mirloc_core.io.data import load_mirbase

    return MirbaseReference.build(list(load_mirbase("mature", None, root).values()),
                                  list(load_mirbase("hairpin", None, root).values()))


def reference(data_dir=None) -> MirbaseReference:
    """The miRBase 22 reference of ``data_dir`` (default :func:`mirloc_core.config.data_dir`), built once (seconds)."""
    from mirloc_core import config

    return _reference(str(Path(data_dir).resolve() if data_dir is not None else config.data_dir()))


def available(data_dir=None) -> bool:
    """Whether miRBase 22 (all species) is in the data directory, so that the domain can be decided."""
    from mirloc_core import config

    folder = (Path(data_dir) if data_dir is not None else config.data_dir()) / "mirbase22"
    return all((folder / f"{kind}.fa.gz").is_file() for kind in ("mature", "hairpin"))


@dataclass(frozen=True)
class DomainScore:
    """How miRNA-like one sequence is (see the module docstring)."""

    similarity: float
    seed_identity: float
    nearest_mirbase: str

    @property
    def in_domain(self) -> bool:
        return self.similarity >= SIMILARITY_MIN or self.seed_identity >= SEED_IDENTITY_MIN


def domain_scores(sequences: list[str], ref: MirbaseReference) -> list[DomainScore]:
    """:class:`DomainScore` of each sequence against the miRBase reference ``ref``."""
    from mirloc_core.features.alignment import MATCH, sw_scores

    out = []
    for query in sequences:
        picks = ref.candidates(query)
        similarity, nearest = 0.0, ""
        if picks:
            scores = sw_scores([query], [ref.targets[j] for j in picks])[0]
            best = int(np.argmax(scores))
            similarity, nearest = float(scores[best] / (MATCH * len(query))), ref.targets[picks[best]]
        out.append(DomainScore(min(similarity, 1.0), ref.seed_identity(query), nearest))
    return out
