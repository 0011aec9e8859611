# Copyright (c) docseg_mm contributors. All rights reserved.
"""knn_predict by hand and KNNMonitorHook with known features."""
import ast
import math
import os
import os.path as osp
import tempfile

import numpy as np
import pytest
import torch
from mmengine.dataset import DefaultSampler, pseudo_collate
from mmengine.logging import MessageHub, MMLogger
from mmengine.model import BaseModel
from mmengine.registry import init_default_scope
from mmengine.runner import Runner
from mmpretrain.structures import DataSample
from PIL import Image
from torch import nn
from torch.utils.data import DataLoader, Dataset

from docseg_mm.engine.hooks import KNNMonitorHook, knn_predict
from docseg_mm.engine.hooks.knn_monitor_hook import _merge_ranks
from docseg_mm.registry import HOOKS
from ..multiprocess import run_workers

C30, S30 = math.cos(math.pi / 6), math.sin(math.pi / 6)
# bank: one class-0 vector on the x axis, three class-1 vectors on y
BANK = [((1., 0.), 0), ((0., 1.), 1), ((0., 1.), 1), ((0., 1.), 1)]
# queries at 0, 90, 30 and 60 degrees. k=4, t=0.1: the 60-degree one (label
# 0) gets e^5 for class 0 < 3 e^8.66 for class 1 -> 3 of 4 right. t=1: the
# 0-degree one gets e^1 < 3 e^0 and the 30-degree one e^0.866 < 3 e^0.5, so
# only the 90-degree query stays right -> 1 of 4.
QUERY = [((1., 0.), 0), ((0., 1.), 1), ((C30, S30), 0), ((S30, C30), 0)]


@pytest.fixture(autouse=True)
def docseg_scope() -> None:
    """Make ``docseg_mm`` the default registry scope."""
    init_default_scope('docseg_mm')


def test_knn_predict_hand_computed():
    bank = torch.tensor([[1., 0.], [0., 1.], [0., 1.]])
    labels = torch.tensor([0, 1, 1])
    query = torch.tensor([[C30, S30]])  # cos 30 to class 0, cos 60 to 1
    scores = knn_predict(query, bank, labels, num_classes=3, k=200, t=0.1)
    expected = [math.exp(C30 / 0.1), 2 * math.exp(0.5 / 0.1), 0.]
    assert torch.allclose(scores, torch.tensor([expected]), rtol=1e-5)
    assert int(scores.argmax(1)) == 0
    # k=1 keeps only the nearest neighbour, k=2 one of the two ties
    scores = knn_predict(query, bank, labels, 3, k=1, t=0.1)
    assert torch.allclose(scores, torch.tensor([[math.exp(C30 / .1), 0, 0]]))
    scores = knn_predict(query, bank, labels, 3, k=2, t=0.1)
    assert torch.allclose(
        scores, torch.tensor([[math.exp(C30 / .1),
                               math.exp(5.), 0]]))
    # a hot temperature lets the two class-1 votes win
    scores = knn_predict(query, bank, labels, 3, k=3, t=1.0)
    assert torch.allclose(scores,
                          torch.tensor([[math.exp(C30), 2 * math.exp(.5), 0]]))
    assert int(scores.argmax(1)) == 1
    # unnormalised inputs are treated by their direction (cosine)
    scaled = knn_predict(3 * query, 5 * bank, labels, 3, k=3, t=1.0)
    assert torch.allclose(scaled, scores)


def test_knn_predict_chunks_and_validation():
    gen = torch.Generator().manual_seed(0)
    bank = torch.randn(50, 8, generator=gen)
    labels = torch.randint(0, 4, (50, ), generator=gen)
    query = torch.randn(13, 8, generator=gen)
    full = knn_predict(query, bank, labels, 4, k=7, t=0.1)
    assert full.shape == (13, 4)
    assert torch.allclose(
        full, knn_predict(query, bank, labels, 4, 7, 0.1, chunk_size=5))
    assert torch.allclose(full.sum(1) > 0, torch.ones(13, dtype=torch.bool))
    with pytest.raises(ValueError, match=r'\[0, 3\)'):
        knn_predict(query, bank, labels, 3)
    with pytest.raises(ValueError, match='equal D'):
        knn_predict(query[:, :4], bank, labels, 4)


