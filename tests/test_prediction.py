"""The predictor: contract of the result, determinism, CSV writer, missing data or weights."""

from __future__ import annotations

import io
import shutil

import numpy as np
import pandas as pd
import pytest

from mirloc_core.io.artifacts import ArtifactError
from mirloc_core.config import COMPARTMENTS
from mirloc_core.predict import Predictor
from mirloc_core.results import CSV_COLUMNS, PredictionResult, write_csv
from mirloc_core.io.fasta import SequenceRecord, to_fasta


@pytest.fixture(scope="module")
def predictor():
    return Predictor.load(device="cpu")


@pytest.fixture(scope="module")
def ten(shared_data):
    from mirloc_core.io import data

    matures = data.load_mirbase("mature", "hsa")
    hairpins = data.load_mirbase("hairpin", "hsa")
    pairs = list(matures.items())[100:106] + list(hairpins.items())[200:204]
    return [SequenceRecord(n, n, s) for n, s in pairs]


def test_result_follows_the_contract(predictor, ten):
    result = predictor.predict(ten)
    assert isinstance(result, PredictionResult)
    table = result.table
    assert list(table.columns) == CSV_COLUMNS
    assert table["id"].tolist() == [r.id for r in ten]
    assert table["length"].tolist() == [len(r.sequence) for r in ten]
    probs = table[[c for c in CSV_COLUMNS if c.startswith("p_")]].to_numpy(dtype=float)
    assert np.all((probs >= 0) & (probs <= 1))
    np.testing.assert_allclose(table["p_extracellular"] + table["p_intracellular"], 1.0)
    assert set(table["call"]) <= {"extracellular", "intracellular"}
    assert list(result.sequence_probabilities.columns) == list(COMPARTMENTS)
    assert list(result.sequence_probabilities.index) == [r.id for r in ten]
    for rec in ten:
        for att in (result.attention[rec.id], result.attention_7comp[rec.id]):
            assert att.shape == (len(rec.sequence),)
            assert att.sum() == pytest.approx(1.0, abs=1e-9)
        near = result.nearest[rec.id]
        assert list(near.columns) == ["name", "similarity"] and len(near) == 5
        assert near["similarity"].is_monotonic_decreasing
    assert result.provenance["device"] == "cpu"
    assert len(result.provenance["sequence_manifest_sha256"]) == 64


def test_length_drives_the_binary_call(predictor, ten):
    table = predictor.predict(ten).table
    short = table["length"] <= 30
    # mature miRNAs (≤30 nt) are mostly extracellular in train.tsv, precursors mostly intracellular
    assert table.loc[short, "p_intracellular"].mean() < table.loc[~short, "p_intracellular"].mean()


def test_same_input_gives_bit_identical_output_whatever_the_batch(predictor, ten):
    together = predictor.predict(ten)
    again = predictor.predict(ten)
    pd.testing.assert_frame_equal(together.table, again.table)
    shuffled = predictor.predict(list(reversed(ten)), batch_size=3)
    for i, rec in enumerate(ten):
        alone = predictor.predict([rec])
        pd.testing.assert_frame_equal(alone.table.reset_index(drop=True),
                                      together.table.iloc[[i]].reset_index(drop=True), check_exact=True)
        row = shuffled.table.set_index("id").loc[rec.id]
        assert row["p_intracellular"] == together.table.iloc[i]["p_intracellular"]
        assert np.array_equal(alone.attention[rec.id], together.attention[rec.id])
        assert np.array_equal(alone.attention_7comp[rec.id], together.attention_7comp[rec.id])


def test_alignment_threads_do_not_change_the_lookup(predictor, shared_data):
    """With several threads the SW chunks run concurrently (the kernel releases the GIL): same results, in order."""
    from mirloc_core.io.data import load_mirbase

    seqs = list(load_mirbase("mature", None, shared_data).values())[:300]  # two chunks of the lookup
    one = predictor._lookup(seqs)
    predictor.threads = 2
    try:
        two = predictor._lookup(seqs)
    finally:
        predictor.threads = 1
    assert one[1] == two[1] and one[3] == two[3]
    for seq in set(seqs):
        pd.testing.assert_frame_equal(one[0][seq], two[0][seq], check_exact=True)
        assert np.array_equal(one[2][seq], two[2][seq])


