"""The ``network`` section of ``docs/benchmarks.md``, rendered from the payload of
``benchmarks/results/network_cv.json`` (every figure comes from the JSON; nothing is typed by hand)."""

from __future__ import annotations

from pathlib import Path

PROTOCOL_LABELS = (
    ("protocol_b_published_features", "(b) same model on the published feature files"),
    ("baseline_study_bias", "(c) study bias (no learning)"),
    ("baseline_name_only", "(c) name only: extra trees on the 9 name features"),
    ("baseline_logistic_published", "(c) logistic regression, published features"),
    ("protocol_f_homology", "(f) homology-aware folds"),
)
"""Rows of the table after protocol (a), (d) and the 5-fold run, in order, with their labels."""


def _fmt(value) -> str:
    return value if isinstance(value, str) else f"{value:.4f}"


WITH_NAMES = " [previous release, with name features]"
"""Suffix of the rows still measured on the previous (with-names) release."""
RELEASED = "released name-free"
"""The ``configuration`` mark of a result measured with the released (name-free) configuration."""


PREVIOUS_RELEASE = "previous name-free release, five members, no label propagation"
"""Label of stored repeats of an earlier name-free release that do not carry their own ``label``."""


def headline_of(repeats: dict, main: dict) -> dict:
    """The ``headline`` of ``network_cv.json``: the protocol (d) means and stds of ``repeats`` (when it has them,
    else protocol (a) ``main`` alone) and the seed-42 figures of ``main``."""
    return {"auc_10fold": repeats.get("auc_mean", main["auc"]), "aupr_10fold": repeats.get("aupr_mean", main["aupr"]),
            "auc_10fold_std": repeats.get("auc_std", 0.0), "aupr_10fold_std": repeats.get("aupr_std", 0.0),
            "repeats": len(repeats.get("auc", [main["auc"]])), "auc_10fold_seed42": main["auc"],
            "aupr_10fold_seed42": main["aupr"]}


def _repeats_row(d: dict, label: str) -> tuple[str, dict]:
    return (f"{label}, 10-fold, {len(d['auc'])} repeats (mean ± std)",
            {"auc": f"{d['auc_mean']:.4f} ± {d['auc_std']:.4f}",
             "aupr": f"{d['aupr_mean']:.4f} ± {d['aupr_std']:.4f}"})


def result_rows(payload: dict) -> list[tuple[str, dict]]:
    """``(label, {"auc", "aupr"})`` of every protocol, baseline, ensemble member and ablation in the payload.

    Once the grid has run (``results.grid``), protocol (a) (and (d) when rerun) are the released name-free model's,
    and the results not marked ``configuration: RELEASED`` (re-run by ``--refresh``) are labelled as the previous,
    with-names release's."""
    res = payload["results"]
    name_free = "grid" in res

    def old(result: dict) -> str:
        return WITH_NAMES if name_free and result.get("configuration") != RELEASED else ""

    rows = [("(a) ours" + (" (released, no name features)" if name_free else "") + ", 10-fold, seed 42",
             res["protocol_a_10fold"])]
    if "protocol_a_10fold_with_names" in res:
        rows.append(("(a) ours, 10-fold, seed 42" + WITH_NAMES + " as committed",
                     res["protocol_a_10fold_with_names"]))
    d = res.get("protocol_d_repeats")
    if d:
        fresh = d.get("configuration") == RELEASED
        rows.append(_repeats_row(d, "(d) ours" + (" (released, no name features)" if fresh else old(d))))
    if res.get("protocol_d_repeats_previous_release"):
        prev = res["protocol_d_repeats_previous_release"]
        rows.append(_repeats_row(prev, f"(d) ours [{prev.get('label', PREVIOUS_RELEASE)}]"))
    if res.get("protocol_d_repeats_with_names"):
        rows.append(_repeats_row(res["protocol_d_repeats_with_names"], "(d) ours" + WITH_NAMES))
    if "protocol_a_5fold" in res:
        rows.append(("(a) ours, 5-fold" + old(res["protocol_a_5fold"]), res["protocol_a_5fold"]))
    rows += [(label + (old(res[key]) if key.startswith("protocol") else ""), res[key])
             for key, label in PROTOCOL_LABELS if key in res]
    for name, r in res["protocol_a_10fold"].get("members", {}).items():
        rows.append((f"(e) ensemble member alone: {name.replace('_', ' ')}", r))
    for name, r in res.get("protocol_e_ablations", {}).items():
        rows.append((f"(e) {name.replace('_', ' ')}" + old(r), r))
    return rows


