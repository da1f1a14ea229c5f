"""Network model: folds, label profiles, name features, a tiny CV end to end, the baselines through the one CV
runner, the release (atlas round trip, model card) and the released atlas against the committed benchmark."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from mirloc_core import config
from mirloc_core.features import names as name_feats
from mirloc_core.features import network_inputs as ni
from mirloc_core.io import artifacts
from mirloc_core.pretrained import load_atlas
from mirloc_core.training import baselines, cv
from mirloc_core.training import network as nt
from mirloc_core.training import release as rel

TINY = nt.PipelineConfig(features="published", thresholds=(0.8,), gt_epochs=3, gt_dim=32, gt_layers=1,
                         fusion_epochs=15, lr_grid=(0.01,), inner_folds=2, trees=20, boosting_iterations=20,
                         propagation_graphs=("functional", "drug", "mrna"))  # no Smith–Waterman in an empty cache
RESULTS = json.loads((config.results_dir() / "network_cv.json").read_text())
STUDY_BIAS_AUC = RESULTS["results"]["baseline_study_bias"]["auc"]  # 0.775: every quality bar sits above it


@pytest.fixture()
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def atlas():
    return load_atlas(config.REPO_ROOT / "weights")


def test_folds_follow_gtmaloc_protocol():
    folds = cv.gtmaloc_folds(901, 10, 42)
    assert [len(f) for f in folds] == [91] * 1 + [90] * 9
    assert np.array_equal(np.sort(np.concatenate(folds)), np.arange(901))
    perm = np.random.RandomState(42).permutation(901)
    assert set(folds[0]) == set(perm[:91])


def test_group_kfold_is_scikit_learns_assignment_with_a_stable_order_of_ties():
    """Equal-sized groups are ordered by relabelled id, not by NumPy's default sort (CPU-dependent for ties):
    the folds equal a plain-Python largest-first assignment, and scikit-learn's own where no sizes tie."""
    from sklearn.model_selection import GroupKFold

    rng = np.random.default_rng(3)
    groups = rng.integers(0, 300, size=2000)  # many groups of equal size
    splits = cv.group_kfold_splits(groups, 10, 5)
    labels = np.random.default_rng(5).permutation(groups.max() + 1)[groups]
    sizes = {g: int((labels == g).sum()) for g in np.unique(labels)}
    load, fold_of = [0] * 10, {}
    for g in sorted(sizes, key=lambda g: (-sizes[g], -g)):
        k = load.index(min(load))
        fold_of[g], load[k] = k, load[k] + sizes[g]
    for k, (train, test) in enumerate(splits):
        assert np.array_equal(test, np.flatnonzero([fold_of[g] == k for g in labels]))
        assert np.array_equal(train, np.setdiff1d(np.arange(len(groups)), test))
    distinct = np.repeat(np.arange(30), np.arange(1, 31))  # group g has g + 1 rows: no ties
    labels = np.random.default_rng(1).permutation(30)[distinct]
    expected = [test for _, test in GroupKFold(5).split(distinct, groups=labels)]
    assert all(np.array_equal(t, e) for (_, t), e in zip(cv.group_kfold_splits(distinct, 5, 1), expected))


def test_homology_folds_keep_groups_together(network):
    from mirloc_core.features.networks import sequence_similarity

    groups = name_feats.homology_groups(network.names, sequence_similarity())
    assert name_feats.family_key("hsa-let-7a-1") == name_feats.family_key("hsa-let-7") == "hsa-let-7"
    assert name_feats.family_key("hsa-mir-10b") == "hsa-mir-10" != name_feats.family_key("hsa-mir-1-1")
    lab = groups[network.labelled_index]
    folds = cv.group_folds(lab, 10, 42)
    fold_of = np.empty(len(lab), int)
    for k, f in enumerate(folds):
        fold_of[f] = k
    for g in np.unique(lab):
        assert len(np.unique(fold_of[lab == g])) == 1
    assert np.array_equal(np.sort(np.concatenate(folds)), np.arange(len(lab)))


