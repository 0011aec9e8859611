# Copyright (c) docseg_mm contributors. All rights reserved.
"""Tests of :class:`MultiViewWithKeys` with hand-written view pipelines."""
import numpy as np
import pytest
import torch

from docseg_mm.datasets.transforms import MultiViewWithKeys
from docseg_mm.registry import TRANSFORMS


def _view(offset):
    """A view pipeline step: shifts the image by ``offset`` and writes a
    layout mask / object masks that encode the offset and the call count."""
    calls = []

    def step(results):
        calls.append(1)
        # mutate in place: the other views must not see it
        results['img'] += offset
        results['layout_mask'] = np.full((2, 3), offset, np.float32)
        obj = np.zeros((2, 2, 3), np.uint8)
        obj[0, 0, 0] = offset
        obj[1, 1, 2] = len(calls)
        results['object_masks'] = obj
        return results

    return step


def _results():
    return dict(img=np.arange(6, dtype=np.float32).reshape(2, 3),
                img_path='page.png')


def test_views_stacked_in_pipeline_order():
    t = MultiViewWithKeys(
        transforms=[[_view(1)], [_view(5)]], num_views=[2, 1])
    results = _results()
    out = t(results)
    base = np.arange(6, dtype=np.float32).reshape(2, 3)
    # views: pipeline 0 twice, then pipeline 1; each on a fresh copy
    assert [v.tolist() for v in out['img']] == [
        (base + 1).tolist(), (base + 1).tolist(), (base + 5).tolist()]
    assert out['img_path'] == 'page.png'
    lm = out['layout_mask']
    assert isinstance(lm, torch.Tensor) and lm.dtype == torch.float32
    assert lm.shape == (3, 2, 3)
    assert lm[:, 0, 0].tolist() == [1.0, 1.0, 5.0]
    om = out['object_masks']
    assert om.dtype == torch.uint8 and om.shape == (3, 2, 2, 3)
    assert om[:, 0, 0, 0].tolist() == [1, 1, 5]
    # pipeline 0 ran twice (second call counts 2), pipeline 1 once
    assert om[:, 1, 1, 2].tolist() == [1, 2, 1]
    assert out is results  # like MultiView, the input dict is updated


def test_unstacked_lists_and_custom_keys():
    t = MultiViewWithKeys(
        transforms=[[_view(2)]], num_views=2, keys=('layout_mask', ),
        stack=False)
    out = t(_results())
    assert isinstance(out['layout_mask'], list) and len(out['layout_mask']) == 2
    assert all(isinstance(v, np.ndarray) and v[0, 0] == 2
               for v in out['layout_mask'])
    # keys not asked for are not collected per view
    assert 'object_masks' not in out


def test_view_disagreement_and_failures():
    def other_shape(results):
        results['layout_mask'] = np.zeros((4, 4), np.float32)
        results['object_masks'] = np.zeros((2, 2, 3), np.uint8)
        return results

    t = MultiViewWithKeys(
        transforms=[[_view(1)], [other_shape]], num_views=[1, 1])
    with pytest.raises(ValueError, match="'layout_mask'.*stack=False"):
        t(_results())

    t = MultiViewWithKeys(transforms=[[_view(1)], [lambda r: None]],
                          num_views=[1, 1])
    assert t(_results()) is None

    t = MultiViewWithKeys(transforms=[[lambda r: r]], num_views=1)
    with pytest.raises(KeyError, match='layout_mask'):
        t(_results())


def test_registered_and_repr():
    t = TRANSFORMS.build(
        dict(type='MultiViewWithKeys', num_views=2,
             transforms=[[dict(type='LayoutMaskToGrid')]], stack=False))
    assert isinstance(t, MultiViewWithKeys)
    assert "keys=('layout_mask', 'object_masks'), stack=False" in repr(t)
