"""Text rendered from the sequence benchmark's JSON: the ``sequence`` section of ``docs/benchmarks.md`` and the
sequence model card (``weights/sequence/model_card.md``). Every figure comes from
``benchmarks/results/sequence_cv.json`` (the card: its ``summary``); none is typed here, except the published
reference of RNALoc-LM (:data:`RNALOC_LM_REFERENCE`).
"""

from __future__ import annotations

import functools

from mirloc_core.features.alignment import KNN_K

RNALOC_LM_REFERENCE = {"acc": 0.913, "macro_f1": 0.903}
"""RNALoc-LM's own 5-fold CV on its train.tsv, as published (a literature reference, not one of our runs)."""


def _fmt(entry: dict) -> str:
    return f"{entry['mean']:.3f} ± {entry['std']:.3f}"


def audit_lines(audit: dict | None) -> list[str]:
    """The label audit (``binary.label_audit``) as Markdown lines (none when it was not run)."""
    if not audit:
        return []
    c, knn = audit["labels_by_stratum"], audit["knn_sw_within_stratum"]
    m = knn["metrics"]
    return ["#### What the labels leave to learn", "",
            f"- Matures: {c['mature']['extracellular']} extracellular, {c['mature']['intracellular']} intracellular; "
            f"precursors: {c['precursor']['intracellular']} intracellular, {c['precursor']['extracellular']} "
            f"extracellular. The length rule errs on exactly the {audit['length_rule_errors']} minority miRNAs "
            f"({audit['length_rule_errors_are']}); ACC {audit['goal_acc']} allows "
            f"{audit['errors_allowed_at_goal']} errors, so a model must get {audit['must_fix_net']} more of them "
            "right than it gets wrong elsewhere.",
            f"- {audit['mature_in_precursor_pairs']} (mature, precursor) pairs of the training set have the mature "
            f"inside the precursor; {audit['pairs_with_opposite_labels']} of them carry opposite labels "
            f"({audit['pairs_mature_extracellular_precursor_intracellular']}: the mature extracellular, its "
            "precursor intracellular): the same sequence, labelled by which molecule a study measured.",
            f"- Homology inside each stratum ({knn['what']}; {knn['repeats']} × {knn['folds']}-fold): ACC "
            f"{_fmt(m['overall']['acc'])}, macro-F1 {_fmt(m['overall']['macro_f1'])}; AUC within matures "
            f"{_fmt(m['mature']['auc'])}, within precursors {_fmt(m['precursor']['auc'])}.", ""]


def _binary_lines(result: dict) -> list[str]:
    """Header, run commands and the binary table."""
    lines = ["## Sequence models (`python -m mirloc_core benchmark sequence`)", "",
             f"Last run: `{result['command']}` — {result['date']}, {result['machine']['cores']} cores, "
             f"{result['machine']['torch_threads']} torch thread(s).", "",
             *[f"- {section}: `{ran['command']}` ({ran['date']})"
               for section, ran in result.get("section_commands", {}).items()], "",
             "### Extracellular vs intracellular (RNALoc-LM train.tsv, 5-fold stratified CV, mean ± std over "
             "repeats)", "",
             "| model | repeats × seeds | stratum | ACC | macro-F1 | macro-P | macro-R | AUC |",
             "|---|---|---|---|---|---|---|---|"]
    b = result.get("binary", {})
    rows = [("length rule (≤30 nt ⇒ extracellular)", b["length_rule"], "—")] if "length_rule" in b else []
    if "main" in b:
        rows.append(("released configuration (one-hot + k-mer + own LM)", b["main"]["metrics"],
                     f"{b['main']['repeats']} × {b['main']['seeds_per_fold']}"))
    for name, ab in b.get("ablations", {}).items():
        rows.append((f"ablation: {name} encoder only", ab["metrics"], f"{ab['repeats']} × {ab['seeds_per_fold']}"))
    for label, metrics, reps in rows:
        for stratum in ("overall", "mature", "precursor"):
            m = metrics[stratum]
            lines.append(f"| {label} | {reps} | {stratum} | {_fmt(m['acc'])} | {_fmt(m['macro_f1'])} | "
                         f"{_fmt(m['macro_precision'])} | {_fmt(m['macro_recall'])} | {_fmt(m['auc'])} |")
    return lines + ["", "Every configuration also gets the sequence length explicitly (log length and a ≤30 nt flag); "
                        "the k-mer configurations also get 1–3-mer frequencies. The released models are 3-seed "
                        "ensembles; the CV above uses the number of seeds per fold shown.", "",
                    f"Reference: RNALoc-LM 5-fold CV ACC {RNALOC_LM_REFERENCE['acc']}, macro-F1 "
                    f"{RNALOC_LM_REFERENCE['macro_f1']}. AUC within a stratum measures "
                    "whether the model ranks sequences beyond their length (0.5 = no signal; the length rule's is "
                    "0.5 there by construction).", "", *audit_lines(b.get("label_audit"))]


