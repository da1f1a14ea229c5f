"""Conservation features: k-mer codes, the miRBase k-mer index and the logistic head, on real miRBase data."""

from __future__ import annotations

import numpy as np
import pytest

from mirloc_core import conservation


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
    from mirloc_core import data

    return data.load_mirbase("mature", "hsa")


def test_deeply_conserved_miRNAs_score_higher(matures):
    names = ["hsa-let-7a-5p", "hsa-miR-1-3p", "hsa-miR-4454", "hsa-miR-6724-5p"]
    x = conservation.conservation_features([matures[n] for n in names])
    assert x.shape == (4, len(conservation.FEATURES))
    species = x[:, conservation.FEATURES.index("mature_k20_species")]
    assert min(species[:2]) > np.log1p(50)  # let-7 and miR-1 are in most animal species of miRBase
    assert max(species[2:]) < np.log1p(10)  # recent, primate-specific miRNAs are not
    assert x[0, -1] == pytest.approx(np.log1p(len(matures["hsa-let-7a-5p"])))
    shared = conservation.shared_species(x)
    assert shared.dtype.kind == "i" and shared[0] > 50 and shared[3] < 10
    assert shared[0] == round(np.expm1(max(x[0, conservation.FEATURES.index("mature_k20_species")],
                                           x[0, conservation.FEATURES.index("hairpin_k20_species")])))


def test_head_predicts_held_out_network_miRNAs(shared_data):
    from sklearn.metrics import roc_auc_score

    from mirloc_core.sequence_training import seven_dataset

    seqs, y, _, _ = seven_dataset()
    x = conservation.conservation_features(seqs)
    order = np.random.default_rng(0).permutation(len(seqs))
    train, test = order[:500], order[500:]
    head = conservation.fit_head(x[train], y[train])
    assert head["coef"].shape == (7, len(conservation.FEATURES))
    prob = conservation.predict_head(head, x[test])
    assert prob.shape == (len(test), 7) and np.all((prob > 0) & (prob < 1))
    auc = np.mean([roc_auc_score(y[test, k], prob[:, k]) for k in range(7)])
    assert auc > 0.72  # about 0.80 with the random 10-fold CV of the benchmark
    constant = conservation.fit_head(x[:50], np.zeros((50, 7)))
    assert np.all(conservation.predict_head(constant, x[:5]) < 0.01)
