"""Batch scoring of FASTA files of any size: ``mirloc predict INPUT.fa[.gz] --out OUT.csv``.

The input is read record by record and predicted in chunks; each chunk is written as soon as it is predicted, so
memory stays flat whatever the input size (apart from the set of ids seen, a few dozen bytes per sequence, which
keeps ids unique and lets ``--resume`` skip what an interrupted run already wrote). Bad records are either
reported in a side file (``OUT.errors.tsv``: line number, record, reason) while the run goes on
(``--on-error skip``), or stop the run at the first one (``--on-error stop``, the default, as in the web app).

``--engine dask`` sends the same chunks to a Dask cluster (``--scheduler ADDRESS``, else a local cluster with one
worker process per core); every worker loads the predictor once, through a worker plugin, and the output is the
same as in one process, in the same order.
"""

from __future__ import annotations

import argparse
import gzip
import io
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from mirloc_core.config import Settings
from mirloc_core.io.fasta import InputError, SequenceRecord, clean_header, normalise_sequence

CHUNK_SIZE = 2000
"""Sequences per chunk (one prediction call, one write)."""


class BatchInputError(InputError):
    """A bad record in ``--on-error stop`` mode; the message names its line and the reason."""


@dataclass(frozen=True)
class BadRecord:
    """A record that could not be predicted (``line``: 1-based line of its header)."""

    line: int
    record: str
    reason: str


@dataclass
class BatchReader:
    """Reads FASTA (plain or gzip) record by record, validates each, and hands out chunks of records.

    ``skip`` holds ids already written (``--resume``): they are read, kept unique, and not handed out again.
    """

    path: str
    on_error: str = "stop"
    skip: set = field(default_factory=set)
    errors: list = field(default_factory=list)
    skipped: int = 0
    _seen: dict = field(default_factory=dict)

    def _open(self):
        if self.path == "-":
            return io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8-sig", errors="strict")
        opener = gzip.open if str(self.path).endswith(".gz") else open
        return opener(self.path, "rt", encoding="utf-8-sig")

    def _raw_records(self):
        """``(header line number, header, sequence text)`` of every record, lines read one at a time."""
        header, line_no, parts = None, 0, []
        with self._open() as handle:
            for number, line in enumerate(handle, start=1):
                if line.startswith(">"):
                    if header is not None:
                        yield line_no, header, "".join(parts)
                    header, line_no, parts = line[1:].strip(), number, []
                elif header is None:
                    if line.strip():
                        yield number, "", line  # text before the first header
                else:
                    parts.append(line)
        if header is not None:
            yield line_no, header, "".join(parts)

    def _unique(self, rid: str) -> str:
        count = self._seen.get(rid, 0)
        self._seen[rid] = count + 1
        if count == 0:
            return rid
        new = f"{rid}_{count + 1}"
        while new in self._seen:
            count += 1
            new = f"{rid}_{count + 1}"
        self._seen[new] = 1
        return new

    def records(self):
        """Validated :class:`SequenceRecord` objects, bad ones reported (or raised) as the mode says."""
        for number, (line, header, raw) in enumerate(self._raw_records(), start=1):
            name = (clean_header(header).split() or [f"sequence_{number}"])[0] if header else f"line_{line}"
            try:
                if not header:
                    raise InputError("text before the first '>' header")
                sequence = normalise_sequence(raw, record=name)
            except InputError as exc:
                if self.on_error == "stop":
                    raise BatchInputError(f"line {line}: {exc}") from None
                self.errors.append(BadRecord(line, name, str(exc)))
                continue
            rid = self._unique(name)
            if rid in self.skip:
                self.skipped += 1
                continue
            yield SequenceRecord(rid, clean_header(header), sequence,
                                 f"duplicate id '{name}' renamed to '{rid}'" if rid != name else "")

    def chunks(self, size: int = CHUNK_SIZE):
        chunk = []
        for record in self.records():
            chunk.append(record)
            if len(chunk) >= size:
                yield chunk
                chunk = []
        if chunk:
            yield chunk


# ---------------------------------------------------------------------------------------------- writers
def _drop_partial_last_line(path: Path) -> None:
    """Cut a CSV after its last complete line (an interrupted run may have left half a row)."""
    with open(path, "rb+") as handle:
        handle.seek(0, os.SEEK_END)
        size = handle.tell()
        tail = min(size, 1 << 20)
        handle.seek(size - tail)
        data = handle.read()
        if not data.endswith(b"\n"):
            handle.truncate(size - tail + data.rfind(b"\n") + 1)