def test_one_alignment_pass_serves_nearest_known_and_knn_blend(predictor, ten, monkeypatch):
    from mirloc_core.features import alignment
    from mirloc_core.features.alignment import knn_transfer

    seqs = [r.sequence for r in ten]
    sims = alignment.sw_similarity(seqs, predictor.ref_sequences)
    assert predictor.knn_reference is not None  # released with the sequence weights
    ref_seqs, labels, k, _ = predictor.knn_reference
    expected_knn = knn_transfer(alignment.sw_similarity(seqs, ref_seqs), labels, k)
    calls = []
    original = alignment.sw_scores
    monkeypatch.setattr(alignment, "sw_scores", lambda q, t: calls.append((len(q), len(t))) or original(q, t))
    result = predictor.predict(ten)
    distinct_refs = set(predictor.ref_sequences) | set(ref_seqs)
    # one pass against the known and kNN references together (the domain check aligns to miRBase candidates apart)
    assert [c for c in calls if c[1] == len(distinct_refs)] == [(len(set(seqs)), len(distinct_refs))]
    for row, rec in enumerate(ten):  # as when each reference set is aligned on its own
        order = np.lexsort((np.arange(sims.shape[1]), -sims[row]))[:5]
        assert result.nearest[rec.id]["similarity"].tolist() == sims[row, order].tolist()
    transfer = predictor._lookup(seqs, nearest=False)[2]
    np.testing.assert_array_equal(np.stack([transfer[s] for s in seqs]), expected_knn)


def test_fasta_text_input_and_sequence_only(predictor, ten):
    result = predictor.predict(to_fasta(ten[:2]) + to_fasta(ten[:1]), sequence_only=True)
    assert result.table["id"].tolist() == [ten[0].id, ten[1].id, ten[0].id + "_2"]
    assert any("renamed" in n for n in result.notices)
    assert result.network == {}
    assert result.provenance["network_lookup"] is False
    assert set(result.table["source"]) == {"sequence model"}
    np.testing.assert_array_equal(result.table[[f"p_{k}" for k in ("cytoplasm", "exosome")]].to_numpy(),
                                  result.sequence_probabilities.iloc[:, :2].to_numpy())


def test_network_lookup_uses_the_released_atlas(predictor, name_map):
    assert predictor.atlas is not None  # the network weights are released with the repository
    row = name_map.set_index("name", drop=False).loc["hsa-mir-21"]
    result = predictor.predict([SequenceRecord("q", "q", row["sequence"])])
    match = result["q"].network
    assert match.name == row["name"] and match.similarity >= 0.95 and match.probabilities.shape == (7,)
    assert result.table.loc[0, "source"].startswith("network model")
    assert result.table.loc[0, "nearest_similarity"] == pytest.approx(1.0)


def test_without_network_weights_the_page_is_told(tmp_path, name_map):
    from mirloc_core.config import weights_dir

    for part in ("lm", "sequence"):
        shutil.copytree(weights_dir() / part, tmp_path / part)
    predictor = Predictor.load(tmp_path, device="cpu")
    assert predictor.atlas is None
    row = name_map.set_index("name", drop=False).loc["hsa-mir-21"]
    result = predictor.predict([SequenceRecord("q", "q", row["sequence"])])
    assert any("network weights not found" in n for n in result.notices)
    assert result.network == {} and result["q"].network is None
    assert result.table.loc[0, "source"] == "sequence model"
    assert result.table.loc[0, "known_mirna"] == row["name"]  # still recognised, from the shared data


def test_mature_miRNA_is_matched_to_its_network_precursor(predictor, shared_data):
    from mirloc_core.io import data

    mature = data.load_mirbase("mature", "hsa")["hsa-miR-21-5p"]
    shuffled = "".join(sorted(mature))  # same composition, no containment
    result = predictor.predict([SequenceRecord("m21", "m21", mature), SequenceRecord("x", "x", shuffled)])
    assert result.table.loc[0, "known_mirna"] == "hsa-mir-21"
    assert result.table.loc[1, "known_mirna"] == ""
    match = result["m21"].network
    assert match.name == "hsa-mir-21" and match.relation == "contained in" and match.similarity < 0.95
    assert result.table.loc[0, "source"].startswith("network model")
    assert result["x"].network is None


def test_write_csv_exact_columns_and_injection_neutralised(predictor, ten):
    result = predictor.predict([SequenceRecord("=HYPERLINK(\"x\")", "d", ten[0].sequence),
                                SequenceRecord("@cmd", "d", ten[1].sequence)], sequence_only=True)
    text = write_csv(result)
    frame = pd.read_csv(io.StringIO(text), keep_default_na=False)
    assert list(frame.columns) == CSV_COLUMNS
    assert frame["id"].tolist() == ["'=HYPERLINK(\"x\")", "'@cmd"]
    for prefix in ("=", "+", "-", "@"):
        assert not any(str(v).startswith(prefix) for v in frame.to_numpy().ravel() if isinstance(v, str))
    buffer = io.StringIO()
    assert write_csv(result.table, buffer) is None
    assert buffer.getvalue() == text


