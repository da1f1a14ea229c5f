"""The network model's shortcut grid (issue 13): with/without name features × conservation features × graph
transformer × label profiles (16 cells), the fusion network alone, and protocol (d) repeats of the released
(name-free) configuration, appended to ``benchmarks/results/network_cv.json`` without touching its other
sections; ``python -m mirloc_core benchmark network --grid [--grid-repeats N]``.

Every cell is protocol (a) (GTMALoc folds, 10-fold, seed 42) of :func:`~mirloc_core.training.network.network_cv`.
The cell of the released configuration (:class:`~mirloc_core.training.network.PipelineConfig` defaults) also
becomes ``results.protocol_a_10fold``; its out-of-fold probabilities are saved next to the JSON
(``network_oof.npz``) so that ``mirloc train network --oof`` releases exactly these (atlas OOF == protocol (a)).
"""

from __future__ import annotations

import itertools
import json
import time
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np

from mirloc_core import config
from mirloc_core.features.network_inputs import feature_sets, labelled_sets
from mirloc_core.reports.network_docs import RELEASED, headline_of
from mirloc_core.training.cv import gtmaloc_folds
from mirloc_core.training.network import MEMBERS, PipelineConfig, network_cv

FACTORS = (("names", "use_name_features"), ("conservation", "use_conservation_features"),
           ("graph_transformer", "use_graph_transformer"), ("label_profiles", "use_label_profiles"))
"""The grid's factors: their short name and the :class:`PipelineConfig` field they switch."""

GRID_NOTE = (
    "The label_profiles factor switches every label-derived input fitted inside the training folds: the disease and "
    "drug label profiles and the label-propagation member (training labels spread by random walk with restart over "
    "the functional, drug, sequence and miRNA–mRNA similarity graphs, added 2026-12-04). That member and its weight "
    "(2) were chosen on development shuffles (GTMALoc folds, seeds 7 and 8), not on the reported seeds 42–46; its "
    "propagated labels as extra tree inputs were tried there too and rejected (they lowered the ensemble). The "
    "cells without label profiles did not change and were not rerun. On 2026-12-05 the length of the miRBase entry a "
    "name maps to (the naming) left the conservation block: every cell records its conservation_kinds, and the "
    "cells with conservation features, the fusion network alone and the repeats were re-run. On 2026-12-06 the token "
    "forest (extra_trees) changed from the Gini to the entropy split criterion and its member weight from 2 to 4, "
    "both chosen on the development shuffles (seeds 7 and 8); every cell records its member settings, and all "
    "cells and the repeats were re-run.")
"""How the grid's label-profile factor and the propagation member were chosen (rendered under the grid table)."""

OOF_FILE = "network_oof.npz"
"""Out-of-fold probabilities of the released configuration's protocol (a) run (next to the JSON)."""


def cell_key(values: dict) -> str:
    """``"-names +conservation +graph_transformer +label_profiles"``-style key of one grid cell."""
    return " ".join(("+" if values[name] else "-") + name for name, _ in FACTORS)


def grid_cells(cfg: PipelineConfig) -> list[tuple[str, dict, PipelineConfig]]:
    """``(key, factor values, config)`` of the 16 cells, the released configuration first, then the one without
    names and conservation ("no shortcuts"), then the released one with names, then the rest; finally
    ``fusion_only`` (member weights: only the fusion network) of the released configuration."""
    released = {name: getattr(cfg, f) for name, f in FACTORS}
    cells = []
    for combo in itertools.product((False, True), repeat=len(FACTORS)):
        values = dict(zip((n for n, _ in FACTORS), combo))
        cells.append((cell_key(values), values, replace(cfg, **{f: values[n] for n, f in FACTORS})))
    no_shortcuts = {**released, "names": False, "conservation": False}
    with_names = {**released, "names": True}
    order = {cell_key(released): 0, cell_key(no_shortcuts): 1, cell_key(with_names): 2}
    cells.sort(key=lambda c: order.get(c[0], 3))
    fusion = replace(cfg, weights=tuple(1.0 if m == "fusion_network" else 0.0 for m in MEMBERS))
    return cells + [("fusion_only", {**released, "fusion_only": True}, fusion)]


LEGACY_KINDS = ["species", "paralogs", "length"]
"""The conservation features of results that do not record theirs (before 2026-12-05)."""


LEGACY_MEMBERS = {"weights": [1.0, 1.0, 2.0, 2.0, 1.0, 2.0], "tree_criterion": "gini"}
"""The member settings of results that do not record theirs (before 2026-12-06)."""


def _kinds(cfg: PipelineConfig) -> list | None:
    return list(cfg.conservation_kinds) if cfg.use_conservation_features else None


def member_settings(cfg: PipelineConfig) -> dict:
    """The ensemble settings a grid cell or repeat records: member weights and the token forest's criterion."""
    return {"weights": [float(w) for w in cfg.weights], "tree_criterion": cfg.tree_criterion}


