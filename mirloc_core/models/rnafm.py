"""Optional pretrained RNA language model: RNA-FM through the ``multimolecule`` package (off by default).

RNA-FM (12 layers, 640-d, trained on 23M RNAcentral sequences) is what RNALoc-LM builds on. Its original
download links fail for many users; ``multimolecule`` republishes it on the Hugging Face hub as
``multimolecule/rnafm`` in safetensors. This module resolves those weights with ``huggingface_hub``
(``snapshot_download``, safetensors/JSON/text files only — nothing is unpickled), or reads a local directory
written by ``save_pretrained``.

It is **off by default**: mirloc's released models use our own small LM (:mod:`mirloc_core.models.lm`).
Set ``MIRLOC_PRETRAINED_LM`` to a hub id or a local directory to opt in (e.g. for experiments); this machine
cannot reach the hub, so the tests load a tiny randomly initialised RNA-FM saved to a temporary directory.

:class:`PretrainedEncoder` has the same call signature as :class:`~mirloc_core.models.lm.RNALanguageModel`
(``encoder(tokens, lengths) -> (B, L, dim)`` hidden states, padding zeroed), so it can be used in place of the
own LM as the ``lm`` input of :class:`~mirloc_core.models.sequence.SequenceLocalizer`
(with ``ModelConfig(lm_dim=encoder.dim)``).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

DEFAULT_MODEL = "multimolecule/rnafm"
ENV_VAR = "MIRLOC_PRETRAINED_LM"
_ALLOWED_FILES = ["*.json", "*.safetensors", "*.txt", "*.md"]


class PretrainedUnavailable(RuntimeError):
    """The optional pretrained LM cannot be used (package missing, weights not found)."""


def is_available() -> bool:
    """Whether the ``multimolecule`` package (and so RNA-FM's architecture) can be imported."""
    try:
        import multimolecule  # noqa: F401
    except Exception:  # ImportError, or a broken optional dependency
        return False
    return True


def configured_model() -> str | None:
    """The pretrained LM asked for through ``MIRLOC_PRETRAINED_LM`` (None: off, the default)."""
    value = os.environ.get(ENV_VAR, "").strip()
    return value or None


def resolve_weights(name_or_path: str = DEFAULT_MODEL, local_files_only: bool = False) -> Path:
    """A local directory holding the model: the path itself, or a hub snapshot (safetensors only).

    Raises
    ------
    PretrainedUnavailable
        When the path does not exist and the hub cannot provide the snapshot.
    """
    path = Path(name_or_path).expanduser()
    if path.is_dir():
        return path
    try:
        from huggingface_hub import snapshot_download

        return Path(snapshot_download(repo_id=name_or_path, allow_patterns=_ALLOWED_FILES,
                                      local_files_only=local_files_only))
    except Exception as exc:
        raise PretrainedUnavailable(
            f"cannot resolve pretrained LM '{name_or_path}' (not a local directory, and the Hugging Face hub "
            f"did not provide it: {type(exc).__name__}: {exc})") from exc


class PretrainedEncoder(nn.Module):
    """RNA-FM (multimolecule) as a per-nucleotide encoder with mirloc's token convention.

    Parameters
    ----------
    model : multimolecule.RnaFmModel
    """

    def __init__(self, model):
        super().__init__()
        from multimolecule import RnaTokenizer

        self.model = model.eval()
        vocab = RnaTokenizer().get_vocab()
        # mirloc tokens: PAD 0, A C G U 1-4, MASK 5 → RNA-FM vocabulary
        self.register_buffer("token_map", torch.tensor(
            [vocab["<pad>"], vocab["A"], vocab["C"], vocab["G"], vocab["U"], vocab["<mask>"]]), persistent=False)
        self.cls_id, self.eos_id, self.pad_id = vocab["<cls>"], vocab["<eos>"], vocab["<pad>"]

    @property
    def dim(self) -> int:
        """Width of the hidden states."""
        return int(self.model.config.hidden_size)

    @classmethod
    def load(cls, name_or_path: str | None = None, device=None, local_files_only: bool = False) -> "PretrainedEncoder":
        """Load RNA-FM weights from a local directory or the hub (safetensors only), in eval mode."""
        if not is_available():
            raise PretrainedUnavailable("the optional package 'multimolecule' is not installed "
                                        "(pip install multimolecule)")
        from multimolecule import RnaFmModel

        from mirloc_core.config import get_device

        path = resolve_weights(name_or_path or configured_model() or DEFAULT_MODEL, local_files_only)
        if not any(path.glob("*.safetensors")):
            raise PretrainedUnavailable(f"{path} holds no .safetensors weights (pickled weights are not loaded)")
        model = RnaFmModel.from_pretrained(str(path), use_safetensors=True, add_pooling_layer=False)
        encoder = cls(model)
        device = device if isinstance(device, torch.device) else get_device(device)
        return encoder.to(device).eval()

    def forward(self, tokens: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """Hidden states (B, L, dim) for mirloc tokens; ``<cls>``/``<eos>`` are added and stripped again."""
        batch, width = tokens.shape
        ids = torch.full((batch, width + 2), self.pad_id, dtype=torch.long, device=tokens.device)
        ids[:, 0] = self.cls_id
        ids[:, 1:-1] = self.token_map[tokens]
        ids[torch.arange(batch, device=tokens.device), lengths + 1] = self.eos_id
        mask = torch.arange(width + 2, device=tokens.device)[None, :] < (lengths + 2)[:, None]
        ids = ids.masked_fill(~mask, self.pad_id)
        hidden = self.model(input_ids=ids, attention_mask=mask.long()).last_hidden_state[:, 1:-1]
        real = torch.arange(width, device=tokens.device)[None, :] < lengths[:, None]
        return hidden * real[..., None].to(hidden.dtype)

    @torch.no_grad()
    def embed(self, sequences: list[str]) -> list[np.ndarray]:
        """Per-nucleotide embeddings, one (len, dim) array per sequence."""
        from mirloc_core.models.lm import tokenize

        tokens, lengths = tokenize(sequences)
        device = next(self.parameters()).device
        hidden = self(tokens.to(device), lengths.to(device)).cpu().numpy()
        return [hidden[i, : len(s)] for i, s in enumerate(sequences)]


def random_rnafm(**overrides):
    """An RNA-FM model with random weights (default: the published 12-layer, 640-d architecture)."""
    from multimolecule import RnaFmConfig, RnaFmModel

    torch.manual_seed(0)
    return RnaFmModel(RnaFmConfig(**overrides), add_pooling_layer=False).eval()


def rnafm_encoder_seconds(sequences: list[str], repeats: int = 3, threads: int | None = None) -> dict:
    """Warm CPU time of RNA-FM's encoder alone (random weights, full size) on ``sequences`` (median).

    Parameters
    ----------
    sequences : list of str
    repeats : int
        Timed runs after one warm-up.
    threads : int, optional
        torch CPU threads while timing (restored afterwards), e.g. :attr:`Predictor.threads` so that both are
        timed alike; default: the current setting.
    """
    if not is_available():
        raise PretrainedUnavailable("the optional package 'multimolecule' is not installed")
    encoder = PretrainedEncoder(random_rnafm()).to(torch.device("cpu"))
    before = torch.get_num_threads()
    torch.set_num_threads(threads or before)
    try:
        encoder.embed(sequences)  # warm-up
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            encoder.embed(sequences)
            times.append(time.perf_counter() - start)
        used = torch.get_num_threads()
    finally:
        torch.set_num_threads(before)
    n_params = sum(p.numel() for p in encoder.parameters())
    return {"rnafm_encoder10_seconds": round(float(np.median(times)), 4), "rnafm_parameters": int(n_params),
            "rnafm_architecture": "multimolecule RnaFmModel, 12 layers, 640-d, 20 heads, random init",
            "rnafm_batch": "one padded batch of all sequences", "rnafm_torch_threads": used}
