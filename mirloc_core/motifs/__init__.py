"""Sequence motifs: known localization signals, motifs read from the model's attention, and GLAM2 de novo motifs.

Everything is in the RNA alphabet ``ACGU`` (column order of every PWM, shape ``(width, 4)``); MEME files in the
DNA alphabet (``T`` for ``U``, as in Ray et al. 2013) are read unchanged. This module only re-exports the
public API of its submodules:

:mod:`~mirloc_core.motifs.pwm`
    :class:`Motif`, IUPAC ↔ PWM, consensus, information content.
:mod:`~mirloc_core.motifs.meme`
    MEME format (also a user's own MEME/STREME/GLAM2 file) and the 112 known motifs.
:mod:`~mirloc_core.motifs.scan`
    FIMO-style scan with exact p-values (forward strand); Benjamini–Hochberg q-values.
:mod:`~mirloc_core.motifs.seqlets`
    Attention → important positions → seqlets; known elements inside the seqlets.
:mod:`~mirloc_core.motifs.cluster`
    Seqlets → PWMs (seeded discriminative k-mer clustering).
:mod:`~mirloc_core.motifs.glam2`
    GLAM2 de novo motifs.
:mod:`~mirloc_core.motifs.compare`
    TOMTOM comparison, enrichment E-values, a user's MEME file against the motifs, the per-sequence view.
:mod:`~mirloc_core.motifs.build`
    ``python -m mirloc_core motifs build`` (not re-exported here: it runs the predictor).

Elsewhere: the built artefacts are loaded by :func:`mirloc_core.pretrained.load_motif_artifacts`, logos are
drawn by :func:`mirloc_core.plot.logo_figure`, and the report is :mod:`mirloc_core.reports.motifs`.
"""

from mirloc_core.motifs.cluster import cluster_seqlets
from mirloc_core.motifs.compare import (EVALUE_NOTES, MATCH_Q, annotate_sequence, best_known_matches, compare_motifs,
                                       compare_user_motifs, enrichment_evalues, known_match_alignment,
                                       recovery_statements, relative_attention)
from mirloc_core.motifs.glam2 import glam2_available, parse_glam2, run_glam2
from mirloc_core.motifs.meme import MAX_MEME_BYTES, MAX_MEME_MOTIFS, known_motifs, read_meme, write_meme
from mirloc_core.motifs.pwm import (ALPHABET, IUPAC, MAX_WIDTH, MIN_WIDTH, Motif, MotifFormatError,
                                    information_content, iupac_regex, iupac_to_pwm, pwm_consensus, pwm_from_sites)
from mirloc_core.motifs.scan import (SCAN_BIN, SCAN_THRESHOLD, benjamini_hochberg, motif_p_value, scan_known_motifs,
                                     scan_motifs, sequence_min_p)
from mirloc_core.motifs.seqlets import RULES, Seqlet, call_seqlets, important_positions, known_site_attention

__all__ = [
    "ALPHABET", "IUPAC", "MAX_MEME_BYTES", "MAX_MEME_MOTIFS", "MAX_WIDTH", "MIN_WIDTH", "RULES", "SCAN_BIN",
    "SCAN_THRESHOLD", "MATCH_Q", "EVALUE_NOTES", "known_match_alignment", "recovery_statements",
    "relative_attention", "Motif", "MotifFormatError", "Seqlet", "annotate_sequence", "benjamini_hochberg",
    "best_known_matches", "call_seqlets", "cluster_seqlets", "compare_motifs", "compare_user_motifs",
    "enrichment_evalues",
    "glam2_available", "important_positions", "information_content", "iupac_regex", "iupac_to_pwm",
    "known_motifs", "known_site_attention", "motif_p_value", "parse_glam2", "pwm_consensus", "pwm_from_sites",
    "read_meme", "run_glam2", "scan_known_motifs", "scan_motifs", "sequence_min_p", "write_meme",
]