def test_feature_config_mirrors_pipeline_config():
    cfg = nt.PipelineConfig(gt_epochs=7, drop=("drug",), features="published")
    fcfg = cfg.feature_config()
    assert (fcfg.gt_epochs, fcfg.drop, fcfg.features) == (7, ("drug",), "published")
    assert fcfg.thresholds == cfg.thresholds and fcfg.n2v_num_walks == cfg.n2v_num_walks


def test_tiny_cv_end_to_end(network, tmp_path, one_thread):
    """A tiny model on 240 rows, features built in an empty cache: beats the study-bias score on the same folds,
    and two worker processes give the same out-of-fold predictions."""
    sets = ni.feature_sets(TINY.feature_config(), cache_dir=tmp_path)
    assert list((tmp_path / "networks").glob("gt-published-sequence-*.npy"))  # the GT refinement was cached there
    idx = network.labelled_index[:240]
    y = network.labels[idx].astype(float)
    folds = cv.gtmaloc_folds(len(idx), 3, 42)
    res = nt.network_cv(ni.labelled_sets(sets, idx), y, folds, TINY)
    assert res["oof"].shape == (240, 7) and ((res["oof"] >= 0) & (res["oof"] <= 1)).all()
    assert np.allclose(res["attention"].sum(1), 1, atol=1e-5)
    score = (network.disease.sum(1) + network.drug.sum(1))[idx]
    bias = cv.per_fold_summary(cv.cross_validate(baselines.StudyBias(), cv.splits_from_folds(folds),
                                                 score[:, None], y), y)
    assert res["auc"] > max(bias["auc"], STUDY_BIAS_AUC), (res["auc"], bias["auc"])
    assert [c["T"] for c in res["chosen"]] == [0.8] * 3
    assert set(res["members"]) == set(nt.MEMBERS)
    par = nt.network_cv(ni.labelled_sets(sets, idx), y, folds, TINY, jobs=2)
    assert np.abs(par["oof"] - res["oof"]).max() < 1e-4, np.abs(par["oof"] - res["oof"]).max()  # BLAS threads differ


def test_label_profiles_leave_one_out(network):
    """A training miRNA's label profile never sees its own labels, equals the definition computed by hand, and a
    miRNA without links gets the prior."""
    idx = network.labelled_index[:300]
    assoc, y = network.disease[idx].astype(float), network.labels[idx].astype(float)
    assoc[5] = 0  # one row without links
    positives, counts = nt.label_profile_rates(assoc, y)
    prior = y.mean(0)
    own = nt.label_profiles(assoc, positives, counts, prior, 1.0, own_labels=y)
    i = int(np.flatnonzero(assoc.sum(1) >= 3)[0])
    linked = np.flatnonzero(assoc[i])
    others = np.delete(np.arange(len(y)), i)
    by_hand = np.mean([(y[others][assoc[others, j] > 0].sum(0) + prior) / (assoc[others, j].sum() + 1.0)
                       for j in linked], axis=0)
    assert np.allclose(own[i], by_hand, atol=1e-6)
    flipped = y.copy()
    flipped[i] = 1 - flipped[i]
    positives2, counts2 = nt.label_profile_rates(assoc, flipped)
    again = nt.label_profiles(assoc, positives2, counts2, prior, 1.0, own_labels=flipped)
    assert np.allclose(again[i], own[i], atol=1e-6)  # its own label changed, its profile did not
    assert np.allclose(own[5], prior)


