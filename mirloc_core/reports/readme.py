"""The README's "Where the models stand" lines, rendered from the benchmark JSON (no figure typed by hand).

``mirloc report readme`` rewrites the block between ``<!-- results:start -->`` and ``<!-- results:end -->`` of
README.md from ``benchmarks/results/network_cv.json``, ``sequence_cv.json`` and ``summary.json``; a test checks
that the committed README equals the rendering, so a re-run benchmark can never leave stale figures behind.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from mirloc_core import config

START, END = "<!-- results:start -->", "<!-- results:end -->"


def _load(results_dir: Path) -> tuple[dict, dict, dict]:
    read = lambda name: json.loads((results_dir / name).read_text())  # noqa: E731
    return read("network_cv.json"), read("sequence_cv.json"), read("summary.json")


def _f(value, digits: int = 3) -> str:
    return f"{value:.{digits}f}"


def _cell(grid: dict, names: bool, conservation: bool, graph_transformer: bool, label_profiles: bool) -> dict:
    wanted = {"names": names, "conservation": conservation, "graph_transformer": graph_transformer,
              "label_profiles": label_profiles}
    return next(c for c in grid["cells"].values()
                if not c.get("fusion_only") and all(c.get(k) == v for k, v in wanted.items()))


def network_lines(network: dict) -> list[str]:
    """The network model's lines: the released name-free model on GTMALoc's protocol, against the published figure
    and the shortcuts, and what the shortcut grid says each ingredient carries."""
    res, ref = network["results"], network["reference"]
    d, grid = res["protocol_d_repeats"], res["grid"]
    bias, name = res["baseline_study_bias"], res["baseline_name_only"]
    gt_auc, gt_aupr = ref["GTMALoc"]
    with_names = _cell(grid, True, True, True, True)
    no_shortcuts = _cell(grid, False, False, True, True)
    no_gt = _cell(grid, False, True, False, True)
    released = _cell(grid, False, True, True, True)
    auc_word = ("level with (within one seed-to-seed std of)" if abs(d["auc_mean"] - gt_auc) < d["auc_std"]
                else "above" if d["auc_mean"] > gt_auc else "below")
    aupr_word = "above" if d["aupr_mean"] > gt_aupr else "below"
    bare_word = "above" if no_shortcuts["auc"] > gt_auc else "below"
    gt_gain = released["auc"] - no_gt["auc"]
    gt_verdict = ("adds nothing measurable" if abs(gt_gain) <= d["auc_std"]
                  else f"adds {gt_gain:+.3f} AUC")
    dev_choices = ""  # what was chosen on development shuffles only, as the grid records it
    if grid.get("note"):
        dev_choices = (", except the label-propagation member"
                       + (" and the token forest's split criterion and weight" if released.get("member_settings")
                          else "") + ", chosen on other shuffles (seeds 7 and 8)")
    return [
        f"- **Seven compartments, network model** (GTMALoc's 10-fold protocol on the 901 labelled miRNAs; the "
        f"released model uses no name-derived feature): mean AUC {_f(d['auc_mean'], 4)} ± {_f(d['auc_std'], 4)}, "
        f"AUPR {_f(d['aupr_mean'], 4)} ± {_f(d['aupr_std'], 4)} over {len(d['auc'])} re-shuffled runs — {auc_word} "
        f"GTMALoc's published {gt_auc} in AUC and {aupr_word} its {gt_aupr} in AUPR. Trivial shortcuts on the same "
        "folds: "
        f"study bias (disease + drug link counts) {_f(bias['auc'])} / {_f(bias['aupr'])}; the miRNA's *name* alone "
        f"{_f(name['auc'])} / {_f(name['aupr'])}.",
        f"  With the name features (annotation, not biology: a copy suffix marks how an entry was annotated) it "
        f"would score {_f(with_names['auc'])} / {_f(with_names['aupr'])}; without names *and* without the "
        f"conservation features (a study-age signal) {_f(no_shortcuts['auc'])} / {_f(no_shortcuts['aupr'])}, "
        f"{bare_word} GTMALoc in AUC. The graph transformer {gt_verdict} (without it {_f(no_gt['auc'])}). Seed 42; "
        f"the design was tuned on some of the same folds{dev_choices}.",
        *paralog_lines(res),
    ]


def paralog_lines(res: dict) -> list[str]:
    """What the conservation block's human-paralog counts and the (removed) entry length carried, from the
    protocol (e) ablations of the released configuration; ``[]`` before they ran."""
    abl = res.get("protocol_e_ablations", {})
    par, length = abl.get("without_paralog_features"), abl.get("with_entry_length")
    if not (par and length and par.get("configuration") == length.get("configuration") == "released name-free"):
        return []
    main = res["protocol_a_10fold"]["per_class_auc"]
    return [
        "  Inside the conservation features, the human-paralog counts carry the copy-suffix annotation into "
        f"exosome and microvesicle: without them AUC {_f(par['auc'], 4)} (exosome {_f(main['Exosome'])} → "
        f"{_f(par['per_class_auc']['Exosome'])}, microvesicle {_f(main['Microvesicle'])} → "
        f"{_f(par['per_class_auc']['Microvesicle'])}). The length of the miRBase entry a name maps to (the naming "
        f"again) left the model on 2026-12-05; with it the model scored {_f(length['auc'], 4)} / "
        f"{_f(length['aupr'], 4)} (seed 42)."]


def sequence_lines(sequence: dict) -> list[str]:
    """The sequence models' lines: the binary call against the length rule, seven compartments from sequence."""
    binary, seven = sequence["binary"], sequence["sevencomp"]
    main, rule = binary["main"]["metrics"], binary["length_rule"]
    rnd, hom = seven["random"], seven["homology"]
    bias = rnd["study_bias_baseline"]
    strata = rnd["by_stratum"]["released"]
    discovery = rnd["discovery_order"]
    evaluable = [c for c, v in discovery["classes"].items() if v["evaluable"]]
    verdict = "above" if rnd["auc"]["mean"] > bias["auc"] + 0.01 else "no better than"
    mature_bias = rnd["by_stratum"]["study_bias_baseline"]["mature"]
    beats_new = discovery["released"]["auc"] > discovery["study_bias_baseline"]["auc"] + 0.01
    new_verdict = ("the model beats the trivial baseline there" if beats_new else
                   "the model does **not** beat the trivial baseline for a miRNA nobody has studied yet")
    host = rnd.get("without_host")
    host_note = (f"; its host features — a mature described by the conservation of the hairpins containing it — "
                 f"add {_f(rnd['auc']['mean'] - host['released']['auc'])} AUC, {_f(host['released']['auc'])} "
                 "without them" if host else "")
    per = rnd.get("fresh_shuffles", {}).get("per_compartment_auc")
    paralog_note = (f"; its exosome ranking rests on the human-paralog counts (exosome AUC "
                    f"{_f(per['head_alone']['Exosome'])}, {_f(per['head_alone_without_paralogs']['Exosome'])} without "
                    "them: multi-copy loci were annotated apart)" if per else "")
    return [
        f"- **Extracellular vs intracellular, sequence model** (RNALoc-LM's training set, 5-fold CV, "
        f"{binary['main']['repeats']} repeats): ACC {_f(main['overall']['acc']['mean'])}, the same as the length "
        f"rule (≤ 30 nt ⇒ extracellular: {_f(rule['overall']['acc']['mean'])}); within the strata it ranks only "
        f"modestly (AUC {_f(main['mature']['auc']['mean'], 2)} for matures, "
        f"{_f(main['precursor']['auc']['mean'], 2)} for precursors). Read the call as \"mature vs precursor\".",
        f"- **Seven compartments from sequence alone**, trained and scored on what users paste — the hairpin and "
        f"the matures of each of {rnd['n_genes']} labelled network miRNAs ({rnd['n']} sequences), folds grouped "
        f"by miRNA, {rnd['repeats']} repeat: AUC {_f(rnd['auc']['mean'])}, AUPR {_f(rnd['aupr']['mean'])}, "
        f"{verdict} the study-bias score ({_f(bias['auc'])} / {_f(bias['aupr'])}). On matures alone "
        f"{_f(strata['mature']['auc'])} / {_f(strata['mature']['aupr'])} (study bias "
        f"{_f(mature_bias['auc'])} / {_f(mature_bias['aupr'])}), on hairpins "
        f"{_f(strata['hairpin']['auc'])} / {_f(strata['hairpin']['aupr'])}; homology-aware folds "
        f"{_f(hom['auc']['mean'])}. For the newest miRNAs (trained on the {discovery['n_train_genes']} discovered "
        f"first, tested on the newest {discovery['n_test_genes']}; only {len(evaluable)} of 7 compartments can be "
        f"scored there): AUC {_f(discovery['released']['auc'])} against {_f(discovery['study_bias_baseline']['auc'])} "
        f"for study bias — {new_verdict}. "
        f"Most of what it has is the conservation head (alone {_f(rnd['conservation_only']['auc'])}{host_note}"
        f"{paralog_note}), "
        "a study-age signal: read its bars against their base rates.",
    ]


