"""Normalised Smith–Waterman similarity (GTMALoc Eq. 1)."""

from __future__ import annotations

import numpy as np
import pytest

from mirloc_core.features import alignment


def test_hand_checked_pairs():
    # match +2, mismatch -3: "CCCC" is the best local alignment (8) of two 8-mers (self score 16 each).
    assert np.isclose(alignment.sw_similarity(["AAAACCCC"], ["CCCCGGGG"])[0, 0], 8 / 16)
    # one central mismatch over 10 nt: 9 * 2 - 3 = 15, normalised by sqrt(20 * 20).
    assert np.isclose(alignment.sw_similarity(["ACGUACGUAC"], ["ACGUUCGUAC"])[0, 0], 15 / 20)
    assert np.isclose(alignment.sw_scores(["ACGUACGUAC"], ["ACGUUCGUAC"])[0, 0], 15)


def test_long_pairs_refused_before_int16_could_overflow():
    """Scores are int16: a pair both longer than MAX_PAIR_LENGTH is refused; one long side is fine (a local score
    is at most MATCH x the shorter length), and the largest allowed pair scores exactly."""
    n = alignment.MAX_PAIR_LENGTH
    long = "ACGU" * (n // 4 + 1)
    with pytest.raises(ValueError, match="int16"):
        alignment.sw_scores([long], [long])
    assert alignment.sw_scores([long], ["ACGUACGUAC"])[0, 0] == 20
    edge = long[:n]
    assert alignment.sw_scores([edge], [edge])[0, 0] == alignment.MATCH * n


def test_matrix_symmetric_unit_diagonal(name_map):
    seqs = [s for s in name_map["sequence"] if s][:60]
    sim = alignment.sw_similarity_matrix(seqs)
    assert sim.shape == (60, 60)
    assert np.allclose(sim, sim.T)
    assert np.allclose(np.diag(sim), 1.0)
    assert sim.min() >= 0 and sim.max() <= 1
    # agrees with the rectangular version
    assert np.allclose(alignment.sw_similarity(seqs[:5], seqs), sim[:5])


def test_scores_equal_parasail(name_map):
    """The SIMD kernel gives parasail's striped scores exactly: known miRNAs (matures and hairpins of different
    lengths, so blocks are padded), random sequences, bases outside ACGU (score 0 in both), one-letter queries."""
    import parasail

    rng = np.random.default_rng(7)
    known = [s for s in name_map["sequence"] if s][:40]
    random = ["".join(rng.choice(list("ACGU"), size=int(n))) for n in rng.integers(1, 130, size=40)]
    odd = ["ACGUNNACGU", "NNNN", "A", "GGGGGGGGGGGGGGGGGGGG", "ACGTACGU", "RYKMACGU"]
    seqs = known + random + odd
    matrix = parasail.matrix_create("ACGU", alignment.MATCH, alignment.MISMATCH)
    expected = [[parasail.sw_striped_16(q, t, alignment.GAP_OPEN, alignment.GAP_EXTEND, matrix).score
                 for t in seqs] for q in seqs]
    assert np.array_equal(alignment.sw_scores(seqs, seqs), np.array(expected, dtype=np.float64))
    targets = alignment.TargetSet(seqs[::-1])
    assert np.array_equal(alignment.sw_scores(seqs[:9], targets), np.array(expected, dtype=np.float64)[:9, ::-1])
    assert alignment.sw_scores([], targets).shape == (0, len(seqs))
    small = alignment.TargetSet(seqs[30:46])  # fewer targets than lanes (the domain check's 16 candidates)
    assert np.array_equal(alignment.sw_scores(seqs, small), np.array(expected, dtype=np.float64)[:, 30:46])
