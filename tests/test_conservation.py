"""Conservation features: k-mer codes, the miRBase k-mer index and the logistic head, on real miRBase data."""

from __future__ import annotations

import numpy as np
import pytest

from mirloc_core.features import conservation


def test_kmer_codes_by_hand():
    assert conservation.kmer_codes("ACGU", 2).tolist() == [1, 6, 11]  # AC, CG, GU in base 4
    assert conservation.kmer_codes("acgt", 2).tolist() == [1, 6, 11]  # lower case and T read as U
    assert conservation.kmer_codes("ACNGU", 2).tolist() == [1, 11]  # AC, GU: windows touching N are skipped
    assert conservation.kmer_codes("AC", 3).tolist() == []


def test_index_counts_other_species_and_sequences():
    collection = {"mmu-mir-1": "GGACGUACCC", "rno-mir-1": "UUACGUAUUU", "rno-mir-2": "ACGUAC",
                  "hsa-mir-1": "CCCCCCCC"}
    index = conservation.KmerIndex.build(collection, 5)
    assert index.max_counts("AAACGUAGG", 5) == (2, 3)  # ACGUA: mouse and rat, three sequences
    assert index.max_counts("GGACGUAC", 5) == (2, 3)
    assert index.max_counts("CCCCCCCC", 5) == (0, 0)  # human entries are left out
    assert index.max_counts("GACGUACCC", 5) == (2, 3)
    assert index.max_counts("GGGGGGGG", 5) == (0, 0)
    with pytest.raises(ValueError, match="k must be"):
        conservation.KmerIndex.build(collection, 21)


@pytest.fixture(scope="module")
def matures(shared_data):
    from mirloc_core.io import data

    return data.load_mirbase("mature", "hsa")


def test_deeply_conserved_miRNAs_score_higher(matures):
    names = ["hsa-let-7a-5p", "hsa-miR-1-3p", "hsa-miR-4454", "hsa-miR-6724-5p"]
    x = conservation.conservation_features([matures[n] for n in names])
    assert x.shape == (4, len(conservation.FEATURES))
    species = x[:, conservation.FEATURES.index("mature_k20_species")]
    assert min(species[:2]) > np.log1p(50)  # let-7 and miR-1 are in most animal species of miRBase
    assert max(species[2:]) < np.log1p(10)  # recent, primate-specific miRNAs are not
    assert x[0, conservation.FEATURES.index("log_length")] == pytest.approx(np.log1p(len(matures["hsa-let-7a-5p"])))
    shared = conservation.shared_species(x)
    assert shared.dtype.kind == "i" and shared[0] > 50 and shared[3] < 10
    assert shared[0] == round(np.expm1(max(x[0, conservation.FEATURES.index("mature_k20_species")],
                                           x[0, conservation.FEATURES.index("hairpin_k20_species")])))


def test_head_predicts_held_out_network_miRNAs(shared_data):
    from sklearn.metrics import roc_auc_score

    from mirloc_core.training.sequence import seven_dataset

    from mirloc_core.io.data import load_network

    seqs, y, _, rows = seven_dataset()
    x = conservation.conservation_features(seqs)
    order = np.random.default_rng(0).permutation(len(seqs))
    train, test = order[:500], order[500:]
    head = conservation.fit_head(x[train], y[train])
    assert head["coef"].shape == (7, len(conservation.FEATURES))
    prob = conservation.predict_head(head, x[test])
    assert prob.shape == (len(test), 7) and np.all((prob > 0) & (prob < 1))
    auc = np.mean([roc_auc_score(y[test, k], prob[:, k]) for k in range(7)])
    network = load_network()
    bias = (network.disease.sum(1) + network.drug.sum(1))[rows][test]  # the study-bias baseline, same rows
    bias_auc = np.mean([roc_auc_score(y[test, k], bias) for k in range(7)])
    assert auc > bias_auc + 0.03, (auc, bias_auc)  # about 0.85 vs 0.77 in the benchmark's 10-fold CV
    constant = conservation.fit_head(x[:50], np.zeros((50, 7)))
    assert np.all(conservation.predict_head(constant, x[:5]) < 0.01)


def _toy_index(mature: dict, hairpin: dict) -> dict:
    """The index dict of :func:`conservation.indexes`, built from hand-made collections."""
    out = {}
    collections = {"mature": mature, "hairpin": hairpin}
    human = {c: {n: s for n, s in coll.items() if n.startswith("hsa-")} for c, coll in collections.items()}
    for c, coll in collections.items():
        for k in conservation.KS:
            out[(c, k)] = conservation.KmerIndex.build(coll, k)
            out[("human", c, k)] = conservation.KmerIndex.build(human[c], k, exclude=(), only=("hsa",))
    out["human_entries"] = conservation.HumanEntries(human)
    return out


