"""Smith–Waterman local alignment scores and the normalised similarity of GTMALoc's Eq. 1.

``sim(i, j) = SW(i, j) / sqrt(SW(i, i) · SW(j, j))``, in [0, 1] with a unit diagonal. Scoring is BLASTN-like:
match +2, mismatch −3 (a base outside ACGU scores 0 against anything, as in parasail's ``matrix_create("ACGU")``),
a gap of length L costs ``GAP_OPEN + (L − 1) · GAP_EXTEND`` (Gotoh).

The kernel (:func:`_sw_kernel`, numba) aligns one query against a block of targets at a time, one target per
SIMD lane (the inter-sequence layout of Rognes' SWIPE): targets are sorted by length, packed into blocks of
:data:`LANES`, padded with a base that scores −1000 (an alignment never enters the padding, so the scores are
exact) and turned once into a score profile per query base (:class:`TargetSet`). Scores are small integers held
exactly in int16: a local score is at most ``MATCH`` × the shorter length, so :func:`sw_scores` refuses a pair
that could overflow (both longer than :data:`MAX_PAIR_LENGTH`). The scores equal parasail's striped kernels
(test), which this module first used and which spent most of their time in the Python call per pair. Against the
predictor's 2,056 known sequences, on one AVX2 core: a mature query 1.09 ms, a hairpin 4.9 ms (float32 lanes, the
previous kernel: 3.5 ms and 17.0 ms; parasail: ~6.5 ms per mature).
"""

from __future__ import annotations

import numba
import numpy as np

MATCH, MISMATCH, GAP_OPEN, GAP_EXTEND = 2, -3, 5, 2
LANES = 32
"""Targets aligned together, one per SIMD lane of int16 (on AVX2, two 256-bit vectors: 16 lanes are ten times
slower, as LLVM leaves that loop scalar, and 64 lanes a third slower)."""
MAX_PAIR_LENGTH = 16_000
"""Above this length for both sequences of a pair, its score could exceed int16 (``MATCH`` × 16,000 < 32,767)."""
_OTHER, _PAD = 4, 5
_CODES = np.full(256, _OTHER, np.uint8)
for _i, _base in enumerate("ACGU"):
    _CODES[ord(_base)] = _i


def _encode(sequence: str) -> np.ndarray:
    return _CODES[np.frombuffer(sequence.encode("latin_1"), np.uint8)]


def _score_table() -> np.ndarray:
    """Substitution scores (query code 0–4) × (target code 0–5: A C G U, other, padding)."""
    table = np.zeros((5, 6), np.int16)
    table[:4, :4] = MISMATCH
    np.fill_diagonal(table[:4, :4], MATCH)
    table[:, _PAD] = -1000
    return table


class TargetSet:
    """Targets encoded once for the kernel: length-sorted blocks of :data:`LANES` targets and their score profiles.

    Build it once for a fixed reference (the predictor does) and pass it to :func:`sw_scores` in place of the
    list of sequences.
    """

    def __init__(self, targets: list[str]):
        self.sequences = list(targets)
        lanes = LANES
        lengths = np.array([len(t) for t in self.sequences], dtype=np.int64)
        order = np.argsort(lengths, kind="stable")
        n_blocks = (len(order) + lanes - 1) // lanes
        table = _score_table()
        self.columns = np.full(n_blocks * lanes, -1, np.int64)
        """Target index of each lane (−1: an empty lane of the last block)."""
        self.block_lengths = np.zeros(n_blocks, np.int64)
        self.offsets = np.zeros(n_blocks + 1, np.int64)
        profiles = []
        for b in range(n_blocks):
            members = order[b * lanes:(b + 1) * lanes]
            length = int(lengths[members].max())
            codes = np.full((length, lanes), _PAD, np.uint8)
            for lane, j in enumerate(members):
                codes[:lengths[j], lane] = _encode(self.sequences[j])
                self.columns[b * lanes + lane] = j
            profile = table[:, codes]  # (query code, target position, lane)
            profiles.append(profile.ravel())
            self.block_lengths[b] = length
            self.offsets[b + 1] = self.offsets[b] + profile.size
        self.profiles = np.concatenate(profiles) if profiles else np.zeros(0, np.int16)
        self.longest = int(lengths.max()) if len(lengths) else 0

    def __len__(self) -> int:
        return len(self.sequences)


