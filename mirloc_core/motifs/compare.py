"""Comparing motifs: TOMTOM (memelite) with q-values, discriminative enrichment E-values, a user's own MEME
file against the known and built motifs, and the per-sequence motif view of the app."""

from __future__ import annotations

import numpy as np
import pandas as pd

from mirloc_core.motifs.meme import known_motifs, read_meme
from mirloc_core.motifs.pwm import Motif
from mirloc_core.motifs.scan import (SCAN_THRESHOLD, benjamini_hochberg, scan_known_motifs, scan_motifs,
                                     sequence_min_p)
from mirloc_core.motifs.seqlets import call_seqlets


def enrichment_evalues(motifs: list[Motif], positives: list[str], negatives: list[str],
                       n_tests: int | None = None) -> list[dict]:
    """Discriminative enrichment of motifs in class sequences versus the other classes.

    For each motif, each sequence's length-corrected best-site p-value
    (:func:`~mirloc_core.motifs.scan.sequence_min_p`) is computed;
    a one-sided Mann–Whitney U test asks whether positives have smaller values than negatives. The E-value is
    that p-value times ``n_tests`` (default: the number of motifs), as MEME-suite tools report E-values.
    """
    from scipy.stats import mannwhitneyu

    n_tests = n_tests or max(len(motifs), 1)
    out = []
    for motif in motifs:
        pos = np.array([sequence_min_p(motif, s) for s in positives])
        neg = np.array([sequence_min_p(motif, s) for s in negatives])
        if len(pos) == 0 or len(neg) == 0:
            out.append({"p_value": None, "evalue": None, "median_pos": None, "median_neg": None})
            continue
        p = float(mannwhitneyu(pos, neg, alternative="less").pvalue)
        out.append({"p_value": p, "evalue": min(p * n_tests, float(n_tests)),
                    "frac_pos_p01": float((pos <= 0.1).mean()), "frac_neg_p01": float((neg <= 0.1).mean())})
    return out


def compare_motifs(queries: list[Motif], targets: list[Motif], exclude_same_source: bool = True,
                   n_jobs: int = 1) -> pd.DataFrame:
    """TOMTOM comparison of every query with every target (memelite, complete score, forward strand only).

    Parameters
    ----------
    queries, targets : list of Motif
        Target columns form TOMTOM's background, so use a full database (≥ 25 motifs, e.g. the 112 known
        motifs plus the project's own).
    exclude_same_source : bool
        Drop pairs whose query and target come from the same source *and* class (a motif against itself
        or its siblings) before computing q-values.

    Returns
    -------
    pandas.DataFrame
        One row per (query, target): ``query_id, query_source, query_label, target_id, target_name,
        target_source, target_label, p_value, e_value`` (p × number of targets compared), ``q_value``
        (Benjamini–Hochberg over the query's comparisons, as TOMTOM does per query), ``offset`` (the target
        column the query's first column aligns with; negative = the query starts before the target),
        ``overlap`` (aligned columns), ``rank`` (1 = best target of this query); sorted by query then rank.
    """
    from memelite import tomtom

    import warnings

    qs = [np.ascontiguousarray(m.pwm.T) for m in queries]
    ts = [np.ascontiguousarray(m.pwm.T) for m in targets]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        p, _scores, offsets, overlaps, _strands = tomtom(qs, ts, reverse_complement=False, n_jobs=n_jobs)
    rows = []
    for i, q in enumerate(queries):
        keep = [j for j, t in enumerate(targets)
                if t.id != q.id and not (exclude_same_source and t.source == q.source and t.label == q.label)]
        if not keep:
            continue
        pv = np.clip(np.nan_to_num(p[i, keep], nan=1.0), 0.0, 1.0)
        qv = benjamini_hochberg(pv)
        ranks = np.empty(len(keep), dtype=int)
        ranks[np.argsort(pv, kind="stable")] = np.arange(1, len(keep) + 1)
        for j, t_index in enumerate(keep):
            t = targets[t_index]
            rows.append((q.id, q.source, q.label, t.id, t.name, t.source, t.label, float(pv[j]),
                         float(min(pv[j] * len(keep), len(keep))), float(qv[j]), int(offsets[i, t_index]),
                         int(overlaps[i, t_index]), int(ranks[j])))
    frame = pd.DataFrame(rows, columns=["query_id", "query_source", "query_label", "target_id", "target_name",
                                        "target_source", "target_label", "p_value", "e_value", "q_value",
                                        "offset", "overlap", "rank"])
    return frame.sort_values(["query_id", "rank"], kind="stable").reset_index(drop=True)


def compare_user_motifs(source, artifacts: dict | None = None) -> pd.DataFrame:
    """TOMTOM of a user's MEME-format file (MEME/STREME/GLAM2 output …) against the known motifs and,
    when built, the attention and GLAM2 motifs of ``weights/motifs``.

    Parameters
    ----------
    source : str, Path or bytes
        The file (path, text or uploaded bytes); see :func:`~mirloc_core.motifs.meme.read_meme`.
    artifacts : dict, optional
        :func:`mirloc_core.pretrained.load_motif_artifacts` output; the known motifs then come from it (no
        shared data needed).

    Returns
    -------
    pandas.DataFrame
        :func:`compare_motifs` columns, the user's motifs as queries (``query_source="user"``).
    """
    queries = read_meme(source, source_name="user")
    if artifacts:
        targets = artifacts["known"] + artifacts["attention"] + artifacts["attention_strict"] + artifacts["denovo"]
    else:
        targets = known_motifs()
    return compare_motifs(queries, targets, exclude_same_source=False)


