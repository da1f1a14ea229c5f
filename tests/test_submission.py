"""Tests of mirloc_core.io.submission: the app's text/upload handler and the bundled example."""

from __future__ import annotations

import pytest

from mirloc_core.io.fasta import APP_MAX_RECORDS, InputError
from mirloc_core.io.submission import (EXAMPLE_FASTA, EXAMPLE_NAMES, SubmissionError, example_fasta,
                                    read_submission)


def test_bundled_example_matches_mirbase(shared_data):
    from mirloc_core.io.data import load_mirbase

    mature, hairpin = load_mirbase("mature", "hsa"), load_mirbase("hairpin", "hsa")
    records = read_submission(EXAMPLE_FASTA.read_text())
    assert [r.id for r in records] == list(EXAMPLE_NAMES)
    for record in records:
        assert record.sequence == (mature.get(record.id) or hairpin[record.id])
    assert example_fasta() == EXAMPLE_FASTA.read_text()
    assert "AGUGUU" in records[2].sequence[-6:]  # miR-29b-3p's nuclear element
    assert len(records[3]) > 60  # one precursor


def test_example_works_without_data(tmp_path, monkeypatch):
    monkeypatch.setenv("MIRLOC_DATA", str(tmp_path))
    assert example_fasta() == EXAMPLE_FASTA.read_text()


def test_every_bad_record_is_named():
    text = ">ok\nUAGCUUAUCAGACUGAUGUUGA\n>bad1\nUAGCUUAUCNNACUGAUGUUGA\n>bad2\nUAGC\n>bad3\n\n"
    with pytest.raises(SubmissionError) as info:
        read_submission(text)
    problems = info.value.problems
    assert len(problems) == 3
    assert "'bad1'" in problems[0] and "'N'" in problems[0]
    assert "'bad2'" in problems[1] and "minimum is 15" in problems[1]
    assert "'bad3'" in problems[2] and "no sequence" in problems[2]
    assert isinstance(info.value, InputError)


def test_too_many_records_is_an_error_not_a_truncation():
    text = "".join(f">s{i}\nUAGCUUAUCAGACUGAUGUUGA\n" for i in range(APP_MAX_RECORDS + 1))
    with pytest.raises(SubmissionError, match="11 records given; at most 10"):
        read_submission(text)
    assert len(read_submission(text, max_records=11)) == 11


@pytest.mark.parametrize("text", [None, "", "  \n\t"])
def test_empty_input(text):
    with pytest.raises(SubmissionError, match="input is empty"):
        read_submission(text)


def test_upload_takes_precedence_and_is_validated():
    records = read_submission(">typed\nACGUACGUACGUACGUACGU\n", b">up\r\nacgtacgtacgtacgtacgt\r\n", "x.fasta")
    assert [(r.id, r.sequence) for r in records] == [("up", "ACGUACGUACGUACGUACGU")]
    with pytest.raises(SubmissionError, match="not a FASTA file"):
        read_submission(None, b">a\nACGUACGUACGUACGUACGU\n", "notes.pdf")
    with pytest.raises(SubmissionError, match="not UTF-8 text"):
        read_submission(None, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe", "image.fa")
    with pytest.raises(SubmissionError, match="NUL bytes"):
        read_submission(None, b">a\nACGU\x00ACGU\n", "x.txt")
    with pytest.raises(SubmissionError, match="limit"):
        read_submission(None, b">a\n" + b"A" * 1_000_001, "big.fa")
