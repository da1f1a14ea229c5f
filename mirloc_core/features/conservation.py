"""Conservation of a sequence across species, and its family in the human genome, from miRBase 22 k-mers.

For each of three k-mer lengths (12, 16, 20 nt) and each miRBase 22 collection (all matures, all hairpins; 271
species), an index of every k-mer with the number of *other-than-human* species, and of sequences, that carry
it. A query's features are, per (collection, k), the largest such counts over its k-mers (log1p). Human entries
are left out of these so that a known human miRNA (which is in miRBase) and a new human sequence (which is not)
are described alike: "how many other species have this piece of sequence".

The same indexes of the *human* entries alone give the paralog features: per (collection, k), the largest
number of human miRBase entries sharing a k-mer with the query, not counting the query's own sequences — the
one identical to it, the precursor containing it, the matures contained in it (one entry each; further loci
with an identical sequence, as in multi-copy genes, count as paralogs). A known miRNA and a new sequence are
again described alike: "how many other human loci carry this piece of sequence" (multi-copy genes and families
such as let-7 score high). The last feature is log1p(length).

The indexes are derived from miRBase alone (no labels). Conserved miRNAs, and large families, are also the
abundant, long-known, well-studied ones, so these features correlate with the study-bias score: the
seven-compartment benchmark reports that rank correlation, what the features add, and the study-bias baseline
beside them.
"""

from __future__ import annotations

import functools

from pathlib import Path

import numpy as np

KS = (12, 16, 20)
COLLECTIONS = ("mature", "hairpin")
EXCLUDED_SPECIES = ("hsa",)
PARALOG_SPECIES = "hsa"
OWN_FEATURES = (tuple(f"{c}_k{k}_{what}" for c in COLLECTIONS for k in KS for what in ("species", "sequences"))
                + tuple(f"human_{c}_k{k}_paralogs" for c in COLLECTIONS for k in KS) + ("log_length",))
"""The features of the sequence itself (the first columns of :func:`conservation_features`; all the network
model uses, ``host=False``)."""
OWN_FEATURE_KINDS = ("species", "paralogs", "length")
"""The three kinds of :data:`OWN_FEATURES`: other species (``*_species``, ``*_sequences``), human paralogs
(``human_*_paralogs``) and ``log_length``; :func:`own_columns` selects them."""


def own_columns(kinds: tuple) -> list[int]:
    """Column indices, in :data:`OWN_FEATURES`, of the features of the given :data:`OWN_FEATURE_KINDS`."""
    unknown = set(kinds) - set(OWN_FEATURE_KINDS)
    if unknown:
        raise ValueError(f"unknown conservation feature kinds {sorted(unknown)}; expected {OWN_FEATURE_KINDS}")

    def kind(name: str) -> str:
        return "length" if name == "log_length" else "paralogs" if name.endswith("_paralogs") else "species"

    return [i for i, name in enumerate(OWN_FEATURES) if kind(name) in kinds]


HOST_FEATURES = tuple(f"host_{name}" for name in OWN_FEATURES[:-1])
"""The same features (but the length) of the query's host: the longest-known locus it comes from, i.e. the human
miRBase 22 hairpins that contain it (the largest value over them); the query's own values when none does."""
FEATURES = OWN_FEATURES + HOST_FEATURES
"""Feature names, in column order of :func:`conservation_features` (the seven-compartment head's inputs)."""

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
    def build(cls, collection: dict[str, str], k: int, exclude=EXCLUDED_SPECIES, only=None) -> "KmerIndex":
        """Index the k-mers of ``collection`` (``{miRBase name: sequence}``), leaving out species ``exclude``
        (and, when ``only`` is given, every species not in it)."""
        if not 1 <= k <= 20:
            raise ValueError(f"k must be between 1 and 20, got {k}")
        names = [n for n in collection if n.split("-")[0] not in exclude
                 and (only is None or n.split("-")[0] in only)]
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
        inverse = None
        if len(codes) > 4096:  # many queries: search the sorted distinct codes (cache-friendly), then spread
            codes, inverse = np.unique(codes, return_inverse=True)
            species, sequences = species[: len(codes)], sequences[: len(codes)]
        query = codes << _CODE_SHIFT
        pos = np.minimum(np.searchsorted(self.packed, query), len(self.packed) - 1)
        found = self.packed[pos]
        hit = (found >> _CODE_SHIFT) == codes
        species[hit] = ((found[hit] >> _COUNT_BITS) & _COUNT_MASK).astype(np.int64)
        sequences[hit] = (found[hit] & _COUNT_MASK).astype(np.int64)
        if inverse is not None:
            return species[inverse.ravel()], sequences[inverse.ravel()]
        return species, sequences

    def max_counts(self, sequence: str, k: int) -> tuple[int, int]:
        """(largest species count, largest sequence count) over the k-mers of ``sequence`` (0 when none)."""
        species, sequences = self.lookup(kmer_codes(sequence, k))
        return (int(species.max()), int(sequences.max())) if len(species) else (0, 0)


