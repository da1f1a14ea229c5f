"""Sequence motifs: known localization signals, motifs read from the model's attention, and GLAM2 de novo motifs.

Everything is in the RNA alphabet ``ACGU`` (column order of every PWM, shape ``(width, 4)``). MEME-format files
written in the DNA alphabet (``T`` stands for ``U``, as in Ray et al. 2013) are read unchanged.

Pieces
------
iupac_to_pwm, pwm_consensus, information_content
    IUPAC consensus ↔ position weight matrix (PWM, letter probabilities).
read_meme, write_meme
    MEME motif format (also a user's own MEME/STREME/GLAM2 output, DNA or RNA alphabet).
known_motifs
    The 10 known localization motifs (IUPAC, ``load_known_motifs``) + 102 RNAcompete RBP motifs.
scan_motifs, scan_known_motifs
    FIMO-style log-odds scan with exact p-values of the (0.05-bit) discretised score, forward strand only
    (RNA is single stranded). Default report threshold p ≤ 1e-3: the best possible p-value of a fully
    specified 6-mer is 4⁻⁶ = 2.4e-4, so FIMO's usual 1e-4 could never report the 6-nt miRNA elements.
important_positions, call_seqlets, cluster_seqlets
    Attention → important positions (above the per-sequence median, RNALoc-LM's rule, or a stricter
    top-20 % rule) → seqlets of width 6–15 → PWMs by seeded clustering (see :func:`cluster_seqlets`).
run_glam2
    GLAM2 (the MEME suite's gapped motif finder, Debian package ``glam2``) via ``subprocess``; repeated
    runs with ``glam2mask`` give several motifs; output converted to :class:`Motif`/MEME.
compare_motifs, compare_user_motifs
    TOMTOM (``memelite.tomtom``, complete score, forward strand) with p-values, per-query Benjamini–Hochberg
    q-values, E-values and offsets; a user's own MEME/STREME file against the known and built motifs.
logo_figure
    A logomaker sequence logo of a PWM as a matplotlib Figure (the app's Motifs page calls it).
load_motif_artifacts, cli_build
    The built artefacts in ``weights/motifs/`` and the command that builds them
    (``python -m mirloc_core motifs build [--subset N]``).

Artefacts (``weights/motifs/``)
-------------------------------
``known_motifs.meme`` (the 112 known motifs in RNA alphabet, so the scan works without the shared data),
``attention_motifs.meme`` (median rule), ``attention_motifs_strict.meme`` (strict rule), ``denovo_glam2.meme``,
``motifs.json`` (per motif: id, source, class, rule, consensus, PWM, E-value, sites; per class summary; the
TOMTOM match table; configuration), ``matches.csv`` (the same match table), ``logos/<motif id>.png`` and
``manifest.json`` (sha256 of every file).

:func:`load_motif_artifacts` returns ``None`` when the directory has not been built, else a dict with keys
``dir``, ``manifest``, ``report`` (motifs.json), ``motifs`` (id → :class:`Motif`), ``attention``,
``attention_strict``, ``denovo``, ``known`` (lists of :class:`Motif`), ``matches`` (DataFrame),
``classes`` (DataFrame, one row per class: sizes of the sets, seqlet and motif counts for both rules) and
``logos`` (id → PNG path).

Sizes: the full build takes ~2–8 minutes on 2 cores (mostly running the two sequence models on ~1,900
training sequences); a warm per-sequence known-motif scan takes a few milliseconds. ``memelite`` compiles
TOMTOM with numba on first use (about a minute); set ``NUMBA_CACHE_DIR`` to keep the compiled code.
"""

from __future__ import annotations

import argparse
import functools
import io
import json
import math
import os
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

ALPHABET = "ACGU"
_INDEX = {c: i for i, c in enumerate(ALPHABET)}
_INDEX["T"] = 3

IUPAC = {
    "A": "A", "C": "C", "G": "G", "U": "U", "T": "U",
    "R": "AG", "Y": "CU", "S": "CG", "W": "AU", "K": "GU", "M": "AC",
    "B": "CGU", "D": "AGU", "H": "ACU", "V": "ACG", "N": "ACGU",
}
_CODE_OF_SET = {frozenset(v): k for k, v in IUPAC.items() if k != "T"}

SCAN_THRESHOLD = 1e-3
SCAN_BIN = 0.05
MIN_WIDTH, MAX_WIDTH = 6, 15
MAX_MEME_BYTES = 2_000_000
MAX_MEME_MOTIFS = 2000
BINARY_CLASSES = ("extracellular", "intracellular")
RULES = ("median", "strict")


class MotifFormatError(ValueError):
    """A motif file or consensus could not be read; the message says where and why."""


# ----------------------------------------------------------------------------------------------------------
# Motifs and PWMs
# ----------------------------------------------------------------------------------------------------------
@dataclass
class Motif:
    """A position weight matrix with its provenance.

    Attributes
    ----------
    id : str
        Unique identifier (first word of the MEME ``MOTIF`` line).
    pwm : ndarray, shape (width, 4)
        Letter probabilities in ``ACGU`` order; rows sum to 1.
    name : str
        Alternative name (second word of the ``MOTIF`` line), e.g. the RBP or the consensus.
    source : str
        ``known_localization``, ``rbp``, ``attention``, ``glam2`` or ``user``.
    label : str
        The class it was derived for (compartment key or ``intracellular``/``extracellular``), or the
        localization a known motif is associated with.
    nsites : int
        Number of sites the PWM was estimated from (MEME's ``nsites``).
    evalue : float or None
        E-value (MEME's ``E``); see the module that produced it for its definition.
    info : dict
        Anything else (rule, number of seqlets, GLAM2 score, literature source …), JSON-serialisable.
    """

    id: str
    pwm: np.ndarray
    name: str = ""
    source: str = ""
    label: str = ""
    nsites: int = 20
    evalue: float | None = None
    info: dict = field(default_factory=dict)

    def __post_init__(self):
        pwm = np.asarray(self.pwm, dtype=np.float64)
        if pwm.ndim != 2 or pwm.shape[1] != 4 or pwm.shape[0] < 1:
            raise MotifFormatError(f"motif {self.id}: PWM must have shape (width, 4), got {pwm.shape}")
        if not np.isfinite(pwm).all() or (pwm < 0).any():
            raise MotifFormatError(f"motif {self.id}: PWM has negative or non-finite entries")
        sums = pwm.sum(axis=1, keepdims=True)
        if (sums <= 0).any():
            raise MotifFormatError(f"motif {self.id}: a PWM row sums to 0")
        self.pwm = pwm / sums

    @property
    def width(self) -> int:
        """Number of columns."""
        return int(self.pwm.shape[0])

    @property
    def consensus(self) -> str:
        """IUPAC consensus (see :func:`pwm_consensus`)."""
        return pwm_consensus(self.pwm)

    def to_dict(self) -> dict:
        """JSON-serialisable form (PWM rounded to 4 decimals)."""
        return {
            "id": self.id, "name": self.name, "source": self.source, "label": self.label,
            "width": self.width, "consensus": self.consensus, "nsites": int(self.nsites),
            "evalue": None if self.evalue is None else float(self.evalue),
            "information_bits": round(float(information_content(self.pwm).sum()), 3),
            "pwm": np.round(self.pwm, 4).tolist(), "info": self.info,
        }

    @classmethod
    def from_dict(cls, d: dict) -> "Motif":
        """Inverse of :meth:`to_dict`."""
        return cls(d["id"], np.array(d["pwm"], dtype=np.float64), d.get("name", ""), d.get("source", ""),
                   d.get("label", ""), int(d.get("nsites", 20)), d.get("evalue"), d.get("info", {}))


def iupac_to_pwm(consensus: str) -> np.ndarray:
    """Convert an IUPAC consensus (RNA or DNA letters) into a PWM.

    Each position gets probability ``1/k`` for each of the ``k`` nucleotides its code stands for
    (``N`` → 0.25 each; ``R`` = A/G → 0.5, 0.5; ``Y`` = C/U → 0.5, 0.5).

    Parameters
    ----------
    consensus : str
        e.g. ``"AGUGUU"``, ``"AGNGUN"``, ``"RCCUCCC"`` (case-insensitive, ``T`` = ``U``).

    Returns
    -------
    ndarray, shape (len(consensus), 4)
        Probabilities in ``ACGU`` column order.
    """
    text = str(consensus).strip().upper()
    if not text:
        raise MotifFormatError("empty IUPAC consensus")
    pwm = np.zeros((len(text), 4), dtype=np.float64)
    for i, code in enumerate(text):
        if code not in IUPAC:
            raise MotifFormatError(f"invalid IUPAC code {code!r} at position {i + 1} of {consensus!r}")
        letters = IUPAC[code]
        for letter in letters:
            pwm[i, _INDEX[letter]] = 1.0 / len(letters)
    return pwm


