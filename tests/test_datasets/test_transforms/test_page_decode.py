# Copyright (c) docseg_mm contributors. All rights reserved.
"""EXIF orientation and reduced-size decoding of ``LoadDocImageFromFile``
(:mod:`docseg_mm.datasets.transforms.page_decode`)."""
import io
import os.path as osp

import numpy as np
import pytest
from mmengine.registry import init_default_scope
from PIL import Image, ImageOps
from pycocotools import mask as mask_utils

from docseg_mm.datasets import (ImageOrientationError, ImageSizeMismatchError,
                                LoadDocImageFromFile)
from docseg_mm.datasets.transforms.page_decode import (apply_orientation,
                                                       reduction_factor)
from docseg_mm.registry import TRANSFORMS


def page(h, w, seed=0):
    """An RGB page with structure in every corner (orientation shows)."""
    rng = np.random.default_rng(seed)
    img = np.full((h, w, 3), 230, np.uint8)
    img[:h // 3, :w // 4] = (200, 30, 30)  # top-left block
    img[h - h // 5:, w // 2:] = (30, 30, 200)  # bottom-right block
    img[h // 2:h // 2 + 4] = rng.integers(0, 255, (4, w, 3))
    return img


def save_jpeg(path, rgb, orientation=None, quality=95):
    exif = Image.Exif()
    if orientation:
        exif[0x0112] = orientation
    Image.fromarray(rgb).save(path, quality=quality, exif=exif.tobytes())
    return path


def pil_bgr(path, transpose):
    with Image.open(path) as img:
        img = ImageOps.exif_transpose(img) if transpose else img
        return np.asarray(img.convert('RGB'))[..., ::-1]


@pytest.mark.parametrize('orientation', range(1, 9))
def test_apply_orientation_matches_pillow(tmp_path, orientation):
    path = save_jpeg(str(tmp_path / 'o.jpg'), page(30, 44), orientation)
    stored = pil_bgr(path, transpose=False)
    np.testing.assert_array_equal(apply_orientation(stored, orientation),
                                  pil_bgr(path, transpose=True))


def test_rotate_180_on_annotated_page_is_not_guessed(tmp_path):
    """Orientation 3 keeps the size: the annotation size cannot tell the
    frame, so 'auto' refuses; 'stored' / 'apply' load the stated frame."""
    path = save_jpeg(str(tmp_path / 'r180.jpg'), page(40, 60), 3)
    sample = dict(img_path=path, img_id=7, height=40, width=60)
    with pytest.raises(ImageOrientationError) as err:
        LoadDocImageFromFile()(dict(sample))
    msg = str(err.value)
    assert path in msg and 'img_id 7' in msg and 'rotate 180' in msg
    assert isinstance(err.value, ImageSizeMismatchError)  # a size check
    stored = LoadDocImageFromFile(exif_orientation='stored')(dict(sample))
    np.testing.assert_array_equal(stored['img'], pil_bgr(path, False))
    shown = LoadDocImageFromFile(exif_orientation='apply')(dict(sample))
    np.testing.assert_array_equal(shown['img'], pil_bgr(path, True))
    # without annotations (page folders) the page is shown upright, as mmcv
    plain = LoadDocImageFromFile()(dict(img_path=path))
    np.testing.assert_array_equal(plain['img'], pil_bgr(path, True))
    # skip mode counts it like any bad image
    t = LoadDocImageFromFile(skip_bad_images=True)
    assert t(dict(sample)) is None and t.num_bad_images == 1


def test_rotate_90_frame_is_picked_by_the_annotation_size(tmp_path):
    path = save_jpeg(str(tmp_path / 'r90.jpg'), page(40, 60), 6)
    t = LoadDocImageFromFile()
    # annotations made on the stored 60x40 pixels
    out = t(dict(img_path=path, height=40, width=60))
    np.testing.assert_array_equal(out['img'], pil_bgr(path, False))
    # annotations made on the page as shown (40x60)
    out = t(dict(img_path=path, height=60, width=40))
    np.testing.assert_array_equal(out['img'], pil_bgr(path, True))
    with pytest.raises(ImageSizeMismatchError, match='neither frame'):
        t(dict(img_path=path, height=50, width=50))
    with pytest.raises(ImageSizeMismatchError, match='40x60'):
        LoadDocImageFromFile(exif_orientation='stored')(
            dict(img_path=path, height=60, width=40))


def test_reduction_factor():
    # 6000 x 8000 page, next resize to (1333, 800) keep-ratio = 800 x 1067:
    # 1/8 (750 x 1000) would need upscaling, 1/4 (1500 x 2000) covers it
    assert reduction_factor((8000, 6000), (1333, 800)) == 4
    assert reduction_factor((1025, 1025), (1333, 800)) == 1
    assert reduction_factor((1600, 1200), (400, 300)) == 4
    assert reduction_factor((1600, 1200), (399, 299)) == 4
    assert reduction_factor((1600, 1200), (401, 301)) == 2
    assert reduction_factor((1600, 1200), None) == 1


def _rle(h, w, box):
    m = np.zeros((h, w), np.uint8)
    x0, y0, x1, y1 = box
    m[y0:y1, x0:x1] = 1
    rle = mask_utils.encode(np.asfortranarray(m))
    return dict(size=rle['size'], counts=rle['counts'].decode())  # as json


def _pipeline(reduce_to, backend):
    init_default_scope('docseg_mm')
    return [TRANSFORMS.build(t) for t in [
        dict(type='LoadDocImageFromFile', reduce_to=reduce_to,
             imdecode_backend=backend),
        dict(type='mmdet.LoadAnnotations', with_bbox=True, with_mask=True),
        dict(type='mmdet.Resize', scale=(190, 140), keep_ratio=True),
    ]]


@pytest.mark.parametrize('backend', ['cv2', 'pillow'])
def test_reduced_decode_keeps_annotations_right(tmp_path, backend):
    """A 1200x1600 JPEG resized (keep ratio) into 190x140, i.e. to 187x140:
    decoding at 1/8 (200x150) gives the same boxes and masks as the
    full-size path, and a close image."""
    h, w = 1200, 1600
    path = save_jpeg(str(tmp_path / 'big.jpg'), page(h, w))
    instances = [
        dict(bbox=[100., 80., 500., 400.], bbox_label=0, ignore_flag=0,
             mask=[[100., 80., 500., 80., 500., 400., 100., 400.]]),
        dict(bbox=[800., 600., 1600., 1200.], bbox_label=1, ignore_flag=0,
             mask=_rle(h, w, (800, 600, 1600, 1200))),
    ]

    def run(reduce_to):
        results = dict(img_path=path, img_id=1, height=h, width=w,
                       instances=[dict(i) for i in instances])
        for t in _pipeline(reduce_to, backend):
            results = t(results)
        return results

    full, small = run(None), run((190, 140))
    assert small['decode_scale'] == (0.125, 0.125)
    assert small['file_shape'] == (h, w)
    assert 'decode_scale' not in full
    assert small['img'].shape == full['img'].shape == (140, 187, 3)
    # 1600 x 1200 -> 187 x 140 either way
    factor = np.array([187 / 1600, 140 / 1200] * 2)
    expected = np.array([[100., 80., 500., 400.], [800., 600., 1600., 1200.]
                         ]) * factor
    np.testing.assert_allclose(full['gt_bboxes'].numpy(), expected,
                               rtol=1e-5)
    np.testing.assert_allclose(small['gt_bboxes'].numpy(), expected,
                               rtol=1e-5)
    for a, b in zip(full['gt_masks'].masks, small['gt_masks'].masks):
        assert a.sum() > 1000
        inter = np.logical_and(a, b).sum()
        assert inter / np.logical_or(a, b).sum() > 0.97
    diff = np.abs(full['img'].astype(int) - small['img'].astype(int))
    assert diff.mean() < 4
    # the instances given by the dataset are not changed in place
    assert instances[0]['bbox'] == [100., 80., 500., 400.]


def test_small_pages_and_seg_maps_are_decoded_whole(tmp_path):
    path = save_jpeg(str(tmp_path / 'p.jpg'), page(300, 400))
    t = LoadDocImageFromFile(reduce_to=(1333, 800))
    assert t(dict(img_path=path))['img'].shape == (300, 400, 3)
    big = save_jpeg(str(tmp_path / 'b.jpg'), page(1200, 1600))
    t = LoadDocImageFromFile(reduce_to=(200, 150))
    out = t(dict(img_path=big, seg_map_path=osp.join(str(tmp_path), 'x')))
    assert out['img'].shape == (1200, 1600, 3)
    assert t(dict(img_path=big))['img'].shape == (150, 200, 3)
    with io.BytesIO() as buf:  # PNG: whole decode, then INTER_AREA
        Image.fromarray(page(1200, 1600)).save(buf, format='PNG')
        (tmp_path / 'b.png').write_bytes(buf.getvalue())
    out = t(dict(img_path=str(tmp_path / 'b.png'), height=1200, width=1600))
    assert out['img'].shape == (150, 200, 3)
    assert (out['height'], out['width']) == (150, 200)
    assert out['decode_scale'] == (0.125, 0.125)
