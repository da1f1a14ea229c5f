"""Conservation of a sequence across species: how many miRBase 22 species share its k-mers.

For each of three k-mer lengths (12, 16, 20 nt) and each miRBase 22 collection (all matures, all hairpins; 271
species), an index of every k-mer with the number of *other-than-human* species, and of sequences, that carry
it. A query's features are, per (collection, k), the largest such counts over its k-mers (log1p), plus
log1p(length). Human entries are left out so that a known human miRNA (which is in miRBase) and a new human
sequence (which is not) are described alike: "how many other species have this piece of sequence".

The index is derived from miRBase alone (no labels). Conserved miRNAs are also the abundant, long-known,
well-studied ones, so these features correlate with the study-bias score: the seven-compartment benchmark
reports that rank correlation, what the features add, and the study-bias baseline beside them.
"""

from __future__ import annotations

import functools

import numpy as np

KS = (12, 16, 20)
COLLECTIONS = ("mature", "hairpin")
EXCLUDED_SPECIES = ("hsa",)
FEATURES = tuple(f"{c}_k{k}_{what}" for c in COLLECTIONS for k in KS for what in ("species", "sequences")) + (
    "log_length",)
"""Feature names, in column order of :func:`conservation_features`."""

_CODE = np.full(256, 255, dtype=np.uint8)
for _i, _c in enumerate("ACGU"):
    _CODE[ord(_c)] = _CODE[ord(_c.lower())] = _i
_CODE[ord("T")] = _CODE[ord("t")] = 3