class CsvSink:
    """Appends prediction tables to a CSV file (the header once; ``resume`` keeps what is there)."""

    def __init__(self, path: Path, resume: bool):
        self.path = Path(path)
        self.written = 0
        self._header = not (resume and self.path.is_file() and self.path.stat().st_size > 0)
        self._mode = "w" if self._header else "a"  # the file is created at the first write, not before
        if not self._header:
            _drop_partial_last_line(self.path)

    @staticmethod
    def existing_ids(path: Path) -> set:
        import pandas as pd

        if not Path(path).is_file() or Path(path).stat().st_size == 0:
            return set()
        ids = set()
        for chunk in pd.read_csv(path, usecols=["id"], dtype=str, keep_default_na=False, chunksize=100_000):
            ids.update(chunk["id"].map(lambda v: v[1:] if v[:1] == "'" and v[1:2] in "=+-@" else v))
        return ids

    def write(self, table) -> None:
        from mirloc_core.results import write_csv

        text = write_csv(table)
        if not self._header:
            text = text.split("\n", 1)[1]
        with open(self.path, self._mode) as handle:
            handle.write(text)
        self._header, self._mode = False, "a"
        self.written += len(table)

    def close(self) -> None:
        return None


class ParquetSink:
    """Writes prediction tables as row groups of one Parquet file; ``resume`` copies the existing row groups
    into the new file first (row group by row group, so memory stays flat)."""

    def __init__(self, path: Path, resume: bool):
        import pyarrow.parquet as pq

        self.path = Path(path)
        self.written = 0
        self._tmp = self.path.with_name(self.path.name + ".writing")
        self._writer = None
        if resume and self.path.is_file():
            old = pq.ParquetFile(self.path)
            self._writer = pq.ParquetWriter(self._tmp, old.schema_arrow)
            for i in range(old.num_row_groups):
                self._writer.write_table(old.read_row_group(i))

    @staticmethod
    def existing_ids(path: Path) -> set:
        import pyarrow.parquet as pq

        if not Path(path).is_file():
            return set()
        return set(pq.read_table(path, columns=["id"]).column("id").to_pylist())

    def write(self, table) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        arrow = pa.Table.from_pandas(table, preserve_index=False)
        if self._writer is None:
            self._writer = pq.ParquetWriter(self._tmp, arrow.schema)
        self._writer.write_table(arrow.cast(self._writer.schema))
        self.written += len(table)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            os.replace(self._tmp, self.path)


def sink_for(path: Path, fmt: str, resume: bool):
    return (ParquetSink if fmt == "parquet" else CsvSink)(path, resume)


# ---------------------------------------------------------------------------------------------- engines
def predict_local(chunks, settings: Settings, sequence_only: bool):
    """Predict chunks in this process; yields ``(table, notices)`` per chunk, in order."""
    from mirloc_core.predict import Predictor

    predictor = Predictor.load(settings=settings)
    for chunk in chunks:
        result = predictor.predict(chunk, sequence_only=sequence_only)
        yield result.to_frame(), result.notices


# ---------------------------------------------------------------------------------------------- the run
@dataclass
class BatchSummary:
    """What a batch run did."""

    written: int
    skipped_existing: int
    bad_records: int
    seconds: float
    errors_path: Path | None = None
    notices: list = field(default_factory=list)

    @property
    def per_second(self) -> float:
        return self.written / self.seconds if self.seconds > 0 else float("nan")


