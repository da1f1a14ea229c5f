"""Weight files: safetensors round trip, and re-saving identical content keeps the bytes (and the sha256)."""

from __future__ import annotations

import numpy as np
import pytest

from mirloc_core.io.artifacts import ArtifactError, load_tensors, save_tensors


def test_round_trip_and_identical_content_is_not_rewritten(tmp_path):
    path = tmp_path / "w.safetensors"
    tensors = {"coef": np.arange(6, dtype=np.float32).reshape(2, 3), "bias": np.ones(2, np.float32)}
    meta = {"task": "test", "features": ["a", "b", "c"], "seeds": [0, 1], "weight": 0.7, "n": 5, "z": {"k": 1}}
    save_tensors(path, tensors, meta)
    arrays, loaded = load_tensors(path)
    assert loaded == meta and arrays.keys() == tensors.keys()
    np.testing.assert_array_equal(arrays["coef"], tensors["coef"])
    before = path.read_bytes()
    for _ in range(5):  # metadata order in the header is arbitrary; identical content must keep the same bytes
        save_tensors(path, dict(reversed(list(tensors.items()))), dict(reversed(list(meta.items()))))
        assert path.read_bytes() == before
    save_tensors(path, {**tensors, "bias": np.zeros(2, np.float32)}, meta)  # new values are written
    assert load_tensors(path)[0]["bias"].tolist() == [0, 0]
    save_tensors(path, tensors, {**meta, "weight": 0.5})  # and so is new metadata
    assert load_tensors(path)[1]["weight"] == 0.5
    path.write_bytes(b"not a safetensors file")  # a corrupt file is replaced, not an error
    save_tensors(path, tensors, meta)
    assert load_tensors(path)[1] == meta


def test_missing_file_raises(tmp_path):
    with pytest.raises(ArtifactError, match="missing weight file"):
        load_tensors(tmp_path / "absent.safetensors")
