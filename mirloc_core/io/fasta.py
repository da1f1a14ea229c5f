"""User-facing sequence input: FASTA parsing, validation and normalisation, and basic encodings.

:func:`parse_fasta` is the one door through which pasted text, uploaded files and CLI input enter the
package. It either returns clean records or raises :class:`InputError` with a message that names the
record and the problem; nothing is dropped or truncated silently.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

import numpy as np
from Bio import SeqIO

from mirloc_core.config import APP_MAX_RECORDS, MAX_INPUT_BYTES, MAX_LENGTH, MIN_LENGTH  # noqa: F401 (re-exported)

ALPHABET = "ACGU"

_BASE_INDEX = {base: i for i, base in enumerate(ALPHABET)}


class InputError(ValueError):
    """Invalid user input; the message names the record and the problem."""


@dataclass(frozen=True)
class SequenceRecord:
    """One validated input sequence.

    Attributes
    ----------
    id : str
        Unique identifier (first word of the header, made unique when repeated).
    description : str
        The full header line without ``>``.
    sequence : str
        Normalised sequence: upper case, RNA alphabet (T → U), no whitespace.
    notice : str
        A note about a change made to the record (e.g. a renamed duplicate id), else empty.
    """

    id: str
    description: str
    sequence: str
    notice: str = ""

    def __len__(self) -> int:
        return len(self.sequence)


def _decode(data: str | bytes) -> str:
    if isinstance(data, (bytes, bytearray, memoryview)):
        data = bytes(data)
        if len(data) > MAX_INPUT_BYTES:
            raise InputError(f"input is {len(data):,} bytes; the limit is {MAX_INPUT_BYTES:,} bytes")
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise InputError(
                f"input is not UTF-8 text (byte {exc.start}); upload a plain-text FASTA file (.fa, .fasta, .txt)"
            ) from None
    if not isinstance(data, str):
        raise InputError(f"input must be text, not {type(data).__name__}")
    if len(data) > MAX_INPUT_BYTES or len(data.encode("utf-8", "surrogatepass")) > MAX_INPUT_BYTES:
        raise InputError(f"input is larger than the limit of {MAX_INPUT_BYTES:,} bytes")
    return data.lstrip("\ufeff")


def _describe_char(char: str) -> str:
    if char.isprintable() and not char.isspace():
        return f"'{char}'"
    return f"U+{ord(char):04X}"


def clean_header(text: str) -> str:
    """Make a header printable: control characters become spaces."""
    return "".join(ch if ch.isprintable() else " " for ch in text).strip()


_clean_header = clean_header


def normalise_sequence(raw: str, record: str = "sequence") -> str:
    """Upper-case, remove whitespace, map T → U and check the alphabet and length.

    Parameters
    ----------
    raw : str
        Sequence text, possibly spread over lines.
    record : str
        Record name used in error messages.

    Raises
    ------
    InputError
        Empty sequence, a character outside ACGU/T (the first offending one is named with its position),
        or a length outside [15, 1000].
    """
    seq = re.sub(r"\s+", "", raw).upper().replace("T", "U")
    if not seq:
        raise InputError(f"record '{record}' has no sequence")
    bad = [(i, ch) for i, ch in enumerate(seq) if ch not in _BASE_INDEX]
    if bad:
        pos, ch = bad[0]
        kinds = sorted({_describe_char(c) for _, c in bad})
        shown = ", ".join(kinds[:8]) + (" …" if len(kinds) > 8 else "")
        raise InputError(
            f"record '{record}' has {len(bad)} invalid character(s) ({shown}); the first, {_describe_char(ch)}, "
            f"is at position {pos + 1}. Only A, C, G, U (or T) are accepted; IUPAC codes such as N are not"
        )
    if len(seq) < MIN_LENGTH:
        raise InputError(f"record '{record}' is {len(seq)} nt long; the minimum is {MIN_LENGTH} nt")
    if len(seq) > MAX_LENGTH:
        raise InputError(f"record '{record}' is {len(seq):,} nt long; the maximum is {MAX_LENGTH:,} nt")
    return seq


def _check_ascii_sequences(lines: list[str]) -> None:
    """Reject non-ASCII characters in sequence lines before Biopython sees them (it decodes as ASCII)."""
    record, number, position = "", 0, 0
    for line in lines:
        if line.startswith(">"):
            number += 1
            record, position = (_clean_header(line[1:]).split() or [f"#{number} (no name)"])[0], 0
            continue
        if not line.isascii():
            compact = re.sub(r"[ \t\f\v]+", "", line)
            offset = next(i for i, ch in enumerate(compact) if not ch.isascii())
            raise InputError(
                f"record '{record}' has a non-ASCII character {_describe_char(compact[offset])} at position "
                f"{position + offset + 1}. Only A, C, G, U (or T) are accepted"
            )
        position += len(re.sub(r"[ \t\f\v]+", "", line))


def parse_fasta(text: str | bytes, max_records: int | None = None) -> list[SequenceRecord]:
    """Parse and validate FASTA text (or a single bare sequence).

    Accepted: one bare sequence without a header; lower case; DNA letters (T is read as U); Windows and
    old Mac line endings; blank lines; a UTF-8 byte-order mark. Duplicate ids are made unique
    (``id_2``, ``id_3``…) and the record carries a notice saying so.

    Parameters
    ----------
    text : str or bytes
        The input. Bytes are decoded as UTF-8.
    max_records : int, optional
        Maximum number of records; more raises :class:`InputError` (never truncated silently).

    Returns
    -------
    list of SequenceRecord

    Raises
    ------
    InputError
        Empty input, non-text input, a record without a sequence, invalid characters, a sequence shorter
        than 15 nt or longer than 1,000 nt, or more records than ``max_records``.
    """
    content = _decode(text)
    if "\x00" in content:
        raise InputError("input contains NUL bytes; it does not look like a text FASTA file")
    content = content.replace("\r\n", "\n").replace("\r", "\n")
    if not content.strip():
        raise InputError("input is empty: paste or upload at least one sequence")
    lines = content.split("\n")
    first = next(i for i, line in enumerate(lines) if line.strip())
    if not lines[first].lstrip().startswith(">"):
        if any(line.lstrip().startswith(">") for line in lines[first:]):
            raise InputError(
                "text before the first '>' header: start every record with a '>name' line, "
                "or paste a single bare sequence"
            )
        lines = [">sequence_1"] + lines[first:]
    else:
        lines = lines[first:]
    lines = [line.lstrip() if line.lstrip().startswith(">") else line for line in lines]

    _check_ascii_sequences(lines)
    n_headers = sum(1 for line in lines if line.startswith(">"))
    if max_records is not None and n_headers > max_records:
        raise InputError(f"{n_headers} records given; at most {max_records} are accepted per submission")

    records: list[SequenceRecord] = []
    for number, entry in enumerate(SeqIO.parse(io.StringIO("\n".join(lines)), "fasta"), start=1):
        description = _clean_header(entry.description)
        rid = _clean_header(entry.id) or f"sequence_{number}"
        sequence = normalise_sequence(str(entry.seq), record=rid if entry.id else f"#{number} (no name)")
        notice = "" if entry.id else f"record #{number} had no name; it is called '{rid}'"
        records.append(SequenceRecord(rid, description, sequence, notice))
    if not records:
        raise InputError("no FASTA records found")
    return make_ids_unique(records)


def make_ids_unique(records: list[SequenceRecord]) -> list[SequenceRecord]:
    """Rename repeated ids to ``id_2``, ``id_3``… (skipping names already taken); renamed records carry a notice."""
    seen: dict[str, int] = {}
    out = []
    for rec in records:
        rid = rec.id
        if rid in seen:
            seen[rid] += 1
            new_id = f"{rid}_{seen[rid]}"
            while new_id in seen:
                seen[rid] += 1
                new_id = f"{rid}_{seen[rid]}"
            rec = SequenceRecord(new_id, rec.description, rec.sequence, f"duplicate id '{rid}' renamed to '{new_id}'")
            rid = new_id
        seen.setdefault(rid, 1)
        out.append(rec)
    return out


def one_hot(sequence: str) -> np.ndarray:
    """One-hot encode an ACGU sequence, shape ``(len, 4)``, columns in ``ACGU`` order."""
    idx = np.fromiter((_BASE_INDEX[c] for c in sequence), dtype=np.int64, count=len(sequence))
    out = np.zeros((len(sequence), 4), dtype=np.float32)
    out[np.arange(len(sequence)), idx] = 1.0
    return out


def to_fasta(records) -> str:
    """Write records (``SequenceRecord`` or ``(id, sequence)`` pairs) as FASTA text."""
    parts = []
    for rec in records:
        rid, seq = (rec.id, rec.sequence) if isinstance(rec, SequenceRecord) else rec
        parts.append(f">{rid}\n{seq}\n")
    return "".join(parts)
