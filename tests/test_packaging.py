"""``pip install .`` gives a working package: its weights and assets inside, the ``mirloc`` console script, and the
README's API snippet running as a script from any directory."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from mirloc_core.config import REPO_ROOT

QUERY = ">miR-21\nUAGCUUAUCAGACUGAUGUUGA\n>let-7a-hairpin\nUGGGAUGAGGUAGUAGGUUGUAUAGUUUUAGGGUCACACCCACCACUGGGAGAUAACUAUACAAUCUACUGUCUUUCCUA\n"


@pytest.fixture(scope="module")
def installed(tmp_path_factory, shared_data):
    """The project installed with pip into a fresh target folder (no dependencies: they are in this venv)."""
    source = tmp_path_factory.mktemp("source")
    tree = source / "mirloc"
    shutil.copytree(REPO_ROOT, tree, ignore=shutil.ignore_patterns(".git", ".venv", ".cache", "build", "*.egg-info",
                                                                   "__pycache__", "benchmarks", "tests", "docs"))
    target = tmp_path_factory.mktemp("site")
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
                    "--target", str(target), str(tree)], check=True, capture_output=True, text=True, timeout=300)
    return target


def _env(target: Path, shared_data: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MIRLOC_")}
    return dict(env, PYTHONPATH=str(target), MIRLOC_DATA=str(shared_data), OMP_NUM_THREADS="1")


def test_the_install_carries_weights_and_assets(installed):
    package = installed / "mirloc_core"
    for part in ("lm", "sequence", "network", "motifs"):
        assert (package / "weights" / part / "manifest.json").is_file(), part
    assert (package / "assets" / "example.fa").is_file()
    assert (package / "assets" / "3dmol" / "3Dmol-min.js").is_file()
    from mirloc_core.io.artifacts import verify_manifest

    for part in ("lm", "sequence", "network", "motifs"):  # every packaged file matches its sha256
        assert verify_manifest(package / "weights" / part)["files"]


def test_mirloc_predict_from_another_directory(installed, shared_data, tmp_path, predictor_table):
    (tmp_path / "in.fa").write_text(QUERY)
    script = installed / "bin" / "mirloc"
    done = subprocess.run([sys.executable, str(script), "predict", "in.fa", "--out", "out.csv", "--threads", "1"],
                          cwd=tmp_path, env=_env(installed, shared_data), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    got = pd.read_csv(tmp_path / "out.csv", keep_default_na=False)
    pd.testing.assert_frame_equal(got, predictor_table, check_exact=False, atol=1e-6)
    assert "hsa-mir-21" in got["known_mirna"].tolist()  # the packaged network atlas was used


def test_the_readme_api_snippet_runs_as_a_script_anywhere(installed, shared_data, tmp_path):
    readme = (REPO_ROOT / "README.md").read_text()
    snippet = re.search(r"```python\n(.*?)```", readme, re.S).group(1)
    (tmp_path / "snippet.py").write_text(snippet)
    done = subprocess.run([sys.executable, "snippet.py"], cwd=tmp_path, env=_env(installed, shared_data),
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "predictions.csv").is_file()
    table = pd.read_csv(tmp_path / "predictions.csv")
    assert table["id"].tolist() == ["miR-21"] and table.loc[0, "known_mirna"] == "hsa-mir-21"


@pytest.fixture(scope="module")
def predictor_table(shared_data):
    """The same query predicted in this process, from the checkout, written and read back as CSV."""
    import io

    from mirloc_core.config import Settings
    from mirloc_core.predict import Predictor

    result = Predictor.load(settings=Settings.from_env(threads=1, device="cpu")).predict(QUERY)
    return pd.read_csv(io.StringIO(result.to_csv()), keep_default_na=False)
