"""Position weight matrices: the :class:`Motif` dataclass, IUPAC codes, consensus and information content.

Everything is in the RNA alphabet ``ACGU`` (column order of every PWM, shape ``(width, 4)``); ``T`` is read as
``U``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

ALPHABET = "ACGU"
LETTER_INDEX = {c: i for i, c in enumerate(ALPHABET)}
LETTER_INDEX["T"] = 3
"""Column of each letter in a PWM (``T`` = ``U``)."""

IUPAC = {
    "A": "A", "C": "C", "G": "G", "U": "U", "T": "U",
    "R": "AG", "Y": "CU", "S": "CG", "W": "AU", "K": "GU", "M": "AC",
    "B": "CGU", "D": "AGU", "H": "ACU", "V": "ACG", "N": "ACGU",
}
_CODE_OF_SET = {frozenset(v): k for k, v in IUPAC.items() if k != "T"}

MIN_WIDTH, MAX_WIDTH = 6, 15
"""Width limits of seqlets and derived motifs (nt)."""


class MotifFormatError(ValueError):
    """A motif file or consensus could not be read; the message says where and why."""


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
            pwm[i, LETTER_INDEX[letter]] = 1.0 / len(letters)
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
            j = LETTER_INDEX.get(ch)
            if j is not None:
                counts[i, j] += 1
    counts[counts.sum(axis=1) == 0] = 1.0
    return counts / counts.sum(axis=1, keepdims=True)


def iupac_regex(consensus: str) -> str:
    """A regular expression (with a look-ahead, so overlapping sites are all found) for an IUPAC consensus."""
    parts = []
    for code in consensus.upper():
        letters = IUPAC[code]
        parts.append(letters if len(letters) == 1 else f"[{letters}]")
    return "(?=(" + "".join(parts) + "))"
