# Copyright (c) docseg_mm contributors. All rights reserved.
"""Comparison logic of the parity tools, without the original code.

The tools themselves (``tools/analysis_tools/{docsam,selfdocseg}_parity.py``)
need the original repositories; here the comparison is checked on hand-built
tensors and on docseg_mm's own models: a model against itself gives 0, a
perturbed weight gives the difference computed independently in the test
and a failing verdict.
"""
import copy
import math
import os
import os.path as osp
import textwrap
import types

import pytest
import torch

from docseg_mm.models.converters.docsam_original import import_original
from docseg_mm.models.converters.docsam_parity import (
    build_small_docsam, make_pages, perturbed_copy, random_class_embeddings,
    run_docsam, save_embeddings_file)
from docseg_mm.models.converters.parity import (ParityReport, ParityRow,
                                                compare_query_stages,
                                                exit_code, max_difference)
from docseg_mm.models.converters.selfdocseg_original import load_original
from docseg_mm.models.converters.selfdocseg_parity import (
    build_selfdocseg, ema_update, momentum_stat_keys, momentum_train_pass,
    run_phases,
    selfdocseg_outputs)

REPO = osp.dirname(osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__)))))


# ----------------------------------------------------------------------
# hand-built tensors
# ----------------------------------------------------------------------
def test_max_difference_and_score():
    a = torch.tensor([[1., -4.], [2., 0.5]])
    b = torch.tensor([[1.5, -4.], [2., 0.25]])
    assert max_difference(a, b) == (0.5, 4.0)
    assert ParityRow('s', 'x', 0.5, 4.0).score == 0.125  # relative
    assert ParityRow('s', 'x', 0.5, 0.2).score == 0.5  # absolute below 1
    assert max_difference(a, b[:1])[0] == math.inf
    nan = a.clone()
    nan[0, 0] = float('nan')
    assert max_difference(nan, b)[0] == math.inf  # nan on one side only
    assert max_difference(nan, nan.clone()) == (0.0, 4.0)
    assert max_difference(a[:0], b[:0]) == (0.0, 0.0)


def test_report_verdict():
    report = ParityReport('t', tol=1e-3)
    assert not report.passed  # nothing compared
    report.add('stage 0', 'x', torch.tensor([100.]), torch.tensor([100.05]))
    assert report.passed  # 0.05 / 100 = 5e-4
    report.add('stage 1', 'y', torch.tensor([0.5]), torch.tensor([0.502]))
    assert report.worst.output == 'y' and not report.passed
    assert 'FAILED' in report.format()
    assert exit_code([report]) == 1
    ok = ParityReport('ok', rows=[ParityRow('s', 'x', 0., 1.)])
    assert exit_code([ok]) == 0
    ok.errors.append('kept queries differ')
    assert exit_code([ok]) == 1


def _stage(seed, pad):
    gen = torch.Generator().manual_seed(seed)
    return dict(padding_mask=torch.tensor(pad),
                sem_logits=torch.randn(2, 3, 4, 4, generator=gen),
                mask_logits=torch.randn(2, 4, 4, 4, generator=gen),
                boxes=torch.randn(2, 4, 4, generator=gen) * 100,
                cls_logits=torch.randn(2, 4, 3, generator=gen))