def test_works_without_shared_data(tmp_path, monkeypatch, ten):
    monkeypatch.setenv("MIRLOC_DATA", str(tmp_path / "empty"))
    (tmp_path / "empty").mkdir()
    pred = Predictor.load(device="cpu")
    result = pred.predict(ten[:2])
    assert len(result.table) == 2
    assert pred.conservation is not None  # released; its features need miRBase: off, and said so
    assert result.provenance["sevencomp_conservation_weight"] == 0.0
    assert any("conservation features are off" in n for n in result.notices)
    assert result.conservation == {}
    assert set(result.table["source"]) <= {"sequence model (without conservation)", "network model",
                                           "network model (out-of-fold)"}
    assert pred.ref_source == "network atlas" and len(result.nearest[ten[0].id]) == 5  # the atlas needs no data


def test_without_data_or_atlas_no_nearest_miRNAs_are_claimed(tmp_path, monkeypatch, ten):
    from mirloc_core.config import weights_dir

    monkeypatch.setenv("MIRLOC_DATA", str(tmp_path / "empty"))
    (tmp_path / "empty").mkdir()
    for part in ("lm", "sequence"):
        shutil.copytree(weights_dir() / part, tmp_path / "weights" / part)
    result = Predictor.load(tmp_path / "weights", device="cpu").predict(ten[:2])
    assert all(len(f) == 0 for f in result.nearest.values())
    assert any("no known miRNAs available" in n for n in result.notices)
    assert result.table["nearest_known_mirna"].tolist() == ["", ""]


def test_corrupt_or_missing_weights_raise(tmp_path):
    from mirloc_core.config import weights_dir

    shutil.copytree(weights_dir() / "sequence", tmp_path / "sequence")
    shutil.copytree(weights_dir() / "lm", tmp_path / "lm")
    Predictor.load(tmp_path, device="cpu")
    target = tmp_path / "sequence" / "binary.safetensors"
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0xFF
    target.write_bytes(bytes(data))
    with pytest.raises(ArtifactError, match="does not match its sha256"):
        Predictor.load(tmp_path, device="cpu")
    shutil.rmtree(tmp_path / "lm")
    with pytest.raises(ArtifactError, match="missing"):
        Predictor.load(tmp_path, device="cpu")


def test_knn_blend_reference_is_used_when_released(tmp_path, ten):
    import json

    from mirloc_core.io.artifacts import write_manifest
    from mirloc_core.config import weights_dir
    from mirloc_core.features.conservation import HEAD_FILE
    from mirloc_core.pretrained import KNN_REFERENCE_FILE

    from mirloc_core.pretrained import CALIBRATION_FILE

    shutil.copytree(weights_dir() / "sequence", tmp_path / "sequence")
    shutil.copytree(weights_dir() / "lm", tmp_path / "lm")
    (tmp_path / "sequence" / CALIBRATION_FILE).unlink()  # the blend is checked before calibration
    (tmp_path / "sequence" / KNN_REFERENCE_FILE).unlink(missing_ok=True)
    (tmp_path / "sequence" / HEAD_FILE).unlink(missing_ok=True)
    write_manifest(tmp_path / "sequence", "test", command="test")
    plain = Predictor.load(tmp_path, device="cpu").predict(ten[:2], sequence_only=True)
    labels = [[1, 0, 0, 0, 0, 0, 1], [0, 1, 1, 1, 1, 1, 0]]
    (tmp_path / "sequence" / KNN_REFERENCE_FILE).write_text(json.dumps(
        {"k": 1, "weight": 0.5, "sequences": [ten[0].sequence, ten[1].sequence], "labels": labels}))
    write_manifest(tmp_path / "sequence", "test", command="test")
    blended = Predictor.load(tmp_path, device="cpu").predict(ten[:2], sequence_only=True)
    cols = [c for c in CSV_COLUMNS if c.startswith("p_")][2:]
    expected = (0.5 * plain.table[cols].to_numpy() + 0.5 * np.array(labels)).astype(np.float32)
    np.testing.assert_allclose(blended.table[cols].to_numpy(), expected, rtol=1e-6)
    pd.testing.assert_series_equal(blended.table["p_intracellular"], plain.table["p_intracellular"])


