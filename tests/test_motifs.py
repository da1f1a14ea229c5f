"""Tests of mirloc_core.motifs on real sequences (miRBase 22, RNALoc-LM train.tsv) and the real known motifs."""

from __future__ import annotations

import itertools
import json
import re
import time

import numpy as np
import pytest

from mirloc_core import motifs as M
from mirloc_core.motifs import scan
from mirloc_core.motifs.build import cli_build
from mirloc_core.pretrained import load_motif_artifacts
from mirloc_core.reports.motifs import render_markdown


@pytest.fixture(scope="module")
def hairpins(shared_data):
    from mirloc_core.io import data

    return data.load_mirbase("hairpin", "hsa")


@pytest.fixture(scope="module")
def known(shared_data):
    return M.known_motifs()


def test_iupac_to_pwm_n_r_y():
    pwm = M.iupac_to_pwm("NRYA")
    np.testing.assert_allclose(pwm[0], [0.25, 0.25, 0.25, 0.25])
    np.testing.assert_allclose(pwm[1], [0.5, 0.0, 0.5, 0.0])  # R = A/G
    np.testing.assert_allclose(pwm[2], [0.0, 0.5, 0.0, 0.5])  # Y = C/U
    np.testing.assert_allclose(pwm[3], [1.0, 0.0, 0.0, 0.0])
    np.testing.assert_allclose(M.iupac_to_pwm("t"), [[0, 0, 0, 1.0]])  # DNA T = U, case-insensitive
    assert M.pwm_consensus(M.iupac_to_pwm("AGNGUNRYSWKMBDHV")) == "AGNGUNRYSWKMBDHV"
    with pytest.raises(M.MotifFormatError):
        M.iupac_to_pwm("AGXU")


def test_known_motifs_loaded(known):
    ids = [m.id for m in known]
    assert len(known) == 112 and len(set(ids)) == 112
    aguguu = known[ids.index("HWANG2007_AGUGUU")]
    assert aguguu.consensus == "AGUGUU" and aguguu.label == "Nucleus"
    rbp = [m for m in known if m.source == "rbp"]
    assert len(rbp) == 102 and rbp[0].name == "A1CF"


def test_scan_p_values_are_exact(known):
    """The scan's p-value equals the fraction of all 4^6 6-mers scoring at least as high."""
    motif = M.Motif("rbp6", [m for m in known if m.source == "rbp"][3].pwm[:6], nsites=20)
    table = scan._tables((motif,))[0]
    all_kmers = ["".join(x) for x in itertools.product("ACGU", repeat=6)]
    scores = np.array([table.scores[np.arange(6), scan.encode(k)].sum() for k in all_kmers])
    for kmer in all_kmers[::409]:
        score = table.scores[np.arange(6), scan.encode(kmer)].sum()
        assert M.motif_p_value(motif, kmer) == pytest.approx((scores >= score).mean(), rel=1e-9)


def test_scan_finds_planted_aguguu(hairpins):
    rng = np.random.default_rng(7)
    names = [n for n in sorted(hairpins) if "AGUGUU" not in hairpins[n] and len(hairpins[n]) >= 60][:30]
    assert len(names) == 30
    for name in names:
        background = hairpins[name]
        pos = int(rng.integers(0, len(background) - 6))
        planted = background[:pos] + "AGUGUU" + background[pos + 6:]
        hits = M.scan_known_motifs(planted)
        agu = hits[hits["motif_id"] == "HWANG2007_AGUGUU"]
        assert list(agu["start"]) == [pos + 1] and list(agu["end"]) == [pos + 6]
        assert agu["matched"].iloc[0] == "AGUGUU" and agu["strand"].iloc[0] == "+"
        assert agu["p_value"].iloc[0] == pytest.approx(4.0 ** -6)
        assert set(["motif_id", "start", "end", "strand", "score", "p_value", "matched"]) <= set(hits.columns)
        none = M.scan_known_motifs(background)
        assert not (none["motif_id"] == "HWANG2007_AGUGUU").any()


