"""The FASTA parser: every accepted and rejected input of issue 3, with the message checked."""

from __future__ import annotations

import numpy as np
import pytest

from mirloc_core.io.fasta import (
    APP_MAX_RECORDS,
    MAX_INPUT_BYTES,
    InputError,
    SequenceRecord,
    normalise_sequence,
    one_hot,
    parse_fasta,
    to_fasta,
)

LET7A = "UGAGGUAGUAGGUUGUAUAGUU"  # hsa-let-7a-5p


# ----------------------------------------------------------------------------- accepted


def test_plain_fasta_record():
    recs = parse_fasta(f">hsa-let-7a-5p MIMAT0000062 Homo sapiens let-7a-5p\n{LET7A}\n")
    assert recs == [SequenceRecord("hsa-let-7a-5p", "hsa-let-7a-5p MIMAT0000062 Homo sapiens let-7a-5p", LET7A, "")]


def test_bare_sequence_without_header():
    recs = parse_fasta(LET7A)
    assert [(r.id, r.sequence) for r in recs] == [("sequence_1", LET7A)]


def test_lower_case_and_dna_letters_become_rna():
    recs = parse_fasta(">x\ntgaggtagtaggttgtatagtt\n")
    assert recs[0].sequence == LET7A


def test_windows_and_old_mac_line_endings_and_blank_lines():
    text = f">a\r\n{LET7A[:10]}\r\n\r\n{LET7A[10:]}\r\n\r\n>b\r{LET7A}\r"
    recs = parse_fasta(text)
    assert [(r.id, r.sequence) for r in recs] == [("a", LET7A), ("b", LET7A)]


def test_multi_line_sequences_and_leading_blank_lines_and_bom():
    recs = parse_fasta(("\ufeff\n\n>a\n" + LET7A[:7] + "\n" + LET7A[7:] + "\n").encode("utf-8"))
    assert recs[0].sequence == LET7A


def test_duplicate_ids_made_unique_with_notice():
    recs = parse_fasta(f">a\n{LET7A}\n>a\n{LET7A}\n>a\n{LET7A}\n")
    assert [r.id for r in recs] == ["a", "a_2", "a_3"]
    assert recs[0].notice == ""
    assert recs[1].notice == "duplicate id 'a' renamed to 'a_2'"
    assert "a_3" in recs[2].notice


def test_max_records_boundary_is_accepted():
    text = "".join(f">s{i}\n{LET7A}\n" for i in range(APP_MAX_RECORDS))
    assert len(parse_fasta(text, max_records=APP_MAX_RECORDS)) == APP_MAX_RECORDS


def test_length_boundaries_are_accepted():
    assert len(parse_fasta(">a\n" + "A" * 15)[0]) == 15
    assert len(parse_fasta(">a\n" + "ACGU" * 250)[0]) == 1000


def test_real_mirbase_records(shared_data):
    from mirloc_core.io import data

    matures = data.load_mirbase("mature", "hsa")
    names = list(matures)[:20]
    recs = parse_fasta(to_fasta([(n, matures[n]) for n in names]))
    assert [r.id for r in recs] == names
    assert all(r.sequence == matures[r.id] for r in recs)


# ----------------------------------------------------------------------------- rejected


@pytest.mark.parametrize("text", ["", "   \n\n\t", b""])
def test_empty_input(text):
    with pytest.raises(InputError, match="input is empty"):
        parse_fasta(text)


def test_record_without_sequence_is_named():
    with pytest.raises(InputError, match="record 'first' has no sequence"):
        parse_fasta(f">first\n\n>second\n{LET7A}\n")
    with pytest.raises(InputError, match="record 'last' has no sequence"):
        parse_fasta(f">ok\n{LET7A}\n>last\n")


@pytest.mark.parametrize("char", ["N", "R", "Y", "-", "*", "X"])
def test_invalid_characters_named_with_position(char):
    seq = LET7A[:4] + char + LET7A[4:]
    with pytest.raises(InputError) as err:
        parse_fasta(f">bad\n{seq}\n")
    message = str(err.value)
    assert "record 'bad'" in message
    assert f"'{char}'" in message
    assert "position 5" in message


def test_iupac_n_is_rejected_not_dropped():
    with pytest.raises(InputError, match="IUPAC codes such as N are not"):
        parse_fasta("ACGUACGUNNACGUACGUACGU")


def test_too_short_sequence():
    with pytest.raises(InputError, match=r"record 'short' is 14 nt long; the minimum is 15 nt"):
        parse_fasta(">short\n" + "A" * 14)


def test_too_long_sequence():
    with pytest.raises(InputError, match=r"record 'long' is 1,001 nt long; the maximum is 1,000 nt"):
        parse_fasta(">long\n" + "A" * 1001)


def test_more_records_than_max_is_rejected_not_truncated():
    text = "".join(f">s{i}\n{LET7A}\n" for i in range(APP_MAX_RECORDS + 1))
    with pytest.raises(InputError, match=r"11 records given; at most 10 are accepted"):
        parse_fasta(text, max_records=APP_MAX_RECORDS)
    assert len(parse_fasta(text)) == APP_MAX_RECORDS + 1  # no limit: all kept


def test_text_before_first_header():
    with pytest.raises(InputError, match="text before the first '>' header"):
        parse_fasta(f"{LET7A}\n>a\n{LET7A}\n")


def test_oversized_and_non_text_input():
    with pytest.raises(InputError, match="the limit is"):
        parse_fasta(b">a\n" + b"A" * (MAX_INPUT_BYTES + 1))
    with pytest.raises(InputError, match="not UTF-8 text"):
        parse_fasta(b">a\n\xff\xfeACGU")
    with pytest.raises(InputError, match="NUL bytes"):
        parse_fasta(">a\nACGUACGUACGUACGU\x00")
    with pytest.raises(InputError, match="must be text"):
        parse_fasta(12345)


def test_input_error_is_a_value_error():
    assert issubclass(InputError, ValueError)


# ----------------------------------------------------------------------------- helpers


def test_normalise_and_one_hot():
    assert normalise_sequence("acg t\nacgtacgtacgtac") == "ACGUACGUACGUACGUAC"
    hot = one_hot("ACGU")
    assert hot.shape == (4, 4)
    np.testing.assert_array_equal(hot, np.eye(4, dtype=np.float32))