def test_conservation_head_is_blended_when_released(tmp_path, ten):
    from mirloc_core.features import conservation
    from mirloc_core.io.artifacts import save_tensors, write_manifest
    from mirloc_core.config import weights_dir

    from mirloc_core.pretrained import CALIBRATION_FILE

    shutil.copytree(weights_dir() / "sequence", tmp_path / "sequence")
    shutil.copytree(weights_dir() / "lm", tmp_path / "lm")
    (tmp_path / "sequence" / CALIBRATION_FILE).unlink()  # the blend is checked before calibration
    (tmp_path / "sequence" / conservation.HEAD_FILE).unlink(missing_ok=True)
    write_manifest(tmp_path / "sequence", "test", command="test")
    plain = Predictor.load(tmp_path, device="cpu").predict(ten[:3], sequence_only=True)
    assert plain.provenance["sevencomp_conservation_weight"] == 0.0
    # a head that ignores the features and says 0.9 everywhere: the blend is then plain·(1-w) + 0.9·w
    n = len(conservation.FEATURES)
    head = {"mean": np.zeros(n, np.float32), "std": np.ones(n, np.float32), "coef": np.zeros((7, n), np.float32),
            "intercept": np.full(7, np.log(9.0), np.float32)}
    save_tensors(tmp_path / "sequence" / conservation.HEAD_FILE, head, {"weight": 0.25})
    write_manifest(tmp_path / "sequence", "test", command="test")
    with pytest.raises(ArtifactError, match="other conservation features"):  # stale head: no feature names
        Predictor.load(tmp_path, device="cpu")
    save_tensors(tmp_path / "sequence" / conservation.HEAD_FILE, head,
                 {"weight": 0.25, "features": list(conservation.FEATURES)})
    write_manifest(tmp_path / "sequence", "test", command="test")
    blended = Predictor.load(tmp_path, device="cpu").predict(ten[:3], sequence_only=True)
    assert blended.provenance["sevencomp_conservation_weight"] == 0.25
    cols = [c for c in CSV_COLUMNS if c.startswith("p_")][2:]
    np.testing.assert_allclose(blended.table[cols].to_numpy(), 0.75 * plain.table[cols].to_numpy() + 0.25 * 0.9,
                               rtol=1e-5)
    assert set(blended.table["source"]) == {"sequence model"}


def test_released_predictor_uses_conservation(predictor, ten):
    result = predictor.predict(ten[:2], sequence_only=True)
    assert predictor.conservation is not None
    assert result.provenance["sevencomp_conservation_weight"] == predictor.conservation[1] > 0
    assert set(result.conservation) == {r.id for r in ten[:2]}
    assert all(isinstance(n, int) and 0 <= n <= 271 for n in result.conservation.values())
    assert set(result.paralogs) == set(result.conservation)
    assert all(isinstance(n, int) and n >= 0 for n in result.paralogs.values())


def test_the_threads_setting_reaches_prediction(monkeypatch, ten):
    import torch

    from mirloc_core.config import Settings

    predictor = Predictor.load(device="cpu", settings=Settings.from_env(threads=2))
    seen = []
    original = predictor.binary.predict

    def spy(*args, **kwargs):
        seen.append(torch.get_num_threads())
        return original(*args, **kwargs)

    monkeypatch.setattr(predictor.binary, "predict", spy)
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        result = predictor.predict(ten[:1], sequence_only=True)
        assert seen == [2] and torch.get_num_threads() == 1  # used while predicting, restored afterwards
    finally:
        torch.set_num_threads(before)
    assert result.provenance["torch_threads"] == 2
    assert Predictor.load(device="cpu", settings=Settings.from_env()).threads == 1  # the app's default


def test_a_result_is_one_record_per_sequence(predictor, ten):
    result = predictor.predict(ten[:3])
    assert [p.id for p in result] == [r.id for r in ten[:3]] and len(result) == 3
    one = result[ten[1].id]
    assert one.record is ten[1] and one.sequence == ten[1].sequence
    assert one.to_row() == result.table.iloc[1].tolist()
    assert len(one.attention) == len(one.attention_7comp) == len(one.sequence)
    assert one.call == ("intracellular" if one.p_intracellular >= 0.5 else "extracellular")


