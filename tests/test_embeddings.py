"""node2vec embeddings with pecanpy on a real graph."""

from __future__ import annotations

import numpy as np

from mirloc_core.features import node2vec as embeddings
from mirloc_core.features import networks


def _cos(a, b):
    return (a * b).sum(-1) / (np.linalg.norm(a, axis=-1) * np.linalg.norm(b, axis=-1) + 1e-9)


def test_pecanpy_embedding_reflects_graph(tmp_path, network):
    graph = networks.bipartite_graph("drug")
    settings = embeddings.Node2VecSettings(dim=16, walk_length=10, num_walks=4, window=3, seed=1)
    emb = embeddings.node2vec_embedding(graph, settings, "test-drug", cache_dir=tmp_path)
    assert emb.shape == (graph.shape[0], 16)
    isolated = np.asarray(graph.sum(1)).ravel() == 0
    assert np.allclose(emb[isolated], 0) and np.abs(emb[~isolated]).sum(1).min() > 0
    # linked miRNA–drug pairs are closer than random pairs
    centred = emb - emb[~isolated].mean(0)
    coo = graph.tocoo()
    linked = _cos(centred[coo.row], centred[coo.col]).mean()
    rng = np.random.default_rng(0)
    nodes = np.flatnonzero(~isolated)
    a, b = rng.choice(nodes, 2000), rng.choice(nodes, 2000)
    assert linked > _cos(centred[a], centred[b]).mean() + 0.1
    # cached on disk and read back identically
    assert len(list((tmp_path / "networks").glob("emb-test-drug-*.npy"))) == 1
    assert np.array_equal(embeddings.node2vec_embedding(graph, settings, "test-drug", cache_dir=tmp_path), emb)


def test_pecanpy_embedding_is_reproducible(network):
    """Same seed ⇒ bit-identical embedding (pecanpy alone seeds only the calling numba thread)."""
    graph = networks.bipartite_graph("drug")
    settings = embeddings.Node2VecSettings(dim=8, walk_length=8, num_walks=3, window=3, seed=3)
    first = embeddings.pecanpy_embedding(graph, settings)
    assert np.array_equal(embeddings.pecanpy_embedding(graph, settings), first)
    other = embeddings.pecanpy_embedding(graph, embeddings.Node2VecSettings(dim=8, walk_length=8, num_walks=3,
                                                                          window=3, seed=4))
    assert not np.array_equal(other, first)
