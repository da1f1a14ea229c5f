"""Masked-LM pretraining of the small RNA language model, and saving its weights.

``python -m mirloc_core train lm`` pretrains :class:`~mirloc_core.models.lm.RNALanguageModel` on all miRBase 22
hairpins and matures (every species, no labels) and writes ``weights/lm/`` (safetensors + manifest + the
training history). Loading the released weights is :func:`mirloc_core.pretrained.load_lm`.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch

from mirloc_core.config import get_device
from mirloc_core.models.lm import LM_FILE, LMConfig, RNALanguageModel, mask_for_mlm, mlm_loss, tokenize


def machine_info() -> dict:
    """The machine a training or benchmark run used (cores, CPU, torch threads, platform, versions)."""
    from mirloc_core.io.artifacts import cpu_description

    return {"cores": os.cpu_count(), "cpu": cpu_description(), "torch_threads": torch.get_num_threads(),
            "platform": platform.platform(), "python": platform.python_version(), "torch": torch.__version__}


def lm_corpus(seed: int = 0, val_fraction: float = 0.01) -> tuple[list[str], list[str]]:
    """All miRBase 22 hairpins and matures (all species), shuffled and split into train / validation."""
    from mirloc_core.io.data import load_mirbase

    seqs = list(load_mirbase("hairpin", species=None).values()) + list(load_mirbase("mature", species=None).values())
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(seqs))
    n_val = max(1, int(len(seqs) * val_fraction))
    return [seqs[i] for i in order[n_val:]], [seqs[i] for i in order[:n_val]]


def _crop(seq: str, width: int, rng: np.random.Generator) -> str:
    if len(seq) <= width:
        return seq
    start = int(rng.integers(0, len(seq) - width + 1))
    return seq[start : start + width]


def _token_batches(seqs: list[str], tokens_per_batch: int, rng: np.random.Generator) -> list[list[str]]:
    """Length-bucketed batches of about ``tokens_per_batch`` tokens, in random order."""
    order = sorted(range(len(seqs)), key=lambda i: (len(seqs[i]), rng.random()))
    batches, current, width = [], [], 0
    for i in order:
        width = max(width, len(seqs[i]))
        if current and width * (len(current) + 1) > tokens_per_batch:
            batches.append(current)
            current, width = [], len(seqs[i])
        current.append(seqs[i])
    if current:
        batches.append(current)
    rng.shuffle(batches)
    return batches


@torch.no_grad()
def _model_device(model: torch.nn.Module) -> torch.device:
    return next(model.parameters()).device


def _masked_batch(model: RNALanguageModel, batch: list[str], gen: torch.Generator) -> tuple:
    """Tokens of ``batch`` with MLM masking applied, on the model's device: (inputs, targets, lengths)."""
    tokens, lengths = tokenize(batch)
    inputs, targets = mask_for_mlm(tokens, lengths, gen)
    return tuple(t.to(_model_device(model)) for t in (inputs, targets, lengths))


@torch.no_grad()
def evaluate_lm(model: RNALanguageModel, seqs: list[str], seed: int = 123, max_len: int = 128) -> dict:
    """Masked-LM loss and accuracy on ``seqs`` (fixed masking seed)."""
    model.eval()
    gen = torch.Generator().manual_seed(seed)
    rng = np.random.default_rng(seed)
    total, correct, count = 0.0, 0, 0
    for batch in _token_batches([_crop(s, max_len, rng) for s in seqs], 8192, rng):
        inputs, targets, lengths = _masked_batch(model, batch, gen)
        logits = model.mlm_logits(inputs, lengths)
        chosen = targets != -100
        n = int(chosen.sum())
        if n:
            total += float(torch.nn.functional.cross_entropy(logits[chosen], targets[chosen], reduction="sum"))
            correct += int((logits[chosen].argmax(-1) == targets[chosen]).sum())
            count += n
    return {"loss": total / max(count, 1), "accuracy": correct / max(count, 1), "masked_tokens": count}