def test_compare_query_stages_ignores_padding():
    pad = [[False, False, True, False], [False, True, True, True]]
    orig = _stage(0, pad)
    ours = copy.deepcopy(orig)
    # padded queries and class slots beyond each image's count differ freely
    ours['mask_logits'][0, 2] += 50
    ours['boxes'][1, 1:] += 50
    ours['cls_logits'][1, :, 2] += 50  # image 1 has 2 classes
    ours['sem_logits'][1, 2] += 50
    # real differences: kept query 3 of image 0, class 1 of image 1
    ours['mask_logits'][0, 3, 1, 2] += 0.25
    ours['cls_logits'][1, 0, 1] -= 0.125
    ours['sem_logits'][0, 2, 0, 0] += 0.0625
    report = ParityReport('t')
    compare_query_stages(report, [orig], [ours], class_counts=[3, 2])
    got = {r.output: r for r in report.rows}
    assert not report.errors
    assert got['mask_logits'].abs_diff == pytest.approx(0.25)
    assert got['cls_logits'].abs_diff == pytest.approx(0.125)
    assert got['sem_logits'].abs_diff == pytest.approx(0.0625)
    assert got['boxes'].abs_diff == 0
    kept_boxes = torch.cat([orig['boxes'][0, [0, 1, 3]].flatten(),
                            orig['boxes'][1, 0]])
    assert got['boxes'].scale == pytest.approx(float(kept_boxes.abs().max()))
    # different kept query counts: an error, no numbers
    other = _stage(0, [[False] * 4, pad[1]])
    report = ParityReport('t')
    compare_query_stages(report, [orig], [other], class_counts=[3, 2])
    assert report.errors and not report.passed


# ----------------------------------------------------------------------
# docseg_mm's DocSAM against itself
# ----------------------------------------------------------------------
NAMES = (('Text', 'Table', 'A _background_'), ('Title', 'B _background_'))


@pytest.fixture(scope='module')
def small_docsam(tmp_path_factory):
    emb = random_class_embeddings(NAMES)
    file = save_embeddings_file(
        emb, str(tmp_path_factory.mktemp('emb') / 'emb.pth'))
    torch.manual_seed(0)
    return build_small_docsam(file)


def test_docsam_self_parity_and_perturbed_weight(small_docsam):
    pages = make_pages(0, sizes=((96, 128), (128, 96)))
    base = run_docsam(small_docsam, pages, NAMES)
    report = ParityReport('self')
    compare_query_stages(report, base, run_docsam(
        copy.deepcopy(small_docsam), pages, NAMES), [3, 2])
    assert report.passed and report.worst.abs_diff == 0
    assert len(report.rows) == 4 * len(base) - 1  # no stage-0 masks

    key = 'head.semantic_query_projection.bias'
    broken = run_docsam(perturbed_copy(small_docsam, key, 0.5), pages, NAMES)
    report = ParityReport('broken')
    compare_query_stages(report, base, broken, [3, 2])
    assert not report.errors  # same kept query counts (min = max here)
    # expected: brute force over kept queries / valid class slots
    for row in report.rows:
        idx = int(row.stage.split()[1])
        o, m = base[idx], broken[idx]
        worst = 0.0
        for i, count in enumerate((3, 2)):
            keep = [q for q in range(o['padding_mask'].shape[1])
                    if not bool(o['padding_mask'][i, q])]
            for q in (range(count) if row.output == 'sem_logits' else keep):
                a, b = o[row.output][i, q], m[row.output][i, q]
                if row.output == 'cls_logits':
                    a, b = a[:count], b[:count]
                worst = max(worst, float((a.double() - b.double()).abs()
                                         .max()))
        assert row.abs_diff == pytest.approx(worst, rel=1e-12, abs=1e-12)
    assert not report.passed and exit_code([report]) == 1