def test_propagated_labels_leave_one_out(network):
    """The label-propagation member: a training miRNA's propagated labels never depend on its own labels, rows
    are rates in [0, 1] plus the walk mass, and the leave-one-out rows equal the definition computed by hand."""
    from mirloc_core.features.networks import jaccard_similarity
    from mirloc_core.features.propagation import knn_transition, rwr_operator

    idx = network.labelled_index[:200]
    y = network.labels[idx].astype(float)
    sim = jaccard_similarity(network.disease[idx])
    r = rwr_operator(sim, 10, 0.5)
    linked = knn_transition(sim, 10).sum(1) > 0
    assert np.allclose(r.sum(1)[linked], 1.0, atol=1e-4)  # every walk ends somewhere (isolated: only restarts)
    prior = y.mean(0)
    out = nt.propagated_labels(r, y, prior, 0.05, leave_one_out=True)
    assert out.shape == (len(idx), 8) and (out[:, :7] >= 0).all() and (out[:, :7] <= 1).all()
    flipped = y.copy()
    flipped[3] = 1 - flipped[3]
    again = nt.propagated_labels(r, flipped, prior, 0.05, leave_one_out=True)
    assert np.allclose(again[3], out[3], atol=1e-6)  # its own label changed, its row did not
    w = r[3].astype(float).copy()
    w[3] = 0.0
    assert np.allclose(out[3, :7], (w @ y + 0.05 * prior) / (w.sum() + 0.05), atol=1e-5)


def test_name_features(network):
    feats = name_feats.name_features()
    assert feats.shape == (1041, len(name_feats.NAME_FEATURES))
    col = {name: k for k, name in enumerate(name_feats.NAME_FEATURES)}
    row = feats[network.names.index("hsa-mir-21")]
    assert np.isclose(row[col["log_mirbase_number"]], np.log1p(21)) and row[col["copy_number"]] == 0
    row = feats[network.names.index("hsa-let-7a-2")]
    assert row[col["let_family"]] == 1 and row[col["letter_suffix"]] == 1 and row[col["copy_number"]] == 2
    assert np.allclose(feats[:, :4].sum(1), 1)  # exactly one mapping kind per name
    assert name_feats.parse_name("not-a-mirna") == [-1.0, 0.0, 0.0, 0.0]


def test_baselines_reproduce_the_committed_benchmark():
    """Study bias and name only, as estimators through ``cv.cross_validate``, give the stored numbers exactly."""
    folds = cv.gtmaloc_folds(901, 10, 42)
    for key, res in (("baseline_study_bias", baselines.study_bias_cv(folds)),
                     ("baseline_name_only", baselines.name_only_cv(folds))):
        stored = RESULTS["results"][key]
        assert (res["auc"], res["aupr"]) == (stored["auc"], stored["aupr"]), key
        assert res["per_class_auc"] == stored["per_class_auc"]


def test_name_only_baseline_is_a_real_shortcut():
    """The miRNA's name alone (mapping kind, miRBase number, suffixes) beats the study-bias score on the same
    folds; the benchmark reports it as a baseline."""
    folds = cv.gtmaloc_folds(901, 5, 42)
    res, bias = baselines.name_only_cv(folds), baselines.study_bias_cv(folds)
    assert bias["auc"] + 0.05 < res["auc"] < 0.95, (res, bias)


def test_fold_seed_offsets_the_estimator_seed(network):
    """``seed_param``: fold k is fitted with seed + k (so the same model with seed 0 on fold 1 = seed 1 on fold 0
    of a single-fold run with fold 1's split)."""
    x = name_feats.name_features()[network.labelled_index]
    y = network.labels[network.labelled_index]
    splits = cv.splits_from_folds(cv.gtmaloc_folds(len(y), 3, 42))
    run = cv.cross_validate(baselines.NameOnly(0), splits, x, y, seed_param="seed")
    alone = cv.cross_validate(baselines.NameOnly(1), splits[1:2], x, y)
    assert np.array_equal(run.outputs[1], alone.outputs[0])
    unseeded = cv.cross_validate(baselines.NameOnly(0), splits, x, y)
    assert not np.array_equal(run.outputs[1], unseeded.outputs[1])