def grid_table(grid: dict) -> list[str]:
    """The shortcut grid (issue 13) as Markdown lines: one row per cell, the released one marked."""
    factors = list(grid.get("factors", {}))
    later = "".join(f"; then `{c}`" for c in grid.get("later_commands", []))
    lines = [f"Shortcut grid, protocol {grid['protocol']} (command `{grid['command']}`{later}): with (+) / "
             "without (−) each input family; the released configuration in bold.", "",
             "| " + " | ".join(f.replace("_", " ") for f in factors) + " | mean AUC | mean AUPR | s |",
             "|" + "---|" * (len(factors) + 3)]
    for key, cell in grid["cells"].items():
        marks = ["fusion network alone" if key == "fusion_only" and i == 0 else
                 ("" if key == "fusion_only" else ("+" if cell[f] else "−")) for i, f in enumerate(factors)]
        bold = "**" if key == grid.get("released") else ""
        lines.append("| " + " | ".join(marks) + f" | {bold}{cell['auc']:.4f}{bold} | {bold}{cell['aupr']:.4f}{bold} "
                     f"| {cell['seconds']:.0f} |")
    return lines + (["", grid["note"]] if grid.get("note") else [])


CONSERVATION_ROWS = (("without_paralog_features", "without the human-paralog counts"),
                     ("without_species_conservation", "without the other-species counts"),
                     ("without_conservation_features", "without either"),
                     ("with_entry_length", "with the entry length too (the previous release)"))
"""Ablations of the conservation breakdown table, with their labels."""

PARALOG_NOTE = (
    "Human-paralog counts are high for multi-copy loci (hsa-mir-1-1 and hsa-mir-1-2 share their sequence) and for "
    "large families. Multi-copy loci are the entries that carry a copy suffix, whose labels differ from their "
    "umbrella entry's by how they were annotated (issue 13: most exosome-negative miRNAs carry a copy suffix), so "
    "read the exosome and microvesicle gain of these counts as annotation, not biology. The other-species counts "
    "track conservation, which is also study age (the study-bias baseline). The length of the miRBase entry a "
    "name maps to (hairpin ~80 nt, mature ~22 nt) is the naming itself and has left the released model "
    "(2026-12-05).")
"""What the conservation breakdown means (rendered under its table)."""


def conservation_table(res: dict) -> list[str]:
    """Per-compartment protocol (a) AUC of the released model and of its conservation ablations, and the label
    rates of the miRNAs with and without a human paralog (``results.paralog_labels``); ``[]`` before they ran."""
    from mirloc_core.config import COMPARTMENTS

    abl = res.get("protocol_e_ablations", {})
    rows = [("released", res["protocol_a_10fold"])] + [(label, abl[k]) for k, label in CONSERVATION_ROWS if k in abl]
    if len(rows) == 1 or any("per_class_auc" not in r for _, r in rows):
        return []
    lines = ["Where the conservation features' gain lies: protocol (a) AUC per compartment (per fold, then "
             "averaged).", "", "| configuration | " + " | ".join(COMPARTMENTS) + " | mean |",
             "|" + "---|" * (len(COMPARTMENTS) + 2)]
    for label, r in rows:
        lines.append(f"| {label} | " + " | ".join(f"{r['per_class_auc'][c]:.3f}" for c in COMPARTMENTS)
                     + f" | {r['auc']:.4f} |")
    if "without_paralog_features" in abl:
        drop = {c: res["protocol_a_10fold"]["per_class_auc"][c] - abl["without_paralog_features"]["per_class_auc"][c]
                for c in COMPARTMENTS}
        top = sorted(drop, key=drop.get, reverse=True)[:2]
        lines += ["", "Removing the paralog counts costs most in " + " and ".join(f"{c} ({-drop[c]:+.3f} AUC)"
                                                                             for c in top) + "."]
    p = res.get("paralog_labels")
    if p:
        rates = ", ".join(f"{c} {p['rates_with'][c]:.2f} / {p['rates_without'][c]:.2f}" for c in COMPARTMENTS)
        lines.append(f"{p['n_with']} of {p['n_with'] + p['n_without']} labelled miRNAs have a human paralog "
                     "(another human miRBase entry sharing a 20-nt stretch: multi-copy loci and close family "
                     f"members); compartment rates with / without one: {rates}.")
    return lines + ["", PARALOG_NOTE]