def test_the_matched_known_miRNA_comes_first_wherever_nearest_is_shown(predictor, shared_data):
    from mirloc_core.io import data

    mature = data.load_mirbase("mature", "hsa")["hsa-miR-122-5p"]
    result = predictor.predict([SequenceRecord("m122", "", mature)])
    one = result["m122"]
    assert one.known_mirna == "hsa-mir-122" and one.network.relation == "contained in"
    assert one.nearest["name"].iloc[0] == "hsa-mir-122"  # although hsa-mir-514a is more similar by Eq. 1
    assert result.table.loc[0, "nearest_known_mirna"] == "hsa-mir-122"
    assert one.nearest["name"].tolist().count("hsa-mir-122") == 1 and len(one.nearest) == 5


def test_a_precursor_copy_maps_to_its_own_labelled_node_not_the_family(predictor, shared_data):
    from mirloc_core.io import data

    hairpin = data.load_mirbase("hairpin", "hsa")["hsa-let-7a-1"]  # also the sequence of the family node hsa-let-7
    match = predictor.predict([SequenceRecord("h", "", hairpin)])["h"].network
    assert match.name == "hsa-let-7a-1" and match.labels is not None and match.labels.any()
    assert "hsa-let-7" in match.also_matches and match.relation == "near-identical"


def test_one_rule_for_display_lists_and_csv():
    from mirloc_core.config import is_called

    assert is_called(0.4996) and is_called(0.5) and not is_called(0.494)  # as the bar's two-decimal label reads


def test_the_csv_says_what_the_page_says(predictor):
    from mirloc_core.io.submission import example_fasta

    full = predictor.predict(example_fasta()).table
    hairpin = full[full["id"] == "hsa-mir-21"].iloc[0]
    assert hairpin["source"].startswith("network model") and hairpin["known_labels"]
    assert set(hairpin["known_labels"].split(";")) == set(predictor.known_labels("hsa-mir-21"))
    seq_cols = [c for c in full.columns if c.startswith("sequence_model_p_")]
    assert len(seq_cols) == 7 and full.loc[full["id"] == "hsa-mir-21", seq_cols].notna().all(axis=None)
    for _, row in full.iterrows():
        shown = [row[c] for c in CSV_COLUMNS if c.startswith("p_")][2:]
        called = [c for c, p in zip(COMPARTMENTS, shown) if round(p, 2) >= 0.5]
        assert row["above_threshold"] == ";".join(called)
        assert row["conservation_species"] >= 0 and row["human_paralogs"] >= 0
    only = predictor.predict(example_fasta(), sequence_only=True).table
    assert (only["known_labels"] == "").all() and only[seq_cols].isna().all(axis=None)  # the page hides these
    assert list(only.columns)[-len(CSV_COLUMNS):] == CSV_COLUMNS


def test_the_released_calibrator_maps_the_sequence_output(tmp_path, ten):
    import json

    from mirloc_core.config import weights_dir
    from mirloc_core.io.artifacts import write_manifest
    from mirloc_core.pretrained import CALIBRATION_FILE

    released = Predictor.load(device="cpu")
    assert released.calibrator is not None and released.sequence_base_rates is not None
    side = json.loads((weights_dir() / "sequence" / CALIBRATION_FILE).read_text())
    shutil.copytree(weights_dir() / "sequence", tmp_path / "sequence")
    shutil.copytree(weights_dir() / "lm", tmp_path / "lm")
    (tmp_path / "sequence" / CALIBRATION_FILE).unlink()
    write_manifest(tmp_path / "sequence", "test", command="test")
    raw = Predictor.load(tmp_path, device="cpu").predict(ten[:4], sequence_only=True)
    calibrated = released.predict(ten[:4], sequence_only=True)
    assert calibrated.provenance["sevencomp_calibrated"] and not raw.provenance["sevencomp_calibrated"]
    for j, name in enumerate(COMPARTMENTS):
        expected = np.interp(raw.sequence_probabilities[name], side["calibrator"][name]["x"],
                             side["calibrator"][name]["y"])
        np.testing.assert_allclose(calibrated.sequence_probabilities[name], expected, atol=1e-6)
    np.testing.assert_allclose(released.base_rates["sequence"], [side["base_rates"][c] for c in COMPARTMENTS])


def test_network_bars_are_the_atlas_calibrated_out_of_fold_probabilities(predictor):
    atlas = predictor.atlas
    assert atlas.calibrated_probabilities is not None and atlas.metadata.get("name_features") is False
    result = predictor.predict(">m21\nUAGCUUAUCAGACUGAUGUUGA\n")
    j = atlas.names.index("hsa-mir-21")
    np.testing.assert_allclose(result["m21"].probabilities, atlas.calibrated_probabilities[j])
    assert result.provenance["network_calibrated"]
    np.testing.assert_allclose(result["m21"].base_rates, atlas.base_rates)
