"""Network-model training: a tiny CV on real data end to end, folds, and the atlas round trip."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from mirloc_core.io import artifacts
from mirloc_core import config
from mirloc_core.training import network as nt
from mirloc_core.pretrained import load_atlas

TINY = nt.PipelineConfig(features="published", thresholds=(0.8,), gt_epochs=3, gt_dim=32, gt_layers=1,
                         fusion_epochs=15, lr_grid=(0.01,), inner_folds=2, trees=20, boosting_iterations=20)


@pytest.fixture()
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def test_folds_follow_gtmaloc_protocol():
    folds = nt.fold_indices(901, 10, 42)
    assert [len(f) for f in folds] == [91] * 1 + [90] * 9
    assert np.array_equal(np.sort(np.concatenate(folds)), np.arange(901))
    perm = np.random.RandomState(42).permutation(901)
    assert set(folds[0]) == set(perm[:91])


def test_homology_folds_keep_groups_together(network):
    from mirloc_core.features.networks import sequence_similarity

    groups = nt.homology_groups(network.names, sequence_similarity())
    assert nt.family_key("hsa-let-7a-1") == nt.family_key("hsa-let-7") == "hsa-let-7"
    assert nt.family_key("hsa-mir-10b") == "hsa-mir-10" != nt.family_key("hsa-mir-1-1")
    lab = groups[network.labelled_index]
    folds = nt.group_fold_indices(lab, 10, 42)
    fold_of = np.empty(len(lab), int)
    for k, f in enumerate(folds):
        fold_of[f] = k
    for g in np.unique(lab):
        assert len(np.unique(fold_of[lab == g])) == 1
    assert np.array_equal(np.sort(np.concatenate(folds)), np.arange(len(lab)))


def test_tiny_cv_end_to_end(network, tmp_path, monkeypatch, one_thread):
    monkeypatch.setenv("MIRLOC_CACHE", str(tmp_path))
    sets = nt.feature_sets(TINY)
    idx = network.labelled_index[:240]
    y = network.labels[idx].astype(float)
    res = nt.cross_validate(nt.labelled_sets(sets, idx), y, nt.fold_indices(len(idx), 3, 42), TINY)
    assert res["oof"].shape == (240, 7) and ((res["oof"] >= 0) & (res["oof"] <= 1)).all()
    assert np.allclose(res["attention"].sum(1), 1, atol=1e-5)
    assert res["auc"] > 0.7, res  # study bias alone is ≈ 0.77 on all rows
    assert all(c["T"] == 0.8 for c in res["chosen"])
    assert set(res["members"]) == set(nt.MEMBERS)
    # folds fitted in two worker processes give the same result (up to float round-off)
    par = nt.cross_validate(nt.labelled_sets(sets, idx), y, nt.fold_indices(len(idx), 3, 42), TINY, jobs=2)
    assert np.abs(par["oof"] - res["oof"]).max() < 1e-4, np.abs(par["oof"] - res["oof"]).max()  # BLAS threads differ


def test_label_profiles_leave_one_out(network):
    """A training miRNA's label profile never sees its own labels, and equals the definition computed by hand."""
    idx = network.labelled_index[:300]
    assoc, y = network.disease[idx].astype(float), network.labels[idx].astype(float)
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
    no_links = int(np.flatnonzero(assoc.sum(1) == 0)[0]) if (assoc.sum(1) == 0).any() else None
    if no_links is not None:
        assert np.allclose(own[no_links], prior)


def test_name_features(network):
    feats = nt.name_features()
    assert feats.shape == (1041, len(nt.NAME_FEATURES))
    col = {name: k for k, name in enumerate(nt.NAME_FEATURES)}
    row = feats[network.names.index("hsa-mir-21")]
    assert np.isclose(row[col["log_mirbase_number"]], np.log1p(21)) and row[col["copy_number"]] == 0
    row = feats[network.names.index("hsa-let-7a-2")]
    assert row[col["let_family"]] == 1 and row[col["letter_suffix"]] == 1 and row[col["copy_number"]] == 2
    assert np.allclose(feats[:, :4].sum(1), 1)  # exactly one mapping kind per name


def test_atlas_round_trip_and_manifest(tmp_path, monkeypatch, one_thread):
    monkeypatch.setenv("MIRLOC_CACHE", str(tmp_path / "cache"))
    out = tmp_path / "weights" / "network"
    atlas = nt.release(TINY, out, command="pytest")
    manifest = json.loads((out / "manifest.json").read_text())
    assert {"atlas.safetensors", "atlas.json", "model.safetensors", "model_card.md"} <= set(manifest["files"])
    assert manifest["command"] == "pytest" and manifest["data"] and "auc_10fold" in manifest["metrics"]
    monkeypatch.setenv("MIRLOC_DATA", str(tmp_path / "no-data"))  # the atlas must not need the shared data
    loaded = load_atlas(tmp_path / "weights")
    assert loaded.names == atlas.names and len(loaded.names) == 1041
    assert np.allclose(loaded.probabilities, atlas.probabilities, atol=1e-6)
    assert np.array_equal(loaded.out_of_fold, loaded.labelled) and loaded.labelled.sum() == 901
    assert loaded.modalities == ("sequence", "disease", "drug", "mRNA")
    assert np.allclose(loaded.modality_attention.sum(1), 1, atol=1e-5)
    assert loaded.sequences[loaded.names.index("hsa-mir-21")].startswith("UGUCGGGUAGCUUAUCAGACUGAUG")
    # corruption and absence are reported as ArtifactError
    data = bytearray((out / "atlas.safetensors").read_bytes())
    data[-1] ^= 0xFF
    (out / "atlas.safetensors").write_bytes(bytes(data))
    with pytest.raises(artifacts.ArtifactError):
        load_atlas(tmp_path / "weights")
    with pytest.raises(artifacts.ArtifactError):
        load_atlas(tmp_path / "nothing")


def test_released_atlas_in_repository():
    atlas = load_atlas(config.REPO_ROOT / "weights")
    assert len(atlas.names) == 1041 and atlas.probabilities.shape == (1041, 7)
    assert np.array_equal(atlas.out_of_fold, atlas.labelled)
    assert np.allclose(atlas.modality_attention.sum(1), 1, atol=1e-4)
    manifest = artifacts.verify_manifest(config.REPO_ROOT / "weights" / "network")
    assert manifest["metrics"]["auc_10fold"] > 0.9


def test_name_only_baseline_is_a_real_shortcut():
    """The miRNA's name alone (mapping kind, miRBase number, suffixes) predicts the labels well above chance;
    the benchmark reports it as a baseline next to the study-bias score."""
    res = nt.name_only_cv(nt.fold_indices(901, 5, 42))
    assert 0.75 < res["auc"] < 0.95, res


def test_sequence_conservation_features(network):
    from mirloc_core.features import conservation
    from mirloc_core.io.data import map_names_to_sequences

    feats = nt.sequence_conservation()
    assert feats.shape == (1041, len(conservation.FEATURES))
    missing = (map_names_to_sequences()["sequence"].fillna("") == "").to_numpy()
    assert missing.any() and np.all(feats[missing] == 0)  # names without a miRBase sequence
    species = conservation.shared_species(feats)
    assert species[network.names.index("hsa-let-7a-1")] > 50  # let-7 is in most animal species of miRBase
    assert conservation.human_paralogs(feats)[network.names.index("hsa-let-7a-1")] >= 2
