"""Command line: ``mirloc COMMAND [SUBCOMMAND] [options]`` (or ``python -m mirloc_core …`` from a checkout).

Commands (each implemented in the module that owns the concept, imported lazily so that ``--help`` stays fast)::

    predict INPUT.fa --out OUT.csv [--sequence-only] [--device cpu|cuda] [--threads N]
    train lm | train sequence | train network
    benchmark network | benchmark sequence | benchmark domain
    motifs build
    report readme
"""

from __future__ import annotations

import importlib
import sys

COMMANDS = {
    ("predict",): ("mirloc_core.batch:cli_predict", "predict localization for a FASTA file"),
    ("train", "lm"): ("mirloc_core.training.lm:cli_train_lm", "pretrain the small RNA language model"),
    ("train", "sequence"): ("mirloc_core.training.sequence:cli_train", "train and release the sequence models"),
    ("train", "network"): ("mirloc_core.training.release:cli_train", "train and release the network model"),
    ("benchmark", "network"): ("mirloc_core.reports.network:cli_benchmark", "network-model CV benchmark"),
    ("benchmark", "sequence"): ("mirloc_core.reports.sequence:cli_benchmark", "sequence-model CV benchmark"),
    ("benchmark", "domain"): ("mirloc_core.reports.domain:cli_benchmark", "out-of-domain detection benchmark"),
    ("motifs", "build"): ("mirloc_core.motifs.build:cli_build", "build attention, de novo and known motif artefacts"),
    ("report", "readme"): ("mirloc_core.reports.readme:cli_readme", "re-render the README's result lines from JSON"),
}


def _usage() -> str:
    lines = ["usage: mirloc COMMAND [options]", "", "commands:"]
    for words, (_, help_text) in COMMANDS.items():
        lines.append(f"  {' '.join(words):<22} {help_text}")
    lines.append("")
    lines.append("Run a command with --help for its options.")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Dispatch to the command's ``cli_*(argv) -> int`` function."""
    argv = list(sys.argv[1:] if argv is None else argv)
    for n_words in (2, 1):
        key = tuple(argv[:n_words])
        if key in COMMANDS:
            target, _ = COMMANDS[key]
            module_name, func_name = target.split(":")
            func = getattr(importlib.import_module(module_name), func_name)
            return int(func(argv[n_words:]) or 0)
    print(_usage(), file=sys.stderr if argv and argv[0] not in ("-h", "--help") else sys.stdout)
    return 0 if (not argv or argv[0] in ("-h", "--help")) else 2