class VectorSet(Dataset):
    """Samples whose input is a 2-D vector stored as a (2, 1, 1) map."""

    def __init__(self, items, with_idx=True):
        self.items = items
        self.with_idx = with_idx
        self.metainfo = dict(classes=('zero', 'one'))

    def __len__(self):
        return len(self.items)

    def __getitem__(self, i):
        vec, label = self.items[i]
        sample = DataSample().set_gt_label(label)
        if self.with_idx:
            sample.set_metainfo(dict(sample_idx=i))
        return dict(
            inputs=torch.tensor(vec).view(2, 1, 1), data_samples=sample)


class VectorModel(BaseModel):
    """Features are the inputs themselves; training never changes them."""

    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.zeros(1))
        self.calls = []

    def extract_feat(self, inputs):
        self.calls.append((self.training, torch.is_grad_enabled()))
        return (inputs * 0, inputs)  # like backbone stages: last is used

    def forward(self, inputs, data_samples=None, mode='tensor'):
        if mode == 'loss':
            return dict(loss=((self.w - 1)**2).sum())
        return self.extract_feat(torch.stack(inputs))


def _loader(items, batch_size=3, **kwargs):
    return dict(
        dataset=VectorSet(items, **kwargs),
        batch_size=batch_size,
        sampler=dict(type='DefaultSampler', shuffle=False),
        num_workers=0)


def _runner(tmp_path, hook, max_epochs=2, by_epoch=True):
    train_cfg = (
        dict(by_epoch=True, max_epochs=max_epochs) if by_epoch else dict(
            type='IterBasedTrainLoop', max_iters=max_epochs))
    return Runner(
        model=VectorModel(),
        work_dir=str(tmp_path),
        experiment_name=f'knn_{osp.basename(str(tmp_path))}',
        train_dataloader=dict(
            # >= 5 batches: mmengine's iter loop sleeps 2 s per data pass
            dataset=VectorSet(BANK * 3),
            batch_size=2,
            num_workers=0,
            sampler=dict(type='DefaultSampler', shuffle=True)),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.1)),
        train_cfg=train_cfg,
        custom_hooks=[hook],
        default_hooks=dict(checkpoint=None),
        default_scope='docseg_mm',
        log_level='WARNING')


def test_hook_in_runner_separable_and_confusing(tmp_path):
    separable = [((1., .1), 0), ((.1, 1.), 1), ((.9, .2), 0), ((0., 1.), 1)]
    hook = dict(
        type='KNNMonitorHook',
        bank_dataloader=_loader(BANK),
        query_dataloader=_loader(separable))
    runner = _runner(tmp_path / 'a', hook)
    runner.train()
    knn = [h for h in runner.hooks if isinstance(h, KNNMonitorHook)][0]
    scalars = runner.message_hub.log_scalars
    assert len(scalars['knn/top1'].data[0]) == 2  # once per epoch
    assert scalars['knn/top1'].current() == 100.0
    assert knn.best == 100.0
    # evaluated in eval mode without grad, train mode restored
    model = runner.model
    assert model.calls and all(c == (False, False) for c in model.calls)
    assert model.training and float(model.w.detach()) != 0.0

    # the constructed confusing case: exactly 3 of 4 right
    knn.query_cfg = _loader(QUERY)
    knn.loaders = None
    assert knn.evaluate(runner) == 75.0
    assert runner.message_hub.get_scalar('knn/top1').current() == 75.0
    assert runner.message_hub.get_scalar('knn/top1_best').current() == 100.0
    knn.temperature = 1.0
    assert knn.evaluate(runner) == 25.0


