"""Training of the sequence models (estimators, one model, the LM) and their benchmark, on real data."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.base import clone

from mirloc_core.config import results_dir, weights_dir
from mirloc_core.features.alignment import knn_transfer, sequence_homology_groups
from mirloc_core.models.sequence import ModelConfig
from mirloc_core.reports import sequence_cv as sc
from mirloc_core.reports import sequence_markdown as sm
from mirloc_core.training import sequence as st
from mirloc_core.training.cv import cross_validate, stratified_splits

SMALL = dict(n_outputs=1, encoders=("onehot", "kmer"), globals=("length",), cnn_channels=8, lstm_hidden=8,
             heads=2, attn_dim=8, mlp_hidden=8, dropout=0.0)


@pytest.fixture(autouse=True)
def _threads(one_torch_thread):
    """Every test here runs with one torch thread (see conftest)."""


@pytest.fixture(scope="module")
def stored():
    """The committed benchmark result that the code must reproduce."""
    return json.loads((results_dir() / "sequence_cv.json").read_text())


def _balanced_subset(kind: np.ndarray, per_kind: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.sort(np.concatenate([rng.choice(np.flatnonzero(kind == k), per_kind, replace=False)
                                   for k in ("mature", "precursor")]))


def test_length_rule_estimator_reproduces_the_stored_figures(shared_data, stored):
    seqs, y, kind = st.binary_dataset()
    assert len(seqs) == 1011 and set(kind) == {"mature", "precursor"}
    rule = st.LengthRule().fit(seqs[:3], y[:3])
    prob = rule.predict_proba(["A" * 30, "A" * 31])
    assert prob.shape == (2, 1) and prob[:, 0].tolist() == [0.0, 1.0]  # ≤ 30 nt ⇒ extracellular
    metrics = sc.strata_metrics(y[:, 0].astype(int), st.length_rule(seqs), kind)
    assert metrics["mature"]["acc"] == pytest.approx(614 / 645)
    assert sc.length_rule_cv() == stored["binary"]["length_rule"]


def test_fit_model_learns_beyond_chance_on_held_out_miRNAs(shared_data):
    seqs, y, kind = st.binary_dataset()
    train = _balanced_subset(kind, 100, seed=0)
    test = np.setdiff1d(np.arange(len(seqs)), train)
    cfg = ModelConfig(**SMALL)
    inputs = st.SequenceInputs(seqs, cfg, None)
    model = st.fit_model(cfg, inputs, train, y, seed=0, epochs=8, batch_size=32, lr=1e-2)
    prob = st.predict_models([model], inputs, test)[:, 0]
    acc = ((prob >= 0.5) == y[test, 0]).mean()
    rule = (st.length_rule([seqs[i] for i in test]) == y[test, 0]).mean()
    assert acc >= rule  # at least the length rule (the trivial baseline), on miRNAs it never saw
    assert np.corrcoef(prob, y[test, 0])[0, 1] > 0.5


def test_estimator_on_inputs_subsets_equals_estimator_on_sequences(shared_data):
    """What the CV relies on: fitting on ``inputs[train]`` (LM states computed once) is bit-identical to
    fitting on the training sequences themselves."""
    seqs, y, kind = st.binary_dataset()
    rows = _balanced_subset(kind, 40, seed=1)
    train, test = rows[::2], rows[1::2]
    estimator = st.SequenceModelEstimator(SMALL, None, seeds=(3, 4), epochs=2)
    inputs = st.SequenceInputs(seqs, estimator.model_config, None)
    on_inputs = clone(estimator).fit(inputs[train], y[train]).predict_proba(inputs[test])
    on_seqs = clone(estimator).fit([seqs[i] for i in train], y[train]).predict_proba([seqs[i] for i in test])
    assert on_inputs.shape == (len(test), 1)
    np.testing.assert_array_equal(on_inputs, on_seqs)
    fitted = clone(estimator).fit(inputs[train], y[train])
    assert len(fitted.models_) == 2 and len(fitted.ensemble().models) == 2
    with pytest.raises(ValueError, match="do not fit the configuration"):
        st.SequenceModelEstimator(dict(SMALL, globals=("length", "kmerfreq"))).fit(inputs[train], y[train])


def test_cross_validate_with_the_estimator_scores_only_held_out_folds(shared_data):
    seqs, y, kind = st.binary_dataset()
    rows = _balanced_subset(kind, 30, seed=2)
    x = np.asarray([seqs[i] for i in rows], dtype=object)
    splits = stratified_splits(sc.binary_strata(y[rows], kind[rows]), 3, 0)
    run = cross_validate(st.LengthRule(), splits, x, y[rows])
    assert sorted(np.concatenate(run.tests).tolist()) == list(range(len(rows)))
    np.testing.assert_array_equal(run.oof(n=len(rows))[:, 0], st.length_rule(list(x)))


def test_seven_dataset_and_homology_groups(shared_data):
    seqs, y, names, rows = st.seven_dataset()
    assert y.shape == (len(seqs), 7) and 700 < len(seqs) <= 901
    assert all(seqs)
    sub = [i for i, n in enumerate(names) if n.startswith(("hsa-let-7", "hsa-mir-21", "hsa-mir-155"))]
    groups = sequence_homology_groups([seqs[i] for i in sub], [names[i] for i in sub])
    let7 = {groups[j] for j, i in enumerate(sub) if names[i].startswith("hsa-let-7")}
    assert len(let7) == 1  # one family never straddles folds
    mir21 = groups[[j for j, i in enumerate(sub) if names[i] == "hsa-mir-21"][0]]
    assert mir21 not in let7


def test_identical_sequences_share_a_group():
    groups = sequence_homology_groups(["ACGUACGUACGUACGUACGU", "ACGUACGUACGUACGUACGU", "GGGGCCCCGGGGCCCCAAAA"],
                                      ["hsa-mir-1", "hsa-mir-2", "hsa-mir-3"])
    assert groups[0] == groups[1] != groups[2]


def test_mean_std_and_markdown():
    runs = [{"overall": {"acc": 0.9, "macro_f1": 0.8, "macro_precision": 0.8, "macro_recall": 0.8, "auc": 0.6}},
            {"overall": {"acc": 0.8, "macro_f1": 0.7, "macro_precision": 0.7, "macro_recall": 0.7, "auc": 0.6}}]
    agg = sc.strata_mean_std(runs)
    assert agg["overall"]["acc"] == {"mean": 0.85, "std": 0.05, "runs": [0.9, 0.8]}
    strata = {s: agg["overall"] for s in ("overall", "mature", "precursor")}
    result = {"command": "python -m mirloc_core benchmark sequence", "date": "today",
              "machine": {"cores": 2, "torch_threads": 1},
              "binary": {"length_rule": strata, "main": {"metrics": strata, "repeats": 2, "seeds_per_fold": 1}}}
    text = sm.benchmark_markdown(result)
    assert "| length rule (≤30 nt ⇒ extracellular) | — | overall | 0.850 ± 0.050 |" in text
    assert "released configuration" in text
    assert "Seven compartments" in text and "fresh shuffles" not in text  # no section invented


def test_docs_section_is_rendered_from_the_committed_json(stored):
    from mirloc_core.config import REPO_ROOT

    doc = (REPO_ROOT / "docs" / "benchmarks.md").read_text()
    section = doc.split("<!-- sequence:start -->\n", 1)[1].split("\n<!-- sequence:end -->", 1)[0]
    assert section == sm.benchmark_markdown(stored).rstrip()


def test_pretrain_lm_stops_at_time_budget(shared_data):
    from mirloc_core.models.lm import LMConfig
    from mirloc_core.training.lm import lm_corpus, pretrain_lm

    train, val = lm_corpus(val_fraction=0.001)
    assert len(train) + len(val) == 38589 + 48885
    model, history = pretrain_lm(train[:30000], val[:20], cfg=LMConfig(dim=16, layers=1, heads=2, ff=32),
                                 epochs=5, max_seconds=0.5, log=lambda *_: None)  # far more than 0.5 s of work
    assert history["epochs_completed"] < 5
    assert history["seconds"] < 10


def test_knn_transfer_weights_by_similarity():
    sim = np.array([[0.9, 0.1, 0.5], [0.0, 0.0, 0.0]])
    labels = np.array([[1, 0], [0, 1], [1, 1]])
    out = knn_transfer(sim, labels, k=2)
    np.testing.assert_allclose(out[0], [1.0, 0.5 / 1.4], rtol=1e-6)
    assert np.all((out >= 0) & (out <= 1))


def test_released_sequence_model_card_is_rendered_from_the_benchmark(stored):
    from safetensors import safe_open

    folder = weights_dir() / "sequence"
    manifest = json.loads((folder / "manifest.json").read_text())
    assert {"model_card.md", "conservation.safetensors"} <= set(manifest["files"])
    card = (folder / "model_card.md").read_text()
    summary = json.loads((results_dir() / "summary.json").read_text())
    for key in ("seq_binary_acc_cv5", "length_rule_acc_cv5", "seq_7comp_auc_10fold", "seq_7comp_auc_homology"):
        assert f"{summary[key]:.3f}" in card, key
    config = manifest["config"]
    n_train = {name: json.loads(safe_open(str(folder / f"{name}.safetensors"), "np").metadata()["n_train"])
               for name in ("binary", "sevencomp")}
    assert card == sm.sequence_model_card(manifest["metrics"], config["knn_blend"], config["conservation_weight"],
                                          n_train["binary"], n_train["sevencomp"], len(config["seeds"]),
                                          config["epochs"])
    empty = sm.sequence_model_card({}, 0.5, 0.0, 10, 10, 1, 1)
    assert empty.count("not measured") == 15 and "0 × a conservation head" in empty  # no figure invented


def test_binary_label_audit_reproduces_the_stored_audit(shared_data, stored):
    audit = sc.binary_label_audit(repeats=1)
    c = audit["labels_by_stratum"]
    assert sum(v for s in c.values() for v in s.values()) == audit["n"] == 1011
    # the length rule calls every mature extracellular and every precursor intracellular
    assert audit["length_rule_errors"] == c["mature"]["intracellular"] + c["precursor"]["extracellular"]
    assert audit["must_fix_net"] == audit["length_rule_errors"] - audit["errors_allowed_at_goal"] > 0
    assert 0 < audit["pairs_mature_extracellular_precursor_intracellular"] <= audit["pairs_with_opposite_labels"] \
        <= audit["mature_in_precursor_pairs"]
    old = stored["binary"]["label_audit"]
    assert {k: v for k, v in audit.items() if k not in ("seconds", "knn_sw_within_stratum")} == \
        {k: v for k, v in old.items() if k not in ("seconds", "knn_sw_within_stratum")}
    new_metrics, old_metrics = audit["knn_sw_within_stratum"]["metrics"], old["knn_sw_within_stratum"]["metrics"]
    for stratum, metrics in new_metrics.items():  # repeat 0 of the stored 5 (same seeded folds)
        for metric, value in metrics.items():
            assert value["runs"] == old_metrics[stratum][metric]["runs"][:1], (stratum, metric)
    text = "\n".join(sm.audit_lines(audit))
    assert f"errs on exactly the {audit['length_rule_errors']} minority miRNAs" in text
    assert sm.audit_lines(None) == []


@pytest.mark.parametrize("split", ["random", "homology"])
def test_seven_conservation_head_reproduces_the_stored_fresh_shuffles(shared_data, stored, split):
    data = sc.SevenData.load(split)
    expected = stored["sevencomp"][split]
    assert sc.fresh_shuffles(data, expected["folds"]) == expected["fresh_shuffles"]
    # what the predict card's paralog note rests on: the paralog counts carry the exosome ranking of the head
    per = expected["fresh_shuffles"]["per_compartment_auc"]
    assert per["head_alone"]["Exosome"] > per["head_alone_without_paralogs"]["Exosome"] + 0.05
    runs = sc.seven_part_runs(data, [0], expected["folds"])
    assert set(runs[0]) == {"knn", "cons", "cons_np", "cons_own"}  # no neural part without an estimator
    assert runs[0]["knn"].dtype == np.float32 and runs[0]["cons"].shape == data.y.shape


@pytest.mark.parametrize("words, target", [
    (("train", "lm"), "mirloc_core.training.lm:cli_train_lm"),
    (("train", "sequence"), "mirloc_core.training.sequence:cli_train"),
    (("benchmark", "sequence"), "mirloc_core.reports.sequence:cli_benchmark")])
def test_cli_targets_resolve(words, target):
    import importlib

    from mirloc_core.cli import COMMANDS

    assert COMMANDS[words][0] == target
    module, name = target.split(":")
    func = getattr(importlib.import_module(module), name)
    with pytest.raises(SystemExit) as exit_info:  # argparse --help exits 0 after printing the usage
        func(["--help"])
    assert exit_info.value.code == 0


# --------------------------------------------------------------------------- issue 13: matures, discovery order,
# label conflicts, calibration


def test_mirbase_accessions_and_matures_of_each_gene(shared_data):
    from mirloc_core.io.data import accession_number, gene_mirbase_entries, load_mirbase_accessions

    acc = load_mirbase_accessions("hairpin")
    assert acc["hsa-let-7a-1"] == "MI0000060" and accession_number("MIMAT0000062") == 62
    assert load_mirbase_accessions("mature")["hsa-let-7a-5p"] == "MIMAT0000062"
    genes = gene_mirbase_entries().set_index("name")
    assert genes.at["hsa-mir-21", "hairpins"] == ["hsa-mir-21"]
    assert set(genes.at["hsa-mir-21", "matures"]) == {"hsa-miR-21-5p", "hsa-miR-21-3p"}
    assert genes.at["hsa-mir-1", "hairpins"] == ["hsa-mir-1-1", "hsa-mir-1-2"]  # a mature name: its hairpin copies
    assert genes.at["hsa-let-7a", "accession"] == 60
    assert genes.at["hsa-mir-294", "hairpins"] == [] and genes.at["hsa-mir-294", "accession"] == -1


def test_seven_training_rows_keep_genes_and_identical_sequences_in_one_fold(shared_data):
    from mirloc_core.io.data import load_network
    from mirloc_core.training.cv import group_kfold_splits

    rows = st.seven_training_rows()
    net = load_network()
    assert len(rows) == len(rows.y) == len(rows.kind) == len(rows.groups)
    assert set(rows.kind) == {"hairpin", "mature"} and (rows.kind == "mature").sum() > (rows.kind == "hairpin").sum()
    np.testing.assert_array_equal(rows.y, net.labels[rows.rows])  # every row carries its gene's labels
    old_seqs, _, old_names, _ = st.seven_dataset()
    assert len(np.unique(rows.gene)) == len(old_names)
    known = set(zip(rows.names, rows.seqs))
    assert all((n, s) in known for n, s in zip(old_names, old_seqs))  # the old training row is kept
    hits = [i for i, n in enumerate(rows.names) if n == "hsa-mir-21"]
    assert sorted(rows.kind[hits]) == ["hairpin", "mature", "mature"]
    assert max(len(rows.seqs[i]) for i in hits if rows.kind[i] == "mature") <= 25
    for _, test in group_kfold_splits(rows.groups, 10, 0):
        train = np.setdiff1d(np.arange(len(rows)), test)
        assert not set(rows.gene[test]) & set(rows.gene[train])
        assert not {rows.seqs[i] for i in test} & {rows.seqs[i] for i in train}


def test_label_conflicts_of_the_one_sequence_per_gene_data(shared_data):
    conflicts = st.label_conflicts(*st.seven_dataset()[:3])
    assert conflicts["identical_sequence_sets"] == 12 and conflicts["with_different_labels"] == 11
    assert ["hsa-mir-103", "hsa-mir-103a-1"] in [c["names"] for c in conflicts["conflicts"]]
    toy = st.label_conflicts(["AC", "AC", "GG", "GG"], np.array([[1, 0], [0, 1], [1, 1], [1, 1]]),
                             ["a", "b", "c", "d"])
    assert toy["identical_sequence_sets"] == 2 and toy["with_different_labels"] == 1


def test_merged_groups():
    from mirloc_core.training.cv import merged_groups

    groups = merged_groups(np.array([0, 0, 1, 2, 3]), np.array(["x", "y", "y", "z", "w"]))
    assert groups.tolist() == [0, 0, 0, 1, 2]


def test_discovery_split_trains_on_the_oldest_miRNAs(shared_data):
    data = sc.SevenData.load("random")
    train, test = sc.discovery_split(data)
    assert not set(data.rows.groups[train]) & set(data.rows.groups[test])
    n_genes = len(np.unique(data.rows.gene))
    assert 0.75 < len(np.unique(data.rows.gene[train])) / n_genes <= 0.8
    first = np.array([data.rows.accession[data.rows.groups == g].min() for g in data.rows.groups])
    assert first[train].max() <= first[test].min()
    counts = sc._class_counts(data, train, test)
    assert not counts["Exosome"]["evaluable"] and counts["Nucleus"]["evaluable"]  # newest: all exosome


def test_calibration_helpers():
    from sklearn.isotonic import IsotonicRegression

    from mirloc_core.training.cv import kfold_splits

    rng = np.random.default_rng(0)
    prob = rng.random((600, 7))
    y = (rng.random((600, 7)) < prob ** 3).astype(float)  # over-confident scores
    cal = st.fit_calibrator(y, prob)
    query = rng.random((40, 7))
    ref = np.stack([IsotonicRegression(y_min=0, y_max=1, out_of_bounds="clip").fit(prob[:, j], y[:, j])
                    .predict(query[:, j]) for j in range(7)], 1)
    np.testing.assert_allclose(st.apply_calibrator(cal, query), ref, atol=1e-4)
    report = sc.calibration_cv(y, prob, kfold_splits(600, 5, 0))
    assert report["ece_after"] < report["ece_before"] / 2 and report["brier_after"] < report["brier_before"]
    perfect = sc.reliability(np.array([0.0, 1.0, 1.0, 0.0]), np.array([0.0, 1.0, 1.0, 0.0]))
    assert perfect["ece"] == 0 and perfect["brier"] == 0 and sum(r["n"] for r in perfect["reliability"]) == 4


def test_stored_seven_compartment_result_and_release(shared_data, stored):
    from mirloc_core.io.artifacts import verify_manifest
    from mirloc_core.reports.sequence import headline_summary

    rows = st.seven_training_rows()
    rnd = stored["sevencomp"]["random"]
    assert rnd["n"] == len(rows) and rnd["by_stratum"]["released"]["mature"]["n"] == (rows.kind == "mature").sum()
    d = rnd["discovery_order"]
    assert d["n_test_genes"] + d["n_train_genes"] == rnd["n_genes"]
    assert set(d["released"]["per_compartment"]) == {c for c, k in d["classes"].items() if k["evaluable"]}
    summary = headline_summary(stored)
    assert summary["seq_7comp_auc_mature"] == rnd["by_stratum"]["released"]["mature"]["auc"]
    # quality bars above the trivial baseline on the same rows: the study-bias score (disease + drug link counts)
    bias = rnd["by_stratum"]["study_bias_baseline"]
    assert rnd["auc"]["mean"] > rnd["study_bias_baseline"]["auc"] + 0.02
    assert rnd["by_stratum"]["released"]["mature"]["auc"] > bias["mature"]["auc"] + 0.02
    assert rnd["by_stratum"]["released"]["hairpin"]["auc"] > bias["hairpin"]["auc"] + 0.02
    assert rnd["auc"]["mean"] > rnd["without_host"]["released"]["auc"]  # what the host features add
    assert summary["seq_7comp_auc_discovery_order"] == d["released"]["auc"]
    assert summary["calibration_ece_7comp"] == rnd["calibration"]["ece_after"]
    folder = weights_dir() / "sequence"
    manifest = verify_manifest(folder)
    assert st.CALIBRATION_FILE in manifest["files"]
    released = json.loads((folder / st.CALIBRATION_FILE).read_text())
    assert released["n_train"] == len(rows) and released["calibrator"] == rnd["calibrator"]
    assert released["base_rates"] == pytest.approx(dict(zip(released["compartments"], rows.y.mean(0))), abs=1e-4)
    grid = np.tile(np.linspace(0, 1, 11)[:, None], (1, 7))
    assert np.all(np.diff(st.apply_calibrator(released["calibrator"], grid), axis=0) >= 0)  # monotone


def test_calibration_only_rewrites_the_calibrator_from_the_benchmark_and_keeps_the_weights(shared_data, tmp_path):
    """``train sequence --calibration-only`` on a copy of the release: the calibrator is the stored benchmark's (the
    released one, as both come from the same sequence_cv.json), the weights are byte-identical, the manifest
    verifies and records both commands."""
    import json
    import shutil

    from mirloc_core import config
    from mirloc_core.io.artifacts import ArtifactError, verify_manifest

    released = config.Settings.from_env().weights_dir / "sequence"
    out = tmp_path / "sequence"
    shutil.copytree(released, out)
    (out / st.CALIBRATION_FILE).unlink()
    assert st.cli_train(["--calibration-only", "--out", str(out)]) == 0
    manifest = verify_manifest(out)
    assert manifest["command"].count("train sequence") == 2 and "--calibration-only" in manifest["command"]
    for name in ("binary.safetensors", "sevencomp.safetensors", "conservation.safetensors"):
        assert (out / name).read_bytes() == (released / name).read_bytes()
    assert json.loads((out / st.CALIBRATION_FILE).read_text()) == json.loads((released / st.CALIBRATION_FILE).read_text())
    (out / "sevencomp_reference.json").write_text("{}")  # a kept file that is not the released one: refused
    with pytest.raises(ArtifactError, match="does not match"):
        st.cli_train(["--calibration-only", "--out", str(out)])