def is_stale(result: dict, cfg: PipelineConfig) -> bool:
    """Whether a stored grid cell or repeat was run with other conservation features or other member settings
    than ``cfg`` has."""
    recorded = result.get("conservation_kinds", LEGACY_KINDS if result.get("conservation", True) else None)
    if cfg.use_conservation_features and recorded != _kinds(cfg):
        return True
    return result.get("member_settings", LEGACY_MEMBERS) != member_settings(cfg)


def previous_release_label(repeats: dict) -> str:
    """How the docs name stale protocol (d) repeats of an earlier name-free release: by their conservation kinds
    and member settings."""
    members = repeats.get("member_settings", LEGACY_MEMBERS)
    return ("previous name-free release, conservation features: "
            + ", ".join(repeats.get("conservation_kinds", LEGACY_KINDS)) + "; member weights "
            + "/".join(f"{w:g}" for w in members["weights"]) + ", token forest " + members["tree_criterion"])


def _entry(res: dict, values: dict, seconds: float, cfg: PipelineConfig) -> dict:
    return {**values, "auc": res["auc"], "aupr": res["aupr"], "auc_std": res.get("auc_std"),
            "aupr_std": res.get("aupr_std"), "members": res.get("members", {}), "chosen": res.get("chosen"),
            "conservation_kinds": _kinds(cfg), "member_settings": member_settings(cfg), "seconds": round(seconds, 2)}


def _public(res: dict) -> dict:
    return {k: v for k, v in res.items() if k not in ("oof", "attention")}


