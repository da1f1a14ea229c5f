"""The optional RNA-FM path (multimolecule): a tiny randomly initialised RNA-FM saved locally and loaded back."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from mirloc_core.models import rnafm as pretrained
from mirloc_core.models.rnafm import PretrainedEncoder, PretrainedUnavailable

multimolecule = pytest.importorskip("multimolecule", reason="optional RNA-FM path: pip install multimolecule")

TINY = dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64)
SEQS = ["UGAGGUAGUAGGUUGUAUAGUU", "ACGUACGUACGUACGUACGUACGUACGU"]


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory):
    path = tmp_path_factory.mktemp("tiny_rnafm")
    model = pretrained.random_rnafm(**TINY)
    model.save_pretrained(str(path), safe_serialization=True)
    multimolecule.RnaTokenizer().save_pretrained(str(path))
    return path


def test_off_by_default(monkeypatch):
    monkeypatch.delenv(pretrained.ENV_VAR, raising=False)
    assert pretrained.configured_model() is None
    monkeypatch.setenv(pretrained.ENV_VAR, "multimolecule/rnafm")
    assert pretrained.configured_model() == "multimolecule/rnafm"


def test_tiny_model_loads_from_local_directory(tiny_dir):
    encoder = PretrainedEncoder.load(str(tiny_dir), device="cpu")
    assert encoder.dim == 32
    reference = pretrained.random_rnafm(**TINY)
    loaded = dict(encoder.model.named_parameters())
    for name, value in reference.named_parameters():
        assert torch.equal(loaded[name], value), name
    embeddings = encoder.embed(SEQS)
    assert [e.shape for e in embeddings] == [(len(s), 32) for s in SEQS]
    alone = encoder.embed(SEQS[:1])[0]
    np.testing.assert_allclose(alone, embeddings[0], atol=1e-5)


def test_tiny_model_feeds_the_sequence_model(tiny_dir):
    from mirloc_core.models.sequence import ModelConfig, SequenceEnsemble, SequenceLocalizer

    encoder = PretrainedEncoder.load(str(tiny_dir), device="cpu")
    torch.manual_seed(0)
    model = SequenceLocalizer(ModelConfig(n_outputs=7, encoders=("onehot", "lm"), globals=(), lm_dim=encoder.dim,
                                          cnn_channels=4, lstm_hidden=4, heads=2, attn_dim=4, mlp_hidden=4))
    out = SequenceEnsemble([model], encoder).predict(SEQS)
    assert out.probabilities.shape == (2, 7)
    assert all(a.shape == (len(s),) and abs(a.sum() - 1) < 1e-9 for a, s in zip(out.attention, SEQS))


def test_unresolvable_weights_raise_clearly(tmp_path):
    with pytest.raises(PretrainedUnavailable, match="cannot resolve pretrained LM"):
        pretrained.resolve_weights("no-such-owner/no-such-model", local_files_only=True)
    (tmp_path / "config.json").write_text("{}")
    with pytest.raises(PretrainedUnavailable, match="no .safetensors weights"):
        PretrainedEncoder.load(str(tmp_path), device="cpu")
