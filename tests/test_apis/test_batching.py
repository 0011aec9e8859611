# Copyright (c) docseg_mm contributors. All rights reserved.
import threading

import pytest
import torch

from docseg_mm.apis.batching import (ShapeBatcher, input_key, pad_divisor,
                                     prefetch)


def item(h, w):
    return dict(inputs=torch.zeros(3, h, w))


def test_input_key_pads_like_the_preprocessor():
    assert input_key(item(380, 270), 32) == (3, 384, 288)
    assert input_key(item(384, 288), 32) == (3, 384, 288)
    assert input_key(item(385, 288), 32) == (3, 416, 288)
    assert input_key(item(5, 7), 1) == (3, 5, 7)


def test_pad_divisor_of_mmdet_and_mmseg_preprocessors():
    from mmdet.models.data_preprocessors import DetDataPreprocessor
    from mmseg.models.data_preprocessor import SegDataPreProcessor
    from torch import nn

    def model(pre):
        m = nn.Module()
        m.data_preprocessor = pre
        return m

    # mmdet pads every batch to its divisor: pages of one padded size batch
    assert pad_divisor(model(DetDataPreprocessor(pad_size_divisor=32))) == 32
    # mmseg pads nothing at test time and refuses unequal sizes, whatever
    # its (training) size_divisor
    seg = SegDataPreProcessor(size_divisor=16)
    assert pad_divisor(model(seg)) == 1
    with pytest.raises(AssertionError, match='should be the same'):
        seg(dict(inputs=[torch.zeros(3, 30, 16), torch.zeros(3, 32, 16)],
                 data_samples=None), training=False)


def test_shape_batcher_groups_equal_shapes():
    b = ShapeBatcher(2, lambda it: input_key(it, 32), lookahead=2)
    out = []
    out += b.add('p0', item(380, 270))   # key A
    out += b.add('p1', item(200, 300))   # key B
    out += b.add('p2', item(384, 288))   # key A -> full batch
    assert [x.pages for x in out] == [['p0', 'p2']]
    out += b.add(None, error='bad page')  # held until the next batch
    out += b.add('p3', item(100, 100))   # key C; 2 waiting -> no flush
    out += b.add('p4', item(120, 120))   # key C again -> full
    assert [x.pages for x in out[1:]] == [['p3', 'p4']]
    assert out[1].errors == ['bad page']
    out += b.add('p5', item(64, 64))     # key D: B and D wait (limit 4)
    out += b.add('p6', item(96, 96))     # E
    out += b.add('p7', item(128, 128))   # F: 4 waiting -> largest out
    assert [x.pages for x in out[2:]] == [['p1']]
    rest = b.finish()
    assert [x.pages for x in rest] == [['p5'], ['p6'], ['p7']]
    # nothing waiting: an error comes out at once
    assert [x.errors for x in b.add(None, error='late')] == [['late']]
    assert b.finish() == []
    with pytest.raises(ValueError):
        ShapeBatcher(0, len)


def test_prefetch_keeps_order_and_raises():
    seen = []

    def gen():
        for i in range(10):
            seen.append(threading.current_thread().name)
            yield i
    assert list(prefetch(gen(), size=2)) == list(range(10))
    assert set(seen) == {'docseg-page-loader'}
    assert list(prefetch(iter(range(3)), enabled=False)) == [0, 1, 2]

    def fails():
        yield 1
        raise RuntimeError('boom')
    it = prefetch(fails())
    assert next(it) == 1
    with pytest.raises(RuntimeError, match='boom'):
        next(it)
    # a consumer that stops early does not leave the thread hanging
    early = prefetch(iter(range(1000)), size=1)
    next(early)
    early.close()