def domain_lines(results_dir: Path) -> list[str]:
    """The applicability domain: how often junk is flagged and real variants kept (sets not used to calibrate)."""
    path = results_dir / "domain.json"
    if not path.is_file():
        return []
    check = json.loads(path.read_text())["check"]
    shuffled = check["sets"]["shuffled_mature"]
    return [f"- **Out of domain** (every prediction carries an evidence level: known, near_known, novel, "
            f"out_of_domain): {check['flagged_share']:.1%} of random and dinucleotide-shuffled sequences are flagged "
            f"not miRNA-like (shuffled matures, the hardest set: {1 - shuffled['in_domain']:.1%}), and "
            f"{check['kept_share']:.1%} of real human miRNAs with 1–2 substitutions outside the seed are kept "
            "(sets drawn with a seed not used to set the thresholds). A miRNA of a family absent from miRBase 22 is "
            "flagged too: the models have nothing to say about it either."]


def speed_lines(summary: dict, results_dir: Path) -> list[str]:
    batch = results_dir / "batch.json"
    line = (f"- **Speed** (2 CPU cores, no GPU): ten sequences in {summary['predict10_seconds']:.2f} s; the sequence "
            f"models alone on all 48,885 miRBase 22 matures in {summary['mirbase_batch_seconds']:.0f} s; the network "
            f"pipeline from raw matrices to 10-fold CV in {summary['network_pipeline_seconds']:.0f} s from an empty "
            "cache.")
    if batch.is_file():
        result = json.loads(batch.read_text())
        one, dask = result["runs"]["one process, 1 thread"], result["runs"]["Dask local cluster, 2 workers"]
        line += (f" Whole predictions of a large file (known-miRNA look-up and domain check included), streamed "
                 f"({result['n']:,} miRBase matures and hairpins): {one['per_second']:.0f} sequences/s on one core, "
                 f"{dask['per_second']:.0f}/s on a local Dask cluster of two workers")
        ceiling = result["runs"].get("two independent processes, 1 thread each, half the input each")
        line += (f" (two independent processes, the most two cores of this machine give: "
                 f"{ceiling['per_second']:.0f}/s)" if ceiling else "")
        stages = result.get("stages_one_thread")
        line += (f"; matures alone {stages['mature']['per_second_whole']:.0f}/s and hairpins "
                 f"{stages['hairpin']['per_second_whole']:.0f}/s per core (where the time goes: docs/benchmarks.md)"
                 if stages else "")
        line += (f"; these on {result['cpu']}: timings from another CPU are not comparable (the sequence-model "
                 "figures before them may come from another run's machine, see docs/benchmarks.md)."
                 if result.get("cpu") else ".")
    return [line]