def test_atlas_round_trip_and_manifest(tmp_path, monkeypatch, one_thread):
    out = tmp_path / "weights" / "network"
    atlas = rel.release(TINY, out, command="pytest", cache_dir=tmp_path / "cache")
    manifest = json.loads((out / "manifest.json").read_text())
    assert {"atlas.safetensors", "atlas.json", "model.safetensors", "model_card.md"} <= set(manifest["files"])
    assert manifest["command"] == "pytest" and manifest["data"] and "auc_10fold" in manifest["metrics"]
    assert f"mean AUC {manifest['metrics']['auc_10fold']:.4f}" in (out / "model_card.md").read_text()
    monkeypatch.setenv("MIRLOC_DATA", str(tmp_path / "no-data"))  # the atlas must not need the shared data
    loaded = load_atlas(tmp_path / "weights")
    assert loaded.names == atlas.names and len(loaded.names) == 1041
    assert np.allclose(loaded.probabilities, atlas.probabilities, atol=1e-6)
    assert np.array_equal(loaded.out_of_fold, loaded.labelled) and loaded.labelled.sum() == 901
    assert loaded.modalities == ("sequence", "disease", "drug", "mRNA")
    assert np.allclose(loaded.modality_attention.sum(1), 1, atol=1e-5)
    # calibration (issue 13): calibrated probabilities, the isotonic breakpoints in the manifest, base rates
    assert "calibration.json" in manifest["files"] and loaded.calibrated_probabilities.shape == (1041, 7)
    assert np.allclose(loaded.calibrated_probabilities, atlas.calibrated_probabilities, atol=1e-6)
    assert np.allclose(loaded.base_rates, loaded.labels[loaded.labelled].mean(0))
    assert loaded.metadata["name_features"] is False
    assert loaded.sequences[loaded.names.index("hsa-mir-21")].startswith("UGUCGGGUAGCUUAUCAGACUGAUG")
    # corruption and absence are reported as ArtifactError
    data = bytearray((out / "atlas.safetensors").read_bytes())
    data[-1] ^= 0xFF
    (out / "atlas.safetensors").write_bytes(bytes(data))
    with pytest.raises(artifacts.ArtifactError):
        load_atlas(tmp_path / "weights")
    with pytest.raises(artifacts.ArtifactError):
        load_atlas(tmp_path / "nothing")


def test_released_atlas_in_repository(atlas):
    assert len(atlas.names) == 1041 and atlas.probabilities.shape == (1041, 7)
    assert np.array_equal(atlas.out_of_fold, atlas.labelled)
    assert np.allclose(atlas.modality_attention.sum(1), 1, atol=1e-4)
    manifest = artifacts.verify_manifest(config.REPO_ROOT / "weights" / "network")
    assert manifest["metrics"]["auc_10fold"] == RESULTS["results"]["protocol_a_10fold"]["auc"]


def test_released_atlas_oof_is_protocol_a(atlas):
    """The atlas's out-of-fold probabilities, scored on protocol (a)'s folds, give the committed 10-fold numbers
    exactly (the release took them from that run)."""
    idx = np.flatnonzero(atlas.out_of_fold)
    y, prob = atlas.labels[idx], atlas.probabilities[idx]
    folds = cv.gtmaloc_folds(len(idx), 10, 42)
    summary = cv.per_fold_summary(cv.CVRun(cv.splits_from_folds(folds), [prob[t] for t in folds]), y)
    stored = RESULTS["results"]["protocol_a_10fold"]
    assert (summary["auc"], summary["aupr"]) == (stored["auc"], stored["aupr"])
    assert summary["per_class_auc"] == stored["per_class_auc"]
    assert summary["auc"] > STUDY_BIAS_AUC + 0.1
    # the released model is the grid's name-free cell
    grid = RESULTS["results"]["grid"]
    assert "-names" in grid["released"].split() and grid["cells"][grid["released"]]["auc"] == stored["auc"]
    assert atlas.metadata["name_features"] is False


