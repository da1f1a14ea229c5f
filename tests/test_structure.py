"""Tests of mirloc_core.structure: ViennaRNA fold, 2D layout, coarse-grained 3D model, offline 3Dmol.js (the 2D
drawing is tested in test_plot.py)."""

from __future__ import annotations

import numpy as np
import pytest

from mirloc_core import structure

MIR21_PRECURSOR = "UGUCGGGUAGCUUAUCAGACUGAUGUUGACUGUUGAAUCUCAUGGCAACACCAGUCGAUGGGCUGUCUGACA"
MIR29B = "UAGCACCAUUUGAAAUCAGUGUU"


def test_fold_of_a_precursor_is_a_hairpin():
    fold = structure.fold(MIR21_PRECURSOR)
    assert len(fold.dot_bracket) == len(MIR21_PRECURSOR)
    assert fold.mfe < -20  # a stable stem-loop
    assert fold.dot_bracket.count("(") == fold.dot_bracket.count(")") > 20
    for i, j in fold.pairs:  # every pair is a canonical or wobble pair
        assert {MIR21_PRECURSOR[i], MIR21_PRECURSOR[j]} in ({"G", "C"}, {"A", "U"}, {"G", "U"})


def test_dot_bracket_parser_rejects_unbalanced_input():
    assert structure.pairs_from_dot_bracket("((..))") == [(0, 5), (1, 4)]
    with pytest.raises(ValueError):
        structure.pairs_from_dot_bracket("((..)")
    with pytest.raises(ValueError):
        structure.pairs_from_dot_bracket("(..))")


@pytest.mark.parametrize("sequence, paired", [(MIR21_PRECURSOR, True), (MIR29B, True), ("A" * 20, False)])
def test_coarse_model_geometry(sequence, paired):
    fold = structure.fold(sequence)
    assert bool(fold.pairs) is paired
    coords = structure.coarse_grained_coordinates(fold.dot_bracket)
    assert coords.shape == (len(sequence), 3) and np.isfinite(coords).all()
    steps = np.linalg.norm(np.diff(coords, axis=0), axis=1)
    assert np.median(steps) == pytest.approx(structure.STEP, abs=0.3)  # P–P distance
    dists = np.linalg.norm(coords[:, None] - coords[None], axis=-1)[np.triu_indices(len(coords), 1)]
    assert dists.min() > 1.0  # no two pseudo-atoms on top of each other
    # helices leave the plane of the 2D layout; an unpaired chain stays in it
    assert (np.ptp(coords[:, 2]) > 5) if paired else (np.ptp(coords[:, 2]) == 0)


def test_helix_follows_a_form_rise_and_twist():
    fold = structure.fold(MIR21_PRECURSOR)
    coords = structure.coarse_grained_coordinates(fold.dot_bracket)
    (i, j), (i2, j2) = fold.pairs[0], fold.pairs[1]
    assert (i2, j2) == (i + 1, j - 1)
    # consecutive nucleotides of a strand within a helix: chord of 32.7° on a 9 Å radius plus the 2.8 Å rise
    expected = np.hypot(2 * structure.RADIUS * np.sin(structure.TWIST / 2), structure.RISE)
    assert np.linalg.norm(coords[i2] - coords[i]) == pytest.approx(expected, rel=0.01)
    # 11 steps of 32.7° are one full turn: the strand comes back above itself, 11 rises further on
    assert fold.pairs[10] == (i + 10, j - 10) and fold.pairs[11] == (i + 11, j - 11)
    assert np.linalg.norm(coords[i + 11] - coords[i]) == pytest.approx(11 * structure.RISE, rel=0.02)


def test_pdb_text_is_well_formed_and_labelled_as_a_model():
    fold = structure.fold(MIR29B)
    scores = np.linspace(0.2, 0.7, len(MIR29B))
    pdb = structure.coarse_grained_pdb(fold, scores, title="<script>x</script> test")
    atoms = [line for line in pdb.splitlines() if line.startswith("ATOM")]
    assert len(atoms) == len(MIR29B)
    assert "NOT A PREDICTED TERTIARY STRUCTURE" in pdb
    assert "<" not in pdb and ">" not in pdb.replace("->", "")
    first, last = atoms[0], atoms[-1]
    assert first[12:16] == " P  " and first[17:20].strip() == MIR29B[0] and first[21] == "A"
    assert int(first[22:26]) == 1 and int(last[22:26]) == len(MIR29B)
    assert float(first[60:66]) == 0.0 and float(last[60:66]) == 100.0  # B-factor = score scaled min-max to 0-100
    xyz = np.array([[float(a[30:38]), float(a[38:46]), float(a[46:54])] for a in atoms])
    assert np.allclose(xyz, structure.coarse_grained_coordinates(fold.dot_bracket), atol=1e-3)
    assert sum(line.startswith("CONECT") for line in pdb.splitlines()) >= len(MIR29B) - 1
    assert pdb.rstrip().endswith("END")


def test_score_length_must_match():
    with pytest.raises(ValueError):
        structure.coarse_grained_pdb(structure.fold(MIR29B), np.ones(3))


def test_normalise_scores():
    np.testing.assert_array_equal(structure.normalise_scores(None, 3), np.zeros(3))
    np.testing.assert_array_equal(structure.normalise_scores([[1, 2, 3]], 3), [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="2 scores for a sequence of 3 nt"):
        structure.normalise_scores([1, 2], 3)


def test_viewer_uses_the_vendored_3dmol_not_a_cdn():
    html = structure.viewer_html(structure.coarse_grained_pdb(structure.fold(MIR29B)))
    assert structure.THREEDMOL_JS.is_file() and structure.THREEDMOL_JS.stat().st_size > 100_000
    assert "$3Dmol" in html and "createViewer" in html
    assert "<script src" not in html and "cdn" not in html.lower().split("<script>")[0]
    assert "3dmol.org" not in html.lower().split("<script>")[0]
    # the PDB text is embedded as a JSON literal that cannot close the script element
    payload = html.split("var pdb = ", 1)[1].split(";\n", 1)[0]
    assert "</" not in payload


def test_mature_sites_mark_the_matures_of_a_hairpin_and_a_pasted_mature():
    sites = structure.mature_sites(MIR21_PRECURSOR)
    names = {s["name"]: (s["start"], s["end"]) for s in sites}
    assert names["hsa-miR-21-5p"] == (8, 29)
    assert MIR21_PRECURSOR[7:29] == "UAGCUUAUCAGACUGAUGUUGA"
    assert structure.mature_sites(MIR29B) == [{"name": "hsa-miR-29b-3p", "start": 1, "end": 23}]
    assert structure.mature_sites("GGGGAAAACCCCUUUUGGGGAAAACCCC") == []


def test_viewer_marks_the_mature_residues_in_the_legend_colour():
    fold = structure.fold(MIR21_PRECURSOR)
    html = structure.viewer_html(structure.coarse_grained_pdb(fold), matures=[{"name": "m", "start": 8, "end": 10}])
    assert "resi: [8, 9, 10]" in html and structure.MATURE_COLOUR in html
    assert all(colour in html for colour in structure.SCORE_COLOURS)
    assert "viewer.setStyle({resi" not in structure.viewer_html(structure.coarse_grained_pdb(fold))
