"""Reliability and security rules (issue 6) on real components: fuzzed input, limits, CSV injection,
determinism across runs and batch compositions, and corrupt or missing weights."""

from __future__ import annotations

import io
import shutil

import numpy as np
import pandas as pd
import pytest

from benchmarks import fuzz_inputs
from mirloc_core.io import data
from mirloc_core.io.artifacts import ArtifactError
from mirloc_core.io.fasta import APP_MAX_RECORDS, MAX_INPUT_BYTES, InputError, parse_fasta, to_fasta


def test_fuzz_parser_only_raises_input_error():
    harness = fuzz_inputs.run(400)
    assert harness.outcomes["unexpected"] == 0, harness.failures[:3]
    assert harness.outcomes["input_error"] > 50 and harness.outcomes["parsed"] > 20


@pytest.mark.parametrize("name", [name for name, _ in fuzz_inputs.FIXED_CASES])
def test_fixed_hostile_corpus(name):
    payload = dict(fuzz_inputs.FIXED_CASES)[name]
    try:
        records = parse_fasta(payload, max_records=APP_MAX_RECORDS)
    except InputError as exc:
        assert len(str(exc)) > 15
        return
    assert name in {"bom", "bom_bytes", "mixed_endings", "html_header", "csv_injection", "ten"}
    assert all(set(r.sequence) <= set("ACGU") for r in records)


def test_limits_are_enforced_with_specific_messages():
    with pytest.raises(InputError, match="11 records given; at most 10"):
        parse_fasta(fuzz_inputs.FIXED_CASES[-2][1], max_records=APP_MAX_RECORDS)
    with pytest.raises(InputError, match=f"limit of {MAX_INPUT_BYTES:,} bytes"):
        parse_fasta("A" * (MAX_INPUT_BYTES + 1))
    with pytest.raises(InputError, match="not UTF-8 text"):
        parse_fasta(fuzz_inputs._png())
    with pytest.raises(InputError, match="not UTF-8 text"):
        parse_fasta(fuzz_inputs._zip())


@pytest.fixture(scope="module")
def predictor():
    from mirloc_core.predict import Predictor

    return Predictor.load()


@pytest.fixture(scope="module")
def ten_records(shared_data):
    matures = data.load_mirbase("mature", "hsa")
    names = ["hsa-miR-21-5p", "hsa-miR-122-5p", "hsa-miR-29b-3p", "hsa-let-7a-5p", "hsa-miR-155-5p",
             "hsa-miR-16-5p", "hsa-miR-126-3p", "hsa-miR-223-3p", "hsa-miR-1-3p"]
    pairs = [(n, matures[n]) for n in names] + [("hsa-mir-21", data.load_mirbase("hairpin", "hsa")["hsa-mir-21"])]
    return parse_fasta(to_fasta(pairs), max_records=APP_MAX_RECORDS)


def test_predictions_are_bit_identical_across_runs_and_batches(predictor, ten_records):
    first = predictor.predict(ten_records)
    again = predictor.predict(ten_records)
    pd.testing.assert_frame_equal(first.table, again.table, check_exact=True)
    probs = first.table.filter(like="p_").to_numpy()
    for i, record in enumerate(ten_records):
        alone = predictor.predict([record])
        assert np.array_equal(alone.table.filter(like="p_").to_numpy()[0], probs[i]), record.id
        assert np.array_equal(alone.attention[record.id], first.attention[record.id])
    reversed_batch = predictor.predict(list(reversed(ten_records)))
    assert np.array_equal(reversed_batch.table.filter(like="p_").to_numpy()[::-1], probs)


def test_csv_download_neutralises_formula_cells(predictor):
    from mirloc_core.results import CSV_COLUMNS, write_csv

    text = ">=cmd|' /C calc'!A0\nACGUACGUACGUACGUACGUAA\n>+SUM(1)\nUGAGGUAGUAGGUUGUAUAGUU\n" \
           ">-2+3\nUAGCUUAUCAGACUGAUGUUGA\n>@x\nUGGAAUGUAAAGAAGUAUGUAU\n"
    csv_text = write_csv(predictor.predict(text, sequence_only=True))
    frame = pd.read_csv(io.StringIO(csv_text), dtype=str, keep_default_na=False)
    assert list(frame.columns) == CSV_COLUMNS
    for cell in frame.to_numpy().ravel():
        assert not cell or cell[0] not in "=+-@", cell
    assert frame["id"].str.startswith("'").all()


def test_corrupt_or_missing_weights_give_a_clear_error(tmp_path):
    from mirloc_core.config import weights_dir
    from mirloc_core.predict import Predictor

    copy = tmp_path / "weights"
    shutil.copytree(weights_dir() / "sequence", copy / "sequence")
    if (weights_dir() / "lm").is_dir():
        shutil.copytree(weights_dir() / "lm", copy / "lm")
    target = next(p for p in sorted((copy / "sequence").glob("*.safetensors")))
    blob = bytearray(target.read_bytes())
    blob[len(blob) // 2] ^= 0xFF
    target.write_bytes(bytes(blob))
    with pytest.raises(ArtifactError, match="sha256|corrupt"):
        Predictor.load(weights_dir=copy)
    target.unlink()
    with pytest.raises(ArtifactError, match="missing"):
        Predictor.load(weights_dir=copy)