def _seven_table(result: dict) -> list[str]:
    lines = ["### Seven compartments from sequence alone (labelled network miRNAs with a miRBase sequence)", "",
             "| split | n | repeats × seeds | AUC | AUPR | study-bias baseline AUC / AUPR |",
             "|---|---|---|---|---|---|"]
    versus = []
    for key in ("random", "homology"):
        s = result.get("sevencomp", {}).get(key)
        if s:
            n = f"{s['n']} rows ({s['n_genes']} miRNAs)" if "n_genes" in s else s["n"]
            fold = {"random": "grouped by miRNA"}.get(key, key) if "n_genes" in s else key
            lines.append(f"| {s['folds']}-fold {fold} | {n} | {s['repeats']} × {s['seeds_per_fold']} | "
                         f"{_fmt(s['auc'])} | {_fmt(s['aupr'])} | "
                         f"{s['study_bias_baseline']['auc']:.3f} / {s['study_bias_baseline']['aupr']:.3f} |")
            above = {m: "above" if s[m]["mean"] > s["study_bias_baseline"][m] else "not above"
                     for m in ("auc", "aupr")}
            versus.append(f"- {key}: AUC {above['auc']} the study-bias baseline, AUPR {above['aupr']} it.")
    return lines + (["", *versus] if versus else [])


def _seven_parts_line(key: str, s: dict) -> str:
    """One split's parts alone (neural, kNN-SW, conservation head, ablations, fresh shuffles)."""
    n, k = s["neural_only"], s["knn_sw_only"]
    line = f"- {key}: neural alone {n['auc']:.3f} / {n['aupr']:.3f}; kNN-SW alone {k['auc']:.3f} / {k['aupr']:.3f}"
    if "conservation_only" in s:
        c, w = s["conservation_only"], s["without_conservation"]
        line += (f"; conservation head alone {c['auc']:.3f} / {c['aupr']:.3f}; without conservation "
                 f"(neural + kNN-SW) {w['auc']:.3f} / {w['aupr']:.3f}")
    if "without_paralogs" in s:
        wp = s["without_paralogs"]
        line += (f"; without the human-paralog features: head alone {wp['head_alone']['auc']:.3f} / "
                 f"{wp['head_alone']['aupr']:.3f}, released {wp['released']['auc']:.3f} / "
                 f"{wp['released']['aupr']:.3f}")
    if "without_host" in s:
        wh = s["without_host"]
        line += (f"; without the host features (own sequence only): head alone {wh['head_alone']['auc']:.3f} / "
                 f"{wh['head_alone']['aupr']:.3f}, released {wh['released']['auc']:.3f} / "
                 f"{wh['released']['aupr']:.3f}")
    if "fresh_shuffles" in s:
        fr = s["fresh_shuffles"]
        line += (f"; head alone on {len(fr['seeds'])} fresh shuffles {fr['head_alone']['auc']:.3f} / "
                 f"{fr['head_alone']['aupr']:.3f} (without paralogs "
                 f"{fr['head_alone_without_paralogs']['auc']:.3f} / "
                 f"{fr['head_alone_without_paralogs']['aupr']:.3f})")
        per = fr.get("per_compartment_auc")
        if per:
            with_p, without = per["head_alone"], per["head_alone_without_paralogs"]
            line += ("; per compartment, head alone with / without the paralog features: "
                     + ", ".join(f"{c} {with_p[c]:.3f} / {without[c]:.3f}" for c in with_p))
    return line