def run_batch(input_path: str, out: Path, settings: Settings, fmt: str = "csv", chunk_size: int = CHUNK_SIZE,
              on_error: str = "stop", resume: bool = False, engine: str = "local", scheduler: str | None = None,
              workers: int | None = None, sequence_only: bool = False, progress: bool = False) -> BatchSummary:
    """Score every record of ``input_path`` into ``out`` (CSV or Parquet), chunk by chunk (see the module docstring).

    Raises
    ------
    BatchInputError
        A bad record with ``on_error="stop"`` (what was predicted before it is written).
    """
    out = Path(out)
    sink = sink_for(out, fmt, resume)  # first: it drops a half-written last row of an interrupted CSV
    skip = type(sink).existing_ids(out) if resume else set()
    reader = BatchReader(str(input_path), on_error=on_error, skip=skip)
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(unit="seq", desc="predicting", file=sys.stderr, smoothing=0.1)
    start = time.perf_counter()
    try:
        if engine == "dask":
            from mirloc_core.batch_dask import predict_dask

            tables = predict_dask(reader.chunks(chunk_size), settings, sequence_only, scheduler, workers)
        else:
            tables = predict_local(reader.chunks(chunk_size), settings, sequence_only)
        notices: dict = {}
        for table, chunk_notices in tables:
            sink.write(table)
            notices.update(dict.fromkeys(chunk_notices))
            if bar is not None:
                bar.update(len(table))
    finally:
        sink.close()
        if bar is not None:
            bar.close()
    errors_path = None
    if reader.errors:
        errors_path = out.with_name(out.name + ".errors.tsv")
        with open(errors_path, "w") as handle:
            handle.write("line\trecord\treason\n")
            for bad in reader.errors:
                handle.write(f"{bad.line}\t{bad.record}\t{bad.reason}\n")
    return BatchSummary(sink.written, reader.skipped, len(reader.errors), time.perf_counter() - start, errors_path,
                        list(notices))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mirloc predict",
                                     description="Predict the localization of every sequence in a FASTA file.")
    parser.add_argument("input", help="FASTA file, plain or .gz ('-' for standard input)")
    parser.add_argument("--out", required=True, help="output file ('-' for CSV on standard output)")
    parser.add_argument("--format", choices=("csv", "parquet"), default="csv")
    parser.add_argument("--sequence-only", action="store_true", help="skip the network-model lookup")
    parser.add_argument("--device", choices=("cpu", "cuda"), default=None)
    parser.add_argument("--threads", type=int, default=None,
                        help="torch CPU threads (default: all cores; the app uses 1 per request)")
    parser.add_argument("--chunk-size", type=int, default=CHUNK_SIZE, help="sequences per chunk")
    parser.add_argument("--resume", action="store_true", help="skip the ids already in --out and append")
    parser.add_argument("--on-error", choices=("stop", "skip"), default="stop",
                        help="stop at the first bad record (default), or skip bad records and list them in "
                             "OUT.errors.tsv")
    parser.add_argument("--engine", choices=("local", "dask"), default="local")
    parser.add_argument("--scheduler", default=None, help="address of a running Dask scheduler (--engine dask)")
    parser.add_argument("--workers", type=int, default=None, help="local Dask cluster size (default: all cores)")
    parser.add_argument("--weights", default=None, help="weights root (default: the released weights)")
    parser.add_argument("--data", default=None, help="shared data directory (default: MIRLOC_DATA or ../shared/data)")
    return parser


def cli_predict(argv: list[str]) -> int:
    """``mirloc predict INPUT.fa --out OUT.csv [--format parquet] [--resume] [--on-error skip] [--engine dask]``."""
    from mirloc_core.io.artifacts import ArtifactError

    args = build_parser().parse_args(argv)
    settings = Settings.from_env(data_dir=args.data, weights_dir=args.weights, device=args.device,
                                 threads=max(1, args.threads or os.cpu_count() or 1))
    stdout = args.out == "-"
    out = Path(args.out) if not stdout else Path(os.devnull)
    try:
        if stdout:
            return _to_stdout(args, settings)
        summary = run_batch(args.input, out, settings, args.format, args.chunk_size, args.on_error, args.resume,
                            args.engine, args.scheduler, args.workers, args.sequence_only, progress=sys.stderr.isatty())
    except (InputError, OSError, UnicodeDecodeError, ArtifactError, RuntimeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for notice in summary.notices:
        print(f"note: {notice}", file=sys.stderr)
    print(f"wrote {summary.written} predictions to {out} ({summary.per_second:.1f} sequences/s"
          + (f"; {summary.skipped_existing} already there" if args.resume else "") + ")", file=sys.stderr)
    if summary.errors_path is not None:
        print(f"note: {summary.bad_records} bad records skipped, listed in {summary.errors_path}", file=sys.stderr)
    return 0


def _to_stdout(args, settings: Settings) -> int:
    """Small inputs to standard output: one CSV, notices on standard error."""
    from mirloc_core.predict import Predictor

    reader = BatchReader(args.input, on_error=args.on_error)
    records = list(reader.records())
    result = Predictor.load(settings=settings).predict(records, sequence_only=args.sequence_only)
    for notice in dict.fromkeys(result.notices):
        print(f"note: {notice}", file=sys.stderr)
    result.to_csv(sys.stdout)
    return 0
