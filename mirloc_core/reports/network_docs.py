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


def result_rows(payload: dict) -> list[tuple[str, dict]]:
    """``(label, {"auc", "aupr"})`` of every protocol, baseline, ensemble member and ablation in the payload."""
    res = payload["results"]
    rows = [("(a) ours, 10-fold, seed 42", res["protocol_a_10fold"])]
    if "protocol_d_repeats" in res:
        d = res["protocol_d_repeats"]
        rows.append((f"(d) ours, 10-fold, {len(d['auc'])} repeats (mean ± std)",
                     {"auc": f"{d['auc_mean']:.4f} ± {d['auc_std']:.4f}",
                      "aupr": f"{d['aupr_mean']:.4f} ± {d['aupr_std']:.4f}"}))
    if "protocol_a_5fold" in res:
        rows.append(("(a) ours, 5-fold", res["protocol_a_5fold"]))
    rows += [(label, res[key]) for key, label in PROTOCOL_LABELS if key in res]
    for name, r in res["protocol_a_10fold"].get("members", {}).items():
        rows.append((f"(e) ensemble member alone: {name.replace('_', ' ')}", r))
    for name, r in res.get("protocol_e_ablations", {}).items():
        rows.append((f"(e) {name.replace('_', ' ')}", r))
    return rows


def cold_vs_cached(payload: dict) -> str:
    """Whether the cold-cache run reproduced protocol (a) of the cached run (everything is seeded)."""
    cold, cached = payload["pipeline_cold"], payload.get("results", {}).get("protocol_a_10fold")
    if cached is None:
        return "no cached run to compare with"
    same = abs(cold["auc"] - cached["auc"]) < 1e-4 and abs(cold["aupr"] - cached["aupr"]) < 1e-4
    return ("the same as protocol (a) above: every stage is seeded, so a rebuild from scratch reproduces it" if same
            else f"protocol (a) above: {cached['auc']:.4f} / {cached['aupr']:.4f}; the runs differ")


def render(payload: dict) -> str:
    """The Markdown of the ``network`` section."""
    reference = payload.get("reference", {"GTMALoc": [0.9108, 0.8102], "PMiSLocMF": [0.9033, 0.7716]})
    lines = ["## Network model: 7 compartments, 1,041-miRNA benchmark", "",
             f"Command: `{payload['command']}` ({payload['date']}, {payload['machine']['cores']} cores).", "",
             "| protocol | mean AUC | mean AUPR |", "|---|---|---|"]
    lines += [f"| {label} | {_fmt(r['auc'])} | {_fmt(r['aupr'])} |" for label, r in result_rows(payload)]
    lines += [f"| {name} (published) | {auc:.4f} | {aupr:.4f} |" for name, (auc, aupr) in reference.items()]
    lines += ["", payload["transductive_note"], ""]
    t = payload["timings"]
    lines.append("Stage timings (s): " + ", ".join(f"{k} {v}" for k, v in t.items() if k != "note") + ".")
    if "pipeline_cold" in payload:
        cold = payload["pipeline_cold"]
        lines.append(f"Cold-cache pipeline (raw matrices → features → 10-fold CV): {cold['seconds']} s; stages: "
                     f"{cold['stages']}; 10-fold seed 42 AUC {_fmt(cold['auc'])}, AUPR {_fmt(cold['aupr'])} "
                     f"({cold_vs_cached(payload)}).")
    res = payload["results"]
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