def test_hook_by_iteration_interval(tmp_path):
    hook = KNNMonitorHook(
        _loader(BANK),
        _loader(QUERY),
        interval=2,
        by_epoch=False,
        k=4,
        eval_before_train=True)
    runner = _runner(tmp_path, hook, max_epochs=5, by_epoch=False)
    runner.train()
    # before training, after iterations 2 and 4 and the last one (5)
    assert len(runner.message_hub.get_scalar('knn/top1').data[0]) == 4
    assert hook.best == 75.0


class FakeRunner:
    """The runner attributes the hook uses."""

    def __init__(self, model):
        self.model = model
        self.message_hub = MessageHub.get_instance('knn_fake_runner')
        self.logger = MMLogger.get_instance('knn_fake_runner')
        self.epoch, self.iter = 0, 0


def test_hook_unwraps_model_and_custom_feat_fn():
    model = VectorModel()
    model.train()
    runner = FakeRunner(nn.DataParallel(model))
    hook = KNNMonitorHook(_loader(BANK, batch_size=4), _loader(QUERY), k=4)
    assert hook.evaluate(runner) == 75.0
    assert model.training and model.calls == [(False, False)] * 3

    def constant(m, inputs):  # all similarities 1: class 1 wins 3 to 1
        return torch.ones(inputs.size(0), 2)

    hook = KNNMonitorHook(_loader(BANK), _loader(QUERY), k=4, feat_fn=constant)
    assert hook.evaluate(runner) == 25.0
    model.neck = nn.Flatten()  # a dotted/attribute feat_fn: (B, 2) vectors
    hook = KNNMonitorHook(_loader(BANK), _loader(QUERY), k=4, feat_fn='neck')
    assert hook.evaluate(runner) == 75.0
    with pytest.raises(KeyError, match='gt_labels'):
        KNNMonitorHook(
            _loader(BANK), _loader(QUERY),
            label_key='gt_labels').evaluate(runner)
    assert isinstance(
        HOOKS.build(
            dict(
                type='KNNMonitorHook', bank_dataloader={},
                query_dataloader={})), KNNMonitorHook)


def test_merge_ranks_drops_sampler_padding():
    # 5 samples on 2 ranks, DefaultSampler(round_up=True): rank 0 has
    # 0, 2, 4 and rank 1 has 1, 3, 0 (padding)
    parts = [
        torch.tensor([[0.], [2.], [4.]]),
        torch.tensor([[1.], [3.], [0.]])
    ]
    with_idx = [torch.tensor([0, 2, 4]), torch.tensor([1, 3, 0])]
    no_idx = [torch.full((3, ), -1), torch.full((3, ), -1)]
    for indices in (with_idx, no_idx):
        rows, _ = _merge_ranks(parts, [3, 3], indices, 5)
        assert rows.flatten().tolist() == [0., 1., 2., 3., 4.]
    # round_up=False: uneven shards, padded to the longest for all_gather
    parts = [
        torch.tensor([[0.], [2.], [4.]]),
        torch.tensor([[1.], [3.], [9.]])
    ]
    rows, _ = _merge_ranks(parts, [3, 2], no_idx, 5)
    assert rows.flatten().tolist() == [0., 1., 2., 3., 4.]


def _dist_loader(items, batch_size, with_idx):
    """A DataLoader built directly (no registry imports in the workers)."""
    dataset = VectorSet(items, with_idx=with_idx)
    return DataLoader(
        dataset,
        batch_size=batch_size,
        sampler=DefaultSampler(dataset, shuffle=False),
        collate_fn=pseudo_collate)


def _dist_worker(rank, world, init_file, out_dir):
    import torch.distributed as torch_dist
    torch_dist.init_process_group(
        'gloo', init_method=f'file://{init_file}', rank=rank, world_size=world)
    runner = FakeRunner(VectorModel())
    results = []
    for with_idx in (True, False):
        # 5 bank samples over 2 ranks: the sampler pads with a duplicate
        hook = KNNMonitorHook(
            _dist_loader(BANK + [((1., 0.), 0)], 2, with_idx),
            _dist_loader(QUERY, 1, with_idx),
            k=5)
        results.append(hook.evaluate(runner))
        results.append(hook.extract(runner.model, hook.loaders[0])[1].tolist())
    with open(osp.join(out_dir, f'{rank}.txt'), 'w') as f:
        f.write(repr(results))
    torch_dist.destroy_process_group()