def pretrain_lm(train: list[str], val: list[str] | None = None, cfg: LMConfig | None = None, epochs: int = 3,
                max_seconds: float | None = None, tokens_per_batch: int = 4096, lr: float = 2e-3, seed: int = 0,
                log=print, device: str | None = None) -> tuple[RNALanguageModel, dict]:
    """Masked-LM pretraining with AdamW, warm-up and cosine decay, stopping early at ``max_seconds``.

    ``device``: ``"cpu"``, ``"cuda"`` or None (see :func:`mirloc_core.config.get_device`).

    Returns
    -------
    model : RNALanguageModel (eval mode, on the CPU)
    history : dict with the losses, steps, seconds and validation figures.
    """
    torch.manual_seed(seed)
    cfg = cfg or LMConfig()
    model = RNALanguageModel(cfg).to(get_device(device))
    rng = np.random.default_rng(seed)
    gen = torch.Generator().manual_seed(seed)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    steps_per_epoch = len(_token_batches([_crop(s, cfg.max_train_len, rng) for s in train], tokens_per_batch, rng))
    planned = max(1, steps_per_epoch * epochs)
    warmup = min(200, planned // 10 + 1)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / warmup) * 0.5 * (1 + math.cos(math.pi * min(s, planned) / planned)))
    history = {"initial_val": evaluate_lm(model, val) if val else None, "train_loss": [], "steps": 0}
    start = time.perf_counter()
    stop = False
    for epoch in range(epochs):
        model.train()
        running, n_run = 0.0, 0
        for batch in _token_batches([_crop(s, cfg.max_train_len, rng) for s in train], tokens_per_batch, rng):
            loss = mlm_loss(model, *_masked_batch(model, batch, gen))
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            history["steps"] += 1
            running += loss.item()
            n_run += 1
            if history["steps"] % 200 == 0:
                history["train_loss"].append(round(running / n_run, 4))
                log(f"epoch {epoch + 1} step {history['steps']}/{planned} loss {running / n_run:.4f} "
                    f"{time.perf_counter() - start:.0f}s")
                running, n_run = 0.0, 0
            if max_seconds and time.perf_counter() - start > max_seconds:
                stop = True
                break
        if stop:
            break
    history["seconds"] = round(time.perf_counter() - start, 1)
    history["epochs_completed"] = history["steps"] / steps_per_epoch
    history["planned_steps"] = planned
    model.eval()
    if val:
        history["final_val"] = evaluate_lm(model, val)
    return model.cpu(), history


def save_lm(model: RNALanguageModel, directory: Path, metadata: dict | None = None) -> Path:
    """Write the LM's weights and config to ``directory/lm.safetensors``."""
    from mirloc_core.io.artifacts import save_tensors

    path = Path(directory) / LM_FILE
    meta = {"config": asdict(model.cfg), **(metadata or {})}
    save_tensors(path, {k: v for k, v in model.state_dict().items()}, meta)
    return path


def cli_train_lm(argv: list[str]) -> int:
    """``python -m mirloc_core train lm [--epochs N] [--max-minutes M] [--threads T] [--out DIR] [--device D]``."""
    from mirloc_core.config import Settings
    from mirloc_core.io.artifacts import write_manifest
    from mirloc_core.io.data import data_fingerprint

    parser = argparse.ArgumentParser(prog="python -m mirloc_core train lm", description=cli_train_lm.__doc__)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--max-minutes", type=float, default=13.0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--device", default=None, help="cpu or cuda (default: MIRLOC_DEVICE, else automatic)")
    args = parser.parse_args(argv)
    settings = Settings.from_env(threads=args.threads, device=args.device)
    if settings.threads:
        torch.set_num_threads(int(settings.threads))
    out = args.out or settings.weights_dir / "lm"
    train, val = lm_corpus(args.seed)
    print(f"LM corpus: {len(train)} train / {len(val)} validation sequences (all miRBase 22 hairpins + matures)")
    model, history = pretrain_lm(train, val, epochs=args.epochs, max_seconds=args.max_minutes * 60, seed=args.seed,
                                 device=settings.device)
    print(json.dumps({k: history[k] for k in ("initial_val", "final_val", "seconds", "steps")}, indent=1))
    out.mkdir(parents=True, exist_ok=True)
    save_lm(model, out, {"history": history})
    (out / "training.json").write_text(json.dumps({"history": history, "machine": machine_info(),
                                                   "corpus": {"train": len(train), "val": len(val)}}, indent=1))
    write_manifest(out, "rna-lm", metrics={"val_mlm_loss": history["final_val"]["loss"],
                                           "val_mlm_accuracy": history["final_val"]["accuracy"],
                                           "initial_val_mlm_loss": history["initial_val"]["loss"],
                                           "train_seconds": history["seconds"]},
                   config={**model.cfg.__dict__, "epochs": args.epochs, "threads": args.threads, "seed": args.seed},
                   data={k: v for k, v in data_fingerprint(("mirbase22",)).items()})
    print(f"wrote {out}")
    return 0
