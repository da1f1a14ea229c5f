"""Smith–Waterman local alignment scores and the normalised similarity of GTMALoc's Eq. 1.

``sim(i, j) = SW(i, j) / sqrt(SW(i, i) · SW(j, j))``, in [0, 1] with a unit diagonal. Scoring is BLASTN-like:
match +2, mismatch −3 (a base outside ACGU scores 0 against anything, as in parasail's ``matrix_create("ACGU")``),
a gap of length L costs ``GAP_OPEN + (L − 1) · GAP_EXTEND`` (Gotoh).

The kernel (:func:`_sw_kernel`, numba) aligns one query against a block of targets at a time, one target per
SIMD lane (the inter-sequence layout of Rognes' SWIPE): targets are sorted by length, packed into blocks of
:data:`LANES` (:data:`SMALL_LANES` for small sets), padded with a base that scores −1000 (an alignment never enters
the padding, so the scores are exact) and turned once into a score profile per query base (:class:`TargetSet`).
Scores are small integers held exactly in float32. The scores equal parasail's striped kernels (test), which this
module used before and which spent most of their time in the Python call per pair: a mature query against the
~2,000 known sequences took 6.5 ms, now about 1.4 ms.
"""

from __future__ import annotations

import numba
import numpy as np

MATCH, MISMATCH, GAP_OPEN, GAP_EXTEND = 2, -3, 5, 2
LANES = 32
"""Targets aligned together, one per SIMD lane: two AVX-512 vectors of float32, so each step of the inner loop
carries two independent dependency chains (10 % faster per query than 16 lanes, slower again from 64)."""
SMALL_LANES = 16
"""Lanes of a set of at most this many targets (the domain check's 16 candidates): no half-empty blocks."""
_OTHER, _PAD = 4, 5
_CODES = np.full(256, _OTHER, np.uint8)
for _i, _base in enumerate("ACGU"):
    _CODES[ord(_base)] = _i


def _encode(sequence: str) -> np.ndarray:
    return _CODES[np.frombuffer(sequence.encode("latin_1"), np.uint8)]


def _score_table() -> np.ndarray:
    """Substitution scores (query code 0–4) × (target code 0–5: A C G U, other, padding)."""
    table = np.zeros((5, 6), np.float32)
    table[:4, :4] = MISMATCH
    np.fill_diagonal(table[:4, :4], MATCH)
    table[:, _PAD] = -1000.0
    return table


class TargetSet:
    """Targets encoded once for the kernel: length-sorted blocks of :attr:`lanes` targets (:data:`LANES`, or
    :data:`SMALL_LANES` for a set that small) and their score profiles.

    Build it once for a fixed reference (the predictor does) and pass it to :func:`sw_scores` in place of the
    list of sequences.
    """

    def __init__(self, targets: list[str]):
        self.sequences = list(targets)
        self.lanes = SMALL_LANES if len(self.sequences) <= SMALL_LANES else LANES
        lanes = self.lanes
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
        self.profiles = np.concatenate(profiles) if profiles else np.zeros(0, np.float32)

    def __len__(self) -> int:
        return len(self.sequences)


@numba.njit(nogil=True, fastmath=True, inline="always")
def _sw_kernel(query_codes, query_offsets, profiles, offsets, block_lengths, columns, n_targets, go, ge, lanes):
    """Raw SW scores (n_queries, n_targets) of the concatenated encoded queries against a :class:`TargetSet` of
    ``lanes`` lanes; inlined into :func:`_sw_kernel_wide` and :func:`_sw_kernel_small`, where ``lanes`` is a
    constant, so the lane loop compiles to whole SIMD vectors."""
    n_queries = len(query_offsets) - 1
    out = np.zeros((n_queries, n_targets), np.float64)
    longest = 0
    for b in range(len(block_lengths)):
        longest = max(longest, block_lengths[b])
    h_col = np.zeros((longest + 1, lanes), np.float32)   # H of the previous query row, per target position
    f_col = np.zeros((longest + 1, lanes), np.float32)   # vertical gap state, per target position
    e_row = np.zeros(lanes, np.float32)                  # horizontal gap state along the current row
    h_left = np.zeros(lanes, np.float32)
    diag = np.zeros(lanes, np.float32)
    best = np.zeros(lanes, np.float32)
    for q in range(n_queries):
        for b in range(len(block_lengths)):
            length = block_lengths[b]
            h_col[:length + 1, :] = 0.0
            f_col[:length + 1, :] = -1.0e4
            best[:] = 0.0
            for i in range(query_offsets[q], query_offsets[q + 1]):
                row_base = offsets[b] + query_codes[i] * length * lanes
                e_row[:] = -1.0e4
                h_left[:] = 0.0
                diag[:] = 0.0
                for j in range(1, length + 1):
                    at = row_base + (j - 1) * lanes
                    for lane in range(lanes):
                        up = h_col[j, lane]
                        f = max(f_col[j, lane] - ge, up - go)
                        e = max(e_row[lane] - ge, h_left[lane] - go)
                        h = max(max(diag[lane] + profiles[at + lane], 0.0), max(e, f))
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


@numba.njit(cache=True, nogil=True, fastmath=True)
def _sw_kernel_wide(query_codes, query_offsets, profiles, offsets, block_lengths, columns, n_targets, go, ge):
    return _sw_kernel(query_codes, query_offsets, profiles, offsets, block_lengths, columns, n_targets, go, ge,
                      LANES)


@numba.njit(cache=True, nogil=True, fastmath=True)
def _sw_kernel_small(query_codes, query_offsets, profiles, offsets, block_lengths, columns, n_targets, go, ge):
    return _sw_kernel(query_codes, query_offsets, profiles, offsets, block_lengths, columns, n_targets, go, ge,
                      SMALL_LANES)


_KERNELS = {LANES: _sw_kernel_wide, SMALL_LANES: _sw_kernel_small}


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
    offsets = np.zeros(len(codes) + 1, np.int64)
    offsets[1:] = np.cumsum([len(c) for c in codes])
    kernel = _KERNELS[targets.lanes]
    return kernel(np.concatenate(codes), offsets, targets.profiles, targets.offsets, targets.block_lengths,
                  targets.columns, len(targets), np.float32(GAP_OPEN), np.float32(GAP_EXTEND))


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