def test_released_calibration_is_cross_fitted(atlas):
    """The atlas's calibrated probabilities of labelled rows are the cross-fitted Platt map of its out-of-fold
    probabilities (each fold through a map fitted on the other folds), which keeps the ranking within each fold,
    and the JSON's report is computed from them; the released calibrator reproduces the unlabelled rows."""
    from mirloc_core.training import calibration as cal

    idx = np.flatnonzero(atlas.out_of_fold)
    y, prob = atlas.labels[idx].astype(float), atlas.probabilities[idx]
    folds = cv.gtmaloc_folds(len(idx), 10, 42)
    assert np.allclose(atlas.calibrated_probabilities[idx], cal.cross_fitted(prob, y, folds), atol=1e-6)
    released = json.loads((config.REPO_ROOT / "weights" / "network" / "calibration.json").read_text())
    maps = [released["compartments"][c] for c in config.COMPARTMENTS]
    rest = np.flatnonzero(~atlas.out_of_fold)
    assert np.allclose(atlas.calibrated_probabilities[rest], cal.apply_calibrator(atlas.probabilities[rest], maps),
                       atol=1e-6)
    report = RESULTS["results"]["calibration"]
    for k, name in enumerate(config.COMPARTMENTS):
        assert np.isclose(report["compartments"][name]["ece_before"], cal.ece(prob[:, k], y[:, k]), atol=1e-5)
    assert np.allclose(atlas.base_rates, y.mean(0))
    assert report["mean"]["ece_after"] < report["mean"]["ece_before"]
    for test in folds:  # a strictly increasing map per fold and compartment: the ranking shown is the model's
        for k in range(7):
            raw, shown = prob[test, k].astype(float), atlas.calibrated_probabilities[idx][test, k].astype(float)
            if np.ptp(y[:, k]) > 0:
                same_order = np.sign(np.subtract.outer(raw, raw)) == np.sign(np.subtract.outer(shown, shown))
                assert np.all(same_order | (np.abs(np.subtract.outer(raw, raw)) < 1e-6)), (k, "ranking changed")
    # why Platt and not isotonic: lower Brier score and ECE on the same cross-fitted rows
    iso = report["comparison_isotonic_cross_fitted"]
    assert report["mean"]["brier_after"] < iso["brier"] and report["mean"]["ece_after"] < iso["ece"]


def test_calibration_metrics_and_cross_fitting():
    from mirloc_core.training import calibration as cal

    rng = np.random.RandomState(0)
    p = rng.uniform(size=4000)
    y = (rng.uniform(size=4000) < p).astype(float)
    assert cal.ece(p, y) < 0.03 and cal.ece(np.clip(p + 0.3, 0, 1), y) > 0.2  # calibrated vs shifted
    assert np.isclose(cal.brier(p, y), np.mean((p - y) ** 2))
    bp = cal.fit_isotonic(p ** 3, y)  # a monotone distortion is undone
    assert cal.ece(cal.apply_isotonic(p ** 3, bp), y) < 0.03
    logit = np.log(np.clip(p, 1e-6, 1 - 1e-6) / np.clip(1 - p, 1e-6, 1))
    squeezed = 1 / (1 + np.exp(-(0.4 * logit - 1.0)))  # a logit-linear distortion, which Platt scaling undoes
    assert cal.ece(squeezed, y) > 0.1
    params = cal.fit_platt(squeezed, y)
    assert np.isclose(params["a"], 2.5, rtol=0.15) and cal.ece(cal.apply_platt(squeezed, params), y) < 0.03
    assert cal.apply_calibrator(np.c_[squeezed], [params]).shape == (4000, 1)
    assert cal.fit_platt(p, np.ones(4000))["a"] == 0.0  # one label value: a constant map
    probs, labels = np.c_[p, p][:1000], np.c_[y, y][:1000]
    folds = cv.gtmaloc_folds(1000, 5, 42)
    out = cal.cross_fitted(probs, labels, folds)
    flipped = labels.copy()
    flipped[folds[0]] = 1 - flipped[folds[0]]  # fold 0's own labels never reach its calibrator
    assert np.array_equal(cal.cross_fitted(probs, flipped, folds)[folds[0]], out[folds[0]])