def test_paralogs_leave_out_the_query_its_precursor_and_its_matures():
    mir_a = "ACGUACGUACGUACGUAAAC"  # 20 nt: the mature of two human loci
    mature = {"hsa-miR-a": mir_a, "mmu-miR-a": mir_a, "hsa-miR-b": "GGAUCCAUGGCAUGCUAGCUAG"}
    hairpin = {"hsa-mir-a-1": "GGGGA" + mir_a + "UUCGCCUUCAGUUUCCCC", "hsa-mir-a-2": "CAUCA" + mir_a + "AGGCUUCAUAUGAUG",
               "hsa-mir-b": "UUUU" + mature["hsa-miR-b"] + "AAAAAAAAAAAA"}
    index = _toy_index(mature, hairpin)
    assert set(index["human_entries"].own(mir_a)) == {("hairpin", hairpin["hsa-mir-a-1"]),
                                                      ("hairpin", hairpin["hsa-mir-a-2"]), ("mature", mir_a)}
    assert set(index["human_entries"].own(hairpin["hsa-mir-a-1"])) == {("hairpin", hairpin["hsa-mir-a-1"]),
                                                                       ("mature", mir_a)}
    novel = "CCCAUUUU" + mir_a.lower().replace("u", "t") + "AAAAGGG"  # a new precursor of miR-a, DNA letters
    x = conservation.conservation_features([mir_a, hairpin["hsa-mir-a-1"], novel, "GAUCGAUCGAUCGAUCGAUCGA"],
                                           index)
    col = {name: x[:, conservation.FEATURES.index(name)] for name in conservation.FEATURES}
    paralogs = np.rint(np.expm1(np.stack([col["human_hairpin_k20_paralogs"], col["human_mature_k20_paralogs"]], 1)))
    # the mature: its two precursors are its own; the first precursor: the other one is a paralog, its mature is
    # its own; the new precursor: both known precursors carry its 20-nt mature, which is its own; nothing shared
    assert paralogs.tolist() == [[0, 0], [1, 0], [2, 0], [0, 0]]
    assert np.rint(np.expm1(col["mature_k20_species"])).tolist() == [1, 1, 1, 0]  # mouse; human left out
    assert np.all(col["human_hairpin_k12_paralogs"] >= col["human_hairpin_k20_paralogs"])
    # host features: the mature gets the largest of its two precursors' own features; the others (a hairpin, a
    # new precursor, an unknown sequence: inside no human hairpin) their own values
    n_own = len(conservation.OWN_FEATURES)
    assert conservation.FEATURES[:n_own] == conservation.OWN_FEATURES and x.shape[1] == 2 * n_own - 1
    hosts = conservation.conservation_features([hairpin["hsa-mir-a-1"], hairpin["hsa-mir-a-2"]], index, host=False)
    assert hosts.shape == (2, n_own)
    np.testing.assert_allclose(x[0, n_own:], hosts[:, :-1].max(0))
    np.testing.assert_allclose(x[1:, n_own:], x[1:, : n_own - 1])
    k20 = conservation.OWN_FEATURES.index("hairpin_k20_species")
    assert x[0, conservation.FEATURES.index("host_hairpin_k20_species")] == hosts[:, k20].max()
    assert conservation.conservation_features([], index).shape == (0, len(conservation.FEATURES))


def test_human_families_have_paralogs(matures):
    from mirloc_core.io import data

    hairpins = data.load_mirbase("hairpin", "hsa")
    names = ["hsa-let-7a-1", "hsa-mir-6724-1", "hsa-mir-4454"]
    x = conservation.conservation_features([hairpins[n] for n in names] + [matures["hsa-let-7a-5p"]])
    par = np.rint(np.expm1(x[:, conservation.FEATURES.index("human_hairpin_k20_paralogs")]))
    assert par[0] >= 2  # let-7a-2 and let-7a-3 carry the same 22-nt mature
    assert par[1] >= 3  # hsa-mir-6724 has four identical copies
    assert par[2] == 0  # a single-copy recent miRNA
    own = conservation.indexes()["human_entries"].own(matures["hsa-let-7a-5p"])
    assert {hairpins[n] for n in ("hsa-let-7a-1", "hsa-let-7a-2", "hsa-let-7a-3")} <= {s for _, s in own}


def test_a_mature_gets_its_precursors_conservation_as_host_features(matures):
    from mirloc_core.io import data

    hairpins = data.load_mirbase("hairpin", "hsa")
    x = conservation.conservation_features([matures["hsa-miR-21-3p"], hairpins["hsa-mir-21"]])
    n_own = len(conservation.OWN_FEATURES)
    np.testing.assert_allclose(x[0, n_own:], x[1, : n_own - 1])  # miR-21-3p lies in hsa-mir-21 only
    np.testing.assert_allclose(x[1, n_own:], x[1, : n_own - 1])  # a hairpin in no longer human hairpin: its own
    np.testing.assert_array_equal(conservation.conservation_features([matures["hsa-miR-21-3p"]], host=False),
                                  x[:1, :n_own])