def test_hook_distributed_matches_single_process(tmp_path):
    bank = BANK + [((1., 0.), 0)]
    hook = KNNMonitorHook(_loader(bank), _loader(QUERY), k=5)
    single = hook.evaluate(FakeRunner(VectorModel()))
    # k=5 sees both class-0 vectors: the 60-degree query gets
    # 2 e^5 = 297 < 3 e^8.66, still wrong -> 75 %
    assert single == 75.0
    init_file = osp.join(tempfile.mkdtemp(dir=str(tmp_path)), 'init')
    run_workers(_dist_worker, (2, init_file, str(tmp_path)))
    labels = [b[1] for b in bank]
    for rank in range(2):
        with open(osp.join(str(tmp_path), f'{rank}.txt')) as f:
            results = ast.literal_eval(f.read())
        assert results == [single, labels, single, labels]
    assert not os.path.exists(osp.join(str(tmp_path), '2.txt'))


class PageMeanModel(BaseModel):
    """Features: the normalised page itself (GAP gives its mean colour)."""

    def __init__(self):
        super().__init__(
            data_preprocessor=dict(
                type='mmpretrain.SelfSupDataPreprocessor',
                mean=[127.5] * 3,
                std=[127.5] * 3,
                to_rgb=True))

    def extract_feat(self, inputs):
        return inputs

    def forward(self, inputs, data_samples=None, mode='tensor'):
        return self.extract_feat(inputs)


def _page(path, value):
    os.makedirs(osp.dirname(path), exist_ok=True)
    Image.fromarray(np.full((6, 8, 3), value, np.uint8)).save(path)


def test_hook_on_rvl_cdip_pages(tmp_path):
    """RVL-CDIP label files -> LoadTiffPage -> Resize -> PackInputs."""
    root = str(tmp_path / 'rvl')
    colours = {0: (250, 250, 250), 15: (5, 5, 5), 11: (250, 0, 0)}
    for split, n in (('train', 2), ('test', 1)):
        lines = []
        for label, colour in colours.items():
            for i in range(n):
                rel = f'images{split}/{label}_{i}.tif'
                _page(osp.join(root, 'images', rel), colour)
                lines.append(f'{rel} {label}')
        os.makedirs(osp.join(root, 'labels'), exist_ok=True)
        with open(osp.join(root, 'labels', f'{split}.txt'), 'w') as f:
            f.write('\n'.join(lines))
    pipeline = [
        dict(type='LoadTiffPage'),
        dict(type='Resize', scale=(10, 12), keep_ratio=False),
        dict(type='mmpretrain.PackInputs')
    ]

    def loader(split, **kwargs):
        return dict(
            batch_size=2,
            num_workers=0,
            sampler=dict(type='DefaultSampler', shuffle=False),
            dataset=dict(
                type='RVLCDIPDataset',
                data_root=root,
                split=split,
                pipeline=pipeline),
            **kwargs)

    # the bank default-collated, the queries pseudo-collated (a list)
    hook = KNNMonitorHook(
        loader('train', collate_fn=dict(type='default_collate')),
        loader('test'))
    runner = FakeRunner(PageMeanModel())
    assert hook.evaluate(runner) == 100.0
    feats, labels = hook.extract(runner.model, hook.loaders[1])
    assert labels.tolist() == [0, 15, 11]
    # white page: all channels +0.96 -> (1, 1, 1) / sqrt(3); red is RGB
    assert torch.allclose(feats[0], torch.full((3, ), 3**-0.5), atol=1e-4)
    assert feats[2, 0] > 0 > feats[2, 1]
