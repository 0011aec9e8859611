# Copyright (c) docseg_mm contributors. All rights reserved.
"""The mixed demo dataset config builds and yields packed batches."""
import copy
import os.path as osp

import pytest
from mmengine.config import Config
from mmengine.runner import Runner

import docseg_mm.datasets.docsam_coco  # noqa: F401
import docseg_mm.datasets.heterogeneous  # noqa: F401
import docseg_mm.datasets.samplers.dataset_mix_sampler  # noqa: F401
import docseg_mm.datasets.transforms.docsam_transforms  # noqa: F401
from docseg_mm.demo_data import DOCLAYNET_CLASSES, generate_demo_dataset

CONFIG = osp.join(
    osp.dirname(__file__), '..', '..', 'configs', '_base_', 'datasets',
    'docsam_demo_mixed.py')
CLASS_NAMES = {
    'DemoDocLayNet':
    tuple(DOCLAYNET_CLASSES) + ('DemoDocLayNet _background_', ),
    'DemoCoarse': ('figure', 'table', 'text', 'DemoCoarse _background_'),
}


@pytest.fixture(scope='module')
def demo_root(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('docsam_demo') / 'demo')
    generate_demo_dataset(
        root, num_train=4, num_val=2, num_unlabeled=0, num_per_page_type=0)
    return root + '/'


def _loader_cfg(cfg, key, root):
    loader = copy.deepcopy(cfg[key])
    for sub in loader['dataset']['datasets']:
        sub['data_root'] = root
    return loader


def _check_sample(sample, max_hw=None):
    names = CLASS_NAMES[sample.dataset_name]
    assert sample.class_names == names and sample.task == 'layout'
    labels = sample.gt_instances.labels
    assert len(labels) == len(sample.gt_instances.masks)
    assert all(0 <= int(v) < len(names) - 1 for v in labels)
    h, w = sample.img_shape
    if max_hw is not None:
        assert h <= max_hw[0] and w <= max_hw[1]


def test_train_dataloader(demo_root):
    cfg = Config.fromfile(CONFIG)
    loader = Runner.build_dataloader(
        _loader_cfg(cfg, 'train_dataloader', demo_root), seed=0)
    dataset = loader.dataset
    assert dataset.dataset_names == ('DemoDocLayNet', 'DemoCoarse')
    assert dataset.num_classes_per_dataset == (11, 3)
    # sqrt(11) : sqrt(3)
    p = 11**0.5 / (11**0.5 + 3**0.5)
    assert loader.sampler.probabilities.tolist() == pytest.approx([p, 1 - p])
    seen = set()
    for _, batch in zip(range(6), loader):
        assert len(batch['inputs']) == 2
        for img, sample in zip(batch['inputs'], batch['data_samples']):
            _check_sample(sample, max_hw=(256, 256))
            assert tuple(img.shape[1:]) == tuple(sample.img_shape)
            seen.add(sample.dataset_name)
    assert seen == set(CLASS_NAMES)


def test_val_dataloader(demo_root):
    cfg = Config.fromfile(CONFIG)
    loader = Runner.build_dataloader(
        _loader_cfg(cfg, 'val_dataloader', demo_root), seed=0)
    samples = [s for batch in loader for s in batch['data_samples']]
    assert [s.dataset_name
            for s in samples] == ['DemoDocLayNet'] * 2 + ['DemoCoarse'] * 2
    for sample in samples:
        _check_sample(sample)
        assert min(sample.img_shape) == 320  # 448 x 576 page, short 320
        assert sample.instances and 'bbox_label' in sample.instances[0]
    # the same page relabelled: Picture -> figure, Table -> table, else text
    coarse = {
        n: t
        for n, t in zip(CLASS_NAMES['DemoDocLayNet'][:-1], [
            'text', 'text', 'text', 'text', 'text', 'text', 'figure', 'text',
            'table', 'text', 'text'
        ])
    }
    fine, relabelled = samples[0], samples[2]
    assert fine.img_path == relabelled.img_path
    expected = [
        coarse[fine.class_names[int(v)]] for v in fine.gt_instances.labels
    ]
    got = [
        relabelled.class_names[int(v)] for v in relabelled.gt_instances.labels
    ]
    assert got == expected
