"""``python -m mirloc_core predict``: a real FASTA of miRBase sequences → CSV with exactly the contract columns."""

from __future__ import annotations

import io
import os
import subprocess
import sys

import pandas as pd
import pytest

from mirloc_core.config import REPO_ROOT
from mirloc_core.results import CSV_COLUMNS
from mirloc_core.io.fasta import MAX_INPUT_BYTES


def _run(*args, stdin=None):
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=str(REPO_ROOT))
    return subprocess.run([sys.executable, "-m", "mirloc_core", *args], cwd=REPO_ROOT, env=env, input=stdin,
                          capture_output=True, text=True, timeout=300)


def test_predict_real_fasta_to_csv(tmp_path, shared_data):
    from mirloc_core.io import data

    src = data.data_dir() / "mirbase22" / "hsa_mature.fa"
    lines = src.read_text().splitlines()[:60]  # 30 human matures, as shipped by miRBase
    (tmp_path / "in.fa").write_text("\n".join(lines) + "\n")
    out = tmp_path / "out.csv"
    proc = _run("predict", str(tmp_path / "in.fa"), "--out", str(out), "--device", "cpu")
    assert proc.returncode == 0, proc.stderr
    frame = pd.read_csv(out, keep_default_na=False)
    assert list(frame.columns) == CSV_COLUMNS
    assert len(frame) == 30
    probs = frame[[c for c in CSV_COLUMNS if c.startswith("p_")]]
    assert ((probs >= 0) & (probs <= 1)).all().all()
    assert set(frame["call"]) <= {"extracellular", "intracellular"}
    assert frame["id"].iloc[0] == lines[0][1:].split()[0]
    assert (frame["sequence"].str.len() == frame["length"]).all()
    assert "wrote 30 predictions" in proc.stderr


def test_predict_sequence_only_to_stdout():
    proc = _run("predict", "-", "--out", "-", "--sequence-only",
                stdin=">a\nUGAGGUAGUAGGUUGUAUAGUU\n>b\nugagguaguagguuguauaguu\n")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert lines[0] == ",".join(CSV_COLUMNS)
    assert len(lines) == 3
    assert lines[1].split(",")[2:] == lines[2].split(",")[2:]  # same sequence, bit-identical output


def test_predict_threads_do_not_change_the_answer():
    fasta = ">a\nUGAGGUAGUAGGUUGUAUAGUU\n>b\nUAGCUUAUCAGACUGAUGUUGA\n"
    frames = []
    for threads in ("1", "2"):
        proc = _run("predict", "-", "--out", "-", "--sequence-only", "--threads", threads, stdin=fasta)
        assert proc.returncode == 0, proc.stderr
        frames.append(pd.read_csv(io.StringIO(proc.stdout), keep_default_na=False))
    probs = [c for c in CSV_COLUMNS if c.startswith("p_")]
    pd.testing.assert_frame_equal(frames[0][probs], frames[1][probs], atol=1e-6)
    assert frames[0]["call"].tolist() == frames[1]["call"].tolist()


def test_predict_invalid_input_exits_2_with_message(tmp_path):
    (tmp_path / "bad.fa").write_text(">x\nACGUNNACGUACGUACGU\n")
    proc = _run("predict", str(tmp_path / "bad.fa"), "--out", str(tmp_path / "o.csv"))
    assert proc.returncode == 2
    assert "record 'x'" in proc.stderr and "'N'" in proc.stderr
    assert not (tmp_path / "o.csv").exists()


def test_large_inputs_are_read_without_the_paste_limit(tmp_path):
    from mirloc_core.batch import BatchReader

    n = MAX_INPUT_BYTES // 30 + 100
    text = "".join(f">s{i}\nUGAGGUAGUAGGUUGUAUAGUU\n" for i in range(n)) + ">s0\nUGAGGUAGUAGGUUGUAUAGUU\n"
    assert len(text) > MAX_INPUT_BYTES
    (tmp_path / "big.fa").write_text(text)
    records = list(BatchReader(str(tmp_path / "big.fa")).records())
    assert len(records) == n + 1
    assert records[-1].id == "s0_2" and "renamed" in records[-1].notice
    assert len({r.id for r in records}) == n + 1


def test_predict_missing_weights_exits_2(tmp_path):
    (tmp_path / "in.fa").write_text(">a\nUGAGGUAGUAGGUUGUAUAGUU\n")
    proc = _run("predict", str(tmp_path / "in.fa"), "--out", str(tmp_path / "o.csv"), "--weights",
                str(tmp_path / "nowhere"))
    assert proc.returncode == 2
    assert "error: missing" in proc.stderr
