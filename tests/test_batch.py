"""Batch scoring of large files: streaming chunks, .gz input, bad records, resume, Parquet, and the Dask engine."""

from __future__ import annotations

import gzip
import random
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mirloc_core import batch
from mirloc_core.config import Settings
from mirloc_core.results import CSV_COLUMNS

NUMERIC = [c for c in CSV_COLUMNS if c.startswith(("p_", "sequence_model_p_"))] + ["nearest_similarity"]


@pytest.fixture(scope="module")
def fasta(shared_data, tmp_path_factory):
    """60 miRBase 22 entries (matures and hairpins, several species), one duplicate id, and two bad records."""
    from mirloc_core.io import data

    rng = random.Random(3)
    matures, hairpins = data.load_mirbase("mature", None), data.load_mirbase("hairpin", None)
    names = rng.sample(sorted(matures), 40) + rng.sample(sorted(hairpins), 20)
    lines = [f">{n} from miRBase\n{(matures.get(n) or hairpins[n])}\n" for n in names]
    lines.insert(10, ">bad-letters\nACGUNNACGUACGUACGUAC\n")
    lines.insert(30, f">{names[0]}\n{matures[names[0]]}\n")  # a repeated id: renamed, as in the app
    lines.insert(45, ">too-short\nACGUACG\n")
    path = tmp_path_factory.mktemp("batch") / "input.fa"
    path.write_text("".join(lines))
    return path


@pytest.fixture(scope="module")
def settings(shared_data):
    return Settings.from_env(threads=1, device="cpu")


@pytest.fixture(scope="module")
def reference(fasta, settings):
    """The same records predicted in one call, in memory, as the app does."""
    from mirloc_core.predict import Predictor

    records = list(batch.BatchReader(str(fasta), on_error="skip").records())
    return Predictor.load(settings=settings).predict(records).to_frame()


def _read(path) -> pd.DataFrame:
    return pd.read_csv(path, keep_default_na=False, na_values=[""])


def _same(got: pd.DataFrame, want: pd.DataFrame) -> None:
    assert got["id"].tolist() == want["id"].tolist()
    np.testing.assert_allclose(got[NUMERIC].to_numpy(float), want[NUMERIC].to_numpy(float), atol=1e-6)
    for column in ("call", "source", "known_mirna", "evidence", "above_threshold"):
        assert got[column].fillna("").tolist() == want[column].fillna("").tolist(), column


def test_streaming_in_chunks_equals_one_call(fasta, settings, reference, tmp_path):
    summary = batch.run_batch(str(fasta), tmp_path / "out.csv", settings, chunk_size=7, on_error="skip")
    got = _read(tmp_path / "out.csv")
    assert list(got.columns) == CSV_COLUMNS and summary.written == len(reference) == 61
    _same(got, reference)
    assert got["id"].tolist().count(reference["id"][0] + "_2") == 1  # the repeated id, renamed
    errors = pd.read_csv(summary.errors_path, sep="\t")
    assert errors["record"].tolist() == ["bad-letters", "too-short"]
    text = fasta.read_text().splitlines()
    assert [text[line - 1] for line in errors["line"]] == [">bad-letters", ">too-short"]  # their header lines
    assert "'N'" in errors["reason"][0] and "minimum is 15" in errors["reason"][1]


def test_gzip_input_and_parquet_output(fasta, settings, reference, tmp_path):
    gz = tmp_path / "input.fa.gz"
    with gzip.open(gz, "wt") as handle:
        handle.write(fasta.read_text())
    batch.run_batch(str(gz), tmp_path / "out.parquet", settings, fmt="parquet", chunk_size=25, on_error="skip")
    _same(pd.read_parquet(tmp_path / "out.parquet"), reference)


def test_stop_mode_names_the_line_and_keeps_what_came_before(fasta, settings, tmp_path):
    with pytest.raises(batch.BatchInputError, match=r"line 21: record 'bad-letters'"):
        batch.run_batch(str(fasta), tmp_path / "out.csv", settings, chunk_size=5, on_error="stop")
    assert len(_read(tmp_path / "out.csv")) == 10  # the two chunks before the bad record


def test_resume_skips_what_an_interrupted_run_wrote(fasta, settings, reference, tmp_path):
    out = tmp_path / "out.csv"
    full = batch.run_batch(str(fasta), out, settings, chunk_size=9, on_error="skip")
    text = out.read_text()
    cut = text[: len(text) // 2]
    out.write_text(cut[: cut.rfind("\n") - 5])  # killed in the middle of a row
    summary = batch.run_batch(str(fasta), out, settings, chunk_size=9, on_error="skip", resume=True)
    assert 0 < summary.skipped_existing < full.written
    assert summary.skipped_existing + summary.written == full.written
    _same(_read(out), reference)


def test_parquet_resume(fasta, settings, reference, tmp_path):
    out = tmp_path / "out.parquet"
    first = batch.BatchReader(str(fasta), on_error="skip")
    head = [r for r, _ in zip(first.records(), range(20))]
    sink = batch.ParquetSink(out, resume=False)
    from mirloc_core.predict import Predictor

    sink.write(Predictor.load(settings=settings).predict(head).to_frame())
    sink.close()
    summary = batch.run_batch(str(fasta), out, settings, fmt="parquet", on_error="skip", resume=True)
    assert summary.skipped_existing == 20
    _same(pd.read_parquet(out), reference)


@pytest.mark.slow
def test_dask_local_cluster_gives_the_same_predictions(fasta, settings, reference, tmp_path):
    summary = batch.run_batch(str(fasta), tmp_path / "dask.csv", settings, chunk_size=8, on_error="skip",
                              engine="dask", workers=2)
    assert summary.written == len(reference)
    _same(_read(tmp_path / "dask.csv"), reference)


def test_tune_malloc_undoes_dasks_malloc_setting(tmp_path):
    """In a process started as Dask starts its workers (MALLOC_TRIM_THRESHOLD_ set, which pins the mmap threshold),
    every 1 MB array is mapped afresh; after tune_malloc the heap is reused."""
    import os
    import subprocess
    import sys

    script = tmp_path / "faults.py"
    script.write_text(
        "import resource, numpy as np\n"
        "from mirloc_core.batch_dask import tune_malloc\n"
        "def faults():\n"
        "    start = resource.getrusage(resource.RUSAGE_SELF).ru_minflt\n"
        "    for _ in range(200):\n"
        "        np.ones(131072).sum()\n"
        "    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - start\n"
        "before = faults()\n"
        "print(before, tune_malloc(), faults())\n")
    env = {**os.environ, "MALLOC_TRIM_THRESHOLD_": "65536", "PYTHONPATH": str(Path(batch.__file__).parents[1])}
    before, applied, after = subprocess.run([sys.executable, str(script)], env=env, capture_output=True, text=True,
                                            check=True).stdout.split()
    assert applied == "True"
    assert int(before) > 200 * 100 and int(after) < int(before) / 20


@pytest.mark.slow
def test_local_cluster_workers_run_without_the_profiler():
    import dask
    from distributed import Client

    from mirloc_core.batch_dask import local_cluster

    with local_cluster(1) as cluster, Client(cluster) as client:
        profile = client.run(lambda: dask.config.get("distributed.worker.profile.enabled"))
    assert list(profile.values()) == [False]
