"""Tests of mirloc_core.io.hub: weights and data from the repository, a directory, or a Hugging Face snapshot.

No network here: the Hub repositories are laid out as a local Hugging Face cache (``models--owner--name/refs/main``
and ``snapshots/<commit>/``) holding copies of the REAL released weights and of the real shared data files, and
``huggingface_hub.snapshot_download`` (the real library) is run with ``HF_HUB_OFFLINE=1``.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from mirloc_core import config
from mirloc_core.io import hub
from mirloc_core.io.artifacts import ArtifactError

COMMIT = "0123456789abcdef0123456789abcdef01234567"


def _fake_hub_repo(cache: Path, repo_id: str, repo_type: str = "model") -> Path:
    """Create an empty snapshot of ``repo_id`` in a Hugging Face cache layout; return the snapshot folder."""
    prefix = {"model": "models", "dataset": "datasets"}[repo_type]
    repo = cache / f"{prefix}--{repo_id.replace('/', '--')}"
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text(COMMIT)
    snapshot = repo / "snapshots" / COMMIT
    snapshot.mkdir(parents=True)
    return snapshot


@pytest.fixture()
def offline(monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    for name in ("MIRLOC_WEIGHTS_REPO", "MIRLOC_WEIGHTS_REVISION", "MIRLOC_DATA_REPO", "MIRLOC_DATA",
                 "MIRLOC_WEIGHTS"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path / "hf-cache"


@pytest.fixture()
def weights_snapshot(offline):
    """A Hub model snapshot holding a copy of the real weights/lm, weights/sequence (and network, when released)."""
    real = config.REPO_ROOT / "weights"
    assert (real / "sequence" / "manifest.json").is_file(), "the released sequence weights are missing"
    snapshot = _fake_hub_repo(offline, "me/mirloc-weights")
    for part in ("lm", "sequence", "network"):
        if (real / part / "manifest.json").is_file():
            shutil.copytree(real / part, snapshot / "weights" / part)
    return snapshot


def test_without_hub_variables_the_committed_weights_are_used(offline):
    path, source = hub.resolve_weights_dir()
    assert source == "local" and path == config.weights_dir()


def test_weights_from_a_hub_snapshot(offline, weights_snapshot, monkeypatch):
    monkeypatch.setenv("MIRLOC_WEIGHTS_REPO", "me/mirloc-weights")
    path, source = hub.resolve_weights_dir(cache_dir=offline)
    assert source == "hub:me/mirloc-weights"
    assert path == weights_snapshot / "weights"
    found = hub.check_weights(path)
    assert {"lm", "sequence"} <= set(found) and found["sequence"]["files"]
    before = dict(os.environ)
    resolution = hub.resolve(cache_dir=offline)
    assert resolution.notices == [] and resolution.weights_dir == path
    assert resolution.settings().weights_dir == path  # handed on as settings...
    assert dict(os.environ) == before  # ...never written into the environment


def test_the_predictor_loads_from_the_hub_snapshot(offline, weights_snapshot, monkeypatch):
    from mirloc_core.predict import Predictor

    monkeypatch.setenv("MIRLOC_WEIGHTS_REPO", "me/mirloc-weights")
    path, _ = hub.resolve_weights_dir(cache_dir=offline)
    result = Predictor.load(weights_dir=path).predict(">q\nUAGCACCAUUUGAAAUCAGUGUU\n", sequence_only=True)
    assert list(result.table["id"]) == ["q"]


def test_a_file_that_did_not_arrive_is_detected(offline, weights_snapshot, monkeypatch):
    monkeypatch.setenv("MIRLOC_WEIGHTS_REPO", "me/mirloc-weights")
    victim = next(p for p in (weights_snapshot / "weights" / "sequence").iterdir() if p.name != "manifest.json")
    victim.unlink()
    with pytest.raises(ArtifactError, match="missing weight file"):
        hub.resolve_weights_dir(cache_dir=offline)
    resolution = hub.resolve(cache_dir=offline)  # the app keeps running on the local weights
    assert resolution.weights_source == "local" and "could not be used" in resolution.notices[0]


def test_a_corrupt_file_is_detected(offline, weights_snapshot, monkeypatch):
    monkeypatch.setenv("MIRLOC_WEIGHTS_REPO", "me/mirloc-weights")
    victim = next(p for p in (weights_snapshot / "weights" / "sequence").iterdir() if p.name != "manifest.json")
    victim.write_bytes(victim.read_bytes()[:-1] + b"\x00")
    with pytest.raises(ArtifactError, match="does not match its sha256"):
        hub.resolve_weights_dir(cache_dir=offline)


def test_a_snapshot_without_the_sequence_weights_is_refused(offline, monkeypatch):
    snapshot = _fake_hub_repo(offline, "me/empty-weights")
    (snapshot / "README.md").write_text("nothing here")
    monkeypatch.setenv("MIRLOC_WEIGHTS_REPO", "me/empty-weights")
    with pytest.raises(ArtifactError, match="'lm' is missing"):
        hub.resolve_weights_dir(cache_dir=offline)


def test_an_unreachable_repository_is_a_clear_error(offline, monkeypatch):
    monkeypatch.setenv("MIRLOC_WEIGHTS_REPO", "me/not-cached")
    with pytest.raises(ArtifactError, match="could not fetch the Hugging Face model repository 'me/not-cached'"):
        hub.resolve_weights_dir(cache_dir=offline)


def test_data_from_a_hub_dataset_snapshot(offline, shared_data, monkeypatch):
    snapshot = _fake_hub_repo(offline, "me/mirloc-data", "dataset")
    for name in hub.DATA_FILES:
        (snapshot / "data" / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(shared_data / name, snapshot / "data" / name)
    monkeypatch.setenv("MIRLOC_DATA_REPO", "me/mirloc-data")
    path, source = hub.resolve_data_dir(cache_dir=offline)
    assert source == "hub:me/mirloc-data" and path == snapshot / "data"
    (snapshot / "data" / "case_studies" / "gtmaloc_table5.tsv").unlink()
    with pytest.raises(ArtifactError, match="gtmaloc_table5.tsv"):
        hub.resolve_data_dir(cache_dir=offline)


def test_mirloc_data_takes_precedence(offline, tmp_path, monkeypatch):
    monkeypatch.setenv("MIRLOC_DATA_REPO", "me/never-fetched")
    monkeypatch.setenv("MIRLOC_DATA", str(tmp_path))
    path, source = hub.resolve_data_dir(cache_dir=offline)
    assert source == "env" and path == tmp_path.resolve()