# ----------------------------------------------------------------------
# docseg_mm's SelfDocSeg against itself, through EMA updates
# ----------------------------------------------------------------------
def test_selfdocseg_self_parity_and_ema_formula():
    config = osp.join(REPO, 'configs', 'selfdocseg',
                      'selfdocseg_resnet18_1xb4-200i_demo-unlabeled.py')
    torch.manual_seed(0)
    ours = build_selfdocseg(config)
    ema_update(ours)  # step 0: the momentum branch becomes a copy
    other = copy.deepcopy(ours)
    delta = 0.5
    with torch.no_grad():
        other.neck.fc1.bias.add_(delta)  # online projection output bias
    mapping = momentum_stat_keys({k: k for k in ours.state_dict()})
    assert len(mapping) == 2 * 20 + 2 * 1  # ResNet-18 BNs, neck BN
    report = ParityReport('ema')
    run_phases(report, other, ours, lambda x: selfdocseg_outputs(other, x),
               lambda: ema_update(other),
               lambda views: momentum_train_pass(other, views), mapping,
               size=(64, 64))
    rows = {(r.stage[0], r.output): r.abs_diff for r in report.rows}
    m = ours.target_net.momentum
    assert m == pytest.approx(0.01)
    # the online z carries the whole shift, the momentum z its EMA share:
    # one update m * delta, two updates (1 - (1 - m)^2) * delta
    for phase in 'ABC':
        assert rows[(phase, 'online_z')] == pytest.approx(delta, rel=1e-5)
        assert rows[(phase, 'online_c5')] == 0
        assert rows[(phase, 'momentum_bn_stats')] == 0
    assert rows[('A', 'momentum_z')] == 0
    assert rows[('B', 'momentum_z')] == pytest.approx(m * delta, rel=1e-4)
    assert rows[('C', 'momentum_z')] == pytest.approx(
        (1 - (1 - m)**2) * delta, rel=1e-4)
    assert not report.passed
    # without the perturbation everything agrees exactly
    same = ParityReport('same')
    twin = copy.deepcopy(ours)
    run_phases(same, twin, ours, lambda x: selfdocseg_outputs(twin, x),
               lambda: ema_update(twin),
               lambda views: momentum_train_pass(twin, views), mapping,
               size=(64, 64))
    assert same.passed and same.worst.abs_diff == 0


# ----------------------------------------------------------------------
# reading the original's class and momentum update from its script
# ----------------------------------------------------------------------
FAKE_SCRIPT = '''
import torch
if __name__ == "__main__":
    wt_momentum = 0.5

    class SelfDocSeg(BenchmarkModule):
        def __init__(self, dataloader_kNN, num_classes):
            super().__init__(dataloader_kNN, num_classes)
            self.online = torch.nn.Linear(2, 2)
            self.online_momentum = torch.nn.Linear(2, 2)

        def training_step(self, batch, batch_idx):
            utils.update_momentum(self.online, self.online_momentum,
                                  m=wt_momentum)
            raise RuntimeError("only the update is read")
'''


def _fake_lightly():
    def update_momentum(model, model_ema, m):  # lightly's formula
        for ema, p in zip(model_ema.parameters(), model.parameters()):
            ema.data = ema.data * m + p.data * (1.0 - m)

    class Bench(torch.nn.Module):
        def __init__(self, dataloader_kNN, num_classes):
            super().__init__()
            self.dummy_param = torch.nn.Parameter(torch.empty(0))

    return dict(utils=types.SimpleNamespace(update_momentum=update_momentum),
                heads=None, BenchmarkModule=Bench,
                NegativeCosineSimilarity=None)


def test_load_original_reads_class_and_update(tmp_path):
    os.makedirs(tmp_path / 'pretraining')
    (tmp_path / 'pretraining' / 'train_ssl.py').write_text(
        textwrap.dedent(FAKE_SCRIPT))
    cls, update = load_original(str(tmp_path), _fake_lightly(),
                                wt_momentum=0.75)
    model = cls(None, 0)
    online = model.online.weight.detach().clone()
    before = model.online_momentum.weight.detach().clone()
    update(model)
    # the script's own wt_momentum is set inside the main block, which is
    # not executed: the value passed in is used
    assert torch.allclose(model.online_momentum.weight,
                          before * 0.75 + online * 0.25)
    (tmp_path / 'pretraining' / 'train_ssl.py').write_text(
        FAKE_SCRIPT.replace('utils.update_momentum', 'print'))
    with pytest.raises(ValueError, match='momentum update'):
        load_original(str(tmp_path), _fake_lightly())
    with pytest.raises(FileNotFoundError, match='not a SelfDocSeg checkout'):
        load_original(str(tmp_path / 'nowhere'), _fake_lightly())


def test_import_original_without_checkout(tmp_path):
    with pytest.raises(FileNotFoundError, match='not a DocSAM checkout'):
        import_original(str(tmp_path))