class GridRun:
    """The grid, resumable: cells already in the JSON are skipped."""

    def __init__(self, cfg: PipelineConfig, settings: config.Settings, docs_path: Path | None = None):
        from mirloc_core.io.artifacts import command_line
        from mirloc_core.io.data import load_network

        self.cfg, self.settings, self.docs_path = cfg, settings, docs_path
        self.path = settings.results_dir / "network_cv.json"
        self.payload = json.loads(self.path.read_text())
        net = load_network()
        self.idx = net.labelled_index
        self.y = net.labels[self.idx].astype(np.float64)
        self.folds = gtmaloc_folds(len(self.idx), 10, 42)
        res = self.payload["results"]
        self.grid = res.setdefault("grid", {})
        self.grid.update({"protocol": "(a) GTMALoc folds, 10-fold, seed 42", "jobs": settings.jobs,
                          "released": cell_key({n: getattr(cfg, f) for n, f in FACTORS}), "factors": dict(FACTORS)})
        self.grid.setdefault("command", command_line())  # the run that computed the cells; later runs append
        if self.grid["command"] != command_line():
            self.grid.setdefault("later_commands", []).append(command_line())
        self.grid.setdefault("cells", {})
        self.grid["note"] = GRID_NOTE
        self._sets: dict = {}

    def sets(self, cfg: PipelineConfig) -> dict:
        key = json.dumps(asdict(cfg.feature_config()), sort_keys=True, default=str)
        if key not in self._sets:
            self._sets[key] = labelled_sets(feature_sets(cfg.feature_config(), cache_dir=self.settings.cache_dir,
                                                         device=self.settings.device), self.idx)
        return self._sets[key]

    def cv(self, cfg: PipelineConfig, folds, seed: int = 0) -> tuple[dict, float]:
        start = time.perf_counter()
        res = network_cv(self.sets(cfg), self.y, folds, cfg, seed, jobs=self.settings.jobs,
                         device=self.settings.device)
        return res, time.perf_counter() - start

    def save(self) -> None:
        from mirloc_core.reports.network_docs import write_docs

        self.path.write_text(json.dumps(self.payload, indent=2, default=float) + "\n")
        write_docs(self.payload, self.docs_path)

    def released_cell(self, res: dict) -> None:
        """The released configuration's run becomes protocol (a); its OOF is saved for the release."""
        results = self.payload["results"]
        old = results.get("protocol_a_10fold", {})
        if old.get("config_note") is None and "protocol_a_10fold_with_names" not in results:
            results["protocol_a_10fold_with_names"] = {**old, "config_note": "the previous release (with name "
                                                       "features), as committed before issue 13"}
        results["protocol_a_10fold"] = {**_public(res), "config_note": "released name-free configuration, run on "
                                        "this machine by the grid (cell " + self.grid["released"] + ")"}
        self.payload["config"] = asdict(self.cfg)
        np.savez_compressed(self.path.parent / OOF_FILE, oof=res["oof"], attention=res["attention"],
                            auc=res["auc"], aupr=res["aupr"])

    def run_cells(self) -> None:
        for key, values, cfg in grid_cells(self.cfg):
            if key in self.grid["cells"] and not is_stale(self.grid["cells"][key], cfg):
                continue
            res, seconds = self.cv(cfg, self.folds)
            print(f"[network grid] {key}: AUC {res['auc']:.4f} AUPR {res['aupr']:.4f} ({seconds:.0f} s)", flush=True)
            self.grid["cells"][key] = _entry(res, values, seconds, cfg)
            if key == self.grid["released"]:
                self.released_cell(res)
            self.save()
            self.summary()

    def repeats(self, n: int) -> None:
        """Protocol (d) of the released configuration: seeds 42 + r (the seed-42 run is the grid's cell)."""
        results = self.payload["results"]
        main = self.grid["cells"][self.grid["released"]]
        prev = results.get("protocol_d_repeats", {})
        if prev.get("configuration") != RELEASED:
            results.setdefault("protocol_d_repeats_with_names", prev)
            prev = {}
        elif is_stale(prev, self.cfg):
            results["protocol_d_repeats_previous_release"] = {**prev, "label": previous_release_label(prev)}
            prev = {}
        auc, aupr = list(prev.get("auc_full", [main["auc"]])), list(prev.get("aupr_full", [main["aupr"]]))
        for r in range(len(auc), n):
            res, seconds = self.cv(self.cfg, gtmaloc_folds(len(self.idx), 10, 42 + r), seed=1000 * r)
            print(f"[network grid] (d) repeat {r}: AUC {res['auc']:.4f} AUPR {res['aupr']:.4f} ({seconds:.0f} s)",
                  flush=True)
            auc.append(res["auc"])
            aupr.append(res["aupr"])
            results["protocol_d_repeats"] = {
                "seeds": [42 + i for i in range(len(auc))], "auc": [round(a, 4) for a in auc],
                "aupr": [round(a, 4) for a in aupr], "auc_mean": float(np.mean(auc)), "auc_std": float(np.std(auc)),
                "aupr_mean": float(np.mean(aupr)), "aupr_std": float(np.std(aupr)), "auc_full": auc,
                "aupr_full": aupr, "configuration": RELEASED, "conservation_kinds": _kinds(self.cfg),
                "member_settings": member_settings(self.cfg)}
            self.headline()
            self.save()
            self.summary()

    def calibration(self) -> None:
        """Cross-fitted Platt calibration of the released configuration's protocol (a) out-of-fold
        probabilities (:func:`~mirloc_core.training.calibration.calibration_report`), and its summary key."""
        from mirloc_core.io.artifacts import merge_summary
        from mirloc_core.training.calibration import calibration_report

        oof_path = self.path.parent / OOF_FILE
        if not oof_path.is_file():
            return
        report = calibration_report(np.load(oof_path, allow_pickle=False)["oof"], self.y, self.folds)
        self.payload["results"]["calibration"] = {**report, "configuration": "released name-free, protocol (a)"}
        merge_summary({"calibration_ece_7comp_network": round(report["mean"]["ece_after"], 4)},
                      self.settings.results_dir / "summary.json")
        print(f"[network grid] calibration: mean ECE {report['mean']['ece_before']:.4f} -> "
              f"{report['mean']['ece_after']:.4f}", flush=True)

    def headline(self) -> None:
        d, main = self.payload["results"].get("protocol_d_repeats", {}), self.payload["results"]["protocol_a_10fold"]
        if d.get("configuration") != RELEASED:
            d = {}
        self.payload["headline"] = {**headline_of(d, main), "configuration": RELEASED,
                                    "source": "protocol (d) mean" if d else "protocol (a) seed 42 only"}

    def summary(self) -> None:
        """The issue-13 summary keys (and the released model's network_auc_10fold) once their cells exist."""
        from mirloc_core.io.artifacts import merge_summary

        cells, keys = self.grid["cells"], {}
        if self.grid["released"] in cells:
            self.headline()
            head = self.payload["headline"]
            keys.update({"network_auc_10fold_no_names": round(head["auc_10fold"], 4),
                         "network_aupr_10fold_no_names": round(head["aupr_10fold"], 4),
                         "network_auc_10fold": round(head["auc_10fold"], 4),
                         "network_aupr_10fold": round(head["aupr_10fold"], 4),
                         "network_auc_10fold_std": round(head["auc_10fold_std"], 4),
                         "network_aupr_10fold_std": round(head["aupr_10fold_std"], 4)})
            self.grid["summary_source"] = head["source"]
        released = {n: getattr(self.cfg, f) for n, f in FACTORS}
        no_shortcuts = cell_key({**released, "names": False, "conservation": False})
        if no_shortcuts in cells:
            keys["network_auc_10fold_no_shortcuts"] = round(cells[no_shortcuts]["auc"], 4)
        if keys:
            merge_summary(keys, self.settings.results_dir / "summary.json")
            self.path.write_text(json.dumps(self.payload, indent=2, default=float) + "\n")


def run_grid(cfg: PipelineConfig, settings: config.Settings, docs_path: Path | None = None,
             repeats: int = 0) -> dict:
    """Run the missing grid cells (then ``repeats`` protocol (d) repeats of the released configuration) and
    append them to ``network_cv.json``; returns the payload."""
    run = GridRun(cfg, settings, docs_path)
    run.run_cells()
    if repeats > 1:
        run.repeats(repeats)
    run.calibration()
    run.save()
    return run.payload