def test_scan_is_fast_when_warm(hairpins):
    seq = "".join(sorted(hairpins.values(), key=len)[-12:])[:1000]
    M.scan_known_motifs(seq)
    start = time.perf_counter()
    for _ in range(5):
        M.scan_known_motifs(seq)
    assert (time.perf_counter() - start) / 5 < 0.2


def test_tomtom_ranks_own_pwm_first(known):
    chosen = [m for m in known if m.id in ("HWANG2007_AGUGUU", "LUBELSKY2018_RCCUCCC")]
    chosen += [m for m in known if m.source == "rbp"][::20]
    queries = [M.Motif("query_" + m.id, m.pwm.copy(), source="user") for m in chosen]
    table = M.compare_motifs(queries, known)
    for q, m in zip(queries, chosen):
        rows = table[table["query_id"] == q.id]
        assert len(rows) == len(known)
        best = rows[rows["rank"] == 1].iloc[0]
        assert best["target_id"] == m.id, (q.id, best["target_id"])
        assert best["offset"] == 0 and best["overlap"] == m.width
        assert best["q_value"] < 0.05
        assert ((rows["q_value"] >= 0) & (rows["q_value"] <= 1)).all()
        assert (rows["q_value"] >= rows["p_value"] - 1e-12).all()


def test_attention_seqlets_come_from_positions_above_median(hairpins):
    rng = np.random.default_rng(3)
    for name in sorted(hairpins)[:40]:
        seq = hairpins[name]
        attention = rng.random(len(seq))
        attention /= attention.sum()
        above = attention > np.median(attention)
        np.testing.assert_array_equal(M.important_positions(attention, "median"), above)
        strict = M.important_positions(attention, "strict")
        assert strict.sum() < above.sum() and not (strict & ~above).any()
        for s in M.call_seqlets(name, seq, attention, "median", max_gap=0):
            assert above[s.core_start:s.core_end].all()
            assert 6 <= s.end - s.start <= 15 and s.start <= s.core_start and s.core_end <= s.end
            assert s.sequence == seq[s.start:s.end]
        for s in M.call_seqlets(name, seq, attention, "median"):  # 1-nt gaps bridged: run ends are above
            assert above[s.core_start] and above[s.core_end - 1]
    # a single attention peak gives one seqlet around it
    seq = hairpins["hsa-mir-21"]
    attention = np.ones(len(seq))
    attention[30:38] = 5.0
    seqlets = M.call_seqlets("x", seq, attention / attention.sum(), "strict")
    assert [(s.core_start, s.core_end) for s in seqlets] == [(30, 38)]


def test_cluster_seqlets_recovers_attended_element(hairpins):
    rng = np.random.default_rng(11)
    sequences, attention = {}, {}
    for i, name in enumerate(sorted(hairpins)[:200]):
        seq = hairpins[name]
        att = rng.random(len(seq)) + 1.0
        if i % 2 == 0:
            pos = int(rng.integers(0, len(seq) - 6))
            seq = seq[:pos] + "AGUGUU" + seq[pos + 6:]
            att[pos:pos + 6] += 4.0
        sequences[name], attention[name] = seq, att / att.sum()
    seqlets = [s for n in sequences for s in M.call_seqlets(n, sequences[n], attention[n], "strict")]
    found = M.cluster_seqlets(seqlets, sequences, label="nucleus", rule="strict")
    assert found and "AGUGUU" in found[0].consensus and found[0].evalue < 1e-10
    assert found[0].info["seed"] == "AGUGUU"


