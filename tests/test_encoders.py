"""Encoders: one-hot, k-mers, and the own RNA language model (shapes, padding, masked-LM learning, storage)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from mirloc_core.models import lm as encoders
from mirloc_core.io.artifacts import ArtifactError, write_manifest
from mirloc_core.pretrained import load_lm
from mirloc_core.training.lm import save_lm
from mirloc_core.models.lm import (
    LMConfig,
    RNALanguageModel,
    kmer_frequencies,
    kmer_tokens,
    one_hot_tokens,
    tokenize,
)


@pytest.fixture(autouse=True)
def _threads(one_torch_thread):
    """Every test here runs with one torch thread (see conftest)."""


def test_tokenize_pads_and_maps_t_to_u():
    tokens, lengths = tokenize(["ACGU", "acgtA"])
    assert tokens.tolist() == [[1, 2, 3, 4, 0], [1, 2, 3, 4, 1]]
    assert lengths.tolist() == [4, 5]
    tokens, _ = tokenize(["ACNU"])
    assert tokens.tolist() == [[1, 2, encoders.MASK, 4]]


def test_one_hot_tokens_zero_on_padding():
    tokens, _ = tokenize(["ACGU", "GG"])
    hot = one_hot_tokens(tokens)
    assert hot.shape == (2, 4, 4)
    assert torch.equal(hot[0], torch.eye(4))
    assert hot[1, 2:].sum() == 0


def test_kmer_tokens_and_embedding_shapes():
    tokens, _ = tokenize(["ACGUA", "AC"])
    ids = kmer_tokens(tokens)
    # ACG = 0*16+1*4+2 = 6 → id 7; CGU = 1*16+2*4+3 = 27 → 28; GUA = 2*16+3*4+0 = 44 → 45
    assert ids[0].tolist() == [7, 28, 45, 0, 0]
    assert ids[1].tolist() == [0, 0, 0, 0, 0]
    emb = encoders.KmerEmbedding(dim=8)(tokens)
    assert emb.shape == (2, 5, 8)
    assert torch.all(emb[1] == 0)


def test_kmer_frequencies():
    freq = kmer_frequencies(["ACGUACGU", "AAAAAAAAAAAAAAA"])
    assert freq.shape == (2, 4 + 16 + 64)
    np.testing.assert_allclose(freq[:, :4].sum(1), 1.0, rtol=1e-6)
    np.testing.assert_allclose(freq[:, 4:20].sum(1), 1.0, rtol=1e-6)
    np.testing.assert_allclose(freq[:, 20:].sum(1), 1.0, rtol=1e-6)
    assert freq[1, 0] == 1.0 and freq[1, 4] == 1.0 and freq[1, 20] == 1.0


def test_kmer_frequencies_read_t_as_u_and_skip_other_characters():
    freq = kmer_frequencies(["acgTN", "", "A"])
    np.testing.assert_array_equal(freq[0, :4], [0.25] * 4)
    ac, cg, gu = 4 + 1, 4 + 6, 4 + 11  # 2-mers: UN is not counted
    assert freq[0, [ac, cg, gu]].tolist() == pytest.approx([1 / 3] * 3) and freq[0, 4:20].sum() == pytest.approx(1)
    acg, cgu = 20 + 6, 20 + 27
    assert freq[0, [acg, cgu]].tolist() == [0.5, 0.5] and freq[0, 20:].sum() == 1.0
    assert not freq[1].any() and freq[2, 0] == 1.0 and not freq[2, 4:].any()


def test_lm_hidden_shape_and_padding_invariance():
    torch.manual_seed(0)
    lm = RNALanguageModel(LMConfig(dim=32, layers=2, heads=4, ff=64)).eval()
    seqs = ["UGAGGUAGUAGGUUGUAUAGUU", "ACGUACGUACGUACGUACGUACGUACGUACGU"]
    tokens, lengths = tokenize(seqs)
    with torch.no_grad():
        hidden = lm(tokens, lengths)
        alone = lm(*tokenize(seqs[:1]))
    assert hidden.shape == (2, 32, 32)
    assert torch.all(hidden[0, 22:] == 0)
    torch.testing.assert_close(hidden[0, :22], alone[0], atol=1e-5, rtol=1e-5)


def test_lm_masked_loss_falls_on_real_mirbase(shared_data):
    from mirloc_core.io import data
    from mirloc_core.training.lm import evaluate_lm, pretrain_lm

    hairpins = list(data.load_mirbase("hairpin", species="hsa").values())
    matures = list(data.load_mirbase("mature", species="hsa").values())
    train = hairpins[:80] + matures[:120]
    val = hairpins[-40:] + matures[-40:]
    cfg = LMConfig(dim=32, layers=1, heads=2, ff=64, max_train_len=64)
    model, history = pretrain_lm(train, val, cfg=cfg, epochs=3, tokens_per_batch=2048, lr=3e-3, seed=0,
                                 log=lambda *_: None)
    assert history["steps"] > 10
    assert history["final_val"]["loss"] < history["initial_val"]["loss"] - 0.15
    again = evaluate_lm(model, val)
    assert again["loss"] == pytest.approx(history["final_val"]["loss"])


def test_save_and_load_lm_roundtrip(tmp_path):
    torch.manual_seed(1)
    lm = RNALanguageModel(LMConfig(dim=16, layers=1, heads=2, ff=32)).eval()
    save_lm(lm, tmp_path)
    write_manifest(tmp_path, "test-lm", command="test")
    loaded = load_lm(tmp_path)
    assert loaded.cfg == lm.cfg
    tokens, lengths = tokenize(["ACGUACGUACGUACGUAC"])
    with torch.no_grad():
        assert torch.equal(loaded(tokens, lengths), lm(tokens, lengths))
    data = bytearray((tmp_path / encoders.LM_FILE).read_bytes())
    data[-1] ^= 0xFF
    (tmp_path / encoders.LM_FILE).write_bytes(bytes(data))
    with pytest.raises(ArtifactError, match="does not match its sha256"):
        load_lm(tmp_path)


def test_released_lm_loads():
    lm = load_lm()
    assert isinstance(lm, RNALanguageModel)
    assert sum(p.numel() for p in lm.parameters()) < 1_000_000