def test_released_configuration_uses_no_name_features():
    """Issue 13: name-derived features are an ablation only."""
    from mirloc_core.reports.network_grid import grid_cells

    cfg = nt.PipelineConfig()
    assert cfg.use_name_features is False and cfg.feature_config().use_name_features is False
    assert ni.NetworkFeatureConfig().use_name_features is False
    cells = grid_cells(cfg)
    assert len(cells) == 17 and cells[0][0] == "-names +conservation +graph_transformer +label_profiles"
    assert len({c[0] for c in cells}) == 17 and cells[-1][2].weights == (1.0, 0.0, 0.0, 0.0, 0.0, 0.0)
    grid = RESULTS["results"]["grid"]
    assert set(grid["cells"]) == {c[0] for c in cells}
    summary = json.loads((config.results_dir() / "summary.json").read_text())
    assert summary["network_auc_10fold_no_shortcuts"] == round(
        grid["cells"]["-names -conservation +graph_transformer +label_profiles"]["auc"], 4)
    assert summary["network_auc_10fold_no_names"] == round(RESULTS["headline"]["auc_10fold"], 4)


def test_released_network_model_leaves_out_the_entry_length(network):
    """The length of the miRBase entry a network name maps to is the naming (hairpin ~80 nt, mature ~22 nt): the
    released configuration's conservation block has the other-species and paralog counts only, the released
    model's metadata lists no length, and the grid cells with conservation were run with exactly these."""
    from dataclasses import replace

    from mirloc_core.features import conservation
    from mirloc_core.reports.network_grid import (LEGACY_KINDS, grid_cells, is_stale, member_settings,
                                                  previous_release_label)

    cfg = nt.PipelineConfig()
    assert "length" not in cfg.conservation_kinds and "log_length" in conservation.OWN_FEATURES
    own = conservation.OWN_FEATURES
    assert [own[i] for i in conservation.own_columns(("length",))] == ["log_length"]
    assert len(conservation.own_columns(("species",))) == 12 and len(conservation.own_columns(("paralogs",))) == 6
    with pytest.raises(ValueError):
        conservation.own_columns(("names",))
    full = ni.sequence_conservation()
    block = ni.sequence_conservation(kinds=cfg.conservation_kinds)
    assert np.array_equal(block, full[:, conservation.own_columns(cfg.conservation_kinds)]) and block.shape[1] == 18
    meta = artifacts.load_tensors(config.REPO_ROOT / "weights" / "network" / "model.safetensors")[1]
    assert "log_length" not in meta["conservation_features"] and len(meta["conservation_features"]) == 18
    grid = RESULTS["results"]["grid"]
    for key, _, cell_cfg in grid_cells(cfg):
        assert not is_stale(grid["cells"][key], cell_cfg), key
    bare = replace(cfg, use_conservation_features=False)
    members = member_settings(cfg)
    assert is_stale({"conservation": True, "member_settings": members}, cfg)
    assert not is_stale({"conservation": False, "member_settings": members}, bare)
    assert is_stale({"conservation": True, "conservation_kinds": LEGACY_KINDS, "member_settings": members}, cfg)
    assert RESULTS["results"]["protocol_d_repeats"]["conservation_kinds"] == list(cfg.conservation_kinds)
    previous = RESULTS["results"]["protocol_d_repeats_previous_release"]
    assert previous["label"] == previous_release_label(previous)
    assert previous_release_label({"conservation_kinds": ["species"]}).startswith(
        "previous name-free release, conservation features: species; member weights 1/1/2/2/1/2")


def test_grid_results_record_the_member_settings_they_ran_with():
    """A change of the ensemble (member weights, the token forest's split criterion) makes every stored cell and
    repeat stale; the stored grid and repeats were all run with the released settings."""
    from dataclasses import replace

    from mirloc_core.reports.network_grid import LEGACY_MEMBERS, grid_cells, is_stale, member_settings

    cfg = nt.PipelineConfig()
    current = {"conservation_kinds": list(cfg.conservation_kinds), "member_settings": member_settings(cfg)}
    assert not is_stale(current, cfg)
    assert is_stale({"conservation_kinds": list(cfg.conservation_kinds)}, cfg)  # recorded nothing: the legacy ones
    assert LEGACY_MEMBERS != member_settings(cfg)
    assert is_stale(current, replace(cfg, tree_criterion="gini"))
    assert is_stale(current, replace(cfg, weights=(1.0, 1.0, 2.0, 2.0, 1.0, 2.0)))
    res = RESULTS["results"]
    for key, _, cell_cfg in grid_cells(cfg):
        assert res["grid"]["cells"][key]["member_settings"] == member_settings(cell_cfg), key
    assert res["protocol_d_repeats"]["member_settings"] == member_settings(cfg)


