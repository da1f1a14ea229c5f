"""Predictions are frozen: the example and 300 miRBase 22 sequences give, to 1e-6, what the fixture
``tests/fixtures/frozen_predictions.json`` holds. It was first written by the pre-restructure code (and the
restructure reproduced it to 1e-6); deliberate changes of the models or matching rules re-freeze it with
``benchmarks/freeze_predictions.py`` in the same commit.

The 300 sequences are human and other-species hairpins and matures, including network miRNAs (so the network
lookup, the kNN-SW and conservation blends, and the nearest-known table are all exercised), in both modes.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

FIXTURE = Path(__file__).parent / "fixtures" / "frozen_predictions.json"
NUMERIC = ("length", "p_extracellular", "p_intracellular", "p_cytoplasm", "p_exosome", "p_nucleolus", "p_nucleus",
           "p_extracellular_vesicle", "p_microvesicle", "p_mitochondrion", "nearest_similarity")
TEXT = ("id", "sequence", "call", "source", "known_mirna", "nearest_known_mirna", "evidence")


@pytest.fixture(scope="module")
def frozen():
    return json.loads(FIXTURE.read_text())


@pytest.fixture(scope="module")
def predictor(shared_data):
    from mirloc_core.predict import Predictor

    return Predictor.load(device="cpu")


def _records(frozen, label):
    from mirloc_core.io import data
    from mirloc_core.io.fasta import SequenceRecord, parse_fasta

    if label == "example":
        return parse_fasta(frozen["example"])
    seqs = {**data.load_mirbase("hairpin", None), **data.load_mirbase("mature", None)}
    return [SequenceRecord(n, n, seqs[n]) for n in frozen["mirbase_ids"]]


@pytest.mark.parametrize("label", ["example", "mirbase300"])
@pytest.mark.parametrize("sequence_only", [False, True])
def test_predictions_match_the_frozen_fixture(frozen, predictor, label, sequence_only):
    want = frozen["runs"][f"{label}|sequence_only={sequence_only}"]
    result = predictor.predict(_records(frozen, label), sequence_only=sequence_only)
    table = result.table
    expected = {c: [row[i] for row in want["rows"]] for i, c in enumerate(want["columns"])}
    assert len(table) == len(want["rows"]) == (4 if label == "example" else 300)
    for column in TEXT:
        got = ["" if v is None else v for v in table[column].tolist()]
        assert got == ["" if v is None else v for v in expected[column]], column
    for column in NUMERIC:
        np.testing.assert_allclose(table[column].to_numpy(float),
                                   np.array([np.nan if v is None else v for v in expected[column]], float),
                                   atol=1e-6, rtol=0, err_msg=column)
    np.testing.assert_allclose(np.asarray(result.sequence_probabilities, float), want["sequence_probabilities"],
                               atol=1e-6, rtol=0)
    for rid, att in want["attention"].items():
        np.testing.assert_allclose(np.asarray(result.attention[rid], float), att, atol=1e-6, rtol=0)
    assert sorted(result.network) == want["network"]
    assert result.conservation == want["conservation"] and result.paralogs == want["paralogs"]
    assert {k: v["name"].tolist() for k, v in result.nearest.items()} == want["nearest"]


def test_the_fixture_exercises_every_path(frozen):
    """Network matches, sequence-only mode, the conservation counts and several species are all in the fixture."""
    full, seq_only = frozen["runs"]["mirbase300|sequence_only=False"], frozen["runs"]["mirbase300|sequence_only=True"]
    assert len(full["network"]) > 50 and seq_only["network"] == []
    assert len(full["conservation"]) == 300
    species = {name.split("-")[0] for name in frozen["mirbase_ids"]}
    assert "hsa" in species and len(species) > 20
    assert any("-mir-" in n for n in frozen["mirbase_ids"]) and any("-miR-" in n for n in frozen["mirbase_ids"])
