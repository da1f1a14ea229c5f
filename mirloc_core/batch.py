"""Batch scoring of FASTA files from the command line: ``mirloc predict INPUT.fa --out OUT.csv``."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from mirloc_core.config import Settings


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mirloc predict",
                                     description="Predict the localization of every sequence in a FASTA file.")
    parser.add_argument("input", help="FASTA file ('-' for standard input)")
    parser.add_argument("--out", required=True, help="output CSV ('-' for standard output)")
    parser.add_argument("--sequence-only", action="store_true", help="skip the network-model lookup")
    parser.add_argument("--device", choices=("cpu", "cuda"), default=None)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--threads", type=int, default=None,
                        help="torch CPU threads (default: all cores; the app uses 1 per request)")
    parser.add_argument("--weights", default=None, help="weights root (default: the released weights)")
    parser.add_argument("--data", default=None, help="shared data directory (default: MIRLOC_DATA or ../shared/data)")
    return parser


def cli_predict(argv: list[str]) -> int:
    """``mirloc predict INPUT.fa --out OUT.csv [--sequence-only] [--device cpu|cuda] [--threads N]``."""
    from mirloc_core.io.artifacts import ArtifactError
    from mirloc_core.io.fasta import InputError, parse_large_fasta
    from mirloc_core.predict import Predictor

    args = build_parser().parse_args(argv)
    settings = Settings.from_env(data_dir=args.data, weights_dir=args.weights, device=args.device,
                                 threads=max(1, args.threads or os.cpu_count() or 1))
    try:
        text = sys.stdin.read() if args.input == "-" else Path(args.input).read_bytes()
        records = parse_large_fasta(text)
    except (InputError, OSError, UnicodeDecodeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        predictor = Predictor.load(settings=settings)
    except (ArtifactError, RuntimeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    result = predictor.predict(records, sequence_only=args.sequence_only, batch_size=args.batch_size,
                               progress=len(records) > 100)
    for notice in dict.fromkeys(result.notices):
        print(f"note: {notice}", file=sys.stderr)
    if args.out == "-":
        result.to_csv(sys.stdout)
    else:
        result.to_csv(args.out)
        print(f"wrote {len(result)} predictions to {args.out}", file=sys.stderr)
    return 0
