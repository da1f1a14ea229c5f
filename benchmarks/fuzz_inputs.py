"""Fuzz the input path: every input either predicts or raises ``InputError`` with a specific message.

Generates inputs with hypothesis (arbitrary unicode and bytes, NUL bytes, BOMs, long lines, thousands of
records, ``>`` alone, headers without sequences, mixed line endings, IUPAC codes, digits and gaps, DNA and
RNA, lower case, and non-text files such as PNG and zip), feeds each to :func:`mirloc_core.parse_fasta`
with the app's limit of 10 records, and predicts the ones that parse with the released sequence model.
Any exception other than ``InputError`` is counted (and the first few printed) as unexpected.

Usage::

    python benchmarks/fuzz_inputs.py --n 10000            # writes benchmarks/results/fuzz_inputs.json
    python benchmarks/fuzz_inputs.py --n 300 --no-predict # quick run, no JSON
"""

from __future__ import annotations

import argparse
import io
import json
import platform
import sys
import time
import traceback
import zipfile
from collections import Counter
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mirloc_core.io.fasta import APP_MAX_RECORDS, InputError, parse_fasta  # noqa: E402

NUCLEOTIDES = "ACGUTacgut"
NOISE = "NRYKMSWBDHVnry-.*0123456789 \t"


def _png() -> bytes:
    return b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("seqs.fa", ">a\nACGUACGUACGUACGUACGU\n")
    return buffer.getvalue()


FIXED_CASES: list[tuple[str, str | bytes]] = [
    ("empty", ""),
    ("whitespace", " \n\t\r\n"),
    ("gt_alone", ">"),
    ("headers_only", ">a\n>b\n>c\n"),
    ("bom", "\ufeff>a\nACGUACGUACGUACGUACGU\n"),
    ("bom_bytes", b"\xef\xbb\xbf>a\nACGUACGUACGUACGUACGU\n"),
    ("nul", ">a\nACGU\x00ACGUACGUACGUACGU\n"),
    ("png", _png()),
    ("zip", _zip()),
    ("latin1", ">caf\xe9\nACGUACGUACGUACGUACGU\n".encode("latin-1")),
    ("long_line", ">a\n" + "ACGU" * 100_000),
    ("thousands", "".join(f">s{i}\nACGUACGUACGUACGUACGU\n" for i in range(5000))),
    ("too_large", "A" * 1_200_000),
    ("mixed_endings", ">a\r\nACGUACGUAC\rGUACGUACGU\n>b\nacgtacgtacgtacgtacgt\r\n"),
    ("iupac", ">a\nACGUNNRYACGUACGUACGU\n"),
    ("gaps_digits", ">a\n1 ACGU-ACGU.ACGU ACGU 20\n"),
    ("html_header", '>x <img src=x onerror="window.__pwned=1">\nACGUACGUACGUACGUACGU\n'),
    ("csv_injection", ">=HYPERLINK(\"http://x\")\nACGUACGUACGUACGUACGU\n"),
    ("eleven", "".join(f">s{i}\nACGUACGUACGUACGUACGU\n" for i in range(11))),
    ("ten", "".join(f">s{i}\nACGUACGUACGUACGUACGU\n" for i in range(10))),
]


@st.composite
def fasta_like(draw):
    """FASTA-shaped text with random damage: the inputs most likely to reach deep into the parser."""
    n = draw(st.integers(0, 14))
    parts = []
    if draw(st.booleans()):
        parts.append(draw(st.sampled_from(["", "\ufeff", " ", "\n", ";comment\n"])))
    for i in range(n):
        header = draw(st.one_of(st.just(f"s{i}"), st.text(max_size=30), st.just(""), st.just("dup")))
        alphabet = draw(st.sampled_from([NUCLEOTIDES, NUCLEOTIDES + NOISE, "ACGU", "acgt\n", NOISE]))
        seq = draw(st.text(alphabet=alphabet, max_size=draw(st.sampled_from([10, 40, 200, 1200]))))
        newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
        if draw(st.integers(0, 9)) == 0:
            seq = ""
        parts.append(f">{header}{newline}{seq}{newline}")
    return "".join(parts)


@st.composite
def valid_fasta(draw):
    """Well-formed FASTA (1–10 records, 15–300 nt, DNA or RNA, any case, any line ending)."""
    n = draw(st.integers(1, APP_MAX_RECORDS))
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    parts = []
    for i in range(n):
        seq = draw(st.text(alphabet=draw(st.sampled_from(["ACGU", "ACGT", "acgu", "AcGuT"])), min_size=15,
                           max_size=draw(st.sampled_from([25, 120, 300]))))
        width = draw(st.sampled_from([60, 1000]))
        body = newline.join(seq[j:j + width] for j in range(0, len(seq), width))
        parts.append(f">{draw(st.sampled_from(['hsa-miR-x', 'q', f'r{i}']))} {draw(st.text(max_size=20))}{newline}"
                     f"{body}{newline}")
    return "".join(parts)


