"""Attention → important positions → seqlets, and whether the known elements sit inside the seqlets.

Important positions are those with attention above the per-sequence median (RNALoc-LM's rule) or, with the
stricter rule, above the 80th percentile (about the top 20 %); runs of them, widened or cut to 6–15 nt, are the
seqlets (:func:`call_seqlets`), which :func:`mirloc_core.motifs.cluster.cluster_seqlets` turns into PWMs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from mirloc_core.motifs.pwm import MAX_WIDTH, MIN_WIDTH, Motif, iupac_regex
from mirloc_core.motifs.scan import benjamini_hochberg

RULES = ("median", "strict")
"""The two important-position rules (see :func:`important_positions`)."""


@dataclass
class Seqlet:
    """A window of a sequence that the attention marks as important.

    ``core_start``/``core_end`` delimit the run of important positions (0-based, end exclusive);
    ``start``/``end`` the seqlet after widening to the minimum width or cutting to the maximum width.
    """

    seq_id: str
    start: int
    end: int
    core_start: int
    core_end: int
    sequence: str
    attention: float  # mean attention over the seqlet, relative to uniform (1 = uniform)


def important_positions(attention: np.ndarray, rule: str = "median") -> np.ndarray:
    """Boolean mask of the important positions of one sequence.

    ``median``: attention strictly above the sequence's median (RNALoc-LM's rule; about half the positions).
    ``strict``: attention strictly above the sequence's 80th percentile (about the top 20 %).
    """
    a = np.asarray(attention, dtype=np.float64)
    if rule == "median":
        return a > np.median(a)
    if rule == "strict":
        return a > np.quantile(a, 0.8)
    raise ValueError(f"unknown rule {rule!r}: use 'median' or 'strict'")


def _runs(mask: np.ndarray, max_gap: int) -> list[tuple[int, int]]:
    idx = np.flatnonzero(mask)
    if len(idx) == 0:
        return []
    runs, start, prev = [], idx[0], idx[0]
    for i in idx[1:]:
        if i - prev - 1 > max_gap:
            runs.append((int(start), int(prev) + 1))
            start = i
        prev = i
    runs.append((int(start), int(prev) + 1))
    return runs


def call_seqlets(seq_id: str, sequence: str, attention: np.ndarray, rule: str = "median",
                 min_width: int = MIN_WIDTH, max_width: int = MAX_WIDTH, max_gap: int = 1) -> list[Seqlet]:
    """Seqlets of one sequence: runs of important positions, widened or cut to ``min_width``–``max_width``.

    Runs of important positions (:func:`important_positions`; gaps of at most ``max_gap`` unimportant
    positions are bridged) form the cores. A core shorter than ``min_width`` is widened symmetrically
    (within the sequence); a core longer than ``max_width`` is cut to its ``max_width`` window of highest
    attention, and the remainders on either side become seqlets in turn when at least ``min_width`` long.
    Every core starts and ends on an important position.
    """
    a = np.asarray(attention, dtype=np.float64)
    if len(a) != len(sequence):
        raise ValueError(f"{seq_id}: attention length {len(a)} differs from sequence length {len(sequence)}")
    n = len(sequence)
    if n < min_width:
        return []
    mask = important_positions(a, rule)
    out: list[Seqlet] = []

    def emit(cs: int, ce: int) -> None:
        while cs < ce and not mask[cs]:  # cores start and end on important positions
            cs += 1
        while ce > cs and not mask[ce - 1]:
            ce -= 1
        if ce <= cs:
            return
        if ce - cs > max_width:
            sums = np.convolve(a[cs:ce], np.ones(max_width), mode="valid")
            best = cs + int(np.argmax(sums))
            emit(best, best + max_width)
            if best - cs >= min_width:
                emit(cs, best)
            if ce - (best + max_width) >= min_width:
                emit(best + max_width, ce)
            return
        s, e = cs, ce
        if e - s < min_width:
            extra = min_width - (e - s)
            s = max(0, s - extra // 2)
            e = min(n, s + min_width)
            s = e - min_width
        out.append(Seqlet(seq_id, s, e, cs, ce, sequence[s:e], float(a[s:e].mean() / max(a.mean(), 1e-300))))

    for cs, ce in _runs(mask, max_gap):
        emit(cs, ce)
    out.sort(key=lambda x: x.start)
    return out


def known_site_attention(classes_attention: dict[str, tuple[dict, dict]], known: list[Motif],
                         rule: str = "median") -> pd.DataFrame:
    """Does the attention point at the known localization elements? A direct test, independent of clustering.

    For each class and each IUPAC-defined known motif, its exact sites in the class's attention set are
    counted inside seqlets (the whole site within one seqlet) and outside, against all windows of the same
    width (one-sided hypergeometric test), with the mean attention over the sites relative to uniform.

    Parameters
    ----------
    classes_attention : dict
        class → (``{id: sequence}``, ``{id: attention}``).
    known : list of Motif
        Motifs with ``source="known_localization"`` are used (their ``name`` is the IUPAC consensus).
    """
    from scipy.stats import hypergeom

    rows = []
    for key, (sequences, attention) in classes_attention.items():
        seqlets = {sid: call_seqlets(sid, seq, attention[sid], rule=rule) for sid, seq in sequences.items()}
        for motif in known:
            if motif.source != "known_localization":
                continue
            pattern = re.compile(iupac_regex(motif.name))
            w = len(motif.name)
            sites_in = sites = windows_in = windows = 0
            rel = []
            for sid, seq in sequences.items():
                n = len(seq) - w + 1
                if n <= 0:
                    continue
                inside = np.zeros(n, dtype=bool)
                for sl in seqlets[sid]:
                    inside[sl.start:max(sl.start, sl.end - w + 1)] = True
                windows += n
                windows_in += int(inside.sum())
                a = attention[sid]
                for match in pattern.finditer(seq):
                    pos = match.start()
                    sites += 1
                    sites_in += int(inside[pos])
                    rel.append(float(a[pos:pos + w].mean() / a.mean()))
            p = float(hypergeom.sf(sites_in - 1, windows, windows_in, sites)) if sites else None
            rows.append({"class": key, "motif_id": motif.id, "consensus": motif.name, "sites": sites,
                         "sites_in_seqlets": sites_in,
                         "expected_in_seqlets": round(sites * windows_in / windows, 2) if windows else None,
                         "fraction_windows_in_seqlets": round(windows_in / windows, 3) if windows else None,
                         "mean_relative_attention": round(float(np.mean(rel)), 3) if rel else None,
                         "p_value": p})
    frame = pd.DataFrame(rows)
    if len(frame):
        valid = frame["p_value"].notna()
        frame["q_value"] = np.nan
        frame.loc[valid, "q_value"] = benjamini_hochberg(frame.loc[valid, "p_value"].to_numpy())
    return frame