def _seven_parts(result: dict) -> list[str]:
    extra = [(key, s) for key in ("random", "homology") if (s := result.get("sevencomp", {}).get(key))
             and "neural_only" in s]
    if not extra:
        return []
    lines = ["", f"Released model — {extra[0][1]['model'].removeprefix('released: ')}. Its parts alone on the "
                 "same folds (AUC / AUPR):", "", *[_seven_parts_line(key, s) for key, s in extra]]
    cons = [s["conservation_only"] for _, s in extra if "conservation_only" in s]
    if cons:
        lines += ["", "Conservation features count the other species in miRBase 22 that share a miRNA's k-mers, "
                      "and the other human miRBase loci that do (paralogs: multi-copy genes, families), for the "
                      "sequence itself and for its host (the human hairpins containing it: a mature gets its "
                      "precursor's). "
                      "Conserved miRNAs and large families are also the abundant, long-studied ones: the head's "
                      "mean probability "
                      f"has Spearman {cons[0]['spearman_with_study_bias']} with the study-bias score, so read "
                      "its gain as \"known, conserved miRNAs are reported in more compartments\" rather than "
                      "as compartment-specific biology."]
        notes = {s["selection_note"] for _, s in extra if "selection_note" in s}
        lines += ["", *sorted(notes)] if notes else []
    return lines


def _seven_strata(result: dict) -> list[str]:
    """Mature-only and hairpin-only rows of the seven-compartment CV (``by_stratum``)."""
    splits = [(key, s) for key in ("random", "homology") if (s := result.get("sevencomp", {}).get(key))
              and "by_stratum" in s]
    if not splits:
        return []
    lines = ["", "#### What users paste: mature-only and hairpin-only test rows (pooled out-of-fold AUC / AUPR)", "",
             f"Training rows: every distinct hairpin and mature sequence of each labelled network miRNA "
             f"({splits[0][1]['n_hairpin_rows']} hairpin and {splits[0][1]['n_mature_rows']} mature rows from "
             f"{splits[0][1]['n_genes']} miRNAs), with the miRNA's labels; folds never split a miRNA or identical "
             "sequences (`random`: grouped by gene ∪ identical sequence).", "",
             "| split | model | mature rows AUC / AUPR | hairpin rows AUC / AUPR |", "|---|---|---|---|"]
    names = {"released": "released blend", "neural_only": "neural alone", "knn_sw_only": "kNN-SW alone",
             "conservation_only": "conservation head alone",
             "released_without_host": "released blend without the host features",
             "conservation_only_without_host": "conservation head alone without the host features",
             "study_bias_baseline": "study-bias baseline"}
    for key, s in splits:
        for model, label in names.items():
            if model not in s["by_stratum"]:
                continue
            st = s["by_stratum"][model]
            lines.append(f"| {key} ({s['repeats']} repeat) | {label} | {st['mature']['auc']:.3f} / "
                         f"{st['mature']['aupr']:.3f} (n={st['mature']['n']}) | {st['hairpin']['auc']:.3f} / "
                         f"{st['hairpin']['aupr']:.3f} (n={st['hairpin']['n']}) |")
    return lines


def _discovery(result: dict) -> list[str]:
    """The discovery-order split (``sevencomp.random.discovery_order``)."""
    d = result.get("sevencomp", {}).get("random", {}).get("discovery_order")
    if not d:
        return []
    lines = ["", "#### Discovery order: trained on the miRNAs found first, tested on the newest", "",
             f"{d['what']}. Train {d['n_train_genes']} miRNAs ({d['n_train_rows']} rows, hairpin accessions up to "
             f"MI{d['accession_cut'][0]:07d}), test {d['n_test_genes']} miRNAs ({d['n_test_rows']} rows, from "
             f"MI{d['accession_cut'][1]:07d}). Released blend AUC {d['released']['auc']:.3f} / AUPR "
             f"{d['released']['aupr']:.3f}; study-bias baseline {d['study_bias_baseline']['auc']:.3f} / "
             f"{d['study_bias_baseline']['aupr']:.3f}.", "",
             "| compartment | test positives: rows (miRNAs) | test prevalence | train prevalence | evaluable | "
             "released AUC / AUPR | study-bias AUC |", "|---|---|---|---|---|---|---|"]
    for c, k in d["classes"].items():
        r, b = d["released"]["per_compartment"].get(c), d["study_bias_baseline"]["per_compartment"].get(c)
        score = f"{r['auc']:.3f} / {r['aupr']:.3f}" if r else "—"
        lines.append(f"| {c} | {k['test_positive_rows']} ({k['test_positive_genes']}) | {k['test_prevalence']} | "
                     f"{k['train_prevalence']} | {'yes' if k['evaluable'] else 'no (one class)'} | {score} | "
                     f"{b['auc']:.3f} |" if b else f"| {c} | {k['test_positive_rows']} ({k['test_positive_genes']}) "
                     f"| {k['test_prevalence']} | {k['train_prevalence']} | no (one class) | — | — |")
    st = d["by_stratum"]
    lines += ["", "Per stratum (AUC / AUPR over the evaluable classes): " + "; ".join(
        f"{stratum} rows: released {st['released'][stratum]['auc']:.3f} / {st['released'][stratum]['aupr']:.3f}, "
        f"study bias {st['study_bias_baseline'][stratum]['auc']:.3f} / "
        f"{st['study_bias_baseline'][stratum]['aupr']:.3f}" for stratum in ("mature", "hairpin")) + ".",
              "", "Newly found miRNAs are almost all labelled exosome and microvesicle only (from exosome "
                  "profiling): those two classes cannot be evaluated on this split, and the few positives of the "
                  "others make their figures noisy (counts above)."]
    return lines