def test_known_site_attention_detects_attended_sites(hairpins, known):
    rng = np.random.default_rng(2)
    sequences, focused, flat = {}, {}, {}
    for name in sorted(hairpins)[:60]:
        seq = hairpins[name]
        pos = int(rng.integers(0, len(seq) - 6))
        seq = seq[:pos] + "AGUGUU" + seq[pos + 6:]
        att = rng.random(len(seq)) + 1.0
        flat[name] = att / att.sum()
        att = att.copy()
        for m in re.finditer(M.iupac_regex("AGUGUU"), seq):
            att[m.start():m.start() + 6] += 4.0
        sequences[name], focused[name] = seq, att / att.sum()
    table = M.known_site_attention({"on": (sequences, focused), "off": (sequences, flat)}, known)
    on = table[(table["class"] == "on") & (table["motif_id"] == "HWANG2007_AGUGUU")].iloc[0]
    off = table[(table["class"] == "off") & (table["motif_id"] == "HWANG2007_AGUGUU")].iloc[0]
    assert on["sites"] >= 60 and on["sites_in_seqlets"] == on["sites"] and on["q_value"] < 1e-6
    assert on["mean_relative_attention"] > 2 and off["p_value"] > 1e-3


def test_meme_roundtrip_and_user_files(tmp_path, known, shared_data):
    from mirloc_core.io import data

    rbp = M.read_meme(data.rbp_motif_path())
    assert len(rbp) == 102 and rbp[0].id == "RNCMPT00001"
    path = tmp_path / "out.meme"
    M.write_meme(known[:12], path)
    back = M.read_meme(path)
    assert [m.id for m in back] == [m.id for m in known[:12]]
    for a, b in zip(back, known[:12]):
        np.testing.assert_allclose(a.pwm, b.pwm, atol=1e-6)
    streme = ("MEME version 5\n\nALPHABET= ACGT\n\nstrands: + -\n\nMOTIF 1-AGTGTT STREME-1\n"
              "letter-probability matrix: alength= 4 w= 3 nsites= 12 E= 2.1e-3\n"
              "1 0 0 0\n0 0 1 0\n0 0 0 1\n")
    user = M.read_meme(streme.encode())
    hexamer = streme.replace("w= 3", "w= 6") + "0 0 1 0\n0 0 0 1\n0 0 0 1\n"
    table = M.compare_user_motifs(hexamer.encode())
    assert table[table["rank"] == 1]["target_id"].iloc[0] == "HWANG2007_AGUGUU"
    assert user[0].consensus == "AGU" and user[0].evalue == pytest.approx(2.1e-3) and user[0].nsites == 12
    with pytest.raises(M.MotifFormatError):
        M.read_meme("MOTIF x\nletter-probability matrix: alength= 4 w= 2\n0.5 0.5 0 0\n")
    with pytest.raises(M.MotifFormatError):
        M.read_meme("not a motif file")


def test_glam2_finds_planted_motif(hairpins):
    rng = np.random.default_rng(5)
    sequences = {}
    for name in sorted(hairpins)[300:340]:
        seq = hairpins[name]
        pos = int(rng.integers(0, len(seq) - 8))
        sequences[name] = seq[:pos] + "CAGUGUUG" + seq[pos + 8:]
    found = M.run_glam2(sequences, n_motifs=2, runs=3, iterations=500, label="test")
    assert len(found) == 2 and found[0].source == "glam2"
    assert "GUGU" in found[0].consensus, found[0].consensus
    assert found[0].info["n_sequences_aligned"] >= 30


