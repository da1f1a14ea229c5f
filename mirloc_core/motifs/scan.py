"""FIMO-style motif scanning with exact p-values.

A window's score is the sum of the motif's log-odds (FIMO's pseudocount, uniform background, discretised to
:data:`SCAN_BIN` bit); its p-value is the exact probability of a score at least as high under the background,
by dynamic programming over the discretised scores. Forward strand only (RNA is single stranded). Default
report threshold p ≤ 1e-3: the best possible p-value of a fully specified 6-mer is 4⁻⁶ = 2.4e-4, so FIMO's
usual 1e-4 could never report the 6-nt miRNA elements.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from mirloc_core.motifs.meme import known_motifs, read_meme
from mirloc_core.motifs.pwm import LETTER_INDEX, Motif

SCAN_THRESHOLD = 1e-3
SCAN_BIN = 0.05


def _log_odds(pwm: np.ndarray, nsites: int = 20, pseudocount: float = 0.1) -> np.ndarray:
    """FIMO's log-odds: counts pseudocount ``0.1`` spread by the uniform background, log2 ratio to 0.25."""
    n = max(int(nsites), 1)
    p = (pwm * n + pseudocount * 0.25) / (n + pseudocount)
    return np.log2(p / 0.25)


@dataclass(frozen=True)
class _ScanTable:
    scores: np.ndarray      # (width, 5) integer scores; column 4 = invalid letter (very low)
    survival: np.ndarray    # survival[s - smin] = P(score >= s) under the uniform background
    smin: int


def _scan_table(pwm: np.ndarray, nsites: int, bin_size: float = SCAN_BIN) -> _ScanTable:
    ints = np.rint(_log_odds(pwm, nsites) / bin_size).astype(np.int64)
    cur = np.array([1.0])  # distribution of the partial score sums, starting at cur_lo
    cur_lo = 0
    for row in ints:
        new_lo = cur_lo + int(row.min())
        new = np.zeros(len(cur) + int(row.max() - row.min()), dtype=np.float64)
        for s in row:
            start = cur_lo + int(s) - new_lo
            new[start:start + len(cur)] += 0.25 * cur
        cur, cur_lo = new, new_lo
    survival = np.cumsum(cur[::-1])[::-1]
    scores = np.concatenate([ints, np.full((len(ints), 1), -(10 ** 9), dtype=np.int64)], axis=1)
    return _ScanTable(scores, np.minimum(survival, 1.0), cur_lo)


def encode(sequence: str) -> np.ndarray:
    """Letter codes of a sequence (0–3 in ``ACGU`` order, ``T`` = ``U``; 4 for any other letter)."""
    seq = sequence.upper().replace("T", "U")
    return np.array([LETTER_INDEX.get(c, 4) for c in seq], dtype=np.int64)


def motif_p_value(motif: Motif, site: str) -> float:
    """Exact p-value (discretised score, uniform background) of one site of the motif's width."""
    table = _tables((motif,))[0]
    codes = encode(site)
    if len(codes) != motif.width:
        raise ValueError("site length differs from the motif width")
    score = int(table.scores[np.arange(motif.width), codes].sum())
    if score < table.smin:
        return 1.0
    return float(table.survival[score - table.smin])


def _tables(motifs: tuple) -> list[_ScanTable]:
    return [_cached_table(m.pwm.tobytes(), m.width, int(m.nsites)) for m in motifs]


@functools.lru_cache(maxsize=4096)
def _cached_table(pwm_bytes: bytes, width: int, nsites: int) -> _ScanTable:
    return _scan_table(np.frombuffer(pwm_bytes, dtype=np.float64).reshape(width, 4), nsites)