def result_lines(results_dir: Path | None = None) -> list[str]:
    """The honest summary, one Markdown bullet per model (the README and the About page show the same lines)."""
    results_dir = Path(results_dir or config.results_dir())
    network, sequence, summary = _load(results_dir)
    return [*network_lines(network), *sequence_lines(sequence), *domain_lines(results_dir),
            *speed_lines(summary, results_dir)]


def render(results_dir: Path | None = None) -> str:
    """The README block (between the markers), from the JSON in ``results_dir``."""
    return "\n".join([START, *result_lines(results_dir), END])


def update_readme(readme: Path | None = None, results_dir: Path | None = None) -> bool:
    """Rewrite the README's results block; returns whether it changed."""
    readme = Path(readme or config.REPO_ROOT / "README.md")
    text = readme.read_text()
    if START not in text or END not in text:
        raise ValueError(f"{readme} has no {START} … {END} block")
    before, rest = text.split(START, 1)
    after = rest.split(END, 1)[1]
    new = before + render(results_dir) + after
    readme.write_text(new)
    return new != text


def cli_readme(argv: list[str]) -> int:
    """``mirloc report readme``: re-render the README's result lines from benchmarks/results/*.json."""
    parser = argparse.ArgumentParser(prog="mirloc report readme", description=cli_readme.__doc__)
    parser.add_argument("--readme", type=Path, default=None)
    args = parser.parse_args(argv)
    changed = update_readme(args.readme)
    print("README.md updated" if changed else "README.md already up to date")
    return 0


ENGINEERING = {"app_bench.json": "App speed: cold start and ten predictions",
               "load_app.json": "Concurrent users: the load test",
               "fuzz_inputs.json": "Robustness: malformed and hostile inputs (fuzzing)",
               "gpu.json": "The GPU path: CUDA against CPU",
               "batch.json": "Batch scoring: throughput and memory of large files"}