@numba.njit(cache=True, nogil=True)
def _sw_kernel(query_codes, query_offsets, profiles, offsets, block_lengths, columns, n_targets, go, ge):
    """Raw SW scores (n_queries, n_targets) of the concatenated encoded queries against a :class:`TargetSet`, in
    int16 (:data:`LANES`, a compile-time constant, so the lane loop compiles to whole SIMD vectors)."""
    lanes = LANES
    n_queries = len(query_offsets) - 1
    out = np.zeros((n_queries, n_targets), np.float64)
    longest = 0
    for b in range(len(block_lengths)):
        longest = max(longest, block_lengths[b])
    low, zero = np.int16(-10000), np.int16(0)
    h_col = np.zeros((longest + 1, lanes), np.int16)   # H of the previous query row, per target position
    f_col = np.zeros((longest + 1, lanes), np.int16)   # vertical gap state, per target position
    e_row = np.zeros(lanes, np.int16)                  # horizontal gap state along the current row
    h_left = np.zeros(lanes, np.int16)
    diag = np.zeros(lanes, np.int16)
    best = np.zeros(lanes, np.int16)
    for q in range(n_queries):
        for b in range(len(block_lengths)):
            length = block_lengths[b]
            h_col[:length + 1, :] = zero
            f_col[:length + 1, :] = low
            best[:] = zero
            for i in range(query_offsets[q], query_offsets[q + 1]):
                row_base = offsets[b] + query_codes[i] * length * lanes
                e_row[:] = low
                h_left[:] = zero
                diag[:] = zero
                for j in range(1, length + 1):
                    at = row_base + (j - 1) * lanes
                    for lane in range(lanes):
                        up = h_col[j, lane]
                        f = max(np.int16(f_col[j, lane] - ge), np.int16(up - go))
                        e = max(np.int16(e_row[lane] - ge), np.int16(h_left[lane] - go))
                        h = max(max(np.int16(diag[lane] + profiles[at + lane]), zero), max(e, f))
                        diag[lane] = up
                        h_col[j, lane] = h
                        f_col[j, lane] = f
                        e_row[lane] = e
                        h_left[lane] = h
                        best[lane] = max(best[lane], h)
            for lane in range(lanes):
                column = columns[b * lanes + lane]
                if column >= 0:
                    out[q, column] = best[lane]
    return out


def self_scores(sequences: list[str]) -> np.ndarray:
    """SW score of each sequence against itself (= MATCH × length for a sequence over ACGU)."""
    return np.array([MATCH * len(s) for s in sequences], dtype=np.float64)


def sw_scores(queries: list[str], targets) -> np.ndarray:
    """Raw Smith–Waterman scores, shape ``(len(queries), len(targets))``.

    ``targets``: a list of sequences, or a :class:`TargetSet` built once for a reference aligned against often.
    """
    targets = targets if isinstance(targets, TargetSet) else TargetSet(list(targets))
    if not queries or not len(targets):
        return np.zeros((len(queries), len(targets)), dtype=np.float64)
    codes = [_encode(q) for q in queries]
    if min(max(len(c) for c in codes), targets.longest) > MAX_PAIR_LENGTH:
        raise ValueError(f"Smith-Waterman scores are held in int16: a query and a target both longer than "
                         f"{MAX_PAIR_LENGTH:,} nt could overflow them")
    offsets = np.zeros(len(codes) + 1, np.int64)
    offsets[1:] = np.cumsum([len(c) for c in codes])
    return _sw_kernel(np.concatenate(codes), offsets, targets.profiles, targets.offsets, targets.block_lengths,
                      targets.columns, len(targets), np.int16(GAP_OPEN), np.int16(GAP_EXTEND))


def sw_similarity(queries: list[str], targets: list[str]) -> np.ndarray:
    """Normalised SW similarity (Eq. 1) between every query and every target, shape ``(nq, nt)``."""
    raw = sw_scores(queries, targets)
    norm = np.sqrt(np.outer(self_scores(queries), self_scores(targets)))
    return np.clip(raw / np.maximum(norm, 1e-12), 0.0, 1.0)


def sw_similarity_matrix(sequences: list[str]) -> np.ndarray:
    """Symmetric all-pairs normalised SW similarity with a unit diagonal."""
    raw = sw_scores(sequences, sequences)
    raw = np.triu(raw) + np.triu(raw, 1).T  # SW is symmetric; keep one triangle so the result is exactly so
    selfs = self_scores(sequences)
    sim = np.clip(raw / np.sqrt(np.outer(selfs, selfs)), 0.0, 1.0)
    np.fill_diagonal(sim, 1.0)
    return sim


KNN_K = 10
"""Neighbours of the kNN-SW homology transfer of the seven-compartment model."""


def knn_transfer(similarity: np.ndarray, labels: np.ndarray, k: int = KNN_K) -> np.ndarray:
    """Homology transfer: similarity-weighted mean label of the ``k`` most similar training sequences.

    Parameters
    ----------
    similarity : ndarray (n_query, n_train)
    labels : ndarray (n_train, n_labels)
    """
    idx = np.argsort(-similarity, axis=1, kind="stable")[:, :k]
    weights = np.take_along_axis(similarity, idx, 1) + 1e-9
    return (labels[idx] * weights[..., None]).sum(1) / weights.sum(1, keepdims=True)


def sequence_homology_groups(sequences: list[str], names: list[str], threshold: float = 0.8) -> np.ndarray:
    """Homology groups of the seven-compartment sequence CV: connected components of (same miRNA family, from
    the name: ``hsa-mir-21-5p`` → ``hsa-mir-21``) ∪ (normalised SW similarity of the sequences ≥ ``threshold``).

    Not the network model's grouping (:func:`mirloc_core.training.network.homology_groups`, on the network's
    precomputed similarity); each benchmark keeps its own so that its figures stay reproducible.

    Returns
    -------
    ndarray of int
        The group of each sequence, ``0 .. n_groups - 1``.
    """
    import re

    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    sim = sw_similarity_matrix(sequences)
    adj = sim >= threshold
    family = [re.sub(r"^(\w+-(?:mir|let|miR)-\d+).*$", r"\1", n) for n in names]
    fam_index = {f: i for i, f in enumerate(sorted(set(family)))}
    fam = np.array([fam_index[f] for f in family])
    adj |= fam[:, None] == fam[None, :]
    _, labels = connected_components(coo_matrix(adj), directed=False)
    return labels