def pwm_consensus(pwm: np.ndarray, threshold: float = 0.5) -> str:
    """IUPAC consensus of a PWM.

    A column is a single letter when that letter has probability > ``threshold``; otherwise the smallest set
    of letters (taken by decreasing probability) that reaches 0.8 is written as its IUPAC code (``N`` when
    three letters are not enough).
    """
    out = []
    for row in np.asarray(pwm, dtype=np.float64):
        order = np.argsort(-row, kind="stable")
        if row[order[0]] > threshold:
            out.append(ALPHABET[order[0]])
            continue
        total, chosen = 0.0, []
        for j in order:
            chosen.append(ALPHABET[j])
            total += row[j]
            if total >= 0.8:
                break
        out.append(_CODE_OF_SET.get(frozenset(chosen), "N") if len(chosen) < 4 else "N")
    return "".join(out)


def information_content(pwm: np.ndarray) -> np.ndarray:
    """Information content (bits) of each column against a uniform background."""
    p = np.clip(np.asarray(pwm, dtype=np.float64), 1e-12, 1.0)
    return 2.0 + (p * np.log2(p)).sum(axis=1)


def pwm_from_sites(sites: list[str], pseudocount: float = 0.0) -> np.ndarray:
    """Letter frequencies of equal-length aligned sites (letters outside ACGU/T are ignored)."""
    width = len(sites[0])
    counts = np.full((width, 4), pseudocount, dtype=np.float64)
    for site in sites:
        for i, ch in enumerate(site):
            j = _INDEX.get(ch)
            if j is not None:
                counts[i, j] += 1
    counts[counts.sum(axis=1) == 0] = 1.0
    return counts / counts.sum(axis=1, keepdims=True)


# ----------------------------------------------------------------------------------------------------------
# MEME format
# ----------------------------------------------------------------------------------------------------------
def _meme_text(source) -> str:
    if isinstance(source, bytes):
        if len(source) > MAX_MEME_BYTES:
            raise MotifFormatError(f"MEME file too large ({len(source)} bytes; at most {MAX_MEME_BYTES})")
        return source.decode("utf-8", errors="replace")
    if isinstance(source, Path) or (isinstance(source, str) and "\n" not in source and len(source) < 4096
                                    and Path(source).is_file()):
        path = Path(source)
        if path.stat().st_size > MAX_MEME_BYTES:
            raise MotifFormatError(f"MEME file {path} too large (at most {MAX_MEME_BYTES} bytes)")
        return path.read_text(errors="replace")
    if isinstance(source, str):
        return source
    raise MotifFormatError(f"cannot read motifs from a {type(source).__name__}")


def read_meme(source, source_name: str = "user") -> list[Motif]:
    """Read motifs from a MEME-format file (MEME, STREME, DREME, TOMTOM databases, our own files).

    Parameters
    ----------
    source : str, Path or bytes
        A path, or the file's text/bytes (e.g. an upload).
    source_name : str
        Stored as :attr:`Motif.source`.

    Returns
    -------
    list of Motif
        In file order. DNA-alphabet files are read as RNA (``T`` = ``U``).

    Raises
    ------
    MotifFormatError
        Not a nucleotide MEME file, a malformed matrix, or no motif at all.
    """
    text = _meme_text(source)
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    alphabet = None
    motifs: list[Motif] = []
    current_id, current_name = None, ""
    i = 0
    while i < len(lines):
        line = lines[i].strip()
        if line.startswith("ALPHABET"):
            match = re.match(r"ALPHABET\s*=\s*(\S+)", line)
            if match:
                alphabet = match.group(1).upper()
            elif "RNA" in line.upper():
                alphabet = "ACGU"
            elif "DNA" in line.upper():
                alphabet = "ACGT"
            if alphabet is not None and sorted(alphabet.replace("T", "U")) != sorted(ALPHABET):
                raise MotifFormatError(f"line {i + 1}: alphabet {alphabet!r} is not a nucleotide alphabet")
        elif line.startswith("MOTIF"):
            words = line.split()
            if len(words) < 2:
                raise MotifFormatError(f"line {i + 1}: MOTIF without an identifier")
            current_id, current_name = words[1], " ".join(words[2:])
        elif line.startswith("letter-probability matrix"):
            if current_id is None:
                raise MotifFormatError(f"line {i + 1}: letter-probability matrix before any MOTIF line")
            params = dict(re.findall(r"(\w+)\s*=\s*(\S+)", line.split(":", 1)[1] if ":" in line else ""))
            alength = int(float(params.get("alength", 4)))
            if alength != 4:
                raise MotifFormatError(f"line {i + 1}: alength={alength}; only nucleotide motifs (4) are supported")
            width = int(float(params["w"])) if "w" in params else None
            rows = []
            j = i + 1
            while j < len(lines) and (width is None or len(rows) < width):
                row_text = lines[j].strip()
                if not row_text:
                    if width is None and rows:
                        break
                    j += 1
                    continue
                try:
                    row = [float(x) for x in row_text.split()]
                except ValueError:
                    if width is None:
                        break
                    raise MotifFormatError(f"line {j + 1}: expected {width} matrix rows for motif {current_id}")
                if len(row) != 4:
                    raise MotifFormatError(f"line {j + 1}: expected 4 probabilities, found {len(row)}")
                rows.append(row)
                j += 1
            if not rows or (width is not None and len(rows) != width):
                raise MotifFormatError(f"motif {current_id}: expected {width} rows, found {len(rows)}")
            pwm = np.array(rows, dtype=np.float64)
            if (pwm < 0).any() or np.abs(pwm.sum(axis=1) - 1).max() > 0.05:
                raise MotifFormatError(f"motif {current_id}: rows must be probabilities summing to 1")
            evalue = params.get("E")
            try:
                evalue = float(evalue) if evalue is not None else None
            except ValueError:
                evalue = None
            nsites = int(float(params.get("nsites", 20)))
            motifs.append(Motif(current_id, pwm, current_name, source_name, "", max(nsites, 1), evalue))
            if len(motifs) > MAX_MEME_MOTIFS:
                raise MotifFormatError(f"more than {MAX_MEME_MOTIFS} motifs")
            current_id = None
            i = j
            continue
        i += 1
    if not motifs:
        raise MotifFormatError("no motif found: expected MEME format (MOTIF lines with letter-probability matrices)")
    return motifs


def write_meme(motifs: list[Motif], path=None) -> str:
    """Write motifs in MEME format (version 5, RNA alphabet ``ACGU``, forward strand).

    Returns the text; also writes it to ``path`` when given.
    """
    out = io.StringIO()
    out.write("MEME version 5\n\nALPHABET= ACGU\n\nstrands: +\n\n")
    out.write("Background letter frequencies\nA 0.25 C 0.25 G 0.25 U 0.25\n\n")
    for motif in motifs:
        name = (motif.name or motif.consensus).replace(" ", "_")
        evalue = 0 if motif.evalue is None else motif.evalue
        out.write(f"MOTIF {motif.id} {name}\n\n")
        out.write(f"letter-probability matrix: alength= 4 w= {motif.width} nsites= {int(motif.nsites)} "
                  f"E= {evalue:.3g}\n")
        for row in motif.pwm:
            out.write(" " + " ".join(f"{x:.6f}" for x in row) + "\n")
        out.write("\n")
    text = out.getvalue()
    if path is not None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(text)
    return text


def known_motifs() -> list[Motif]:
    """The known motifs from the shared data: 10 localization motifs (IUPAC → PWM) + 102 RBP motifs.

    Localization motifs get ``source="known_localization"``, ``label`` = their associated localization,
    ``name`` = consensus and ``info`` = RNA type and literature source; RBP motifs get ``source="rbp"`` and
    ``name`` = the protein.
    """
    from mirloc_core.io import data

    out = []
    table = data.load_known_motifs()
    for row in table.itertuples(index=False):
        out.append(Motif(row.motif_id, iupac_to_pwm(row.consensus_iupac), row.consensus_iupac,
                         "known_localization", str(row.associated_localization), 20, None,
                         {"rna_type": str(row.rna_type), "reference": str(row.source)}))
    out.extend(read_meme(data.rbp_motif_path(), source_name="rbp"))
    return out


# ----------------------------------------------------------------------------------------------------------
# Scanning (FIMO-style)
# ----------------------------------------------------------------------------------------------------------
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


def _encode(sequence: str) -> np.ndarray:
    seq = sequence.upper().replace("T", "U")
    return np.array([_INDEX.get(c, 4) for c in seq], dtype=np.int64)