"""Benchmark files about the software rather than the science, with readable titles (the About page's
"Engineering" section)."""
SCIENCE = {"network_cv.json": "Network model: cross-validation, baselines, ablations",
           "sequence_cv.json": "Sequence models: cross-validation, baselines, label audit",
           "domain.json": "Out of domain: random, shuffled and mutated sequences",
           "motifs.json": "Motifs: attention, de novo and known",
           "summary.json": "Headline figures"}


def accuracy_by_evidence(results_dir: Path | None = None) -> list[dict]:
    """Per evidence level: which model answers, how well it ranks compartments on miRNAs like that (cross-
    validated AUC / AUPR from the JSON), and the trivial study-bias score on the same miRNAs."""
    network, sequence, _ = _load(Path(results_dir or config.results_dir()))
    net, bias = network["results"]["protocol_d_repeats"], network["results"]["baseline_study_bias"]
    rnd, hom = sequence["sevencomp"]["random"], sequence["sevencomp"]["homology"]
    seq_bias = rnd["study_bias_baseline"]
    return [
        {"evidence": "known", "model": "network model (out-of-fold)",
         "judged on": f"GTMALoc's 10-fold CV, {len(net['auc'])} shuffles",
         "AUC": round(net["auc_mean"], 3), "AUPR": round(net["aupr_mean"], 3),
         "study bias AUC": round(bias["auc"], 3), "study bias AUPR": round(bias["aupr"], 3)},
        {"evidence": "near_known", "model": "sequence model",
         "judged on": "10-fold CV grouped by miRNA (relatives in training)",
         "AUC": rnd["auc"]["mean"], "AUPR": rnd["aupr"]["mean"],
         "study bias AUC": seq_bias["auc"], "study bias AUPR": seq_bias["aupr"]},
        {"evidence": "novel", "model": "sequence model", "judged on": "homology-aware folds (no relative in training)",
         "AUC": hom["auc"]["mean"], "AUPR": hom["aupr"]["mean"],
         "study bias AUC": hom["study_bias_baseline"]["auc"], "study bias AUPR": hom["study_bias_baseline"]["aupr"]},
        {"evidence": "novel (newest miRNAs)", "model": "sequence model",
         "judged on": "discovery order: trained on the oldest 80 %, tested on the newest 20 %",
         "AUC": rnd["discovery_order"]["released"]["auc"], "AUPR": rnd["discovery_order"]["released"]["aupr"],
         "study bias AUC": rnd["discovery_order"]["study_bias_baseline"]["auc"],
         "study bias AUPR": rnd["discovery_order"]["study_bias_baseline"]["aupr"]},
        {"evidence": "out_of_domain", "model": "none", "judged on": "not miRNA-like: no prediction is shown",
         "AUC": None, "AUPR": None, "study bias AUC": None, "study bias AUPR": None},
    ]


def _network_calibration(block: dict) -> dict:
    """The network JSON's calibration block in the sequence JSON's shape (what the reliability plot reads)."""
    def bins(part: dict) -> list[dict]:
        return [{"mean_probability": m, "observed": o, "n": n}
                for m, o, n in zip(part["mean_predicted"], part["observed"], part["count"])]

    return {"ece_before": block["mean"]["ece_before"], "ece_after": block["mean"]["ece_after"],
            "per_compartment": {c: {"before": {"reliability": bins(v["reliability_before"])},
                                    "after": {"reliability": bins(v["reliability_after"])}}
                                for c, v in block["compartments"].items()}}


def calibration_blocks(results_dir: Path | None = None) -> list[tuple[str, dict]]:
    """``(title, calibration block)`` of every model whose benchmark JSON reports a cross-fitted calibration."""
    network, sequence, _ = _load(Path(results_dir or config.results_dir()))
    blocks = []
    seq = sequence["sevencomp"]["random"].get("calibration")
    if seq:
        blocks.append((f"Sequence model: ECE {seq['ece_before']:.3f} → {seq['ece_after']:.3f} after isotonic "
                       "calibration (cross-fitted)", seq))
    net = network["results"].get("calibration")
    if net and "compartments" in net:
        net = _network_calibration(net)
        method = "Platt" if network["results"]["calibration"]["method"].startswith("Platt") else "isotonic"
        blocks.append((f"Network model: ECE {net['ece_before']:.3f} → {net['ece_after']:.3f} after {method} "
                       "calibration (cross-fitted)", net))
    return blocks