def test_upload_limits_and_messages():
    too_big = b"MOTIF x\n" + b" " * M.MAX_MEME_BYTES
    with pytest.raises(M.MotifFormatError, match="too large"):
        M.read_meme(too_big)
    many = "".join(f"MOTIF m{i}\nletter-probability matrix: w= 1\n1 0 0 0\n" for i in range(M.MAX_MEME_MOTIFS + 1))
    with pytest.raises(M.MotifFormatError, match=f"more than {M.MAX_MEME_MOTIFS} motifs"):
        M.read_meme(many)
    with pytest.raises(M.MotifFormatError, match="line 1: alphabet 'ACDEFGHIKLMNPQRSTVWY' is not a nucleotide"):
        M.read_meme("ALPHABET= ACDEFGHIKLMNPQRSTVWY\nMOTIF x\n")
    with pytest.raises(M.MotifFormatError, match="line 4: expected 2 matrix rows for motif x"):
        M.read_meme("MOTIF x\nletter-probability matrix: alength= 4 w= 2\n0.5 0.5 0 0\nfoo bar\n")
    with pytest.raises(M.MotifFormatError, match="line 3: expected 4 probabilities, found 3"):
        M.read_meme("MOTIF x\nletter-probability matrix: w= 1\n0.5 0.5 0\n")
    # without w= the matrix ends at a blank line; nsites and E are kept (nsites weighs the scan's pseudocount)
    two = M.read_meme("MOTIF a alt name\nletter-probability matrix: nsites= 7 E= 3e-2\n1 0 0 0\n0 1 0 0\n\n"
                      "MOTIF b\nletter-probability matrix: alength= 4 w= 1\n0 0 0 1\n")
    assert [(m.id, m.name, m.width, m.nsites, m.evalue) for m in two] == [("a", "alt name", 2, 7, 3e-2),
                                                                         ("b", "", 1, 20, None)]


def test_benjamini_hochberg():
    q = M.benjamini_hochberg(np.array([0.04, 0.01, 0.03, 0.5]))
    # sorted p × 4 / rank = 0.04, 0.06, 0.0533, 0.5; running minimum from the largest p down
    np.testing.assert_allclose(q, [0.16 / 3, 0.04, 0.16 / 3, 0.5])
    assert M.benjamini_hochberg(np.array([0.9, 0.8])).max() <= 1.0


def test_missing_artifacts_load_as_none(tmp_path):
    assert load_motif_artifacts(tmp_path) is None


def test_report_is_rendered_from_the_released_json():
    """docs/motifs.md is exactly what the renderer makes of weights/motifs/motifs.json."""
    from mirloc_core.config import REPO_ROOT, weights_dir

    report = json.loads((weights_dir() / "motifs" / "motifs.json").read_text())
    expected = (REPO_ROOT / "docs" / "motifs.md").read_text()
    assert render_markdown(report, "../weights/motifs/") == expected


@pytest.mark.slow
def test_build_end_to_end_small_subset(tmp_path, shared_data):
    from mirloc_core.config import weights_dir

    assert (weights_dir() / "sequence" / "manifest.json").is_file(), "weights/sequence is needed for the build"
    weights = tmp_path / "weights"
    out = weights / "motifs"
    code = cli_build(["--subset", "15", "--out", str(out), "--doc", str(tmp_path / "motifs.md"),
                        "--results", str(tmp_path / "motifs.json"), "--no-summary", "--weights", str(weights_dir())])
    assert code == 0
    loaded = load_motif_artifacts(weights)
    assert loaded is not None
    assert len(loaded["known"]) == 112
    classes = set(loaded["classes"]["class"])
    assert {"intracellular", "extracellular", "nucleus", "cytoplasm"} <= classes
    derived = loaded["attention"] + loaded["attention_strict"] + loaded["denovo"]
    assert derived and all(6 <= m.width <= 15 for m in loaded["denovo"])
    matches = loaded["matches"]
    assert {"query_id", "target_id", "p_value", "q_value", "offset"} <= set(matches.columns)
    assert matches["q_value"].between(0, 1).all()
    assert all((out / rel).is_file() for rel in loaded["report"]["logos"].values())
    results = json.loads((tmp_path / "motifs.json").read_text())
    assert results["metrics"]["motif_build_seconds"] > 0 and results["metrics"]["motif_scan_seconds"] < 0.2
    assert "## What was and was not recovered" in (tmp_path / "motifs.md").read_text()
    # the scan now reads the built known_motifs.meme
    query = "GGCUAGUGUUCCGAUCGAUCGGCAUUUAGUAUUUAGGCUAGGGAUUCCGAAA"
    hits = M.scan_known_motifs(query, weights_dir=weights)
    assert (hits["motif_id"] == "HWANG2007_AGUGUU").any()
    from_data = M.scan_motifs(query, M.known_motifs())
    cols = ["motif_id", "source", "start", "end", "matched"]
    assert hits[cols].equals(from_data[cols])
    np.testing.assert_allclose(hits["p_value"], from_data["p_value"], rtol=1e-6)