def annotate_sequence(sequence: str, attention: np.ndarray | None = None, artifacts: dict | None = None,
                      rule: str = "median", threshold: float = SCAN_THRESHOLD) -> dict:
    """Per-sequence motif view for the app.

    Returns ``{"seqlets": DataFrame(start, end (1-based, inclusive), sequence, attention)`` (empty without
    attention), ``"known_hits"``: :func:`scan_known_motifs`, ``"model_motif_hits"``: sites of the built
    attention and GLAM2 motifs (empty when not built)}.
    """
    seqlets = pd.DataFrame(columns=["start", "end", "sequence", "attention"])
    if attention is not None:
        calls = call_seqlets("query", sequence, attention, rule=rule)
        seqlets = pd.DataFrame([(s.start + 1, s.end, s.sequence, round(s.attention, 3)) for s in calls],
                               columns=["start", "end", "sequence", "attention"])
    known = scan_known_motifs(sequence, threshold)
    model_hits = pd.DataFrame(columns=known.columns)
    if artifacts:
        model_hits = scan_motifs(sequence, artifacts["attention"] + artifacts["denovo"], threshold)
    return {"seqlets": seqlets, "known_hits": known, "model_motif_hits": model_hits}


MATCH_Q = 0.05
"""A TOMTOM match is called significant at q ≤ this."""


def best_known_matches(matches: pd.DataFrame, motif_id: str, top: int = 3) -> tuple[pd.DataFrame, bool]:
    """The ``top`` known motifs (localization motifs and RBPs) that best match ``motif_id`` in a TOMTOM table,
    and whether any is significant at q ≤ :data:`MATCH_Q`."""
    if not len(matches) or "query_id" not in matches.columns:
        return pd.DataFrame(columns=["target_id", "target_name", "p_value", "q_value"]), False
    own = matches[(matches["query_id"] == motif_id) & matches["target_source"].isin(["known_localization", "rbp"])]
    own = own.nsmallest(top, "p_value")[["target_id", "target_name", "p_value", "q_value"]]
    return own, bool(len(own)) and float(own["q_value"].min()) <= MATCH_Q


EVALUE_NOTES = {
    "attention": "E-value of an attention motif: how surprising its seed 6-mer is inside the important segments "
                 "versus outside them in the same sequences (hypergeometric p × 4⁶ 6-mers); E ≤ 0.05 means the "
                 "attention prefers it.",
    "glam2": "E-value of a GLAM2 motif: whether its best site separates held-out members of the class from other "
             "classes (Mann–Whitney p × motifs of the class); a degenerate motif (low bits, e.g. NDCNNU) can reach "
             "a tiny E-value by matching almost any sequence slightly better, so read it with the logo's height.",
    "tomtom": "TOMTOM p: the chance that a random known-motif column set matches this well at the best offset; "
              "q: the false-discovery rate over all known motifs compared (q ≤ 0.05 = a match).",
}
"""One plain-language line per E-value / p-value shown on the Motifs page."""


def known_match_alignment(matches: pd.DataFrame, motif_id: str) -> dict | None:
    """The best known motif (localization element or RBP) of ``motif_id`` and how its logo lines up.

    TOMTOM's ``offset`` is the target column where the query's first column sits (negative: the query starts
    before the target); the comparison is forward strand only, so the orientation is always "forward".

    Returns
    -------
    dict or None
        ``target_id``, ``target_name``, ``p_value``, ``q_value``, ``offset``, ``orientation``,
        ``query_shift`` and ``target_shift`` (columns of blank space before each logo on a common axis),
        ``significant``; None without a known match.
    """
    own, significant = best_known_matches(matches, motif_id, top=1)
    if not len(own):
        return None
    best = matches[(matches["query_id"] == motif_id) & (matches["target_id"] == own.iloc[0]["target_id"])].iloc[0]
    offset = int(best["offset"]) if "offset" in best.index else 0
    return {"target_id": str(best["target_id"]), "target_name": str(best["target_name"]),
            "p_value": float(best["p_value"]), "q_value": float(best["q_value"]), "offset": offset,
            "orientation": "forward", "query_shift": max(offset, 0), "target_shift": max(-offset, 0),
            "significant": significant}


def relative_attention(attention) -> np.ndarray:
    """Attention divided by its mean: 1 = what a perfectly flat (uniform) attention gives every position."""
    a = np.asarray(attention, dtype=np.float64)
    return a / max(float(a.mean()), 1e-300)


def recovery_statements(report: dict | None) -> list[str]:
    """The build's "what was and was not recovered" sentences (``motifs.json`` → ``statements``)."""
    return [str(s) for s in (report or {}).get("statements", [])]
