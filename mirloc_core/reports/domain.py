"""``mirloc benchmark domain``: how well the applicability domain (:mod:`mirloc_core.features.domain`) separates
miRNAs from sequences that are not, written to ``benchmarks/results/domain.json``.

Sets, generated from miRBase 22 with a seed:

- *should be flagged out of domain*: uniformly random sequences of mature (22 nt) and hairpin (80 nt) length, and
  dinucleotide-shuffled real human matures and hairpins (the shuffle keeps every dinucleotide count);
- *should be kept*: real human matures and hairpins with 1 or 2 substitutions outside the seed (nucleotides 2–8).

The thresholds were chosen on the sets of seed 0 (``calibration``); the figures reported as the summary keys come
from sets drawn with seed 1 (``check``), which played no part in choosing them.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from pathlib import Path

import numpy as np

from mirloc_core import config

KEEP = ("mature_1_substitution", "mature_2_substitutions", "hairpin_1_substitution", "hairpin_2_substitutions")
FLAG = ("random_22nt", "random_80nt", "shuffled_mature", "shuffled_hairpin")


def mutate_outside_seed(sequence: str, n: int, rng: random.Random) -> str:
    """``sequence`` with ``n`` substitutions at distinct positions outside nucleotides 2–8."""
    letters = list(sequence)
    for position in rng.sample([p for p in range(len(letters)) if not 1 <= p <= 7], n):
        letters[position] = rng.choice([b for b in "ACGU" if b != letters[position]])
    return "".join(letters)


def dinucleotide_shuffle(sequence: str, rng: random.Random) -> str:
    """A uniformly drawn sequence with the same dinucleotide counts, first and last letter (Altschul–Erickson:
    a random Eulerian path through the dinucleotide graph, with a random arborescence fixing the last exits)."""
    if len(sequence) < 3:
        return sequence
    edges: dict[str, list[str]] = {}
    for a, b in zip(sequence, sequence[1:]):
        edges.setdefault(a, []).append(b)
    last = sequence[-1]
    while True:
        # a random spanning tree into ``last``: each other vertex keeps one random exit for the end
        tree = {v: rng.choice(edges[v]) for v in edges if v != last}
        if _reaches(tree, last):
            break
    walks = {}
    for v, exits in edges.items():
        rest = list(exits)
        if v in tree:
            rest.remove(tree[v])
        rng.shuffle(rest)
        walks[v] = rest + ([tree[v]] if v in tree else [])
    out, current = [sequence[0]], sequence[0]
    for _ in range(len(sequence) - 1):
        current = walks[current].pop(0)
        out.append(current)
    return "".join(out)


def _reaches(tree: dict, root: str) -> bool:
    for start in tree:
        seen, v = set(), start
        while v != root:
            if v in seen or v not in tree:
                return False
            seen.add(v)
            v = tree[v]
    return True


def generate_sets(seed: int, n: int = 200, data_dir=None) -> dict[str, list[str]]:
    """The eight evaluation sets (see the module docstring), ``n`` sequences each."""
    from mirloc_core.io.data import load_mirbase

    rng = random.Random(seed)
    matures = sorted(set(load_mirbase("mature", "hsa", data_dir).values()))
    hairpins = sorted(set(load_mirbase("hairpin", "hsa", data_dir).values()))
    pick = lambda pool: rng.sample(pool, n)  # noqa: E731
    return {
        "mature_1_substitution": [mutate_outside_seed(s, 1, rng) for s in pick(matures)],
        "mature_2_substitutions": [mutate_outside_seed(s, 2, rng) for s in pick(matures)],
        "hairpin_1_substitution": [mutate_outside_seed(s, 1, rng) for s in pick(hairpins)],
        "hairpin_2_substitutions": [mutate_outside_seed(s, 2, rng) for s in pick(hairpins)],
        "random_22nt": ["".join(rng.choice("ACGU") for _ in range(22)) for _ in range(n)],
        "random_80nt": ["".join(rng.choice("ACGU") for _ in range(80)) for _ in range(n)],
        "shuffled_mature": [dinucleotide_shuffle(s, rng) for s in pick(matures)],
        "shuffled_hairpin": [dinucleotide_shuffle(s, rng) for s in pick(hairpins)],
    }


def evaluate(sets: dict[str, list[str]], ref) -> dict:
    """Per set: the share kept in domain, and the quantiles of both scores; plus the two headline shares."""
    from mirloc_core.features.domain import domain_scores

    out = {}
    for name, seqs in sets.items():
        scores = domain_scores(seqs, ref)
        sim = np.array([s.similarity for s in scores])
        seed = np.array([s.seed_identity for s in scores])
        out[name] = {"n": len(seqs), "in_domain": round(float(np.mean([s.in_domain for s in scores])), 4),
                     "similarity_q05_q50_q95": np.round(np.quantile(sim, [0.05, 0.5, 0.95]), 3).tolist(),
                     "seed_identity_q95": round(float(np.quantile(seed, 0.95)), 3)}
    flagged = [1 - out[k]["in_domain"] for k in FLAG]
    kept = [out[k]["in_domain"] for k in KEEP]
    return {"sets": out, "flagged_share": round(float(np.mean(flagged)), 4),
            "kept_share": round(float(np.mean(kept)), 4),
            "worst_flagged_set": FLAG[int(np.argmin(flagged))], "worst_kept_set": KEEP[int(np.argmin(kept))]}


def benchmark(n: int = 200, data_dir=None) -> dict:
    from mirloc_core.features import domain

    start = time.perf_counter()
    ref = domain.reference(data_dir)
    build = time.perf_counter() - start
    calibration = evaluate(generate_sets(0, n, data_dir), ref)
    start = time.perf_counter()
    check_sets = generate_sets(1, n, data_dir)
    check = evaluate(check_sets, ref)
    per_seq = (time.perf_counter() - start) / sum(len(v) for v in check_sets.values())
    return {"thresholds": {"similarity_min": domain.SIMILARITY_MIN, "seed_identity_min": domain.SEED_IDENTITY_MIN,
                           "k": domain.K, "candidates": domain.CANDIDATES},
            "calibration_seed": 0, "check_seed": 1, "calibration": calibration, "check": check,
            "reference_build_seconds": round(build, 2), "ms_per_sequence": round(1000 * per_seq, 3),
            "note": "thresholds chosen on the calibration sets (seed 0); the summary keys are the check sets "
                    "(seed 1). Flagged: random and dinucleotide-shuffled sequences; kept: human matures and "
                    "hairpins with 1-2 substitutions outside the seed."}


def cli_benchmark(argv: list[str]) -> int:
    """``mirloc benchmark domain [--n N]`` → benchmarks/results/domain.json and the summary keys."""
    from mirloc_core.io.artifacts import command_line, merge_summary

    parser = argparse.ArgumentParser(prog="mirloc benchmark domain", description=cli_benchmark.__doc__)
    parser.add_argument("--n", type=int, default=200, help="sequences per set")
    parser.add_argument("--out", type=Path, default=None, help="results folder (default benchmarks/results)")
    args = parser.parse_args(argv)
    result = {"command": command_line(), **benchmark(args.n)}
    out = args.out or config.results_dir()
    out.mkdir(parents=True, exist_ok=True)
    (out / "domain.json").write_text(json.dumps(result, indent=2) + "\n")
    merge_summary({"ood_random_flagged": result["check"]["flagged_share"],
                   "ood_mutated_kept": result["check"]["kept_share"]}, out / "summary.json")
    print(json.dumps({k: result["check"][k] for k in ("flagged_share", "kept_share", "worst_flagged_set",
                                                      "worst_kept_set")}, indent=1))
    return 0
