# Copyright (c) docseg_mm contributors. All rights reserved.
import math

import pytest
import torch
import torch.nn.functional as F
from mmengine.registry import init_default_scope
from mmengine.structures import LabelData

from docseg_mm.models.task_modules import PRINTABLE94
from docseg_mm.registry import MODELS
from docseg_mm.structures import TextRecogDataSample

DICT = dict(type='Dictionary', characters=PRINTABLE94, with_start=True,
            with_end=True, with_padding=True, with_unknown=True)


def build_head(max_seq_len=12, seed=0):
    init_default_scope('docseg_mm')
    torch.manual_seed(seed)
    head = MODELS.build(dict(
        type='TransformerTextHead', dictionary=DICT, n_layers=2,
        d_embedding=32, n_head=4, d_k=8, d_v=8, d_model=32, d_inner=48,
        max_seq_len=max_seq_len))
    with torch.no_grad():  # a peaked classifier: decodes go past step 1
        head.classifier.weight.mul_(8)
    return head.eval()


def test_class_layout_of_the_dictionary():
    head = build_head()
    d = head.dictionary
    # chars 0..93, <BOS> 94 (embedding only), <EOS> 95, <PAD> 96, <UKN> 97
    assert (d.start_idx, d.end_idx, d.padding_idx, d.unknown_idx) == (94, 95,
                                                                      96, 97)
    assert head.trg_word_emb.num_embeddings == 98
    assert head.classifier.out_features == 97
    assert head.end_class == 94
    assert head.class_to_token.tolist() == list(range(94)) + [95, 96, 97]


def test_cached_greedy_equals_uncached():
    head = build_head()
    memory = torch.randn(4, 20, 32)
    c1, p1 = head.decode_greedy(memory, use_cache=True)
    c2, p2 = head.decode_greedy(memory, use_cache=False)
    assert torch.equal(c1, c2)
    torch.testing.assert_close(p1, p2, atol=1e-5, rtol=1e-4)
    assert len(set(c1.flatten().tolist())) > 3  # not a constant decode


def greedy_reference(head, memory):
    """Greedy decoding the way DiG does it: the full decoder over the whole
    prefix every step, argmax of the last position's softmax."""
    b = memory.shape[0]
    tokens = torch.full((b, 1), head.dictionary.start_idx)
    classes = []
    for _ in range(head.max_seq_len):
        logits = head(memory, tokens)[:, -1]
        cls = logits.softmax(-1).argmax(-1)
        classes.append(cls)
        tokens = torch.cat([tokens, head.class_to_token[cls][:, None]], 1)
    return torch.stack(classes, 1)


def cut(seq, end):
    return seq[:seq.index(end) + 1] if end in seq else seq


def test_beam_width_one_equals_greedy():
    head = build_head(seed=3)
    memory = torch.randn(5, 20, 32)
    greedy = greedy_reference(head, memory).tolist()
    beams = head.decode_beam(memory, beam_width=1)
    for g, b in zip(greedy, beams):
        assert b == cut(g, head.end_class)


def sequence_logp(head, memory, classes):
    tokens = [head.dictionary.start_idx] + [
        int(head.class_to_token[c]) for c in classes[:-1]]
    with torch.no_grad():
        logits = head(memory[None], torch.tensor([tokens]))[0]
    lp = logits.log_softmax(-1)
    return sum(float(lp[i, c]) for i, c in enumerate(classes))


def test_beam_search_finds_at_least_the_greedy_score():
    head = build_head(seed=5)
    memory = torch.randn(3, 20, 32)
    greedy = greedy_reference(head, memory).tolist()
    beams = head.decode_beam(memory, beam_width=4)
    for i, (g, b) in enumerate(zip(greedy, beams)):
        g = cut(g, head.end_class)
        assert sequence_logp(head, memory[i], b) >= \
            sequence_logp(head, memory[i], g) - 1e-5


def samples(*words):
    return [TextRecogDataSample(gt_text=LabelData(item=w)) for w in words]


def test_targets_and_sequence_loss_by_hand():
    head = build_head(max_seq_len=6)
    tokens, targets, lengths = head.get_targets(samples('aB', 'x\u00e9'))
    a, b_, x = 10, 37, 33  # indices in PRINTABLE94
    assert tokens.tolist() == [[94, a, b_, 95, 96, 96], [94, x, 97, 95, 96,
                                                         96]]
    # classes: EOS -> 94, PAD -> 95, UKN -> 96
    assert targets.tolist() == [[a, b_, 94, 95, 95, 95], [x, 96, 94, 95, 95,
                                                          95]]
    assert lengths.tolist() == [3, 3]
    memory = torch.randn(2, 20, 32)
    loss = head.loss(memory, samples('aB', 'x\u00e9'))['loss_ce']
    logits = head(memory, tokens)  # causal mask alone: same valid rows
    expect = 0.
    for i in range(2):
        for t in range(3):
            expect -= F.log_softmax(logits[i, t], -1)[targets[i, t]].item()
    assert loss.item() == pytest.approx(expect / 2, rel=1e-5)


def test_predict_cuts_at_end_and_scores():
    head = build_head(max_seq_len=6)
    d = head.dictionary
    classes = [[10, 96, 11, 94, 12, 12], [95, 13, 13, 13, 13, 13]]
    probs = torch.full((2, 6, 97), 0.5)
    out = head.predict_by_feat(classes, probs, samples('', ''))
    assert out[0].pred_text.item == 'ab'  # unknown dropped, cut at EOS
    assert out[0].pred_text.score == [0.5, 0.5]
    assert out[1].pred_text.item == 'ddddd'  # padding dropped, no EOS
    assert d.idx2str([10, 11]) == 'ab'
    assert math.isclose(sum(out[1].pred_text.score), 2.5)