def _collection(kind: str, root: str) -> dict[str, str]:
    from mirloc_core.io.data import load_mirbase

    return load_mirbase(kind, None, root)


_ANCHOR = 12
"""Length of the k-mer that anchors the search for a query's own human entries (queries are ≥ 15 nt)."""


class HumanEntries:
    """The human miRBase 22 sequences of both collections, to find a query's own entries quickly.

    A query's own entries are those identical to it, containing it (its precursor, when it is a mature) or
    contained in it (its matures, when it is a precursor); :func:`conservation_features` leaves them out of the
    paralog counts. Each entry is found through its first 12-mer (an entry contained in the query starts with one
    of the query's 12-mers) or through the query's first 12-mer (an entry containing the query contains it).
    Both lookups are sorted numpy arrays of (12-mer code, entry), a few MB.

    Parameters
    ----------
    collections : dict
        ``{collection: {name: sequence}}`` of human entries (``"mature"``, ``"hairpin"``).
    """

    def __init__(self, collections: dict[str, dict[str, str]]):
        self.entries = [(c, seq) for c in COLLECTIONS for seq in sorted(set(collections.get(c, {}).values()))]
        per_entry = [np.unique(kmer_codes(seq, _ANCHOR)) for _, seq in self.entries]
        firsts = [kmer_codes(seq, _ANCHOR)[:1] for _, seq in self.entries]
        self._any = self._table(per_entry)
        self._first = self._table(firsts)

    @staticmethod
    def _table(codes: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        ids = np.repeat(np.arange(len(codes), dtype=np.int32), [len(c) for c in codes])
        flat = np.concatenate(codes) if codes else np.zeros(0, np.uint64)
        order = np.argsort(flat, kind="stable")
        return flat[order], ids[order]

    @staticmethod
    def _pairs(table: tuple[np.ndarray, np.ndarray], codes: np.ndarray, owners: np.ndarray) -> np.ndarray:
        """(owner, entry) pairs, one per table row whose code equals one of ``codes`` (of owner ``owners``)."""
        keys, ids = table
        left, right = np.searchsorted(keys, codes, "left"), np.searchsorted(keys, codes, "right")
        hits = right - left
        rows = np.repeat(left - np.concatenate([[0], np.cumsum(hits)[:-1]]), hits) + np.arange(hits.sum())
        return np.stack([np.repeat(owners, hits), ids[rows]], 1) if len(rows) else np.zeros((0, 2), np.int64)

    def own_many(self, sequences: list[str], codes: np.ndarray, owners: np.ndarray) -> list[list[tuple[str, str]]]:
        """:meth:`own` for many sequences at once, given the 12-mer codes of all their windows (``codes``, in
        order of position) and the sequence each comes from (``owners``, non-decreasing)."""
        out: list[list[tuple[str, str]]] = [[] for _ in sequences]
        if not len(codes):
            return out
        first = np.flatnonzero(np.r_[True, owners[1:] != owners[:-1]])  # each sequence's first 12-mer
        containing = self._pairs(self._any, codes[first], owners[first])
        contained = self._pairs(self._first, codes, owners)
        found: dict[int, set[int]] = {}
        for i, e in containing.tolist():
            if sequences[i].upper().replace("T", "U") in self.entries[e][1]:
                found.setdefault(i, set()).add(e)
        for i, e in contained.tolist():
            if self.entries[e][1] in sequences[i].upper().replace("T", "U"):
                found.setdefault(i, set()).add(e)
        for i, entries in found.items():
            out[i] = [self.entries[e] for e in sorted(entries)]
        return out

    def own(self, sequence: str) -> list[tuple[str, str]]:
        """``(collection, sequence)`` of the human entries identical to, containing or contained in ``sequence``."""
        codes = kmer_codes(sequence, _ANCHOR)
        return self.own_many([sequence], codes, np.zeros(len(codes), np.int64))[0]


@functools.lru_cache(maxsize=2)
def _indexes(root: str, cache_dir: str | None = None) -> dict:
    from mirloc_core.features.networks import cached_array

    out = {}
    human = {}
    for c in COLLECTIONS:
        collection = _collection(c, root)
        human[c] = {n: s for n, s in collection.items() if n.split("-")[0] == PARALOG_SPECIES}
        inputs = ("\n".join(f"{n}\t{s}" for n, s in collection.items()),)
        for k in KS:
            packed = cached_array(f"conservation-{c}-k{k}", {"k": k, "exclude": list(EXCLUDED_SPECIES),
                                                             "count_max": _COUNT_MAX}, inputs,
                                  lambda: KmerIndex.build(collection, k).packed, cache_dir=cache_dir)
            out[(c, k)] = KmerIndex(packed)
            out[("human", c, k)] = KmerIndex.build(human[c], k, exclude=(), only=(PARALOG_SPECIES,))
    out["human_entries"] = HumanEntries(human)
    return out


def indexes(data_dir=None, cache_dir=None) -> dict:
    """The k-mer indexes of miRBase 22: other species keyed by (collection, k), human entries by
    ("human", collection, k), and the :class:`HumanEntries` under ``"human_entries"``.

    Built from ``data_dir`` (default :func:`mirloc_core.config.data_dir`; a few seconds), cached on disk in
    ``cache_dir`` (default :func:`mirloc_core.config.cache_dir`; about 50 MB) and in memory.
    """
    from mirloc_core import config

    root = str(Path(data_dir).resolve() if data_dir is not None else config.data_dir())
    return _indexes(root, str(cache_dir) if cache_dir is not None else None)


def conservation_features(sequences: list[str], index: dict | None = None, host: bool = True) -> np.ndarray:
    """(n, 37) float32 features of :data:`FEATURES` for ``sequences`` (all k-mers looked up at once); with
    ``host=False`` the 19 :data:`OWN_FEATURES` only.

    The host columns describe the locus a query comes from: a mature's conservation is, on its own, that of one
    arm (the passenger arm of a conserved miRNA can look young), while its precursor carries both arms and the
    loop. A query inside one or more human miRBase 22 hairpins gets, in :data:`HOST_FEATURES`, the largest value
    of each own feature over those hairpins; any other query (a hairpin, a novel sequence) its own values. Like
    the rest, these come from miRBase alone (no labels, no names).

    Raises
    ------
    mirloc_core.io.data.DataMissingError
        When miRBase 22 is not in the data directory (and no ``index`` is given); see :func:`available`.
    """
    if not sequences:
        return np.zeros((0, len(FEATURES if host else OWN_FEATURES)), np.float32)
    index = indexes() if index is None else index
    own_x, own = _own_features(sequences, index)
    if not host:
        return own_x
    return np.concatenate([own_x, _host_features(sequences, own_x, own, index)], 1)


def _host_features(sequences: list[str], own_x: np.ndarray, own: list, index: dict) -> np.ndarray:
    """(n, 18) :data:`HOST_FEATURES`: per query, the largest own feature (but the length) over the human hairpins
    strictly containing it (``own``: each query's own human entries), else its own values."""
    hosts = [sorted({seq for col, seq in entries if col == "hairpin" and len(seq) > len(s)})
             for s, entries in zip(sequences, own)]
    distinct = sorted({seq for found in hosts for seq in found})
    host_x = dict(zip(distinct, _own_features(distinct, index)[0])) if distinct else {}
    out = own_x[:, :-1].copy()
    for i, found in enumerate(hosts):
        if found:
            out[i] = np.max([host_x[seq][:-1] for seq in found], 0)
    return out


def _own_features(sequences: list[str], index: dict) -> tuple[np.ndarray, list]:
    """(n, 19) :data:`OWN_FEATURES`, and each query's own human entries (:meth:`HumanEntries.own_many`)."""
    out = np.zeros((len(sequences), len(OWN_FEATURES)), np.float32)
    if not sequences:
        return out, []
    lengths = np.array([len(s) + 1 for s in sequences], dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    joined = _encode("".join(s + "$" for s in sequences))  # "$" ends each sequence: no window spans two
    owner = np.repeat(np.arange(len(sequences)), lengths)
    windows = {k: _rolling_codes(joined, k) for k in KS}
    human = index["human_entries"]
    anchors, anchor_ok = windows[_ANCHOR] if _ANCHOR in windows else _rolling_codes(joined, _ANCHOR)
    own = human.own_many(sequences, anchors[anchor_ok], owner[: len(anchors)][anchor_ok])

    def largest(counts: np.ndarray, n_windows: int) -> np.ndarray:
        best = np.zeros(len(sequences), np.int64)
        np.maximum.at(best, owner[:n_windows], counts)
        return np.log1p(best)

    column = 0
    for c in COLLECTIONS:
        for k in KS:
            codes, valid = windows[k]
            for counts in index[(c, k)].lookup(codes):
                out[:, column] = largest(np.where(valid, counts, 0), len(codes))
                column += 1
    for c in COLLECTIONS:
        # the query's own entries leave its counts: one per window for those identical to or containing it (they
        # carry all its k-mers), per k-mer for those contained in it
        whole = np.array([sum(col == c and len(seq) >= len(s) for col, seq in entries)
                          for s, entries in zip(sequences, own)], np.int64)
        parts = [(i, seq) for i, entries in enumerate(own) for col, seq in entries
                 if col == c and len(seq) < len(sequences[i])]
        for k in KS:
            codes, valid = windows[k]
            counts = np.where(valid, index[("human", c, k)].lookup(codes)[1] - whole[owner[:len(codes)]], 0)
            for i, seq in parts:
                window = slice(starts[i], starts[i] + max(lengths[i] - k, 0))
                counts[window] -= np.isin(codes[window], kmer_codes(seq, k))
            out[:, column] = largest(counts, len(codes))
            column += 1
    out[:, -1] = np.log1p(lengths - 1)
    return out, own


def shared_species(features: np.ndarray, k: int = 20) -> np.ndarray:
    """Per row of :func:`conservation_features`: how many other species share a ``k``-nt stretch with the
    sequence, in miRBase 22 matures or hairpins (the larger of the two; an integer)."""
    cols = [FEATURES.index(f"{c}_k{k}_species") for c in COLLECTIONS]
    return np.rint(np.expm1(np.asarray(features)[:, cols].max(1))).astype(int)


def human_paralogs(features: np.ndarray, k: int = 20) -> np.ndarray:
    """Per row of :func:`conservation_features`: how many other human miRBase 22 loci share a ``k``-nt stretch
    with the sequence (not counting its own entry, precursor or matures), matures or hairpins (the larger)."""
    cols = [FEATURES.index(f"human_{c}_k{k}_paralogs") for c in COLLECTIONS]
    return np.rint(np.expm1(np.asarray(features)[:, cols].max(1))).astype(int)


def available(data_dir=None) -> bool:
    """Whether miRBase 22 (all species) is in the data directory (default :func:`mirloc_core.config.data_dir`),
    so that features can be computed."""
    from mirloc_core import config

    folder = (Path(data_dir) if data_dir is not None else config.data_dir()) / "mirbase22"
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