def _rolling_codes(codes: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """2-bit codes (uint64) of every length-``k`` window of a code array (255 = invalid), and whether each
    window is made only of valid letters."""
    n = len(codes) - k + 1
    if n <= 0:
        return np.zeros(0, np.uint64), np.zeros(0, bool)
    bad = np.concatenate([[0], np.cumsum(codes == 255)])
    valid = bad[k:] - bad[:n] == 0
    values = np.where(codes == 255, 0, codes).astype(np.uint64)
    out = np.zeros(n, np.uint64)
    for j in range(k):
        out = (out << np.uint64(2)) | values[j : j + n]
    return out, valid


def _encode(sequence: str) -> np.ndarray:
    return _CODE[np.frombuffer(sequence.encode("ascii", "replace"), dtype=np.uint8)]


def kmer_codes(sequence: str, k: int) -> np.ndarray:
    """2-bit codes (uint64) of the k-mers of ``sequence`` made only of ACGU/T (windows with others skipped)."""
    codes, valid = _rolling_codes(_encode(sequence), k)
    return codes[valid]


_COUNT_BITS = np.uint64(12)
_COUNT_MAX = 4095
_COUNT_MASK = np.uint64(_COUNT_MAX)
_CODE_SHIFT = np.uint64(24)


class KmerIndex:
    """The k-mers of a sequence collection with, per k-mer, the number of species and of sequences carrying it.

    Parameters
    ----------
    packed : uint64 array, sorted
        One entry per distinct k-mer: ``code << 24 | species << 12 | sequences`` (counts capped at 4,095).
    """

    def __init__(self, packed: np.ndarray):
        self.packed = np.asarray(packed, dtype=np.uint64)

    def __len__(self) -> int:
        return len(self.packed)

    @classmethod
    def build(cls, collection: dict[str, str], k: int, exclude=EXCLUDED_SPECIES) -> "KmerIndex":
        """Index the k-mers of ``collection`` (``{miRBase name: sequence}``), leaving out species ``exclude``."""
        if not 1 <= k <= 20:
            raise ValueError(f"k must be between 1 and 20, got {k}")
        names = [n for n in collection if n.split("-")[0] not in exclude]
        species_of = {s: i for i, s in enumerate(sorted({n.split("-")[0] for n in names}))}
        # one array of all sequences, each followed by an invalid separator, so no window crosses two entries
        joined = _encode("".join(collection[n] + "$" for n in names))
        codes, valid = _rolling_codes(joined, k)
        lengths = np.array([len(collection[n]) + 1 for n in names], dtype=np.int64)
        seq_id = np.repeat(np.arange(len(names), dtype=np.uint64), lengths)[: len(codes)]
        sp_id = np.repeat(np.array([species_of[n.split("-")[0]] for n in names], dtype=np.uint64),
                          lengths)[: len(codes)]
        codes, seq_id, sp_id = codes[valid], seq_id[valid], sp_id[valid]
        shift = np.uint64(20)  # < 2^20 sequences; codes of k ≤ 20 fit in the remaining 44 bits
        per_seq = np.unique((codes << shift) | seq_id) >> shift
        per_sp = np.unique((codes << shift) | sp_id) >> shift
        unique, n_seq = np.unique(per_seq, return_counts=True)
        _, n_sp = np.unique(per_sp, return_counts=True)
        n_sp = np.minimum(n_sp, _COUNT_MAX).astype(np.uint64)
        n_seq = np.minimum(n_seq, _COUNT_MAX).astype(np.uint64)
        return cls((unique << _CODE_SHIFT) | (n_sp << _COUNT_BITS) | n_seq)

    def lookup(self, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Species and sequence counts (int64 arrays, 0 where absent) of k-mer ``codes``."""
        codes = np.asarray(codes, dtype=np.uint64)
        species = np.zeros(len(codes), np.int64)
        sequences = np.zeros(len(codes), np.int64)
        if len(codes) == 0 or len(self.packed) == 0:
            return species, sequences
        query = codes << _CODE_SHIFT
        pos = np.minimum(np.searchsorted(self.packed, query), len(self.packed) - 1)
        found = self.packed[pos]
        hit = (found >> _CODE_SHIFT) == codes
        species[hit] = ((found[hit] >> _COUNT_BITS) & _COUNT_MASK).astype(np.int64)
        sequences[hit] = (found[hit] & _COUNT_MASK).astype(np.int64)
        return species, sequences

    def max_counts(self, sequence: str, k: int) -> tuple[int, int]:
        """(largest species count, largest sequence count) over the k-mers of ``sequence`` (0 when none)."""
        species, sequences = self.lookup(kmer_codes(sequence, k))
        return (int(species.max()), int(sequences.max())) if len(species) else (0, 0)


def _collection(kind: str) -> dict[str, str]:
    from .data import load_mirbase

    return load_mirbase(kind, None)


@functools.lru_cache(maxsize=2)
def _indexes(root: str) -> dict:
    from .networks import cached_array

    out = {}
    for c in COLLECTIONS:
        collection = _collection(c)
        inputs = ("\n".join(f"{n}\t{s}" for n, s in collection.items()),)
        for k in KS:
            packed = cached_array(f"conservation-{c}-k{k}", {"k": k, "exclude": list(EXCLUDED_SPECIES),
                                                             "count_max": _COUNT_MAX}, inputs,
                                  lambda: KmerIndex.build(collection, k).packed)
            out[(c, k)] = KmerIndex(packed)
    return out


def indexes() -> dict:
    """The six k-mer indexes of miRBase 22, keyed by (collection, k).

    Built from ``MIRLOC_DATA`` (a few seconds), cached on disk (about 50 MB) and in memory.
    """
    from . import config

    return _indexes(str(config.data_dir()))


def conservation_features(sequences: list[str], index: dict | None = None) -> np.ndarray:
    """(n, 13) float32 features of :data:`FEATURES` for ``sequences`` (all k-mers looked up at once).

    Raises
    ------
    mirloc_core.data.DataMissingError
        When miRBase 22 is not in the data directory (and no ``index`` is given); see :func:`available`.
    """
    out = np.zeros((len(sequences), len(FEATURES)), np.float32)
    if not sequences:
        return out
    index = indexes() if index is None else index
    lengths = np.array([len(s) + 1 for s in sequences], dtype=np.int64)
    joined = _encode("".join(s + "$" for s in sequences))  # "$" ends each sequence: no window spans two
    owner = np.repeat(np.arange(len(sequences)), lengths)
    column = 0
    for c in COLLECTIONS:
        for k in KS:
            codes, valid = _rolling_codes(joined, k)
            rows = owner[: len(codes)][valid]
            for counts in index[(c, k)].lookup(codes[valid]):
                best = np.zeros(len(sequences), np.int64)
                np.maximum.at(best, rows, counts)
                out[:, column] = np.log1p(best)
                column += 1
    out[:, -1] = np.log1p(lengths - 1)
    return out


def shared_species(features: np.ndarray, k: int = 20) -> np.ndarray:
    """Per row of :func:`conservation_features`: how many other species share a ``k``-nt stretch with the
    sequence, in miRBase 22 matures or hairpins (the larger of the two; an integer)."""
    cols = [FEATURES.index(f"{c}_k{k}_species") for c in COLLECTIONS]
    return np.rint(np.expm1(np.asarray(features)[:, cols].max(1))).astype(int)


def available() -> bool:
    """Whether miRBase 22 (all species) is in the data directory, so that features can be computed."""
    from . import config

    folder = config.data_dir() / "mirbase22"
    return all((folder / f"{c}.fa.gz").is_file() for c in COLLECTIONS)


HEAD_FILE = "conservation.safetensors"
"""The released head, in ``weights/sequence/`` (listed in its manifest)."""

HEAD_C = 0.1
"""Inverse L2 strength of the per-compartment logistic regressions on the conservation features."""


def fit_head(x: np.ndarray, y: np.ndarray, c: float = HEAD_C) -> dict[str, np.ndarray]:
    """Per-compartment L2 logistic regression on standardised conservation features.

    Parameters
    ----------
    x : (n, F) features of :func:`conservation_features`
    y : (n, K) 0/1 labels
    c : float, inverse regularisation strength

    Returns
    -------
    dict of float32 arrays: ``mean`` (F,), ``std`` (F,), ``coef`` (K, F), ``intercept`` (K,) — what
    :func:`predict_head` needs, ready for safetensors.
    """
    from sklearn.linear_model import LogisticRegression

    x = np.asarray(x, np.float64)
    mean, std = x.mean(0), x.std(0) + 1e-6
    z = (x - mean) / std
    coef = np.zeros((y.shape[1], x.shape[1]))
    intercept = np.zeros(y.shape[1])
    for k in range(y.shape[1]):
        rate = float(np.mean(y[:, k]))
        if rate in (0.0, 1.0):  # one class only: a constant, clipped away from 0 and 1
            intercept[k] = np.log(np.clip(rate, 1e-3, 1 - 1e-3) / (1 - np.clip(rate, 1e-3, 1 - 1e-3)))
            continue
        model = LogisticRegression(C=c, max_iter=5000).fit(z, y[:, k])
        coef[k], intercept[k] = model.coef_[0], model.intercept_[0]
    return {"mean": mean.astype(np.float32), "std": std.astype(np.float32), "coef": coef.astype(np.float32),
            "intercept": intercept.astype(np.float32)}


def predict_head(head: dict[str, np.ndarray], x: np.ndarray) -> np.ndarray:
    """(n, K) probabilities of a head from :func:`fit_head` (or loaded from safetensors)."""
    z = (np.asarray(x, np.float64) - head["mean"]) / head["std"]
    logits = z @ np.asarray(head["coef"], np.float64).T + np.asarray(head["intercept"], np.float64)
    return 1.0 / (1.0 + np.exp(-logits))