def calibration_table(cal: dict) -> list[str]:
    """Per-compartment Brier score and ECE before and after the cross-fitted calibration (Platt; isotonic compared)."""
    lines = [f"Calibration of the released model ({cal['method']}; ECE over {cal['bins']} equal-width bins; "
             f"{cal['rows']} labelled miRNAs):", "",
             "| compartment | base rate | Brier before | Brier after | ECE before | ECE after | pooled AUC before | "
             "pooled AUC after |", "|---|---|---|---|---|---|---|---|"]
    for name, v in cal["compartments"].items():
        aucs = [("n/a" if v[k] is None else f"{v[k]:.4f}") for k in ("auc_pooled_before", "auc_pooled_after")]
        lines.append(f"| {name} | {v['prevalence']:.3f} | {v['brier_before']:.4f} | {v['brier_after']:.4f} | "
                     f"{v['ece_before']:.4f} | {v['ece_after']:.4f} | {aucs[0]} | {aucs[1]} |")
    m = cal["mean"]
    lines.append(f"| mean | | {m['brier_before']:.4f} | {m['brier_after']:.4f} | {m['ece_before']:.4f} | "
                 f"{m['ece_after']:.4f} | | |")
    iso = cal.get("comparison_isotonic_cross_fitted")
    if iso:
        aucs = ", ".join(f"{name} {v:.4f}" for name, v in iso["auc_pooled"].items() if v is not None)
        lines += ["", "For comparison, cross-fitted isotonic regression (released before 2026-12-06): mean Brier "
                      f"{iso['brier']:.4f}, mean ECE {iso['ece']:.4f}, pooled AUC {aucs}. Isotonic maps are step "
                      "functions, so they tie probabilities and lower the pooled AUC; Platt scaling is strictly "
                      "increasing and keeps each compartment's ranking."]
    return lines


def cold_vs_cached(payload: dict) -> str:
    """Whether the cold-cache run reproduced protocol (a) of the cached run (everything is seeded)."""
    res = payload.get("results", {})
    cold, cached = payload["pipeline_cold"], res.get("protocol_a_10fold_with_names", res.get("protocol_a_10fold"))
    if cached is None:
        return "no cached run to compare with"
    same = abs(cold["auc"] - cached["auc"]) < 1e-4 and abs(cold["aupr"] - cached["aupr"]) < 1e-4
    return ("the same as protocol (a) above: every stage is seeded, so a rebuild from scratch reproduces it" if same
            else f"protocol (a) above: {cached['auc']:.4f} / {cached['aupr']:.4f}; the runs differ")


def render(payload: dict) -> str:
    """The Markdown of the ``network`` section."""
    reference = payload.get("reference", {"GTMALoc": [0.9108, 0.8102], "PMiSLocMF": [0.9033, 0.7716]})
    lines = ["## Network model: 7 compartments, 1,041-miRNA benchmark", "",
             f"Command: `{payload['command']}` ({payload['date']}, {payload['machine']['cores']} cores)"
             + "".join(f"; then `{c}`" for c in payload.get("commands", [])[1:]) + ".", "",
             "| protocol | mean AUC | mean AUPR |", "|---|---|---|"]
    lines += [f"| {label} | {_fmt(r['auc'])} | {_fmt(r['aupr'])} |" for label, r in result_rows(payload)]
    lines += [f"| {name} (published) | {auc:.4f} | {aupr:.4f} |" for name, (auc, aupr) in reference.items()]
    res = payload["results"]
    if res.get("grid", {}).get("cells"):
        lines += [""] + grid_table(res["grid"])
    breakdown = conservation_table(res)
    if breakdown:
        lines += [""] + breakdown
    if "calibration" in res:
        lines += [""] + calibration_table(res["calibration"])
    lines += ["", payload["transductive_note"], ""]
    t = payload["timings"]
    lines.append("Stage timings (s): " + ", ".join(f"{k} {v}" for k, v in t.items() if k != "note") + ".")
    if "pipeline_cold" in payload:
        cold = payload["pipeline_cold"]
        lines.append(f"Cold-cache pipeline (raw matrices → features → 10-fold CV): {cold['seconds']} s; stages: "
                     f"{cold['stages']}; 10-fold seed 42 AUC {_fmt(cold['auc'])}, AUPR {_fmt(cold['aupr'])} "
                     f"({cold_vs_cached(payload)}).")
    if "node2vec_vs_pecanpy" in res:
        c = res["node2vec_vs_pecanpy"]
        lines.append(f"node2vec vs pecanpy on the {c['graph']} graph ({c['nodes']} nodes): "
                     f"node2vec {c['node2vec']['seconds']} s (AUC {c['node2vec']['auc']}), "
                     f"pecanpy {c['pecanpy']['seconds']} s (AUC {c['pecanpy']['auc']}).")
    return "\n".join(lines)


def write_docs(payload: dict, path: Path | None = None) -> None:
    """Regenerate the ``network`` section of ``path`` (default ``docs/benchmarks.md``) from the payload."""
    from mirloc_core import config
    from mirloc_core.io.artifacts import update_doc_section

    update_doc_section(Path(path) if path else config.REPO_ROOT / "docs" / "benchmarks.md", "network",
                       render(payload))