def _calibration(result: dict) -> list[str]:
    """Calibration of the released blend (``sevencomp.random.calibration``)."""
    s = result.get("sevencomp", {}).get("random", {})
    cal = s.get("calibration")
    if not cal:
        return []
    lines = ["", "#### Calibration of the seven-compartment probabilities", "",
             f"{cal['method']} ({cal['bins']} equal-width bins for the ECE). Mean over compartments: ECE "
             f"{cal['ece_before']:.3f} → {cal['ece_after']:.3f}, Brier {cal['brier_before']:.3f} → "
             f"{cal['brier_after']:.3f} (AUC after {cal['auc_after']:.3f}).", "",
             "| compartment | base rate | Brier before → after | ECE before → after |", "|---|---|---|---|"]
    rates = s.get("base_rates", {})
    for c, v in cal["per_compartment"].items():
        lines.append(f"| {c} | {rates.get(c, float('nan')):.2f} | {v['before']['brier']:.3f} → "
                     f"{v['after']['brier']:.3f} | {v['before']['ece']:.3f} → {v['after']['ece']:.3f} |")
    return lines + ["", "The released calibrator (`weights/sequence/sevencomp_calibration.json`) is fitted on all "
                        "out-of-fold probabilities; the figures above are cross-fitted (fold k calibrated by the "
                        "other folds)."]


def _conflicts(result: dict) -> list[str]:
    c = result.get("sevencomp", {}).get("random", {}).get("label_conflicts")
    if not c:
        return []
    one, rows = c["one_sequence_per_gene"], c["training_rows"]
    shown = ", ".join(" vs ".join(x["names"]) for x in one["conflicts"])
    return ["", f"Label conflicts: with one sequence per miRNA, {one['identical_sequence_sets']} sequences are "
                f"shared by different miRNAs and {one['with_different_labels']} of them carry different labels "
                f"({shown}); "
                f"with hairpins and matures, {rows['with_different_labels']} of {rows['identical_sequence_sets']} "
                "shared sequences do (paralogous copies share matures). Treatment: "
                + result["sevencomp"]["random"]["training_rows_note"]]


def _speed_and_lm(result: dict) -> list[str]:
    lines, sp = [], result.get("speed", {})
    if sp:
        lines += ["", "### Speed (CPU)", "", "| measure | seconds |", "|---|---|",
                  f"| predict 10 sequences, warm (median of 5; {sp.get('predict10_torch_threads', 1)} torch thread) | "
                  f"{sp.get('predict10_seconds')} |",
                  f"| all {sp.get('mirbase_batch_n')} miRBase 22 matures (sequence models and conservation; "
                  f"{sp.get('mirbase_batch_torch_threads', 1)} torch threads) | {sp.get('mirbase_batch_seconds')} |"]
        if sp.get("rnafm_encoder10_seconds") is not None:
            lines.append(f"| RNA-FM encoder alone (12 layers, 640-d, random init), same 10 sequences | "
                         f"{sp['rnafm_encoder10_seconds']} |")
            lines.append(f"| ratio RNA-FM encoder / our full prediction | {sp.get('rnafm_ratio')} |")
        if sp.get("note"):
            lines += ["", f"Note: {sp['note']}"]
    if result.get("lm"):
        lm = result["lm"]

        def _r(value):
            return f"{value:.4f}" if isinstance(value, float) else value

        lines += ["", f"Own RNA LM (weights/lm): masked-LM validation loss {_r(lm.get('val_mlm_loss'))} "
                      f"(untrained {_r(lm.get('initial_val_mlm_loss'))}), masked-token accuracy "
                      f"{_r(lm.get('val_mlm_accuracy'))}, pretraining {lm.get('train_seconds')} s on one core."]
    return lines