def test_paralog_breakdown_is_reported():
    """What the paralog counts carry (issue 13's annotation artefact) is measured and rendered: the ablations
    without paralog counts, without other-species counts and with the entry length ran with the released
    configuration, and the docs and model card show their figures."""
    from mirloc_core.reports import network_docs

    res = RESULTS["results"]
    abl = res["protocol_e_ablations"]
    for name in ("without_paralog_features", "without_species_conservation", "with_entry_length"):
        assert abl[name]["configuration"] == network_docs.RELEASED and "per_class_auc" in abl[name]
    p = res["paralog_labels"]
    assert p["n_with"] + p["n_without"] == 901 and p["rates_with"]["Exosome"] < p["rates_without"]["Exosome"]
    text = "\n".join(network_docs.conservation_table(res))
    assert f"{abl['without_paralog_features']['per_class_auc']['Exosome']:.3f}" in text
    card = (config.REPO_ROOT / "weights" / "network" / "model_card.md").read_text()
    assert f"without the human-paralog counts {abl['without_paralog_features']['auc']:.4f}" in card


def test_atlas_without_calibration_still_loads(atlas, tmp_path):
    """Atlases released before issue 13 (no calibrated probabilities, no base rates) load unchanged."""
    import dataclasses

    old = dataclasses.replace(atlas, calibrated_probabilities=None, metadata={"threshold_T": 0.8})
    rel.save_atlas(old, tmp_path / "network")
    artifacts.write_manifest(tmp_path / "network", "network", command="pytest")
    loaded = load_atlas(tmp_path / "network")
    assert loaded.calibrated_probabilities is None
    assert np.allclose(loaded.base_rates, atlas.labels[atlas.labelled].mean(0))


def test_known_mirnas_get_their_compartments_back(atlas):
    """Well-studied miRNAs: out of fold, their two top-ranked compartments are labelled ones, and their labelled
    compartments score well above the others; over all labelled miRNAs the top compartment is a labelled one
    more often than the most frequent compartment is."""
    for name in ("hsa-mir-29b-1", "hsa-let-7a-1", "hsa-mir-122", "hsa-mir-155"):
        i = atlas.names.index(name)
        assert atlas.out_of_fold[i]
        labels, prob = atlas.labels[i].astype(bool), atlas.probabilities[i]
        assert labels[np.argsort(-prob)[:2]].all(), (name, labels, prob)
        assert prob[labels].mean() > prob[~labels].mean() + 0.3, (name, labels, prob)
    idx = np.flatnonzero(atlas.out_of_fold)
    labels, prob = atlas.labels[idx], atlas.probabilities[idx]
    top_hit = labels[np.arange(len(idx)), prob.argmax(1)].mean()
    prior_hit = labels[:, labels.mean(0).argmax()].mean()
    assert top_hit > prior_hit and top_hit > 0.9, (top_hit, prior_hit)


def test_model_card_is_rendered_from_the_metrics(atlas):
    """The released model card is exactly the template filled with the manifest's metrics and the atlas's
    choices (no figure typed by hand)."""
    manifest = json.loads((config.REPO_ROOT / "weights" / "network" / "manifest.json").read_text())
    cfg_fields = {f.name for f in __import__("dataclasses").fields(nt.PipelineConfig)}
    cfg = nt.PipelineConfig(**{k: tuple(v) if isinstance(v, list) else v for k, v in manifest["config"].items()
                               if k in cfg_fields})
    res = RESULTS["results"]
    text = rel.model_card(manifest["metrics"], atlas.metadata["threshold_T"], atlas.metadata["logistic_C"],
                          tuple(manifest["config"]["weights"]), len(atlas.names), int(atlas.labelled.sum()),
                          atlas.modalities, rel.RELEASE_FOLDS, manifest["config"]["seed"], cfg=cfg, grid=res["grid"],
                          calibration=res["calibration"], base_rates=atlas.metadata["base_rates"],
                          repeats=res.get("protocol_d_repeats"), reference=RESULTS["reference"],
                          ablations=res["protocol_e_ablations"])
    released = (config.REPO_ROOT / "weights" / "network" / "model_card.md").read_text()
    assert text == released
    stored = res["protocol_a_10fold"]
    assert f"mean AUC {stored['auc']:.4f}, AUPR {stored['aupr']:.4f}" in text and "No name-derived features" in text
    assert "Graph transformer: AUC" in text and "Calibration (Platt scaling" in text


