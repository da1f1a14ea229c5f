"""GLAM2 de novo motifs: the MEME suite's gapped motif finder (Debian package ``glam2``) via ``subprocess``.

Repeated runs with ``glam2mask`` give several motifs; the output is converted to :class:`Motif`. GLAM2 reports
no E-value: see :func:`mirloc_core.motifs.compare.enrichment_evalues`.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from mirloc_core.motifs.pwm import MAX_WIDTH, MIN_WIDTH, Motif, pwm_consensus


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
        :func:`mirloc_core.motifs.compare.enrichment_evalues`.
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
