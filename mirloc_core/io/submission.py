"""A web submission: pasted text or an uploaded file → validated records, with every problem listed.

The app's Predict page calls :func:`read_submission`; it is kept here (not in the page) so that the upload
path is tested without a browser. Rules:

* an uploaded file takes precedence over the text box (the page says which was used);
* at most :data:`~mirloc_core.io.fasta.APP_MAX_RECORDS` (10) records — more is an error, never a silent
  truncation;
* when records are invalid, **each** invalid record is reported by name (not only the first), through
  :class:`SubmissionError`, a subclass of :class:`~mirloc_core.io.fasta.InputError`.
"""

from __future__ import annotations

from pathlib import Path

from mirloc_core.config import data_available
from mirloc_core.io.fasta import APP_MAX_RECORDS, InputError, SequenceRecord, parse_fasta

EXAMPLE_FASTA = Path(__file__).resolve().parents[1] / "assets" / "example.fa"
EXAMPLE_NAMES = ("hsa-miR-21-5p", "hsa-miR-122-5p", "hsa-miR-29b-3p", "hsa-mir-21")
"""The example's miRBase 22 entries: three mature miRNAs and one precursor (stem-loop)."""
UPLOAD_TYPES = ("fa", "fasta", "txt")


class SubmissionError(InputError):
    """Invalid submission; ``problems`` lists one message per problem (each names its record)."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))


def example_fasta() -> str:
    """The "Load example" FASTA: the four miRBase 22 entries of :data:`EXAMPLE_NAMES`.

    Read from the shared miRBase files when they are present, else from the bundled ``assets/example.fa``
    (the same public sequences, for the app's degraded mode).
    """
    bundled = EXAMPLE_FASTA.read_text()
    if not data_available():
        return bundled
    try:
        from mirloc_core.io.data import load_mirbase

        mature, hairpin = load_mirbase("mature", "hsa"), load_mirbase("hairpin", "hsa")
    except Exception:  # the data directory is incomplete: keep the bundled copy
        return bundled
    headers = [line[1:] for line in bundled.splitlines() if line.startswith(">")]
    parts = []
    for name, header in zip(EXAMPLE_NAMES, headers):
        seq = mature.get(name) or hairpin.get(name)
        if not seq:
            return bundled
        parts.append(f">{header}\n{seq}\n")
    return "".join(parts)


def _chunks(text: str) -> list[str]:
    """Split FASTA text into one text chunk per record (the text before the first header stays whole)."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    chunks: list[list[str]] = []
    for line in lines:
        if line.lstrip().startswith(">") or not chunks:
            chunks.append([line])
        else:
            chunks[-1].append(line)
    return ["\n".join(chunk) for chunk in chunks if "\n".join(chunk).strip()]


def read_submission(text: str | None = None, upload: bytes | None = None, upload_name: str | None = None,
                    max_records: int = APP_MAX_RECORDS) -> list[SequenceRecord]:
    """Validate a submission: the uploaded file if given, else the pasted text.

    Parameters
    ----------
    text : str, optional
        The text box content.
    upload : bytes, optional
        The uploaded file's content.
    upload_name : str, optional
        The uploaded file's name (for messages and the extension check).
    max_records : int
        Most records accepted.

    Returns
    -------
    list of SequenceRecord

    Raises
    ------
    SubmissionError
        With one message per problem: empty input, too many records, non-text upload, wrong file type,
        and each invalid record by name.
    """
    label = "the text box"
    data: str | bytes | None = text
    if upload is not None:
        label = f"the uploaded file '{upload_name or 'file'}'"
        if upload_name and Path(upload_name).suffix.lower().lstrip(".") not in UPLOAD_TYPES:
            raise SubmissionError([f"{label} is not a FASTA file: use a .fa, .fasta or .txt file"])
        data = upload
    if data is None or (isinstance(data, str) and not data.strip()):
        raise SubmissionError(["the input is empty: paste sequences, upload a FASTA file or click “Load example”"])
    try:
        return parse_fasta(data, max_records=max_records)
    except InputError as first:
        message = str(first)
        if isinstance(data, (bytes, bytearray)):
            try:
                decoded = bytes(data).decode("utf-8-sig")
            except UnicodeDecodeError:
                raise SubmissionError([f"{label}: {message}"]) from None
        else:
            decoded = data
        if "\x00" in decoded or "records given" in message or "limit" in message:
            raise SubmissionError([f"{label}: {message}"]) from None
        problems = []
        for chunk in _chunks(decoded):
            try:
                parse_fasta(chunk)
            except InputError as exc:
                problems.append(str(exc))
        raise SubmissionError(problems or [message]) from None