def test_docs_section_is_rendered_from_the_json():
    from mirloc_core.reports import network_docs

    docs = (config.REPO_ROOT / "docs" / "benchmarks.md").read_text()
    section = docs.split("<!-- network:start -->\n", 1)[1].split("\n<!-- network:end -->", 1)[0]
    assert network_docs.render(RESULTS) == section.rstrip()


def test_only_results_rerun_with_the_released_configuration_lose_the_previous_release_label():
    import copy

    from mirloc_core.reports import network_docs

    payload = copy.deepcopy(RESULTS)
    assert "grid" in payload["results"]  # the released configuration is name-free
    homology = payload["results"]["protocol_f_homology"]

    def label() -> str:
        return [row for row, _ in network_docs.result_rows(payload) if row.startswith("(f)")][0]

    homology.pop("configuration", None)
    assert label() == "(f) homology-aware folds" + network_docs.WITH_NAMES
    homology["configuration"] = network_docs.RELEASED
    assert label() == "(f) homology-aware folds"


def test_sequence_conservation_features(network):
    from mirloc_core.features import conservation
    from mirloc_core.io.data import map_names_to_sequences

    feats = ni.sequence_conservation()
    assert feats.shape == (1041, len(conservation.OWN_FEATURES))
    missing = (map_names_to_sequences()["sequence"].fillna("") == "").to_numpy()
    assert missing.any() and np.all(feats[missing] == 0)  # names without a miRBase sequence
    species = conservation.shared_species(feats)
    assert species[network.names.index("hsa-let-7a-1")] > 50  # let-7 is in most animal species of miRBase
    assert conservation.human_paralogs(feats)[network.names.index("hsa-let-7a-1")] >= 2


def test_calibration_only_rewrites_the_calibration_and_keeps_the_model(tmp_path):
    """``train network --calibration-only`` on a copy of the release: model and probabilities byte-identical or
    equal, the calibration equal to the released one (both from the stored network_cv.json), the manifest verifies
    and records the command; a kept file that is not the released one is refused."""
    import shutil

    from mirloc_core.io.artifacts import ArtifactError, verify_manifest
    from mirloc_core.training import release as rel

    released = config.REPO_ROOT / "weights" / "network"
    out = tmp_path / "weights" / "network"
    shutil.copytree(released, out)
    (out / rel.CALIBRATION_FILE).write_text("{}")
    assert rel.cli_train(["--calibration-only", "--out", str(out)]) == 0
    manifest = verify_manifest(out)
    before = json.loads((released / "manifest.json").read_text())["command"]
    assert manifest["command"].startswith(before + " && ")  # this command appended to the release's
    assert (out / rel.MODEL_FILE).read_bytes() == (released / rel.MODEL_FILE).read_bytes()
    assert json.loads((out / rel.CALIBRATION_FILE).read_text()) == \
        json.loads((released / rel.CALIBRATION_FILE).read_text())
    copy, original = load_atlas(out.parent), load_atlas(config.REPO_ROOT / "weights")
    assert np.array_equal(copy.probabilities, original.probabilities)
    assert np.array_equal(copy.calibrated_probabilities, original.calibrated_probabilities)
    assert (out / "model_card.md").read_text() == (released / "model_card.md").read_text()
    (out / rel.MODEL_FILE).write_bytes(b"not the released model")
    with pytest.raises(ArtifactError, match="does not match"):
        rel.cli_train(["--calibration-only", "--out", str(out)])