def scan_motifs(sequence: str, motifs: list[Motif], threshold: float = SCAN_THRESHOLD) -> pd.DataFrame:
    """Scan one sequence for motif sites (forward strand), FIMO-style.

    Each window's score is the sum of the motif's log-odds (FIMO's pseudocount, uniform background,
    discretised to 0.05 bit); its p-value is the exact probability of a score at least as high under the
    background, computed by dynamic programming over the discretised scores. Windows containing letters
    other than ACGU are skipped.

    Parameters
    ----------
    sequence : str
    motifs : list of Motif
    threshold : float
        Report sites with p-value ≤ threshold.

    Returns
    -------
    pandas.DataFrame
        Columns ``motif_id, motif_name, source, start`` (1-based), ``end`` (inclusive), ``strand`` (``+``),
        ``score`` (bits), ``p_value``, ``matched`` (the site, RNA letters); sorted by p-value then position.
    """
    codes = encode(sequence)
    seq = sequence.upper().replace("T", "U")
    rows = []
    tables = _tables(tuple(motifs))
    for motif, table in zip(motifs, tables):
        w = motif.width
        if len(codes) < w:
            continue
        windows = np.lib.stride_tricks.sliding_window_view(codes, w)
        scores = table.scores[np.arange(w)[None, :], windows].sum(axis=1)
        valid = scores >= table.smin
        if not valid.any():
            continue
        pvals = np.ones(len(scores))
        pvals[valid] = table.survival[scores[valid] - table.smin]
        for pos in np.flatnonzero(pvals <= threshold):
            rows.append((motif.id, motif.name, motif.source, int(pos) + 1, int(pos) + w, "+",
                         round(float(scores[pos]) * SCAN_BIN, 3), float(pvals[pos]), seq[pos:pos + w]))
    frame = pd.DataFrame(rows, columns=["motif_id", "motif_name", "source", "start", "end", "strand", "score",
                                        "p_value", "matched"])
    return frame.sort_values(["p_value", "start", "motif_id"], kind="stable").reset_index(drop=True)


@functools.lru_cache(maxsize=4)
def _known_for_scan(path_key: str) -> tuple:
    if path_key:
        motifs = read_meme(Path(path_key), source_name="known_localization")
        for m in motifs:
            if m.id.startswith("RNCMPT"):
                m.source = "rbp"
        return tuple(motifs)
    return tuple(known_motifs())


def _known_motif_source(weights_dir=None) -> str:
    """Path of the built ``known_motifs.meme`` when present, else ``""`` (read the shared data)."""
    from mirloc_core.config import weights_dir as _weights_dir

    path = Path(weights_dir or _weights_dir()) / "motifs" / "known_motifs.meme"
    return str(path) if path.is_file() else ""


def scan_known_motifs(sequence: str, threshold: float = SCAN_THRESHOLD, weights_dir=None) -> pd.DataFrame:
    """FIMO-style hits of the 112 known motifs (10 localization + 102 RBP) in one sequence.

    Uses ``weights/motifs/known_motifs.meme`` when built (no shared data needed), else the shared data.
    See :func:`scan_motifs` for the columns (``motif_id, start`` (1-based), ``end, strand, score, p_value,
    matched``, plus ``motif_name`` and ``source``). Note that ``AGNGUN`` (4 specified letters, best
    p = 4⁻⁴) can never pass the default threshold of 1e-3.
    """
    motifs = list(_known_for_scan(_known_motif_source(weights_dir)))
    return scan_motifs(sequence, motifs, threshold)


def sequence_min_p(motif: Motif, sequence: str) -> float:
    """Length-corrected best-site p-value of a motif in a sequence: 1 − (1 − p_min)^(number of windows)."""
    table = _tables((motif,))[0]
    codes = encode(sequence)
    w = motif.width
    if len(codes) < w:
        return 1.0
    windows = np.lib.stride_tricks.sliding_window_view(codes, w)
    scores = table.scores[np.arange(w)[None, :], windows].sum(axis=1)
    valid = scores >= table.smin
    if not valid.any():
        return 1.0
    pmin = float(table.survival[scores[valid].max() - table.smin])
    return float(-np.expm1(len(windows) * np.log1p(-min(pmin, 1 - 1e-16))))


def benjamini_hochberg(p: np.ndarray) -> np.ndarray:
    """Benjamini–Hochberg q-values of the p-values ``p`` (same order), capped at 1."""
    p = np.asarray(p, dtype=np.float64)
    n = len(p)
    order = np.argsort(p, kind="stable")
    ranked = p[order] * n / np.arange(1, n + 1)
    q = np.minimum.accumulate(ranked[::-1])[::-1]
    out = np.empty(n)
    out[order] = np.minimum(q, 1.0)
    return out
