"""node2vec embeddings of the miRNA networks (pecanpy walks + gensim skip-gram), cached on disk.

GTMALoc embeds the sequence-similarity graph in 64 dimensions and the miRNA–disease and miRNA–drug graphs in
128, with walk length 150 and 200 walks per node. The reference ``node2vec`` package needs about an hour for
that on 2 cores (most of it in word2vec). We use ``pecanpy`` (the same second-order biased walk, compiled with
numba) with fewer, shorter walks; ``benchmark network`` measures both packages on the same graph and records
time and downstream quality in ``benchmarks/results/network_cv.json``.

Embeddings are unsupervised (no labels): they are computed once on all 1,041 miRNAs, which is transductive
but label-free.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from mirloc_core.features.networks import cached_array


@dataclass(frozen=True)
class Node2VecSettings:
    """node2vec hyper-parameters (defaults: the settings chosen for the 15-minute pipeline goal)."""

    dim: int = 128
    walk_length: int = 40
    num_walks: int = 20
    window: int = 5
    p: float = 1.0
    q: float = 1.0
    epochs: int = 1
    seed: int = 0


PAPER_SETTINGS = dict(walk_length=150, num_walks=200, window=10)
"""The papers' walk settings (for reference and the package comparison)."""


def _workers() -> int:
    return max(1, min(2, os.cpu_count() or 1))


def _seeded_walks(graph, num_walks: int, walk_length: int) -> list:
    """``graph.simulate_walks`` on one numba thread, so that ``random_state`` makes the walks reproducible.

    pecanpy seeds numba's random generator once, in the calling thread, before a ``prange`` loop; with several
    numba threads the walks then come from unseeded per-thread generators and differ from run to run (and the
    ``workers`` argument is ignored). One thread costs a few seconds on these graphs and makes a rerun of the
    pipeline give bit-identical embeddings.
    """
    import numba

    previous = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        return graph.simulate_walks(num_walks, walk_length)
    finally:
        numba.set_num_threads(previous)


def pecanpy_embedding(adjacency: sp.csr_matrix, settings: Node2VecSettings) -> np.ndarray:
    """node2vec embedding of every node of a (symmetric, weighted) graph with pecanpy ``SparseOTF``.

    Isolated nodes get a zero vector. Walks are seeded (``settings.seed``) and run on one numba thread, and
    word2vec uses one worker, so that the result is bit-reproducible.
    """
    from gensim.models import Word2Vec
    from pecanpy.pecanpy import SparseOTF

    adjacency = sp.csr_matrix(adjacency, dtype=np.float64)
    adjacency.sort_indices()
    n = adjacency.shape[0]
    graph = SparseOTF(p=settings.p, q=settings.q, workers=_workers(), verbose=False, random_state=settings.seed)
    graph.set_node_ids([str(i) for i in range(n)])
    graph.indptr = adjacency.indptr.astype(np.uint32)
    graph.indices = adjacency.indices.astype(np.uint32)
    graph.data = adjacency.data.astype(np.float32)
    walks = _seeded_walks(graph, settings.num_walks, settings.walk_length)
    walks = [w for w in walks if len(w) > 1]
    model = Word2Vec(walks, vector_size=settings.dim, window=settings.window, sg=1, min_count=0, workers=1,
                     epochs=settings.epochs, seed=settings.seed)
    out = np.zeros((n, settings.dim), dtype=np.float32)
    for i in range(n):
        key = str(i)
        if key in model.wv.key_to_index:
            out[i] = model.wv[key]
    return out


def node2vec_package_embedding(adjacency: sp.csr_matrix, settings: Node2VecSettings) -> np.ndarray:
    """The same embedding with the reference ``node2vec`` package (networkx; used for the comparison only)."""
    import networkx as nx
    from node2vec import Node2Vec

    adjacency = sp.csr_matrix(adjacency)
    graph = nx.from_scipy_sparse_array(adjacency)
    model = Node2Vec(graph, dimensions=settings.dim, walk_length=settings.walk_length,
                     num_walks=settings.num_walks, p=settings.p, q=settings.q, workers=1, quiet=True,
                     seed=settings.seed)
    w2v = model.fit(window=settings.window, min_count=0, sg=1, epochs=settings.epochs, seed=settings.seed,
                    workers=1)
    out = np.zeros((adjacency.shape[0], settings.dim), dtype=np.float32)
    for i in range(adjacency.shape[0]):
        if str(i) in w2v.wv.key_to_index:
            out[i] = w2v.wv[str(i)]
    return out


def node2vec_embedding(adjacency: sp.csr_matrix, settings: Node2VecSettings, name: str = "node2vec",
                       rows: int | None = None, cache_dir: Path | None = None) -> np.ndarray:
    """Cached pecanpy node2vec embedding; returns the first ``rows`` nodes (the miRNAs of a bipartite graph)."""
    adjacency = sp.csr_matrix(adjacency)
    adjacency.sort_indices()
    inputs = (adjacency.indptr, adjacency.indices, adjacency.data.astype(np.float64))
    params = {**asdict(settings), "walks": "seeded-single-thread"}  # older caches held unseeded walks
    emb = cached_array(f"emb-{name}", params, inputs, lambda: pecanpy_embedding(adjacency, settings),
                       cache_dir)
    return emb[:rows] if rows is not None else emb


def network_embeddings(seq_settings: Node2VecSettings | None = None,
                       assoc_settings: Node2VecSettings | None = None,
                       cache_dir: Path | None = None) -> dict[str, np.ndarray]:
    """Our own node2vec features for the 1,041 miRNAs (cached under ``cache_dir``, default
    :func:`mirloc_core.config.cache_dir`).

    Returns
    -------
    dict
        ``seq`` (64-d, sequence kNN graph), ``disease`` and ``drug`` (128-d, bipartite graphs).
    """
    from mirloc_core.io.data import N_MIRNA
    from mirloc_core.features.networks import bipartite_graph, sequence_graph

    seq_settings = seq_settings or Node2VecSettings(dim=64)
    assoc_settings = assoc_settings or Node2VecSettings(dim=128)
    return {
        "seq": node2vec_embedding(sequence_graph(cache_dir=cache_dir), seq_settings, "seq", N_MIRNA, cache_dir),
        "disease": node2vec_embedding(bipartite_graph("disease"), assoc_settings, "disease", N_MIRNA, cache_dir),
        "drug": node2vec_embedding(bipartite_graph("drug"), assoc_settings, "drug", N_MIRNA, cache_dir),
    }