INPUTS = st.one_of(
    valid_fasta(),
    fasta_like(),
    st.text(max_size=300),
    st.binary(max_size=300),
    st.text(alphabet=NUCLEOTIDES + "\n\r>", max_size=400),
    st.builds(lambda b: b"\xef\xbb\xbf" + b, st.binary(max_size=100)),
)


class Harness:
    """Run one input through parsing (and prediction), classifying the outcome."""

    def __init__(self, predictor=None):
        self.predictor = predictor
        self.outcomes: Counter = Counter()
        self.messages: Counter = Counter()
        self.failures: list[str] = []

    def __call__(self, data) -> str:
        try:
            records = parse_fasta(data, max_records=APP_MAX_RECORDS)
        except InputError as exc:
            message = str(exc)
            if not message or len(message) < 10:
                self._fail(data, AssertionError(f"non-specific InputError message: {message!r}"))
                return "unexpected"
            self.messages[message.split(":")[0][:60]] += 1
            self.outcomes["input_error"] += 1
            return "input_error"
        except Exception as exc:  # noqa: BLE001 - counting is the point
            self._fail(data, exc)
            return "unexpected"
        try:
            if self.predictor is not None:
                result = self.predictor.predict(records, sequence_only=True)
                assert len(result.table) == len(records)
                probs = result.table.filter(like="p_").to_numpy()
                assert ((probs >= 0) & (probs <= 1)).all()
        except Exception as exc:  # noqa: BLE001
            self._fail(data, exc)
            return "unexpected"
        self.outcomes["predicted" if self.predictor is not None else "parsed"] += 1
        return "ok"

    def _fail(self, data, exc) -> None:
        self.outcomes["unexpected"] += 1
        if len(self.failures) < 20:
            self.failures.append(f"{type(exc).__name__}: {exc} | input={data[:80]!r}\n{traceback.format_exc(limit=3)}")


def run(n: int, predictor=None, seed: int = 0) -> Harness:
    """Run the fixed corpus plus ``n`` generated inputs through a :class:`Harness`."""
    harness = Harness(predictor)
    for _, data in FIXED_CASES:
        harness(data)

    @settings(max_examples=n, database=None, deadline=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(INPUTS)
    def generated(data):
        harness(data)

    generated()
    return harness


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=10_000, help="generated inputs (plus the fixed corpus)")
    parser.add_argument("--no-predict", action="store_true", help="parse only, do not run the predictor")
    parser.add_argument("--out", default=None, help="JSON output (default benchmarks/results/fuzz_inputs.json)")
    args = parser.parse_args(argv)

    predictor = None
    if not args.no_predict:
        from mirloc_core.predict import Predictor

        predictor = Predictor.load()
    start = time.perf_counter()
    harness = run(args.n, predictor)
    seconds = time.perf_counter() - start
    total = sum(harness.outcomes.values())
    report = {
        "command": "python benchmarks/fuzz_inputs.py " + " ".join(argv if argv is not None else sys.argv[1:]),
        "date": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
        "machine": {"cores": __import__("os").cpu_count(), "python": platform.python_version()},
        "fuzz_inputs": total,
        "generated": args.n,
        "fixed_corpus": len(FIXED_CASES),
        "outcomes": dict(harness.outcomes),
        "input_error_messages": dict(harness.messages.most_common(25)),
        "fuzz_unexpected_exceptions": harness.outcomes.get("unexpected", 0),
        "first_failures": harness.failures,
        "predicted_with_model": predictor is not None,
        "seconds": round(seconds, 2),
    }
    print(json.dumps({k: v for k, v in report.items() if k != "first_failures"}, indent=2))
    for failure in harness.failures[:5]:
        print(failure, file=sys.stderr)
    if not args.no_predict or args.out:
        from mirloc_core.io.artifacts import merge_summary
        from mirloc_core.config import results_dir

        out = Path(args.out) if args.out else results_dir() / "fuzz_inputs.json"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(report, indent=2) + "\n")
        merge_summary({"fuzz_inputs": total, "fuzz_unexpected_exceptions": report["fuzz_unexpected_exceptions"]})
    return 1 if report["fuzz_unexpected_exceptions"] else 0


if __name__ == "__main__":
    sys.exit(main())