def benchmark_markdown(result: dict) -> str:
    """The ``sequence`` section of docs/benchmarks.md, generated from the JSON result."""
    return "\n".join(_binary_lines(result) + _seven_table(result) + _seven_parts(result) + _seven_strata(result)
                     + _discovery(result) + _calibration(result) + _conflicts(result) + _speed_and_lm(result))


def _figure(metrics: dict, key: str) -> str:
    value = metrics.get(key)
    return f"{value:.3f}" if isinstance(value, (int, float)) else "not measured"


def sequence_model_card(metrics: dict, knn_blend: float, conservation_weight: float, n_binary: int, n_seven: int,
                        seeds: int, epochs: int) -> str:
    """``weights/sequence/model_card.md``: what the released sequence models are, and their benchmark figures
    (``metrics``: the summary of ``benchmarks/results/sequence_cv.json``)."""
    f = functools.partial(_figure, metrics)
    neural = 1 - knn_blend
    return f"""# Sequence models (any pasted miRNA)

- Encoder shared by both models: one-hot + k-mer embedding + our own small RNA language model (3 layers, width
  64, masked-LM pretraining on all miRBase 22 hairpins and matures, no labels; `weights/lm/`), then TextCNN
  (kernels 3/4/5) → BiLSTM → multi-head self-attention over nucleotides (its weights are the attention track and
  the motif logos), plus log length and 1–3-mer frequencies. Ensembles of {seeds} seeds, {epochs} epochs each.
- **Extracellular vs intracellular**: trained on RNALoc-LM's train.tsv only ({n_binary} miRNAs). 5-fold CV ACC
  {f("seq_binary_acc_cv5")}, macro-F1 {f("seq_binary_macro_f1_cv5")}; the length rule (≤ 30 nt ⇒ extracellular)
  scores {f("length_rule_acc_cv5")} / {f("length_rule_macro_f1_cv5")}. The call is mostly "mature vs precursor".
- **Seven compartments**: trained on {n_seven} sequences: every distinct miRBase 22 hairpin and mature of each
  labelled network miRNA, with that miRNA's labels (so matures, what users paste, are in the training data). Output =
  {conservation_weight:g} × a conservation head + {1 - conservation_weight:g} × ({neural:g} × the neural model +
  {knn_blend:g} × the labels of the {KNN_K} most Smith–Waterman-similar training sequences). The conservation head
  (`conservation.safetensors`) is a logistic regression on how many other species in miRBase 22 share the
  sequence's k-mers, and how many other human miRBase loci do (paralogs: multi-copy genes, families; the
  sequence's own precursor and matures are not counted), for the sequence itself and for its host (the human
  miRBase hairpins containing it, so a pasted mature is described by its whole locus; a sequence inside no human
  hairpin uses its own values there); it needs miRBase in the data directory at prediction
  time and is skipped, with a notice, without it. 10-fold CV, folds grouped by miRNA (a mature never tested while
  its own hairpin trains): AUC {f("seq_7comp_auc_10fold")} (AUPR {f("seq_7comp_aupr_10fold")}); on mature rows
  only AUC {f("seq_7comp_auc_mature")}, on hairpin rows only {f("seq_7comp_auc_hairpin")}; homology-aware folds
  AUC {f("seq_7comp_auc_homology")}. Trained on the miRNAs discovered first and tested on the newest 20%
  (discovery order): AUC {f("seq_7comp_auc_discovery_order")} over the classes that split can evaluate, where
  the study-bias baseline (number of known disease + drug links) reaches {f("study_bias_auc_discovery_order")}.
  Conserved miRNAs and large families are the long-known, well-studied ones, so much of this is study bias seen
  through sequence (the benchmark reports the rank correlation and the study-bias baseline).
- **Calibration and base rates**: `sevencomp_calibration.json` holds an isotonic calibrator per compartment,
  fitted on the out-of-fold probabilities of the released blend, and the training prevalence of each compartment
  (base rates). Mean expected calibration error over compartments (10 bins, cross-fitted): uncalibrated
  {f("calibration_ece_7comp_uncalibrated")}, calibrated {f("calibration_ece_7comp")}.
- Speed on 2 CPU cores (seconds): 10 sequences {f("predict10_seconds")}; all miRBase 22 matures
  {f("mirbase_batch_seconds")}.
- Full tables, baselines and commands: `docs/benchmarks.md`, `benchmarks/results/sequence_cv.json`.
"""
