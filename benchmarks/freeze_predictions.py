"""Freeze the current predictions into ``tests/fixtures/frozen_predictions.json`` (``tests/test_frozen_predictions.py``).

The fixture holds the example and 300 miRBase 22 sequences (human and other species, hairpins and matures,
including network miRNAs; a fixed selection, seed 12), predicted with and without ``sequence_only``. A refactoring
must leave it unchanged; a deliberate change of the models or of the matching rules re-freezes it with this script,
in the same commit, saying why.
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

FIXTURE = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "frozen_predictions.json"


def selection() -> list[str]:
    """The 300 miRBase 22 names of the fixture (seed 12)."""
    from mirloc_core.io import data

    rng = random.Random(12)
    hm, mm = data.load_mirbase("hairpin", "hsa"), data.load_mirbase("mature", "hsa")
    ah, am = data.load_mirbase("hairpin", None), data.load_mirbase("mature", None)
    net = set(data.map_names_to_sequences().query("sequence != ''")["mirbase_name"])
    pick = rng.sample(sorted(n for n in hm if n in net), 60)
    pick += rng.sample(sorted(n for n in mm if n in net or n.replace("miR", "mir") in net), 10)
    pick += rng.sample(sorted(n for n in hm if n not in net), 50)
    pick += rng.sample(sorted(mm), 60)
    pick += rng.sample(sorted(n for n in ah if not n.startswith("hsa-")), 60)
    pick += rng.sample(sorted(n for n in am if not n.startswith("hsa-")), 60)
    return list(dict.fromkeys(pick))[:300]


def run(result) -> dict:
    table = result.table
    return {"columns": list(table.columns),
            "rows": json.loads(table.to_json(orient="values", double_precision=15)),
            "attention": {k: np.asarray(v, float).round(8).tolist() for k, v in result.attention.items()},
            "sequence_probabilities": np.asarray(result.sequence_probabilities, float).tolist(),
            "network": sorted(result.network), "conservation": result.conservation, "paralogs": result.paralogs,
            "nearest": {k: v["name"].tolist() for k, v in result.nearest.items()}}


def main() -> int:
    from mirloc_core.io import data
    from mirloc_core.io.fasta import SequenceRecord, parse_fasta
    from mirloc_core.io.submission import example_fasta
    from mirloc_core.predict import Predictor

    names = selection()
    seqs = {**data.load_mirbase("hairpin", None), **data.load_mirbase("mature", None)}
    inputs = {"example": parse_fasta(example_fasta()), "mirbase300": [SequenceRecord(n, n, seqs[n]) for n in names]}
    predictor = Predictor.load(device="cpu")
    out = {"example": example_fasta(), "mirbase_ids": names, "runs": {}}
    for label, records in inputs.items():
        for sequence_only in (False, True):
            out["runs"][f"{label}|sequence_only={sequence_only}"] = run(predictor.predict(records,
                                                                                         sequence_only=sequence_only))
    FIXTURE.write_text(json.dumps(out))
    print(f"froze {len(names)} + {len(inputs['example'])} sequences into {FIXTURE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
