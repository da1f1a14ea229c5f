"""The miRNA networks of GTMALoc, rebuilt from the raw matrices and cached on disk.

Every network is a module-level function. Results are cached under ``cache_dir`` (a parameter of each;
default :func:`mirloc_core.config.cache_dir`), in ``networks/``, in a file named by the sha256 of the inputs and parameters, stored as ``.npy``/``.npz`` and
read back with ``np.load(allow_pickle=False)``: changing the data or a parameter changes the key, so a stale
cache is never read.

Networks
--------
sequence_similarity
    Normalised Smith–Waterman similarity (GTMALoc Eq. 1) over the miRBase sequences of the network names
    (:func:`mirloc_core.io.data.map_names_to_sequences`); unmapped rows/columns are 0, the diagonal is 1.
functional_similarity
    Disease names are not published, so the papers' MeSH semantic similarity cannot be rebuilt. Instead the
    mean of a disease-set overlap (Jaccard) similarity and the Gaussian interaction profile (GIP) kernel
    (Eq. 5, λ = 0.5) of ``miRNA_disease.csv``; continuous in [0, 1], unit diagonal.
functional_graph
    ``functional_similarity`` binarised at a threshold ``T`` (edge where similarity ≥ T, no self loops).
sequence_graph
    Sparse weighted k-nearest-neighbour graph of the sequence similarity (input of node2vec).
bipartite_graph
    The miRNA–disease or miRNA–drug association matrix as a bipartite graph (miRNAs first).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Callable

import numpy as np
import scipy.sparse as sp

from mirloc_core import config

GIP_LAMBDA = 0.5
"""Bandwidth parameter λ of the GIP kernel (GTMALoc Eq. 5)."""

CACHE_VERSION = 1


# --------------------------------------------------------------------------------------------- caching
def cache_key(name: str, params: dict, inputs: tuple = ()) -> str:
    """sha256 of a network's name, parameters and input arrays/strings (the on-disk cache key)."""
    digest = hashlib.sha256()
    digest.update(json.dumps({"name": name, "params": params, "v": CACHE_VERSION}, sort_keys=True).encode())
    for item in inputs:
        if isinstance(item, np.ndarray):
            arr = np.ascontiguousarray(item)
            digest.update(f"{arr.dtype}{arr.shape}".encode())
            digest.update(arr.tobytes())
        else:
            digest.update(json.dumps(item, sort_keys=True).encode())
    return digest.hexdigest()[:24]


def cache_path(name: str, key: str, suffix: str, cache_dir: Path | None = None) -> Path:
    """Where a cached artefact lives: ``<cache_dir>/networks/<name>-<key><suffix>`` (``cache_dir`` defaults to
    :func:`mirloc_core.config.cache_dir`)."""
    folder = (Path(cache_dir) if cache_dir is not None else config.cache_dir()) / "networks"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{name}-{key}{suffix}"


def cached_array(name: str, params: dict, inputs: tuple, compute: Callable[[], np.ndarray],
                 cache_dir: Path | None = None) -> np.ndarray:
    """Return ``compute()``, cached as ``.npy`` under ``cache_dir`` (written atomically, read without pickle)."""
    path = cache_path(name, cache_key(name, params, inputs), ".npy", cache_dir)
    if path.is_file():
        try:
            return np.load(path, allow_pickle=False)
        except (ValueError, OSError):
            path.unlink(missing_ok=True)  # corrupt cache entry: recompute
    value = np.ascontiguousarray(compute())
    tmp = path.with_name(path.name + ".tmp.npy")
    np.save(tmp, value, allow_pickle=False)
    tmp.replace(path)
    return value


def cached_csr(name: str, params: dict, inputs: tuple, compute: Callable[[], sp.csr_matrix],
               cache_dir: Path | None = None) -> sp.csr_matrix:
    """Return ``compute()`` (a CSR matrix), cached as ``.npz`` of its arrays under ``cache_dir`` (no pickle)."""
    path = cache_path(name, cache_key(name, params, inputs), ".npz", cache_dir)
    if path.is_file():
        try:
            with np.load(path, allow_pickle=False) as z:
                return sp.csr_matrix((z["data"], z["indices"], z["indptr"]), shape=tuple(z["shape"]))
        except (ValueError, OSError, KeyError):
            path.unlink(missing_ok=True)
    mat = sp.csr_matrix(compute())
    mat.sort_indices()
    tmp = path.with_name(path.name + ".tmp.npz")
    np.savez(tmp, data=mat.data, indices=mat.indices, indptr=mat.indptr, shape=np.array(mat.shape))
    tmp.replace(path)
    return mat


# --------------------------------------------------------------------------------------------- sequence
def network_sequences() -> list[str]:
    """The miRBase sequence of each of the 1,041 network names ('' when unmapped), network order."""
    from mirloc_core.io.data import map_names_to_sequences

    return map_names_to_sequences()["sequence"].fillna("").tolist()


def _sequence_similarity(sequences: list[str]) -> np.ndarray:
    from mirloc_core.features.alignment import sw_similarity_matrix

    unique = sorted({s for s in sequences if s})
    position = {s: i for i, s in enumerate(unique)}
    sim_unique = sw_similarity_matrix(unique) if unique else np.zeros((0, 0))
    n = len(sequences)
    mapped = np.array([i for i, s in enumerate(sequences) if s], dtype=np.int64)
    rows = np.array([position[sequences[i]] for i in mapped], dtype=np.int64)
    out = np.zeros((n, n), dtype=np.float32)
    out[np.ix_(mapped, mapped)] = sim_unique[np.ix_(rows, rows)]
    np.fill_diagonal(out, 1.0)
    return out


