"""Figures in the README are rendered from the benchmark JSON, never typed by hand."""

from __future__ import annotations

import json

import pytest

from mirloc_core.config import REPO_ROOT
from mirloc_core.reports import readme


def test_the_readme_results_are_the_rendering_of_the_json():
    text = (REPO_ROOT / "README.md").read_text()
    block = readme.START + text.split(readme.START, 1)[1].split(readme.END, 1)[0] + readme.END
    assert block == readme.render(), "README's result lines are stale: run `mirloc report readme`"


def test_a_changed_benchmark_changes_the_readme(tmp_path):
    results = tmp_path / "results"
    results.mkdir()
    for name in ("network_cv.json", "sequence_cv.json", "summary.json"):
        (results / name).write_text((REPO_ROOT / "benchmarks" / "results" / name).read_text())
    network = json.loads((results / "network_cv.json").read_text())
    network["results"]["protocol_d_repeats"]["auc_mean"] = 0.5
    (results / "network_cv.json").write_text(json.dumps(network))
    page = tmp_path / "README.md"
    page.write_text(f"intro\n{readme.START}\nold\n{readme.END}\noutro\n")
    assert readme.update_readme(page, results) is True
    new = page.read_text()
    assert "mean AUC 0.500" in new and new.startswith("intro\n") and new.endswith("\noutro\n")
    assert readme.update_readme(page, results) is False  # idempotent
    with pytest.raises(ValueError):
        readme.update_readme(results / "summary.json", results)


@pytest.mark.parametrize("module, section, stored", [("batch_bench", "batch", "batch.json"),
                                                     ("load_app", "capacity", "load_app.json")])
def test_benchmark_doc_sections_are_the_rendering_of_their_json(module, section, stored):
    import importlib

    render = importlib.import_module(f"benchmarks.{module}").doc_section
    report = json.loads((REPO_ROOT / "benchmarks" / "results" / stored).read_text())
    docs = (REPO_ROOT / "docs" / "benchmarks.md").read_text()
    start, end = f"<!-- {section}:start -->\n", f"\n<!-- {section}:end -->"
    assert docs.split(start, 1)[1].split(end, 1)[0] == render(report).rstrip(), \
        f"docs/benchmarks.md section '{section}' is stale: run benchmarks/{module}.py --render"


def test_the_batch_benchmark_splits_its_input_and_keeps_earlier_runs(tmp_path):
    from benchmarks.batch_bench import keep_earlier, split_input

    fasta = tmp_path / "all.fa"
    records = [f">r{i}\nACGU{'A' * i}\n" for i in range(7)]
    fasta.write_text("".join(records))
    halves = split_input(fasta, 2)
    texts = [h.read_text() for h in halves]
    assert "".join(texts) == fasta.read_text()  # every record once, in order
    assert [t.count(">") for t in texts] == [4, 3]

    result = {"runs": {"one": {"per_second": 100.0}, "two": {"per_second": 150.0, "date": "d2", "cpu": "c2"}}}
    keep_earlier(result, "one", {"date": "d1", "cpu": "c1"})
    keep_earlier(result, "two", {"date": "d1", "cpu": "c1"})
    keep_earlier(result, "absent", {"date": "d1", "cpu": "c1"})
    assert result["runs"] == {}
    assert result["earlier_runs"] == {"one": [{"date": "d1", "cpu": "c1", "per_second": 100.0}],
                                      "two": [{"date": "d2", "cpu": "c2", "per_second": 150.0}]}


def test_the_load_test_keeps_earlier_runs_with_what_changed():
    from benchmarks.load_app import doc_section, earlier_runs

    assert earlier_runs({}) == []
    first = {"date": "d1", "machine": {"cpu": "c1"}, "server_capacity": {"server_cpu_seconds_per_request": 0.7,
                                                                          "requests_per_minute_2_cores": 171.4}}
    second = {**first, "date": "d2", "change_note": "one form", "earlier_runs": earlier_runs(first),
              "server_capacity": {"server_cpu_seconds_per_request": 0.3, "requests_per_minute_2_cores": 400.0}}
    kept = earlier_runs(second)
    assert [(r["date"], r["note"], r["requests_per_minute_2_cores"]) for r in kept] == [("d1", None, 171.4),
                                                                                      ("d2", "one form", 400.0)]
    stored = json.loads((REPO_ROOT / "benchmarks" / "results" / "load_app.json").read_text())
    text = doc_section({**stored, "earlier_runs": kept, "change_note": "gc frozen"})
    assert "What changed in the app before this run: gc frozen" in text
    assert "d1 (c1): 0.7 CPU-s per request, 171.4 requests/min; d2 (c1): 0.3 CPU-s per request" in text