def motif_p_value(motif: Motif, site: str) -> float:
    """Exact p-value (discretised score, uniform background) of one site of the motif's width."""
    table = _tables((motif,))[0]
    codes = _encode(site)
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
    codes = _encode(sequence)
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


# ----------------------------------------------------------------------------------------------------------
# Attention → important positions → seqlets → PWMs
# ----------------------------------------------------------------------------------------------------------
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


def _kmer_codes(codes: np.ndarray, k: int) -> np.ndarray:
    """Integer code of each k-mer start (−1 where the window contains a non-ACGU letter)."""
    if len(codes) < k:
        return np.zeros(0, dtype=np.int64)
    win = np.lib.stride_tricks.sliding_window_view(codes, k)
    vals = (win * (4 ** np.arange(k - 1, -1, -1))).sum(axis=1)
    vals[(win > 3).any(axis=1)] = -1
    return vals


def _decode_kmer(code: int, k: int) -> str:
    return "".join(ALPHABET[(code >> (2 * (k - 1 - i))) & 3] for i in range(k))


def cluster_seqlets(seqlets: list[Seqlet], sequences: dict[str, str], k: int = 6, max_motifs: int = 4,
                    min_sites: int = 5, flank: int = 3, max_evalue: float = 1.0, id_prefix: str = "ATT",
                    label: str = "", rule: str = "median") -> list[Motif]:
    """Cluster seqlets into PWMs by seeded, discriminative k-mer clustering.

    Foreground: k-mer windows lying inside a seqlet; background: the k-mer windows of the same sequences
    outside every seqlet (so the test asks what the attention prefers *within* the sequences it reads). The
    k-mer with the smallest one-sided hypergeometric p-value (at least ``min_sites`` foreground sites) seeds a
    cluster; its members are the foreground windows within Hamming distance 1 of the seed. Members are
    aligned on the seed, widened by ``flank`` columns each side from the sequence, turned into a PWM, and
    low-information edge columns (< 0.25 bit) are trimmed to no less than 6 columns. Member windows are then
    removed from the foreground and background and the next seed is chosen, until ``max_motifs`` motifs or
    until the seed's E-value (p × 4^k k-mers tested) exceeds ``max_evalue``.

    Why not TF-MoDISco-lite: attention is one scalar per position (no per-base hypothetical contributions,
    which MoDISco's seqlet similarity is built on), and its default windows (21 nt + flanks of 10) are wider
    than a 22-nt mature miRNA; a seed-and-extend clustering of the seqlets, with an explicit enrichment test,
    suits a few hundred short sequences.

    Returns
    -------
    list of Motif
        ``source="attention"``, ``evalue`` = seed E-value; ``info`` holds the seed, its counts, p-value,
        the numbers of member sites, seqlets and sequences, and the rule.
    """
    from scipy.stats import hypergeom

    by_seq: dict[str, list[Seqlet]] = {}
    for s in seqlets:
        by_seq.setdefault(s.seq_id, []).append(s)
    ids = [sid for sid in sequences if sid in by_seq]
    if not ids:
        return []
    codes = {sid: _encode(sequences[sid]) for sid in ids}
    kmers = {sid: _kmer_codes(codes[sid], k) for sid in ids}
    fg = {}
    for sid in ids:
        inside = np.zeros(len(kmers[sid]), dtype=bool)
        for s in by_seq[sid]:
            inside[s.start:max(s.start, s.end - k + 1)] = True
        fg[sid] = inside
    active = {sid: kmers[sid] >= 0 for sid in ids}
    n_kmers = 4 ** k
    motifs: list[Motif] = []
    # Hamming-1 neighbourhood as code arithmetic
    shifts = 4 ** np.arange(k - 1, -1, -1)
    for m in range(max_motifs):
        fg_counts = np.zeros(n_kmers, dtype=np.int64)
        all_counts = np.zeros(n_kmers, dtype=np.int64)
        for sid in ids:
            keep = active[sid]
            np.add.at(all_counts, kmers[sid][keep], 1)
            np.add.at(fg_counts, kmers[sid][keep & fg[sid]], 1)
        n_fg = int(fg_counts.sum())
        n_all = int(all_counts.sum())
        if n_fg == 0 or n_fg == n_all:
            break
        cand = np.flatnonzero(fg_counts >= min_sites)
        if len(cand) == 0:
            break
        pvals = hypergeom.sf(fg_counts[cand] - 1, n_all, all_counts[cand], n_fg)
        order = np.lexsort((-fg_counts[cand], pvals))
        best = int(cand[order[0]])
        pbest = float(pvals[order[0]])
        evalue = pbest * n_kmers
        if evalue > max_evalue and motifs:
            break
        digits = np.array([(best // shifts[i]) % 4 for i in range(k)])
        neighbours = {best}
        for i in range(k):
            for b in range(4):
                if b != digits[i]:
                    neighbours.add(int(best + (b - digits[i]) * shifts[i]))
        neighbours = np.array(sorted(neighbours))
        sites, member_seqs, member_seqlets = [], set(), 0
        for sid in ids:
            hit = np.flatnonzero(active[sid] & fg[sid] & np.isin(kmers[sid], neighbours))
            if len(hit) == 0:
                continue
            seq = sequences[sid].upper().replace("T", "U")
            for pos in hit:
                left = seq[max(0, pos - flank):pos].rjust(flank, "-")
                right = seq[pos + k:pos + k + flank].ljust(flank, "-")
                sites.append(left + seq[pos:pos + k] + right)
                active[sid][max(0, pos - k + 1):pos + k] = False
            member_seqs.add(sid)
            member_seqlets += sum(1 for s in by_seq[sid] if any(s.start <= p < s.end for p in hit))
        pwm = pwm_from_sites(sites, pseudocount=0.0)
        ic = information_content(pwm)
        lo, hi = 0, len(pwm)
        while hi - lo > MIN_WIDTH and ic[lo] < 0.25 and lo < flank:
            lo += 1
        while hi - lo > MIN_WIDTH and ic[hi - 1] < 0.25 and (len(pwm) - hi) < flank:
            hi -= 1
        seed = _decode_kmer(best, k)
        motifs.append(Motif(f"{id_prefix}{m + 1}", pwm[lo:hi], pwm_consensus(pwm[lo:hi]), "attention", label,
                            len(sites), evalue,
                            {"rule": rule, "seed": seed, "seed_foreground": int(fg_counts[best]),
                             "seed_background": int(all_counts[best] - fg_counts[best]),
                             "foreground_windows": n_fg, "background_windows": n_all - n_fg,
                             "seed_p_value": pbest, "n_sites": len(sites), "n_seqlets": int(member_seqlets),
                             "n_sequences": len(member_seqs)}))
    return motifs


def iupac_regex(consensus: str) -> str:
    """A regular expression (with a look-ahead, so overlapping sites are all found) for an IUPAC consensus."""
    parts = []
    for code in consensus.upper():
        letters = IUPAC[code]
        parts.append(letters if len(letters) == 1 else f"[{letters}]")
    return "(?=(" + "".join(parts) + "))"


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
        frame.loc[valid, "q_value"] = _bh(frame.loc[valid, "p_value"].to_numpy())
    return frame


# ----------------------------------------------------------------------------------------------------------
# GLAM2 (de novo)
# ----------------------------------------------------------------------------------------------------------
def glam2_available() -> bool:
    """Whether the ``glam2`` and ``glam2mask`` executables are on the PATH."""
    return shutil.which("glam2") is not None and shutil.which("glam2mask") is not None


def parse_glam2(text: str) -> list[dict]:
    """Parse GLAM2's text output into alignments (best first).

    Returns
    -------
    list of dict
        ``score`` (GLAM2's alignment score), ``columns``, ``n_sequences``, ``sites`` (aligned key-column
        strings, ``.`` = deletion) and ``counts`` (key columns × a, c, g, t counts from GLAM2's table).
    """
    blocks = re.split(r"\n(?=Score: )", text)
    out = []
    for block in blocks:
        head = re.match(r"Score: (\S+)\s+Columns: (\d+)\s+Sequences: (\d+)", block)
        if not head:
            continue
        lines = block.split("\n")
        key_line = next((ln for ln in lines[1:] if ln.strip() and set(ln.strip()) <= set("*.")), None)
        sites = []
        if key_line is not None:
            stars = [i for i, ch in enumerate(key_line) if ch == "*"]
            for ln in lines[lines.index(key_line) + 1:]:
                if not ln.strip():
                    break
                sites.append("".join(ln[i] if i < len(ln) else "." for i in stars).upper())
        counts = []
        if " a  c  g  t" in block:
            table = block.split(" a  c  g  t", 1)[1].split("\n")[1:]
            for ln in table:
                tokens = ln.split()
                if len(tokens) >= 6:
                    counts.append([float(x) for x in tokens[:4]])
                elif not tokens and counts:
                    break
        out.append({"score": float(head.group(1)), "columns": int(head.group(2)),
                    "n_sequences": int(head.group(3)), "sites": sites, "counts": counts})
    return out


def run_glam2(sequences: dict[str, str], n_motifs: int = 3, runs: int = 10, iterations: int = 2000,
              min_width: int = MIN_WIDTH, max_width: int = MAX_WIDTH, init_width: int = 10, seed: int = 1,
              id_prefix: str = "GLAM2_", label: str = "", timeout: float = 120.0) -> list[Motif]:
    """Run GLAM2 on sequences (forward strand) and return up to ``n_motifs`` motifs.

    GLAM2 finds one motif per invocation (the best of ``runs`` simulated-annealing runs); as in the MEME
    suite's GLAM2 workflow, its sites are then masked with ``glam2mask`` and GLAM2 is run again.

    Parameters
    ----------
    sequences : dict
        ``{id: sequence}`` (U is written as T for GLAM2's nucleotide alphabet).
    n_motifs, runs, iterations, min_width, max_width, init_width, seed
        GLAM2 ``-r``, ``-n``, ``-a``, ``-b``, ``-w`` and ``-s``; ``-z`` (minimum sequences in the
        alignment) is a tenth of the sequences (at least 2).

    Returns
    -------
    list of Motif
        ``source="glam2"``; PWM = GLAM2's key-column residue counts (deletions excluded); ``info`` holds
        GLAM2's score and the number of aligned sequences. GLAM2 reports no E-value: see
        :func:`enrichment_evalues`.
    """
    if not glam2_available():
        raise RuntimeError("glam2 is not installed: apt-get install glam2 (Debian)")
    if len(sequences) < 2:
        return []
    z = max(2, len(sequences) // 10)
    motifs: list[Motif] = []
    with tempfile.TemporaryDirectory(prefix="mirloc_glam2_") as tmp:
        fasta = Path(tmp) / "in.fa"
        fasta.write_text("".join(f">s{i}\n{s.upper().replace('U', 'T')}\n"
                                 for i, s in enumerate(sequences.values())))
        for m in range(n_motifs):
            out = Path(tmp) / f"glam2_{m}.txt"
            cmd = ["glam2", "-o", str(out), "-r", str(runs), "-n", str(iterations), "-a", str(min_width),
                   "-b", str(max_width), "-w", str(init_width), "-z", str(z), "-s", str(seed), "n", str(fasta)]
            subprocess.run(cmd, check=True, capture_output=True, timeout=timeout)
            alignments = parse_glam2(out.read_text())
            if not alignments or not alignments[0]["counts"]:
                break
            best = alignments[0]
            counts = np.array(best["counts"], dtype=np.float64)
            motif_id = f"{id_prefix}{m + 1}"
            sites = [s for s in best["sites"]]
            pwm = (counts + 0.01) / (counts + 0.01).sum(axis=1, keepdims=True)
            motifs.append(Motif(motif_id, pwm, pwm_consensus(pwm), "glam2", label, int(best["n_sequences"]), None,
                                {"glam2_score": best["score"], "n_sequences_aligned": best["n_sequences"],
                                 "n_input_sequences": len(sequences), "example_sites": sites[:5],
                                 "command": " ".join(cmd[:-2] + ["n", "<class sequences>"])}))
            masked = Path(tmp) / f"masked_{m}.fa"
            subprocess.run(["glam2mask", "-o", str(masked), str(out), str(fasta)], check=True,
                           capture_output=True, timeout=timeout)
            fasta = masked
    return motifs


def sequence_min_p(motif: Motif, sequence: str) -> float:
    """Length-corrected best-site p-value of a motif in a sequence: 1 − (1 − p_min)^(number of windows)."""
    table = _tables((motif,))[0]
    codes = _encode(sequence)
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


def enrichment_evalues(motifs: list[Motif], positives: list[str], negatives: list[str],
                       n_tests: int | None = None) -> list[dict]:
    """Discriminative enrichment of motifs in class sequences versus the other classes.

    For each motif, each sequence's length-corrected best-site p-value (:func:`sequence_min_p`) is computed;
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


# ----------------------------------------------------------------------------------------------------------
# TOMTOM
# ----------------------------------------------------------------------------------------------------------
def _bh(p: np.ndarray) -> np.ndarray:
    p = np.asarray(p, dtype=np.float64)
    n = len(p)
    order = np.argsort(p, kind="stable")
    ranked = p[order] * n / np.arange(1, n + 1)
    q = np.minimum.accumulate(ranked[::-1])[::-1]
    out = np.empty(n)
    out[order] = np.minimum(q, 1.0)
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
        qv = _bh(pv)
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


# ----------------------------------------------------------------------------------------------------------
# Logos
# ----------------------------------------------------------------------------------------------------------
def logo_figure(pwm: np.ndarray, title: str | None = None, information: bool = True, width: float | None = None,
                height: float = 1.6):
    """A sequence logo of a PWM (logomaker), as a matplotlib Figure.

    Parameters
    ----------
    pwm : ndarray, shape (width, 4)
        Probabilities in ACGU order.
    title : str, optional
    information : bool
        Letter heights in bits (information content) when True, probabilities otherwise.
    """
    import logomaker
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    probs = pd.DataFrame(np.asarray(pwm, dtype=np.float64), columns=list(ALPHABET))
    if information:
        frame = logomaker.transform_matrix(probs + 1e-6, from_type="probability", to_type="information")
    else:
        frame = probs
    frame.index = np.arange(1, len(frame) + 1)
    fig, ax = plt.subplots(figsize=(width or max(2.0, 0.42 * len(frame) + 0.8), height))
    logomaker.Logo(frame, ax=ax, color_scheme="classic", font_name="DejaVu Sans")
    ax.set_ylim(0, 2 if information else 1)
    ax.set_ylabel("bits" if information else "prob.")
    ax.set_xticks(list(frame.index))
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    if title:
        ax.set_title(title, fontsize=9)
    fig.tight_layout()
    return fig


def save_logo(motif: Motif, path: Path) -> None:
    """Render :func:`logo_figure` of a motif to a PNG."""
    import matplotlib.pyplot as plt

    fig = logo_figure(motif.pwm, title=f"{motif.id} {motif.consensus}")
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=80)
    plt.close(fig)


# ----------------------------------------------------------------------------------------------------------
# Artefacts
# ----------------------------------------------------------------------------------------------------------
from mirloc_core.pretrained import MOTIF_FILES as ARTIFACT_FILES  # noqa: E402
from mirloc_core.pretrained import load_motif_artifacts  # noqa: E402,F401


def compare_user_motifs(source, artifacts: dict | None = None) -> pd.DataFrame:
    """TOMTOM of a user's MEME-format file (MEME/STREME/GLAM2 output …) against the known motifs and,
    when built, the attention and GLAM2 motifs of ``weights/motifs``.

    Parameters
    ----------
    source : str, Path or bytes
        The file (path, text or uploaded bytes); see :func:`read_meme`.
    artifacts : dict, optional
        :func:`load_motif_artifacts` output; the known motifs then come from it (no shared data needed).

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


# ----------------------------------------------------------------------------------------------------------
# Build: python -m mirloc_core motifs build
# ----------------------------------------------------------------------------------------------------------
@dataclass
class ClassSet:
    """Sequences of one class for motif discovery."""

    key: str                 # class key (binary class or compartment key)
    model: str               # "binary" or "7comp"
    sequences: dict          # id -> sequence: non-redundant class members for GLAM2 (discovery split)
    heldout: dict            # id -> sequence: the other non-redundant members (enrichment E-values)
    negatives: dict          # id -> sequence: non-redundant non-members, for the enrichment E-values
    selected: dict           # id -> sequence: confidently and correctly predicted members (attention)
    attention: dict          # id -> attention array for the selected members
    selection_rule: str
    n_members: int


def deduplicate(sequences: dict[str, str], priority: list[str] | None = None, max_similarity: float = 0.8) -> dict:
    """Greedy non-redundant subset: keep a sequence unless its normalised SW similarity to a kept one ≥ max.

    ``priority`` (ids) sets the order in which sequences are considered (default: dict order).
    """
    from mirloc_core.features.alignment import sw_similarity_matrix

    ids = list(priority or sequences)
    if len(ids) <= 1:
        return {i: sequences[i] for i in ids}
    sim = sw_similarity_matrix([sequences[i] for i in ids])
    kept: list[int] = []
    for i in range(len(ids)):
        if not kept or sim[i, kept].max() < max_similarity:
            kept.append(i)
    return {ids[i]: sequences[ids[i]] for i in kept}


def _subsample(items: dict, n: int | None, seed: int) -> dict:
    if n is None or len(items) <= n:
        return dict(items)
    rng = np.random.default_rng(seed)
    keys = list(items)
    pick = sorted(rng.choice(len(keys), size=n, replace=False))
    return {keys[i]: items[keys[i]] for i in pick}


def _select(ids: list[str], confidence: np.ndarray, all_probabilities: np.ndarray, threshold: float,
            min_n: int) -> tuple[list[str], str]:
    """Confidently and correctly predicted members.

    A member is kept when its predicted probability for its class is ≥ ``min(threshold, q75)``, where q75 is
    the 75th percentile of that probability over *all* sequences (members or not): for rare compartments
    the seven-compartment model seldom outputs 0.8, so "confident" is then taken relative to the class's
    own score distribution (top quarter). When fewer than ``min_n`` pass, the ``min_n`` most confident
    members are used.
    """
    q75 = float(np.quantile(all_probabilities, 0.75)) if len(all_probabilities) else threshold
    cut = min(threshold, q75)
    order = np.argsort(-confidence, kind="stable")
    chosen = [ids[i] for i in order if confidence[i] >= cut]
    if len(chosen) >= min_n:
        how = f"p >= {threshold}" if cut == threshold else f"p >= {cut:.3f} (75th percentile over all sequences)"
        return chosen, f"label positive and {how}"
    chosen = [ids[i] for i in order[:min_n]]
    return chosen, f"fewer than {min_n} pass p >= {cut:.3f}: the {len(chosen)} most confident positives"


def _split(items: dict, max_discovery: int, seed: int) -> tuple[dict, dict]:
    """Random 2/3 (at most ``max_discovery``) discovery / rest held-out split of a dict."""
    keys = list(items)
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(keys))
    n_disc = min(max_discovery, int(math.ceil(2 * len(keys) / 3)))
    disc = sorted(order[:n_disc])
    rest = sorted(order[n_disc:])
    return {keys[i]: items[keys[i]] for i in disc}, {keys[i]: items[keys[i]] for i in rest}


def collect_classes(predictor, subset: int | None = None, seed: int = 0, confidence: float = 0.8,
                    min_selected: int = 20, max_glam2: int = 120, max_negatives: int = 300
                    ) -> tuple[list[ClassSet], dict]:
    """Run the sequence models on the training sequences and gather, per class, sequences and attention.

    Returns the classes and the predictor's provenance (model names, manifest sha256s, device).

    Binary classes come from RNALoc-LM's train.tsv with the binary model's attention; the seven compartments
    from the labelled, sequence-mapped network miRNAs with the seven-compartment model's attention.
    """
    from mirloc_core.io import data
    from mirloc_core.config import COMPARTMENT_KEYS
    from mirloc_core.io.fasta import SequenceRecord

    classes: list[ClassSet] = []
    train = data.load_rnaloc_train().drop_duplicates("sequence").reset_index(drop=True)
    mapping = data.map_names_to_sequences()
    network = data.load_network()
    ok = (mapping["source"] != "none").to_numpy() & network.labelled
    net = mapping[ok].assign(row=np.flatnonzero(ok)).drop_duplicates("sequence").reset_index(drop=True)
    if subset:
        rng = np.random.default_rng(seed)
        parts = [g.iloc[sorted(rng.choice(len(g), size=min(subset, len(g)), replace=False))]
                 for _, g in train.groupby("label")]
        train = pd.concat(parts).reset_index(drop=True)
        net = net.iloc[sorted(rng.choice(len(net), size=min(3 * subset, len(net)), replace=False))]
        net = net.reset_index(drop=True)

    provenance: dict = {}

    def run(ids: list[str], seqs: list[str], which: str) -> tuple[np.ndarray, dict]:
        """Probabilities and attention of one of the two sequence models.

        Only the needed model is run, through the Predictor's loaded ensemble (``predictor.binary`` /
        ``predictor.sevencomp``, which ``Predictor.predict`` itself calls); ``Predictor.predict`` (both
        models plus the nearest-miRNA search) is the fallback.
        """
        ensemble = getattr(predictor, "binary" if which == "binary" else "sevencomp", None)
        if ensemble is not None and hasattr(ensemble, "predict"):
            out = ensemble.predict(seqs)
            probs = np.asarray(out.probabilities, dtype=np.float64)
            attention = {i: np.asarray(a, dtype=np.float64) for i, a in zip(ids, out.attention)}
            root = getattr(predictor, "weights_root", None)
            manifest = Path(root) / "sequence" / "manifest.json" if root is not None else None
            provenance.update({"device": str(getattr(predictor, "device", "")), "models": "weights/sequence",
                               "sequence_manifest_sha256": data.file_sha256(manifest)
                               if manifest is not None and manifest.is_file() else ""})
            return (probs[:, 0] if which == "binary" else probs), attention
        records = [SequenceRecord(i, i, s, "") for i, s in zip(ids, seqs)]
        res = predictor.predict(records, sequence_only=True)
        provenance.update(res.provenance)
        if which == "binary":
            p = res.table.set_index("id").loc[ids, "p_intracellular"].to_numpy(dtype=np.float64)
            return p, {i: np.asarray(res.attention[i], dtype=np.float64) for i in ids}
        probs = res.sequence_probabilities.loc[ids].to_numpy(dtype=np.float64)  # COMPARTMENTS order
        return probs, {i: np.asarray(res.attention_7comp[i], dtype=np.float64) for i in ids}

    # binary model on train.tsv
    ids = [f"train_{i}" for i in train["mirbase_id"]]
    seqs = dict(zip(ids, train["sequence"]))
    p_intra, attention_binary = run(ids, list(seqs.values()), "binary")
    labels = train["label"].to_numpy()
    for key, value in (("extracellular", 0), ("intracellular", 1)):
        member = [i for i, lab in zip(ids, labels) if lab == value]
        conf = np.array([p_intra[ids.index(i)] if value == 1 else 1 - p_intra[ids.index(i)] for i in member])
        chosen, rule = _select(member, conf, p_intra if value == 1 else 1 - p_intra, confidence, min_selected)
        chosen_seqs = deduplicate({i: seqs[i] for i in chosen})
        order = [member[i] for i in np.argsort(-conf, kind="stable")]
        members, heldout = _split(deduplicate(seqs, order), max_glam2, seed)
        negative_ids = [i for i, lab in zip(ids, labels) if lab != value]
        negatives = _subsample(deduplicate(seqs, negative_ids), max_negatives, seed)
        classes.append(ClassSet(key, "binary", members, heldout, negatives, chosen_seqs,
                                {i: attention_binary[i] for i in chosen_seqs},
                                rule, len(member)))
    # seven-compartment model on the network miRNAs
    nids = [f"net_{n}" for n in net["name"]]
    nseqs = dict(zip(nids, net["sequence"]))
    probs, attention_seven = run(nids, list(nseqs.values()), "7comp")  # 7 columns, COMPARTMENTS order
    if probs.shape[1] != len(COMPARTMENT_KEYS):
        raise ValueError(f"expected 7 sequence-model probabilities, got {probs.shape[1]}")
    labels7 = network.labels[net["row"].to_numpy()]
    for c, key in enumerate(COMPARTMENT_KEYS):
        member_idx = np.flatnonzero(labels7[:, c] == 1)
        member = [nids[i] for i in member_idx]
        conf = probs[member_idx, c]
        chosen, rule = _select(member, conf, probs[:, c], confidence, min_selected)
        chosen_seqs = deduplicate({i: nseqs[i] for i in chosen})
        order = [member[i] for i in np.argsort(-conf, kind="stable")]
        members, heldout = _split(deduplicate(nseqs, order), max_glam2, seed)
        negative_ids = [nids[i] for i in np.flatnonzero(labels7[:, c] == 0)]
        negatives = _subsample(deduplicate(nseqs, negative_ids), max_negatives, seed)
        classes.append(ClassSet(key, "7comp", members, heldout, negatives, chosen_seqs,
                                {i: attention_seven[i] for i in chosen_seqs},
                                rule, len(member)))
    return classes, provenance


def _short(key: str) -> str:
    return {"extracellular": "EXT", "intracellular": "INT", "cytoplasm": "CYT", "exosome": "EXO",
            "nucleolus": "NUCL", "nucleus": "NUC", "extracellular_vesicle": "EV", "microvesicle": "MV",
            "mitochondrion": "MITO"}.get(key, key.upper())


def _fmt(x, digits=2) -> str:
    if x is None or (isinstance(x, float) and not np.isfinite(x)):
        return "–"
    return f"{x:.{digits}g}" if abs(x) < 1e-3 or abs(x) >= 1e4 else f"{x:.{digits + 1}g}"


def _report_markdown(report: dict, logo_prefix: str) -> str:
    lines = ["# Motif analysis", "",
             f"Generated by `{report['command']}` on {report['date']} "
             f"({report['timing']['total_seconds']:.0f} s on {report['machine']['cores']} cores). "
             "Everything below is produced from `weights/motifs/motifs.json`; nothing is typed by hand.", "",
             "## Method", "",
             "* **Attention motifs.** The sequence models (`weights/sequence`) are run on their training sequences: "
             "RNALoc-LM's `train.tsv` for the binary extracellular/intracellular model, the labelled network "
             "miRNAs (miRBase 22 sequences) for the seven-compartment model. Per class, the label-positive "
             f"sequences predicted with p ≥ min({report['config']['confidence']}, the 75th percentile of that "
             "class's probability over all sequences) are kept (rare compartments are seldom predicted at 0.8), "
             "near-duplicates removed "
             "(normalised Smith–Waterman ≥ 0.8). Important positions: attention above the sequence's median "
             "(RNALoc-LM's rule) or above its 80th percentile (strict rule). Runs of important positions "
             "(1-nt gaps bridged) widened/cut to 6–15 nt are the seqlets. Seqlets are clustered into PWMs by a "
             "seeded discriminative k-mer search (k = 6; foreground = k-mers inside seqlets, background = "
             "k-mers of the same sequences outside them; one-sided hypergeometric test; E = p × 4⁶; members = "
             "seed ± 1 mismatch, widened by 3 nt each side, low-information edges trimmed). TF-MoDISco-lite was "
             "not used: attention is one scalar per position (MoDISco's seqlet similarity needs per-base "
             "hypothetical contributions) and its default 21-nt windows with 10-nt flanks exceed a 22-nt mature "
             "miRNA.",
             "* **De novo motifs.** GLAM2 (the MEME suite's gapped motif finder; MEME/STREME are not installable "
             "here) on each class's non-redundant member sequences (widths 6–15, "
             f"{report['config']['glam2']['runs']} runs × {report['config']['glam2']['iterations']} "
             "iterations, 3 motifs per class by masking the previous sites with `glam2mask`), run on a random "
             "2/3 of the non-redundant members (at most 120). GLAM2 reports no E-value; the E-value shown is a "
             "discriminative one computed here on data GLAM2 did not see: one-sided Mann–Whitney test of the "
             "length-corrected best-site p-value in the held-out third of the members versus non-members "
             "(at most 300), × the number of motifs of the class.",
             "* **Known motifs.** 10 localization motifs (IUPAC → PWM) and 102 RNAcompete RBP motifs "
             "(Ray et al. 2013).",
             "* **Comparison.** TOMTOM (memelite, complete score, forward strand only) of every attention and "
             "GLAM2 motif against the 112 known motifs plus the other derived motifs; q-values are "
             "Benjamini–Hochberg over each query's comparisons; offset = target column where the query starts.",
             ""]
    lines += ["## What was and was not recovered", ""] + [f"* {s}" for s in report["statements"]] + [""]
    lines += ["## Classes", "", "Attention peak: median over the attention set of max(attention) ÷ mean(attention) "
              "(1 = flat attention).", "",
              "| class | model | members | attention set (rule) | attention peak | seqlets median / strict | "
              "attention motifs median / strict (E ≤ 0.05) | GLAM2 motifs |", "|---|---|---|---|---|---|---|---|"]
    for c in report["class_summary"]:
        lines.append(f"| {c['class']} | {c['model']} | {c['n_members']} | {c['n_selected']} ({c['selection_rule']}) "
                     f"| {c.get('attention_peak_ratio')} | {c['n_seqlets_median']} / {c['n_seqlets_strict']} | {c['n_motifs_median']} "
                     f"({c['n_significant_median']}) / {c['n_motifs_strict']} ({c['n_significant_strict']}) "
                     f"| {c['n_glam2']} |")
    lines.append("")
    motifs = {m["id"]: m for m in report["motifs"]}
    matches = pd.DataFrame(report["matches"])
    for c in report["class_summary"]:
        key = c["class"]
        lines += [f"## {key}", ""]
        derived = [m for m in report["motifs"] if m["label"] == key and m["source"] in ("attention", "glam2")]
        if not derived:
            lines += ["No motif.", ""]
            continue
        lines += ["| logo | motif | source (rule) | consensus | sites | E-value | best known match (q) | "
                  "best derived match (q) |", "|---|---|---|---|---|---|---|---|"]
        for m in derived:
            sub = matches[matches["query_id"] == m["id"]] if len(matches) else matches
            known = sub[sub["target_source"].isin(["known_localization", "rbp"])].sort_values("p_value")
            other = sub[sub["target_source"].isin(["attention", "glam2"])].sort_values("p_value")
            kbest = (f"{known.iloc[0]['target_id']} {known.iloc[0]['target_name']} "
                     f"(q={_fmt(known.iloc[0]['q_value'])}, offset {known.iloc[0]['offset']})") if len(known) else "–"
            obest = (f"{other.iloc[0]['target_id']} (q={_fmt(other.iloc[0]['q_value'])})") if len(other) else "–"
            logo = report["logos"].get(m["id"])
            img = f"![{m['id']}]({logo_prefix}{logo})" if logo else ""
            src = m["source"] + (f" ({m['info'].get('rule')})" if m["source"] == "attention" else "")
            lines.append(f"| {img} | {m['id']} | {src} | `{m['consensus']}` | {m['nsites']} | {_fmt(m['evalue'])} "
                         f"| {kbest} | {obest} |")
        lines.append("")
    lines += ["## Known localization motifs", "", "| logo | motif | consensus | localization | best derived match "
              "(q, query) |", "|---|---|---|---|---|"]
    for mid, m in motifs.items():
        if m["source"] != "known_localization":
            continue
        hits = matches[(matches["target_id"] == mid)] if len(matches) else matches
        hits = hits.sort_values("q_value") if len(hits) else hits
        best = (f"{hits.iloc[0]['query_id']} (q={_fmt(hits.iloc[0]['q_value'])})") if len(hits) else "–"
        logo = report["logos"].get(mid)
        img = f"![{mid}]({logo_prefix}{logo})" if logo else ""
        lines.append(f"| {img} | {mid} | `{m['consensus']}` | {m['label']} | {best} |")
    sites = pd.DataFrame(report.get("known_site_attention", []))
    if len(sites):
        lines += ["", "## Do the known elements sit where the attention is?", "",
                  "Exact sites of each IUPAC-defined known element in each class's attention set, inside versus "
                  "outside the median-rule seqlets (one-sided hypergeometric test over all windows of the same "
                  "width; BH q over all pairs). Relative attention: mean attention over the site ÷ the "
                  "sequence's mean.", "",
                  "| class | element | sites | in seqlets (expected) | relative attention | p | q |",
                  "|---|---|---|---|---|---|---|"]
        for r in sites.itertuples(index=False):
            if not r.sites:
                continue
            lines.append(f"| {r[0]} | `{r.consensus}` | {r.sites} | {r.sites_in_seqlets} ({r.expected_in_seqlets}) "
                         f"| {r.mean_relative_attention} | {_fmt(r.p_value)} | {_fmt(r.q_value)} |")
    lines += ["", "## Scanning", "",
              f"Per-sequence scan of the 112 known motifs (`scan_known_motifs`, p ≤ {SCAN_THRESHOLD}): mean "
              f"{report['timing']['scan_seconds_mean'] * 1000:.1f} ms, max {report['timing']['scan_seconds_max'] * 1000:.1f} ms "
              f"over {report['timing']['scan_n']} training sequences (warm).", ""]
    return "\n".join(lines) + "\n"


def _statements(report: dict, matches: pd.DataFrame) -> list[str]:
    """Plain statements of what the full match table shows (generated, not hand-written)."""
    out = []
    motifs = {m["id"]: m for m in report["motifs"]}
    hw = [m for m in report["motifs"] if m["source"] == "known_localization" and m["info"].get("rna_type") == "miRNA"]
    for rule in RULES:
        att = matches[(matches["query_source"] == "attention") & (matches["q_value"] < 0.05)] if len(matches) else matches
        att = att[att["query_id"].map(lambda q: motifs[q]["info"].get("rule") == rule)] if len(att) else att
        rec = sorted(set(att["target_id"]) & {m["id"] for m in hw}) if len(att) else []
        detail = []
        for kid in rec:
            pair = att[att["target_id"] == kid].sort_values("q_value").iloc[0]
            qm = motifs[pair["query_id"]]
            detail.append(f"{kid} by {qm['id']} `{qm['consensus']}` (class {qm['label']}, TOMTOM q={_fmt(pair['q_value'])}, "
                          f"attention-enrichment E={_fmt(qm['evalue'])})")
        out.append(f"Attention motifs ({rule} rule) match {len(rec)} of the {len(hw)} known miRNA nuclear elements "
                   f"(Hwang 2007 hexamer and variants) at q < 0.05" + (f": {'; '.join(detail)}." if rec else "."))
    for source, label in (("attention", "Nucleus attention motifs"), ("glam2", "Nucleus GLAM2 motifs")):
        sub = matches[(matches["query_source"] == source) & (matches["query_label"] == "nucleus")
                      & matches["target_id"].isin([m["id"] for m in hw])] if len(matches) else matches
        if len(sub) == 0:
            out.append(f"{label}: none were found." if source == "attention" or not len(matches) else
                       f"{label}: no comparison with the Hwang motifs available.")
            continue
        best = sub.sort_values("p_value").iloc[0]
        verdict = "an AGUGUU-like motif WAS recovered" if best["q_value"] < 0.05 else \
            "no AGUGUU-like motif was recovered (best match not significant)"
        out.append(f"{label}: {verdict}; best pair {best['query_id']} `{motifs[best['query_id']]['consensus']}` vs "
                   f"{best['target_id']} (p={_fmt(best['p_value'])}, q={_fmt(best['q_value'])}).")
    sites = pd.DataFrame(report.get("known_site_attention", []))
    if len(sites):
        nuc = sites[(sites["class"] == "nucleus") & (sites["motif_id"] == "HWANG2007_AGUGUU")]
        if len(nuc):
            r = nuc.iloc[0]
            out.append(f"Direct test: in the nucleus attention set, {int(r['sites'])} exact AGUGUU sites, "
                       f"{int(r['sites_in_seqlets'])} inside median-rule seqlets (expected "
                       f"{r['expected_in_seqlets']}), mean attention {r['mean_relative_attention']}× uniform, "
                       f"enrichment p={_fmt(r['p_value'])}, q={_fmt(r['q_value'])}.")
        sig = sites[sites["q_value"] < 0.05]
        out.append(f"{len(sig)} of {len(sites)} class × known-element pairs have their exact sites enriched inside "
                   "median-rule seqlets at q < 0.05" + (": " + ", ".join(f"{a} in {b}" for a, b in
                                                                      zip(sig["consensus"], sig["class"])) + "."
                                                        if len(sig) else "."))
    sig_att = [m for m in report["motifs"] if m["source"] == "attention" and m["evalue"] is not None
               and m["evalue"] <= 0.05]
    out.append(f"{len(sig_att)} attention motifs have a seed E-value ≤ 0.05 (k-mer enrichment inside versus outside "
               "the seqlets); the others are shown for completeness and should not be read as motifs.")
    sig_g = [m for m in report["motifs"] if m["source"] == "glam2" and m["evalue"] is not None and m["evalue"] <= 0.05]
    out.append(f"{len(sig_g)} of {sum(1 for m in report['motifs'] if m['source'] == 'glam2')} GLAM2 motifs are "
               "enriched in their class versus the other classes at E ≤ 0.05.")
    if len(matches):
        ag = matches[(matches["query_source"] == "attention") & (matches["target_source"] == "glam2")
                     & (matches["query_label"] == matches["target_label"]) & (matches["q_value"] < 0.05)]
        out.append(f"{ag['query_id'].nunique()} attention motifs resemble a GLAM2 motif of the same class at "
                   "q < 0.05 (RNALoc-LM's claim that attention motifs resemble MEME-suite motifs).")
    out.append("Caveats: the attention is read on the models' own training sequences (in-sample, as in RNALoc-LM); in "
               "train.tsv the binary label is confounded with length (extracellular entries are mostly 22-nt mature "
               "miRNAs, intracellular ones mostly precursors), so binary-class motifs partly reflect mature versus "
               "hairpin sequence; TOMTOM p-values of 6-nt motifs are limited by their few columns.")
    return out


def build_parser() -> argparse.ArgumentParser:
    """Options of ``python -m mirloc_core motifs build``."""
    parser = argparse.ArgumentParser(prog="python -m mirloc_core motifs build",
                                     description="Build attention, GLAM2 and known motif artefacts (weights/motifs).")
    parser.add_argument("--subset", type=int, default=None,
                        help="use at most N sequences per binary class (3N network miRNAs): a quick test build")
    parser.add_argument("--out", type=Path, default=None, help="output directory (default: weights/motifs)")
    parser.add_argument("--weights", type=Path, default=None,
                        help="weights directory holding sequence/ (default: weights/)")
    parser.add_argument("--doc", type=Path, default=None, help="report (default: docs/motifs.md)")
    parser.add_argument("--results", type=Path, default=None,
                        help="benchmark JSON (default: benchmarks/results/motifs.json)")
    parser.add_argument("--no-summary", action="store_true", help="do not merge keys into summary.json")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--confidence", type=float, default=0.8,
                        help="minimum predicted probability of the true class for the attention set")
    parser.add_argument("--glam2-runs", type=int, default=None)
    parser.add_argument("--glam2-iterations", type=int, default=None)
    return parser


def cli_build(argv: list[str]) -> int:
    """``python -m mirloc_core motifs build [--subset N] [--out DIR] [--doc PATH] [--results PATH]``."""
    parser = build_parser()
    args = parser.parse_args(argv)

    from mirloc_core.predict import Predictor

    t_start = time.perf_counter()
    predictor = Predictor.load(args.weights)
    return build(args, predictor, argv, t_start)


def build(args: argparse.Namespace, predictor, argv: list[str], t_start: float | None = None) -> int:
    """The body of :func:`cli_build`, given parsed options and a loaded :class:`~mirloc_core.predict.Predictor`."""
    import datetime as _dt
    import platform

    from mirloc_core.io import artifacts
    from mirloc_core.io import data
    from mirloc_core.config import REPO_ROOT, results_dir, weights_dir

    t_start = time.perf_counter() if t_start is None else t_start
    load_start = os.getloadavg()[0]
    timing = {}
    out_dir = Path(args.out) if args.out else weights_dir() / "motifs"
    doc_path = Path(args.doc) if args.doc else REPO_ROOT / "docs" / "motifs.md"
    results_path = Path(args.results) if args.results else results_dir() / "motifs.json"
    glam2_cfg = {"runs": args.glam2_runs or (3 if args.subset else 10),
                 "iterations": args.glam2_iterations or (500 if args.subset else 2000),
                 "n_motifs": 3, "min_width": MIN_WIDTH, "max_width": MAX_WIDTH, "init_width": 10, "seed": 1}

    t = time.perf_counter()
    classes, provenance = collect_classes(predictor, subset=args.subset, seed=args.seed,
                                          confidence=args.confidence)
    timing["predict_seconds"] = time.perf_counter() - t

    known = known_motifs()
    derived: list[Motif] = []
    class_summary = []
    t = time.perf_counter()
    for cs in classes:
        row = {"class": cs.key, "model": cs.model, "n_members": cs.n_members, "n_selected": len(cs.selected),
               "selection_rule": cs.selection_rule, "n_glam2_input": len(cs.sequences),
               "n_heldout": len(cs.heldout), "n_negatives": len(cs.negatives),
               # how peaked the attention is: median over the set of max(attention) / mean(attention)
               "attention_peak_ratio": round(float(np.median([a.max() / a.mean() for a in cs.attention.values()])), 3)
               if cs.attention else None}
        for rule, letter in (("median", "M"), ("strict", "S")):
            seqlets = [s for sid, seq in cs.selected.items()
                       for s in call_seqlets(sid, seq, cs.attention[sid], rule=rule)]
            found = cluster_seqlets(seqlets, cs.selected, id_prefix=f"ATT_{_short(cs.key)}_{letter}",
                                    label=cs.key, rule=rule)
            for m in found:
                m.info["model"] = cs.model
            derived.extend(found)
            row[f"n_seqlets_{rule}"] = len(seqlets)
            row[f"mean_seqlet_width_{rule}"] = float(np.mean([s.end - s.start for s in seqlets])) if seqlets else None
            row[f"n_motifs_{rule}"] = len(found)
            row[f"n_significant_{rule}"] = sum(1 for m in found if m.evalue is not None and m.evalue <= 0.05)
        class_summary.append(row)
    timing["attention_motifs_seconds"] = time.perf_counter() - t

    t = time.perf_counter()
    for cs, row in zip(classes, class_summary):
        found = run_glam2(cs.sequences, n_motifs=glam2_cfg["n_motifs"], runs=glam2_cfg["runs"],
                          iterations=glam2_cfg["iterations"], init_width=glam2_cfg["init_width"],
                          seed=glam2_cfg["seed"], id_prefix=f"GLAM2_{_short(cs.key)}_", label=cs.key)
        enrich = enrichment_evalues(found, list(cs.heldout.values()), list(cs.negatives.values()))
        for m, e in zip(found, enrich):
            m.evalue = e["evalue"]
            m.info.update({"enrichment": e, "model": cs.model})
        derived.extend(found)
        row["n_glam2"] = len(found)
    timing["glam2_seconds"] = time.perf_counter() - t

    t = time.perf_counter()
    queries = derived
    targets = known + derived
    matches = compare_motifs(queries, targets) if queries else pd.DataFrame()
    timing["tomtom_seconds"] = time.perf_counter() - t

    t = time.perf_counter()
    site_table = known_site_attention({cs.key: (cs.selected, cs.attention) for cs in classes}, known)
    timing["known_site_attention_seconds"] = time.perf_counter() - t

    # recovery of the known miRNA motifs by attention motifs (median rule) at q < 0.05
    mirna_known = [m.id for m in known if m.source == "known_localization" and m.info.get("rna_type") == "miRNA"]
    recovered = {}
    for rule in RULES:
        ids = {m.id for m in derived if m.source == "attention" and m.info.get("rule") == rule}
        sig = matches[matches["query_id"].isin(ids) & (matches["q_value"] < 0.05)] if len(matches) else matches
        recovered[rule] = sorted(set(sig["target_id"]) & set(mirna_known)) if len(sig) else []
    ids = {m.id for m in derived if m.source == "attention" and m.info.get("rule") == "median"
           and m.evalue is not None and m.evalue <= 0.05}
    sig = matches[matches["query_id"].isin(ids) & (matches["q_value"] < 0.05)] if len(matches) else matches
    recovered["median_enriched_motifs_only"] = sorted(set(sig["target_id"]) & set(mirna_known)) if len(sig) else []
    glam_ids = {m.id for m in derived if m.source == "glam2"}
    sig = matches[matches["query_id"].isin(glam_ids) & (matches["q_value"] < 0.05)] if len(matches) else matches
    recovered["glam2"] = sorted(set(sig["target_id"]) & set(mirna_known)) if len(sig) else []

    # scan timing (warm)
    train = data.load_rnaloc_train()
    scan_seqs = train["sequence"].sample(n=min(200, len(train)), random_state=args.seed).tolist()
    scan_known_motifs(scan_seqs[0])
    durations = []
    for s in scan_seqs:
        t = time.perf_counter()
        scan_known_motifs(s)
        durations.append(time.perf_counter() - t)
    timing["scan_seconds_mean"] = float(np.mean(durations))
    timing["scan_seconds_max"] = float(np.max(durations))
    timing["scan_n"] = len(durations)

    # artefacts
    t = time.perf_counter()
    if out_dir.exists():
        for p in list(out_dir.glob("*.meme")) + list(out_dir.glob("*.json")) + list(out_dir.glob("*.csv")):
            p.unlink()
        if (out_dir / "logos").is_dir():
            shutil.rmtree(out_dir / "logos")
    out_dir.mkdir(parents=True, exist_ok=True)
    write_meme(known, out_dir / "known_motifs.meme")
    write_meme([m for m in derived if m.source == "attention" and m.info.get("rule") == "median"],
               out_dir / "attention_motifs.meme")
    write_meme([m for m in derived if m.source == "attention" and m.info.get("rule") == "strict"],
               out_dir / "attention_motifs_strict.meme")
    write_meme([m for m in derived if m.source == "glam2"], out_dir / "denovo_glam2.meme")
    best_known = set()
    if len(matches):
        top = matches[matches["target_source"].isin(["known_localization", "rbp"])]
        top = top.sort_values("p_value").groupby("query_id").head(1)
        best_known = set(top["target_id"])
    logos = {}
    logo_motifs = derived if args.subset else derived + [k for k in known if k.source == "known_localization"
                                                         or k.id in best_known]
    for m in logo_motifs:  # a --subset build draws only its own motifs (logomaker takes ~0.25 s a logo)
        rel = f"logos/{m.id}.png"
        save_logo(m, out_dir / rel)
        logos[m.id] = rel
    timing["logos_seconds"] = time.perf_counter() - t
    timing["total_seconds"] = time.perf_counter() - t_start

    command = artifacts.command_line()
    if not command.startswith("python -m mirloc_core"):
        command = "python -m mirloc_core motifs build " + " ".join(argv)
    config = {"subset": args.subset, "seed": args.seed, "confidence": args.confidence, "min_selected": 20,
              "rules": {"median": "attention > per-sequence median", "strict": "attention > per-sequence 80th percentile"},
              "seqlet_width": [MIN_WIDTH, MAX_WIDTH], "seqlet_max_gap": 1, "cluster_k": 6, "cluster_flank": 3,
              "dedup_similarity": 0.8, "glam2": glam2_cfg, "scan_threshold": SCAN_THRESHOLD,
              "tomtom": "memelite.tomtom, reverse_complement=False, per-query BH q-values"}
    report = {
        "command": command, "date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "machine": {"cores": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()},
        "config": config, "timing": timing, "predictor": provenance,
        "class_summary": class_summary,
        "motifs": [m.to_dict() for m in known + derived],
        "matches": _best_matches(matches).to_dict(orient="records") if len(matches) else [],
        "logos": logos,
        "known_recovered": recovered,
        "classes": class_summary,
        "known_site_attention": site_table.to_dict(orient="records"),
    }
    report["statements"] = _statements(report, matches)
    (out_dir / "motifs.json").write_text(json.dumps(report, default=_json_default) + "\n")
    (_best_matches(matches) if len(matches) else pd.DataFrame(columns=["query_id"])).to_csv(
        out_dir / "matches.csv", index=False, float_format="%.4g")
    metrics = {"motif_build_seconds": round(timing["total_seconds"], 1),
               "motif_scan_seconds": round(timing["scan_seconds_mean"], 4),
               "motif_known_recovered": len(recovered["median"]),
               "motif_known_recovered_enriched": len(recovered["median_enriched_motifs_only"])}
    artifacts.write_manifest(out_dir, "motifs", metrics=metrics, config=config,
                             data=data.data_fingerprint(("rnaloc_lm_mirna", "network1041", "mirbase22", "motifs")),
                             command=command)

    try:
        logo_prefix = os.path.relpath(out_dir, doc_path.parent) + "/"
    except ValueError:
        logo_prefix = str(out_dir) + "/"
    doc_path.parent.mkdir(parents=True, exist_ok=True)
    doc_path.write_text(_report_markdown(report, logo_prefix))

    results = {
        "command": command, "date": report["date"], "machine": report["machine"],
        "note": (f"timed under contention: load average {load_start:.1f} at the start and {os.getloadavg()[0]:.1f} "
                 f"at the end on {os.cpu_count()} cores (other jobs were running)")
        if max(load_start, os.getloadavg()[0]) > 0.75 * (os.cpu_count() or 1) else "quiet machine",
        "timing": timing, "metrics": metrics, "known_recovered": recovered,
        "known_mirna_motifs": mirna_known, "class_summary": class_summary, "config": config,
        "n_attention_motifs": {r: sum(1 for m in derived if m.source == "attention" and m.info.get("rule") == r)
                               for r in RULES},
        "n_glam2_motifs": sum(1 for m in derived if m.source == "glam2"),
        "significant_known_matches": (matches[(matches["q_value"] < 0.05)
                                              & matches["target_source"].isin(["known_localization", "rbp"])]
                                      [["query_id", "target_id", "target_name", "p_value", "q_value", "offset"]]
                                      .to_dict(orient="records") if len(matches) else []),
        "statements": report["statements"],
        "known_site_attention": report["known_site_attention"],
    }
    results_path.parent.mkdir(parents=True, exist_ok=True)
    results_path.write_text(json.dumps(results, indent=1, default=_json_default) + "\n")
    if not args.no_summary:
        artifacts.merge_summary(metrics)
    print(json.dumps(metrics))
    for s in report["statements"]:
        print("-", s)
    return 0


def _best_matches(matches: pd.DataFrame, top: int = 5) -> pd.DataFrame:
    """The match table kept in the artefacts: per query its ``top`` best known and ``top`` best derived
    targets, plus every pair with q < 0.05."""
    known = matches["target_source"].isin(["known_localization", "rbp"])
    group_rank = matches.groupby([matches["query_id"], known])["p_value"].rank(method="first")
    keep = (group_rank <= top) | (matches["q_value"] < 0.05)
    return matches[keep].reset_index(drop=True)


def _json_default(obj):
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (np.floating,)):
        return float(obj)
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    return str(obj)
