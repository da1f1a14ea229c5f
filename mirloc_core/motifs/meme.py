"""MEME motif format: read (a user's own MEME/STREME/GLAM2 output, DNA or RNA alphabet) and write, and the
project's known motifs (10 localization motifs + 102 RNAcompete RBP motifs).

Why our own reader and not ``memelite.io.read_meme`` (memelite 0.5.0): memelite's reader takes a file name only
(an upload arrives as bytes), keys motifs by their whole ``MOTIF`` line (so duplicate identifiers silently
overwrite each other and the identifier is not split from the name), drops ``nsites`` and ``E`` (``nsites``
sets the scan's pseudocount weight, so scan scores and p-values would change), ignores the ``ALPHABET`` line
(a protein file would be read), needs ``w=`` on every matrix line, and raises bare numpy errors instead of the
:class:`~mirloc_core.motifs.pwm.MotifFormatError` messages (line numbers, what was expected) that the app
shows for an upload. Results and messages would change, so the parser below is kept; the upload limits
(:data:`MAX_MEME_BYTES`, :data:`MAX_MEME_MOTIFS`) are checked in front of it.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import numpy as np

from mirloc_core.motifs.pwm import ALPHABET, Motif, MotifFormatError, iupac_to_pwm

MAX_MEME_BYTES = 2_000_000
MAX_MEME_MOTIFS = 2000


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
    motifs: list[Motif] = []
    current_id, current_name = None, ""
    i = 0
    while i < len(lines):
        line = lines[i].strip()
        if line.startswith("ALPHABET"):
            _check_alphabet(line, i)
        elif line.startswith("MOTIF"):
            words = line.split()
            if len(words) < 2:
                raise MotifFormatError(f"line {i + 1}: MOTIF without an identifier")
            current_id, current_name = words[1], " ".join(words[2:])
        elif line.startswith("letter-probability matrix"):
            if current_id is None:
                raise MotifFormatError(f"line {i + 1}: letter-probability matrix before any MOTIF line")
            motif, i = _read_matrix(lines, i, current_id, current_name, source_name)
            motifs.append(motif)
            if len(motifs) > MAX_MEME_MOTIFS:
                raise MotifFormatError(f"more than {MAX_MEME_MOTIFS} motifs")
            current_id = None
            continue
        i += 1
    if not motifs:
        raise MotifFormatError("no motif found: expected MEME format (MOTIF lines with letter-probability matrices)")
    return motifs


def _check_alphabet(line: str, i: int) -> None:
    """Raise unless the ``ALPHABET`` line ``line`` (0-based line ``i``) names a nucleotide alphabet."""
    alphabet = None
    match = re.match(r"ALPHABET\s*=\s*(\S+)", line)
    if match:
        alphabet = match.group(1).upper()
    elif "RNA" in line.upper():
        alphabet = "ACGU"
    elif "DNA" in line.upper():
        alphabet = "ACGT"
    if alphabet is not None and sorted(alphabet.replace("T", "U")) != sorted(ALPHABET):
        raise MotifFormatError(f"line {i + 1}: alphabet {alphabet!r} is not a nucleotide alphabet")


def _read_matrix(lines: list[str], i: int, motif_id: str, name: str, source_name: str) -> tuple[Motif, int]:
    """The motif whose ``letter-probability matrix`` header is line ``i``, and the index of the line after it."""
    line = lines[i].strip()
    params = dict(re.findall(r"(\w+)\s*=\s*(\S+)", line.split(":", 1)[1] if ":" in line else ""))
    alength = int(float(params.get("alength", 4)))
    if alength != 4:
        raise MotifFormatError(f"line {i + 1}: alength={alength}; only nucleotide motifs (4) are supported")
    width = int(float(params["w"])) if "w" in params else None
    rows, j = _matrix_rows(lines, i + 1, width, motif_id)
    if not rows or (width is not None and len(rows) != width):
        raise MotifFormatError(f"motif {motif_id}: expected {width} rows, found {len(rows)}")
    pwm = np.array(rows, dtype=np.float64)
    if (pwm < 0).any() or np.abs(pwm.sum(axis=1) - 1).max() > 0.05:
        raise MotifFormatError(f"motif {motif_id}: rows must be probabilities summing to 1")
    evalue = params.get("E")
    try:
        evalue = float(evalue) if evalue is not None else None
    except ValueError:
        evalue = None
    nsites = int(float(params.get("nsites", 20)))
    return Motif(motif_id, pwm, name, source_name, "", max(nsites, 1), evalue), j


def _matrix_rows(lines: list[str], j: int, width: int | None, motif_id: str) -> tuple[list[list[float]], int]:
    """Rows of a matrix starting at line ``j``: ``width`` rows, or (no ``w=``) up to a blank or non-numeric line."""
    rows = []
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
            raise MotifFormatError(f"line {j + 1}: expected {width} matrix rows for motif {motif_id}")
        if len(row) != 4:
            raise MotifFormatError(f"line {j + 1}: expected 4 probabilities, found {len(row)}")
        rows.append(row)
        j += 1
    return rows, j


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
