"""The TextCNN → BiLSTM → attention model: attention per nucleotide, padding invariance, ensembles."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from mirloc_core.models.lm import LMConfig, RNALanguageModel, tokenize
from mirloc_core.models.sequence import (
    ModelConfig,
    SequenceEnsemble,
    SequenceLocalizer,
    _conv_same,
    global_dim,
    global_features,
    length_groups,
    padded_batches,
)

SEQS = ["UGAGGUAGUAGGUUGUAUAGUU", "CUAUACAAUCUACUGUCUUUC",
        "UGGGAUGAGGUAGUAGGUUGUAUAGUUUUAGGGUCACACCCACCACUGGGAGAUAACUAUACAAUCUACUGUCUUUCCUA"]


def _model(n_outputs=1, encoders=("onehot", "kmer", "lm"), seed=0, globals_=("length", "kmerfreq")):
    torch.manual_seed(seed)
    cfg = ModelConfig(n_outputs=n_outputs, encoders=encoders, globals=globals_, lm_dim=16, cnn_channels=8,
                      lstm_hidden=8, heads=2, attn_dim=8, mlp_hidden=8)
    model = SequenceLocalizer(cfg).eval()
    model.set_global_scaling(global_features(SEQS, cfg.globals))
    return model


def _lm():
    torch.manual_seed(0)
    return RNALanguageModel(LMConfig(dim=16, layers=1, heads=2, ff=32)).eval()


@pytest.fixture(autouse=True)
def _threads(one_torch_thread):
    """Every test here runs with one torch thread (see conftest)."""


def test_conv_same_matches_torch_padding_same():
    torch.manual_seed(0)
    x = torch.randn(2, 11, 5)
    for k in (3, 4, 5):
        conv = torch.nn.Conv1d(5, 3, k, padding="same")
        expected = conv(x.transpose(1, 2)).transpose(1, 2)
        torch.testing.assert_close(_conv_same(x, conv), expected, atol=1e-5, rtol=1e-5)


def test_attention_per_nucleotide_sums_to_one_with_sequence_length():
    ens = SequenceEnsemble([_model(seed=0), _model(seed=1)], _lm())
    out = ens.predict(SEQS)
    assert out.probabilities.shape == (3, 1)
    assert np.all((out.probabilities >= 0) & (out.probabilities <= 1))
    for seq, att in zip(SEQS, out.attention):
        assert att.shape == (len(seq),)
        assert att.sum() == pytest.approx(1.0, abs=1e-9)
        assert np.all(att >= 0)


def test_forward_masks_padding():
    model, lm = _model(7), _lm()
    tokens, lengths = tokenize(SEQS)
    with torch.no_grad():
        logits, att = model(tokens, lengths, lm(tokens, lengths), torch.from_numpy(global_features(SEQS, model.cfg.globals)))
        t1, l1 = tokenize(SEQS[:1])
        alone, att1 = model(t1, l1, lm(t1, l1), torch.from_numpy(global_features(SEQS[:1], model.cfg.globals)))
    assert logits.shape == (3, 7)
    assert torch.all(att[0, len(SEQS[0]):] == 0)
    torch.testing.assert_close(att.sum(1), torch.ones(3))
    torch.testing.assert_close(logits[0], alone[0], atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(att[0, : len(SEQS[0])], att1[0], atol=1e-6, rtol=1e-5)


def test_ensemble_is_batch_independent_bit_for_bit():
    ens = SequenceEnsemble([_model(seed=0)], _lm())
    together = ens.predict(SEQS + ["UGAGGUAGUAGGUUGUAUAGUA"] * 3)
    for i, seq in enumerate(SEQS):
        alone = ens.predict([seq])
        assert np.array_equal(alone.probabilities[0], together.probabilities[i])
        assert np.array_equal(alone.attention[0], together.attention[i])


def test_lm_encoder_required_when_configured():
    model = _model()
    tokens, lengths = tokenize(SEQS)
    with pytest.raises(ValueError, match="lm_hidden"):
        model(tokens, lengths, None, torch.zeros(3, global_dim(model.cfg.globals)))


def test_onehot_only_model_needs_no_lm():
    model = _model(encoders=("onehot",))
    tokens, lengths = tokenize(SEQS)
    with torch.no_grad():
        expected = torch.sigmoid(model(tokens, lengths, None, torch.from_numpy(global_features(SEQS, model.cfg.globals)))[0])
    out = SequenceEnsemble([model]).predict(SEQS).probabilities
    assert out.shape == (3, 1)
    np.testing.assert_allclose(out, expected.numpy(), atol=1e-6)


def test_config_roundtrip_and_state_tensors():
    model = _model(7)
    cfg = ModelConfig.from_dict(model.cfg.to_dict())
    assert cfg == model.cfg
    ens = SequenceEnsemble([_model(7, seed=0), _model(7, seed=1)], _lm())
    rebuilt = SequenceEnsemble.from_tensors({k: v.numpy() for k, v in ens.state_tensors().items()}, cfg, ens.lm)
    assert len(rebuilt.models) == 2
    np.testing.assert_array_equal(rebuilt.predict(SEQS).probabilities, ens.predict(SEQS).probabilities)


def test_global_features_and_length_groups():
    feats = global_features(SEQS, ("length", "kmerfreq"))
    assert feats.shape == (3, 86)
    assert feats[:, 1].tolist() == [1.0, 1.0, 0.0]
    groups = length_groups(["A" * 5, "A" * 6, "C" * 5, "G" * 5], batch_size=2)
    assert groups == [[0, 2], [3], [1]]


def test_padded_batches_sort_by_length_and_keep_lengths_close():
    seqs = ["A" * 20, "A" * 80, "A" * 22, "A" * 21, "A" * 90, "A" * 26]
    assert padded_batches(seqs, batch_size=2) == [[0, 3], [2, 5], [1, 4]]
    assert padded_batches(seqs, batch_size=10) == [[0, 3, 2], [5], [1, 4]]  # 26 > 1.25 * 20
    assert padded_batches([], batch_size=4) == []
    # the attention budget (sequences × length²) splits long sequences into smaller batches
    long = ["A" * 100] * 5 + ["A" * 20] * 5
    assert padded_batches(long, batch_size=10, attention_budget=30_000) == [[5, 6, 7, 8, 9], [0, 1, 2], [3, 4]]
    assert padded_batches(["A" * 500], batch_size=10, attention_budget=10) == [[0]]  # one always fits


@pytest.mark.parametrize("n_outputs, encoders, globals_", [
    (1, ("onehot", "kmer", "lm"), ("length", "kmerfreq")), (7, ("onehot",), ()), (3, ("kmer", "lm"), ("length",))])
def test_stacked_members_match_each_member(n_outputs, encoders, globals_):
    models = [_model(n_outputs, encoders, seed, globals_) for seed in (0, 1, 2)]
    ens = SequenceEnsemble(models, _lm() if "lm" in encoders else None)  # float64, as at inference
    seqs = SEQS + ["ACGUAGCUAGCUAGCAUCGAUCG", "GGCUAGCUUAGC"]
    tokens, lengths = tokenize(seqs)  # padded: five lengths in one batch
    with torch.no_grad():
        hidden = ens.lm(tokens, lengths) if ens.lm is not None else None
        glob = torch.from_numpy(global_features(seqs, ens.cfg.globals)).double()
        logits, att = ens.stacked(tokens, lengths, hidden, glob)
        assert logits.shape == (3, len(seqs), n_outputs) and att.shape == (3, *tokens.shape)
        for i, model in enumerate(models):
            expected_logits, expected_att = model(tokens, lengths, hidden, glob)
            torch.testing.assert_close(logits[i], expected_logits, rtol=0, atol=1e-12)
            torch.testing.assert_close(att[i], expected_att, rtol=0, atol=1e-12)