def sequence_similarity(sequences: list[str] | None = None, cache_dir: Path | None = None) -> np.ndarray:
    """(n, n) normalised Smith–Waterman similarity (Eq. 1); unmapped rows/columns 0, diagonal 1.

    Parameters
    ----------
    sequences : list of str, optional
        Defaults to :func:`network_sequences` (the 1,041 network miRNAs).
    cache_dir : Path, optional
        On-disk cache (default :func:`mirloc_core.config.cache_dir`); likewise for every network below.
    """
    from mirloc_core.features import alignment

    sequences = network_sequences() if sequences is None else list(sequences)
    params = {"match": alignment.MATCH, "mismatch": alignment.MISMATCH, "gap_open": alignment.GAP_OPEN,
              "gap_extend": alignment.GAP_EXTEND}
    return cached_array("sequence_similarity", params, (sequences,), lambda: _sequence_similarity(sequences),
                        cache_dir)


# --------------------------------------------------------------------------------------------- functional
def gip_kernel(matrix: np.ndarray, lam: float = GIP_LAMBDA) -> np.ndarray:
    """Gaussian interaction profile kernel of the rows of ``matrix`` (GTMALoc Eq. 5).

    ``K(i, j) = exp(-γ ||a_i − a_j||²)`` with ``γ = λ / mean_i ||a_i||²``.
    """
    a = np.asarray(matrix, dtype=np.float64)
    sq = (a * a).sum(1)
    gamma = lam / max(sq.mean(), 1e-12)
    dist = np.maximum(sq[:, None] + sq[None, :] - 2.0 * a @ a.T, 0.0)
    return np.exp(-gamma * dist)


def jaccard_similarity(matrix: np.ndarray) -> np.ndarray:
    """Set-overlap (Jaccard) similarity of the rows of a 0/1 matrix; 0 where both sets are empty."""
    a = (np.asarray(matrix) > 0).astype(np.float64)
    inter = a @ a.T
    size = a.sum(1)
    union = size[:, None] + size[None, :] - inter
    return np.where(union > 0, inter / np.maximum(union, 1.0), 0.0)


def functional_similarity(disease: np.ndarray | None = None, lam: float = GIP_LAMBDA,
                          cache_dir: Path | None = None) -> np.ndarray:
    """(n, n) functional similarity in [0, 1]: mean of disease-set Jaccard overlap and the GIP kernel.

    Parameters
    ----------
    disease : ndarray, optional
        miRNA–disease association matrix; defaults to ``load_network().disease``.
    lam : float
        GIP bandwidth λ (0.5 as in the paper).
    """
    if disease is None:
        from mirloc_core.io.data import load_network

        disease = load_network().disease
    disease = np.asarray(disease, dtype=np.float32)

    def compute():
        sim = 0.5 * (jaccard_similarity(disease) + gip_kernel(disease, lam))
        np.fill_diagonal(sim, 1.0)
        return np.clip(sim, 0.0, 1.0).astype(np.float32)

    return cached_array("functional_similarity", {"lambda": lam, "combine": "mean(jaccard,gip)"}, (disease,),
                        compute, cache_dir)


def functional_graph(threshold: float = 0.6, disease: np.ndarray | None = None,
                     cache_dir: Path | None = None) -> np.ndarray:
    """Edges of the functional-similarity graph binarised at ``threshold``: (2, E) int64, both directions."""
    sim = functional_similarity(disease, cache_dir=cache_dir)
    adj = sim >= threshold
    np.fill_diagonal(adj, False)
    return np.vstack(np.nonzero(adj)).astype(np.int64)


# --------------------------------------------------------------------------------------------- node2vec inputs
def sequence_graph(k: int = 20, min_similarity: float = 0.0, cache_dir: Path | None = None) -> sp.csr_matrix:
    """Symmetric weighted kNN graph of the sequence similarity (each node keeps its ``k`` most similar).

    Unmapped miRNAs (no sequence) have no edges.
    """
    sim = sequence_similarity(cache_dir=cache_dir)

    def compute():
        s = sim.astype(np.float64).copy()
        np.fill_diagonal(s, 0.0)
        n = s.shape[0]
        keep = np.zeros_like(s, dtype=bool)
        top = np.argpartition(-s, kth=min(k, n - 1) - 1, axis=1)[:, :k]
        keep[np.repeat(np.arange(n), top.shape[1]), top.ravel()] = True
        keep &= s > min_similarity
        keep |= keep.T
        return sp.csr_matrix(np.where(keep, s, 0.0))

    return cached_csr("sequence_graph", {"k": k, "min_similarity": min_similarity}, (sim,), compute, cache_dir)


def bipartite_graph(kind: str) -> sp.csr_matrix:
    """miRNA–disease (``kind="disease"``) or miRNA–drug (``"drug"``) bipartite graph, unweighted.

    Nodes ``0..n-1`` are the network miRNAs, ``n..n+m-1`` the diseases or drugs.
    """
    from mirloc_core.io.data import load_network

    net = load_network()
    if kind not in ("disease", "drug"):
        raise ValueError("kind must be 'disease' or 'drug'")
    assoc = sp.csr_matrix(getattr(net, kind).astype(np.float64))
    return sp.bmat([[None, assoc], [assoc.T, None]], format="csr")
