# Copyright (c) docseg_mm contributors. All rights reserved.
import os
import os.path as osp

import cv2
import numpy as np
import pytest
from PIL import Image
from scipy.io import savemat

from docseg_mm.datasets.converters.voc_sbd import build_voc_aug, read_sbd_mat


def _lists(root, name, stems):
    with open(osp.join(root, name), 'w') as f:
        f.write('\n'.join(stems) + '\n')


def _sbd_mat(path, mask):
    gt = np.zeros((1, ), dtype=[('Segmentation', 'O')])
    gt[0]['Segmentation'] = mask
    savemat(path, {'GTcls': gt})


def test_build_voc_aug(tmp_path):
    voc, sbd = str(tmp_path / 'VOC2012'), str(tmp_path / 'sbd')
    sets = osp.join(voc, 'ImageSets', 'Segmentation')
    for d in (sets, osp.join(voc, 'SegmentationClass'), osp.join(sbd, 'cls')):
        os.makedirs(d)
    _lists(sets, 'train.txt', ['a', 'b'])
    _lists(sets, 'val.txt', ['v'])
    _lists(sbd, 'train.txt', ['b', 'c', 'v'])
    _lists(sbd, 'val.txt', ['d'])
    for stem, value in (('a', 1), ('b', 2), ('v', 3)):  # VOC palette PNGs
        im = Image.fromarray(np.full((4, 5), value, np.uint8), mode='P')
        im.putpalette([0, 0, 0, 128, 0, 0, 0, 128, 0, 128, 128, 0] * 64)
        im.save(osp.join(voc, 'SegmentationClass', stem + '.png'))
    for stem, value in (('b', 9), ('c', 4), ('d', 5)):
        m = np.full((4, 5), value, np.uint8)
        m[0, 0] = 255
        _sbd_mat(osp.join(sbd, 'cls', stem + '.mat'), m)
    original = str(tmp_path / 'train_augvoc.txt')
    _lists(str(tmp_path), 'train_augvoc.txt', [
        f'x/{s}.jpg x/{s}.png' for s in ('c', 'd', 'a', 'b')])
    stats = build_voc_aug(voc, sbd, original_list=original,
                          num_labeled_tail=2)
    read = lambda n: open(osp.join(sets, n)).read().split()
    assert read('train_aug.txt') == ['a', 'b', 'c', 'd']  # v is VOC val
    assert read('train_aug_weak.txt') == ['c', 'd']
    assert read('train_labeled_faithful.txt') == ['a', 'b']
    assert stats['faithful_labeled_in_voc_train'] == 2
    aug = lambda s: cv2.imread(osp.join(voc, 'SegmentationClassAug',
                                        s + '.png'), cv2.IMREAD_UNCHANGED)
    assert (aug('b') == 2).all()  # VOC annotation preferred over SBD
    assert aug('c')[0, 0] == 255 and aug('c')[1, 1] == 4
    assert (aug('v') == 3).all()
    assert stats['from_voc'] == 3 and stats['from_sbd'] == 2


def test_bad_mat_names_file(tmp_path):
    path = str(tmp_path / 'x.mat')
    savemat(path, {'other': np.zeros(3)})
    with pytest.raises(ValueError, match=r'x\.mat'):
        read_sbd_mat(path)
