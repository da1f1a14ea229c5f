"""Networks rebuilt from the raw matrices, and their on-disk cache."""

from __future__ import annotations

import numpy as np

from mirloc_core.features import networks


def test_sequence_similarity(name_map):
    sim = networks.sequence_similarity()
    assert sim.shape == (1041, 1041)
    assert np.allclose(sim, sim.T)
    assert np.allclose(np.diag(sim), 1.0)
    unmapped = np.flatnonzero((name_map["sequence"] == "").to_numpy())
    assert len(unmapped) == 95
    off = sim[unmapped].copy()
    off[np.arange(len(unmapped)), unmapped] = 0
    assert off.max() == 0
    # hsa-mir-1-1 and hsa-mir-1-2 share the mature miR-1: clearly similar
    i, j = list(name_map["name"]).index("hsa-mir-1-1"), list(name_map["name"]).index("hsa-mir-1-2")
    assert sim[i, j] > 0.4


def test_gip_kernel_hand_example():
    a = np.array([[1, 0, 1], [1, 0, 0], [0, 0, 0]], dtype=float)
    k = networks.gip_kernel(a, lam=0.5)
    gamma = 0.5 / np.mean([2, 1, 0])
    assert np.isclose(k[0, 1], np.exp(-gamma * 1)) and np.isclose(k[0, 2], np.exp(-gamma * 2))
    assert np.allclose(np.diag(k), 1)
    j = networks.jaccard_similarity(a)
    assert np.isclose(j[0, 1], 0.5) and j[2, 2] == 0


def test_functional_similarity_and_graph(network):
    sim = networks.functional_similarity()
    assert sim.shape == (1041, 1041)
    assert np.allclose(sim, sim.T, atol=1e-6)
    assert sim.min() >= 0 and sim.max() <= 1 and np.allclose(np.diag(sim), 1)
    e6, e8 = networks.functional_graph(0.6), networks.functional_graph(0.8)
    assert e6.shape[0] == 2 and e8.shape[1] < e6.shape[1]
    assert (e6[0] != e6[1]).all()
    # symmetric edge set
    codes = set((e6[0] * 1041 + e6[1]).tolist())
    assert codes == set((e6[1] * 1041 + e6[0]).tolist())


def test_cache_roundtrip_without_pickle(tmp_path, network):
    first = networks.functional_similarity(network.disease[:100], cache_dir=tmp_path)
    files = list((tmp_path / "networks").glob("functional_similarity-*.npy"))
    assert len(files) == 1
    assert np.array_equal(np.load(files[0], allow_pickle=False), first)
    assert np.array_equal(networks.functional_similarity(network.disease[:100], cache_dir=tmp_path), first)
    # another parameter → another key
    networks.functional_similarity(network.disease[:100], lam=1.0, cache_dir=tmp_path)
    assert len(list((tmp_path / "networks").glob("functional_similarity-*.npy"))) == 2
    # a cached entry is what is read back: overwrite it and the overwritten value comes back
    np.save(files[0], np.zeros_like(first), allow_pickle=False)
    assert np.array_equal(networks.functional_similarity(network.disease[:100], cache_dir=tmp_path),
                          np.zeros_like(first))


def test_bipartite_graphs(network):
    g = networks.bipartite_graph("disease")
    assert g.shape == (1041 + 640, 1041 + 640)
    assert g.nnz == 2 * 15547 and (g != g.T).nnz == 0
    assert networks.bipartite_graph("drug").nnz == 2 * 3305