def test_best_known_matches_ranks_and_judges_significance():
    import pandas as pd

    matches = pd.DataFrame({
        "query_id": ["A", "A", "A", "A", "B"],
        "target_source": ["rbp", "known_localization", "attention", "rbp", "rbp"],
        "target_id": ["r1", "k1", "x", "r2", "r3"], "target_name": ["R1", "K1", "X", "R2", "R3"],
        "p_value": [0.01, 0.001, 1e-9, 0.2, 1e-6], "q_value": [0.2, 0.04, 1e-8, 0.5, 1e-5]})
    own, significant = M.best_known_matches(matches, "A", top=2)
    assert own["target_id"].tolist() == ["k1", "r1"] and significant  # attention motifs are not "known"
    own, significant = M.best_known_matches(matches[matches["target_id"] != "k1"], "A")
    assert own["target_id"].tolist() == ["r1", "r2"] and not significant
    assert M.best_known_matches(matches.iloc[:0], "A")[1] is False


def test_known_match_alignment_places_the_logos_at_the_tomtom_offset():
    import pandas as pd

    matches = pd.DataFrame({
        "query_id": ["A", "A", "B"], "target_source": ["rbp", "known_localization", "rbp"],
        "target_id": ["r1", "k1", "r3"], "target_name": ["HNRNPA1", "AGUGUU", "SRSF2"],
        "p_value": [0.01, 0.001, 1e-6], "q_value": [0.2, 0.04, 1e-5], "offset": [0, -3, 2]})
    a = M.known_match_alignment(matches, "A")
    assert (a["target_id"], a["target_name"], a["offset"], a["orientation"]) == ("k1", "AGUGUU", -3, "forward")
    assert (a["query_shift"], a["target_shift"], a["significant"]) == (0, 3, True)  # query starts 3 before target
    b = M.known_match_alignment(matches, "B")
    assert (b["query_shift"], b["target_shift"]) == (2, 0)  # query's first column on target column 2
    assert M.known_match_alignment(matches, "missing") is None


def test_released_matches_carry_offsets_and_the_report_its_statements():
    artifacts = load_motif_artifacts()
    if artifacts is None:
        pytest.skip("weights/motifs not built")
    assert "offset" in artifacts["matches"].columns
    derived = next(m for m in artifacts["attention"] if M.known_match_alignment(artifacts["matches"], m.id))
    alignment = M.known_match_alignment(artifacts["matches"], derived.id)
    target = artifacts["motifs"][alignment["target_id"]]
    assert alignment["target_name"] == target.name and target.source in ("rbp", "known_localization")
    statements = M.recovery_statements(artifacts["report"])
    assert statements == artifacts["report"]["statements"] and any("AGUGUU" in s for s in statements)
    assert M.recovery_statements(None) == []


def test_relative_attention_is_one_when_flat():
    np.testing.assert_allclose(M.relative_attention(np.full(12, 1 / 12)), np.ones(12))
    rel = M.relative_attention([0.041, 0.049, 0.045, 0.045])
    assert rel.mean() == pytest.approx(1.0) and rel.max() == pytest.approx(0.049 / 0.045)
    calls = M.call_seqlets("q", "ACGUACGUACGUACGU", np.r_[np.full(8, 0.05), np.full(8, 0.075)])
    assert calls[0].attention == pytest.approx(1.2)  # the segments use the same scale as the track
    assert set(M.EVALUE_NOTES) == {"attention", "glam2", "tomtom"}
