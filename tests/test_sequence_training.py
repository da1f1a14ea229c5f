"""Training loops and benchmark helpers, on small subsets of the real data."""

from __future__ import annotations

import numpy as np
import pytest

from mirloc_core.training import sequence as st
from mirloc_core.features.alignment import knn_transfer
from mirloc_core.models.sequence import ModelConfig


@pytest.fixture(autouse=True)
def _threads(one_torch_thread):
    """Every test here runs with one torch thread (see conftest)."""


def test_length_rule_baseline_on_train_tsv(shared_data):
    seqs, y, kind = st.binary_dataset()
    assert len(seqs) == 1011 and set(kind) == {"mature", "precursor"}
    metrics = st._strata_metrics(y[:, 0].astype(int), st.length_rule(seqs), kind)
    assert metrics["overall"]["acc"] == pytest.approx(0.909, abs=1e-3)
    assert metrics["mature"]["acc"] == pytest.approx(614 / 645)


def test_fit_model_learns_on_real_subset(shared_data):
    seqs, y, kind = st.binary_dataset()
    rng = np.random.default_rng(0)
    idx = np.sort(np.concatenate([rng.choice(np.flatnonzero(kind == k), 100, replace=False)
                                  for k in ("mature", "precursor")]))
    seqs = [seqs[i] for i in idx]
    y = y[idx]
    cfg = ModelConfig(n_outputs=1, encoders=("onehot", "kmer"), globals=("length",), cnn_channels=8, lstm_hidden=8,
                      heads=2, attn_dim=8, mlp_hidden=8, dropout=0.0)
    inputs = st._Inputs(seqs, cfg, None)
    train = np.arange(len(seqs))
    model = st.fit_model(cfg, inputs, train, y, seed=0, epochs=8, batch_size=32, lr=1e-2)
    prob = st.predict_models([model], inputs, train)[:, 0]
    acc = ((prob >= 0.5) == y[:, 0]).mean()
    rule = (st.length_rule(seqs) == y[:, 0]).mean()
    assert acc >= rule - 0.03  # learns at least the length signal
    assert np.corrcoef(prob, y[:, 0])[0, 1] > 0.5


def test_seven_dataset_and_homology_groups(shared_data):
    seqs, y, names, rows = st.seven_dataset()
    assert y.shape == (len(seqs), 7) and 700 < len(seqs) <= 901
    assert all(seqs)
    sub = [i for i, n in enumerate(names) if n.startswith(("hsa-let-7", "hsa-mir-21", "hsa-mir-155"))]
    groups = st.homology_groups([seqs[i] for i in sub], [names[i] for i in sub])
    let7 = {groups[j] for j, i in enumerate(sub) if names[i].startswith("hsa-let-7")}
    assert len(let7) == 1  # one family never straddles folds
    mir21 = groups[[j for j, i in enumerate(sub) if names[i] == "hsa-mir-21"][0]]
    assert mir21 not in let7


def test_identical_sequences_share_a_group():
    groups = st.homology_groups(["ACGUACGUACGUACGUACGU", "ACGUACGUACGUACGUACGU", "GGGGCCCCGGGGCCCCAAAA"],
                                ["hsa-mir-1", "hsa-mir-2", "hsa-mir-3"])
    assert groups[0] == groups[1] != groups[2]


def test_mean_std_and_markdown():
    runs = [{"overall": {"acc": 0.9, "macro_f1": 0.8, "macro_precision": 0.8, "macro_recall": 0.8, "auc": 0.6}},
            {"overall": {"acc": 0.8, "macro_f1": 0.7, "macro_precision": 0.7, "macro_recall": 0.7, "auc": 0.6}}]
    agg = st._mean_std(runs)
    assert agg["overall"]["acc"] == {"mean": 0.85, "std": 0.05, "runs": [0.9, 0.8]}
    strata = {s: agg["overall"] for s in ("overall", "mature", "precursor")}
    result = {"command": "python -m mirloc_core benchmark sequence", "date": "today",
              "machine": {"cores": 2, "torch_threads": 1},
              "binary": {"length_rule": strata, "main": {"metrics": strata, "repeats": 2, "seeds_per_fold": 1}}}
    text = st.benchmark_markdown(result)
    assert "| length rule (≤30 nt ⇒ extracellular) | — | overall | 0.850 ± 0.050 |" in text
    assert "released configuration" in text


def test_pretrain_lm_stops_at_time_budget(shared_data):
    from mirloc_core.models.lm import LMConfig

    train, val = st.lm_corpus(val_fraction=0.001)
    assert len(train) + len(val) == 38589 + 48885
    model, history = st.pretrain_lm(train[:2000], val[:20], cfg=LMConfig(dim=16, layers=1, heads=2, ff=32),
                                    epochs=5, max_seconds=1.0, log=lambda *_: None)
    assert history["epochs_completed"] < 5
    assert history["seconds"] < 10


def test_knn_transfer_weights_by_similarity():
    sim = np.array([[0.9, 0.1, 0.5], [0.0, 0.0, 0.0]])
    labels = np.array([[1, 0], [0, 1], [1, 1]])
    out = knn_transfer(sim, labels, k=2)
    np.testing.assert_allclose(out[0], [1.0, 0.5 / 1.4], rtol=1e-6)
    assert np.all((out >= 0) & (out <= 1))


def test_released_sequence_model_card_matches_the_benchmark():
    import json

    from mirloc_core.config import results_dir, weights_dir
    from mirloc_core.training.sequence import sequence_model_card

    folder = weights_dir() / "sequence"
    manifest = json.loads((folder / "manifest.json").read_text())
    assert {"model_card.md", "conservation.safetensors"} <= set(manifest["files"])
    card = (folder / "model_card.md").read_text()
    summary = json.loads((results_dir() / "summary.json").read_text())
    for key in ("seq_binary_acc_cv5", "length_rule_acc_cv5", "seq_7comp_auc_10fold", "seq_7comp_auc_homology"):
        assert f"{summary[key]:.3f}" in card, key
    assert f"{manifest['config']['conservation_weight']:g} × a conservation head" in card
    empty = sequence_model_card({}, 0.5, 0.0, 10, 10, 1, 1)
    assert empty.count("not measured") == 9 and "0 × a conservation head" in empty  # no figure invented


def test_binary_label_audit_counts_what_the_length_rule_gets_wrong(shared_data):
    audit = st.binary_label_audit(repeats=1)
    c = audit["labels_by_stratum"]
    assert sum(v for s in c.values() for v in s.values()) == audit["n"] == 1011
    # the length rule calls every mature extracellular and every precursor intracellular
    assert audit["length_rule_errors"] == c["mature"]["intracellular"] + c["precursor"]["extracellular"]
    assert audit["must_fix_net"] == audit["length_rule_errors"] - audit["errors_allowed_at_goal"] > 0
    assert 0 < audit["pairs_mature_extracellular_precursor_intracellular"] <= audit["pairs_with_opposite_labels"] \
        <= audit["mature_in_precursor_pairs"]
    acc = audit["knn_sw_within_stratum"]["metrics"]["overall"]["acc"]["mean"]
    assert 0.8 < acc < 1.0
    text = "\n".join(st._audit_lines(audit))
    assert f"errs on exactly the {audit['length_rule_errors']} minority miRNAs" in text
    assert st._audit_lines(None) == []
