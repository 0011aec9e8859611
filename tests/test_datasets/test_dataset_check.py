# Copyright (c) docseg_mm contributors. All rights reserved.
import io
import json
import os
import os.path as osp

import numpy as np
import pytest
from mmengine.config import Config
from PIL import Image

from docseg_mm.datasets.dataset_check import (check_dataset, exit_code,
                                              format_report,
                                              leaf_dataset_cfgs)
from docseg_mm.testing.broken_data import write_broken_coco
from docseg_mm.testing.tiny_datasets import make_tiny_dataset
from docseg_mm.utils import register_all_modules

register_all_modules(init_default_scope=True)


def _cfg(dataset: dict, split: str = 'train') -> Config:
    return Config({f'{split}_dataloader': dict(dataset=dataset)})


def _found(report: dict) -> set:
    return {(p['problem'], p['severity'], osp.basename(p['file']),
             p['entry']) for p in report['problems']}


def _coco_cfg(paths: dict, **loader) -> dict:
    return dict(type='CocoDocDataset', ann_file=paths['ann_file'],
                data_prefix=dict(img=paths['img_dir'] + '/'),
                pipeline=[dict(type='LoadDocImageFromFile', **loader),
                          dict(type='mmdet.LoadAnnotations')])


def _ann(ann_id: int) -> str:
    return f"annotation id {ann_id} (image id 1, file_name 'good.png')"


# Written out from the faults write_broken_coco makes (see its docstring).
BROKEN_EXPECTED = {
    ('unreadable_image', 'error', 'truncated.png', 'img_id 2'),
    ('missing_image', 'error', 'missing.png', 'img_id 3'),
    ('size_mismatch', 'error', 'wrong_size.png', 'img_id 4'),
    ('ambiguous_exif_orientation', 'error', 'exif180.jpg', 'img_id 5'),
    ('exif_orientation', 'warning', 'exif90.jpg', 'img_id 6'),
    ('duplicate_content', 'warning', 'dup_b.png', 'img_id 8'),
    ('duplicate_file', 'warning', 'good.png', 'img_id 9'),
    ('small_bbox', 'warning', 'ann.json', _ann(102)),
    ('outside_image', 'warning', 'ann.json', _ann(103)),
    ('bad_polygon', 'warning', 'ann.json', _ann(104)),
    ('rle_size_mismatch', 'error', 'ann.json', _ann(105)),
    ('clipped_box', 'warning', 'ann.json', _ann(106)),
}


def test_broken_coco_every_problem_named(tmp_path):
    paths = write_broken_coco(str(tmp_path))
    report = check_dataset(_cfg(_coco_cfg(paths)), 'train', workers=2,
                           progress=False)
    assert _found(report) == BROKEN_EXPECTED
    assert report['errors'] == 5 and report['warnings'] == 7
    assert report['counts']['size_mismatch'] == 1
    assert report['images'] == 9
    assert exit_code(report) == 1
    by_name = {p['problem']: p for p in report['problems']}
    # the messages say what is wrong, with numbers
    assert '50x40' in by_name['size_mismatch']['message']
    assert '[20, 20]' in by_name['rle_size_mismatch']['message']
    assert 'dup_a.png' in by_name['duplicate_content']['message']
    text = format_report(report)
    for problem, _, name, entry in BROKEN_EXPECTED:
        assert any(problem in line and name in line and entry in line
                   for line in text.splitlines()), (problem, name)
    assert text.splitlines()[-1].startswith('5 error(s), 7 warning(s)')


def test_stated_frame_and_skip_mode_change_severity(tmp_path):
    paths = write_broken_coco(str(tmp_path))
    # frame stated: the 180-degree page is no longer ambiguous
    report = check_dataset(
        _cfg(_coco_cfg(paths, exif_orientation='stored')), progress=False)
    found = {(p, s, f) for p, s, f, _ in _found(report)}
    assert ('ambiguous_exif_orientation', 'error', 'exif180.jpg') \
        not in found
    assert ('exif_orientation', 'warning', 'exif180.jpg') in found
    # a loader that skips bad images: image problems become warnings
    report = check_dataset(
        _cfg(_coco_cfg(paths, skip_bad_images=True)), progress=False)
    sev = {(p['problem'], p['severity']) for p in report['problems']}
    assert ('missing_image', 'warning') in sev
    assert ('unreadable_image', 'warning') in sev
    assert ('rle_size_mismatch', 'error') in sev  # still kills loading
    assert report['errors'] == 1


def test_clean_tiny_coco_and_wrappers(tmp_path):
    ds = make_tiny_dataset(
        dict(type='DocLayNetDataset', ann_file='COCO/train.json',
             data_prefix=dict(img='PNG/'),
             pipeline=[dict(type='LoadDocImageFromFile')]), str(tmp_path))
    report = check_dataset(_cfg(ds), progress=False)
    assert report['errors'] == 0 and report['warnings'] == 0
    assert report['images'] == len(os.listdir(tmp_path / 'PNG')) == 3
    assert exit_code(report) == 0
    wrapped = dict(type='ConcatDataset', datasets=[
        dict(type='RepeatDataset', times=2, dataset=ds), ds])
    assert [c for c, _ in leaf_dataset_cfgs(wrapped)] == [ds, ds]
    report = check_dataset(_cfg(wrapped, 'val'), 'val', progress=False)
    assert len(report['datasets']) == 2 and report['images'] == 6
    assert report['errors'] == 0


def test_empty_after_filter_is_an_error(tmp_path):
    paths = write_broken_coco(str(tmp_path))
    ann = json.load(open(paths['ann_file']))
    ann['images'] = ann['images'][:1]
    ann['annotations'] = [a for a in ann['annotations'] if a['id'] == 103]
    with open(paths['ann_file'], 'w') as f:
        json.dump(ann, f)
    cfg = _coco_cfg(paths)
    cfg['filter_cfg'] = dict(filter_empty_gt=True)
    report = check_dataset(_cfg(cfg), progress=False)
    errors = [p for p in report['problems'] if p['severity'] == 'error']
    assert [p['problem'] for p in errors] == ['dataset_error']
    assert 'filter_empty_gt' in errors[0]['message']
    assert ('outside_image', 'warning', 'ann.json', _ann(103)) in \
        _found(report)


def test_docsam_folder(tmp_path):
    ds = make_tiny_dataset(
        dict(type='DocSAMFolderDataset', data_root='Layout/TinyDocs/train',
             pipeline=[dict(type='LoadDocImageFromFile')]), str(tmp_path))
    root = ds['data_root']
    assert check_dataset(_cfg(ds), progress=False)['errors'] == 0
    os.remove(osp.join(root, 'image', 'tiny_01.png'))
    json_path = osp.join(root, 'coco', 'tiny_02.json')
    content = json.load(open(json_path))
    content['annotations'][0]['bbox'] = [1, 1, 0, 5]
    content['annotations'][0].pop('segmentation')
    first_id = content['annotations'][0]['id']
    with open(json_path, 'w') as f:
        json.dump(content, f)
    report = check_dataset(_cfg(ds), progress=False)
    assert _found(report) == {
        ('missing_file', 'error', 'list.txt', 'tiny_01'),
        ('small_bbox', 'warning', 'tiny_02.json', f'tiny_02#{first_id}'),
    }
    assert 'skip_missing=False' in report['problems'][0]['message']


def test_page_folder_decode_and_exif(tmp_path):
    pages = tmp_path / 'pages'
    pages.mkdir()
    rng = np.random.default_rng(0)
    page = rng.integers(0, 255, (40, 30, 3), dtype=np.uint8)
    Image.fromarray(page).save(pages / 'a.png')
    buf = io.BytesIO()
    Image.fromarray(page).save(buf, format='PNG')
    (pages / 'b.png').write_bytes(buf.getvalue()[:100])
    exif = Image.Exif()
    exif[0x0112] = 8
    Image.fromarray(page).save(pages / 'c.jpg', exif=exif.tobytes())
    cfg = dict(type='PageImageFolder', data_root=str(tmp_path),
               data_prefix='pages',
               pipeline=[dict(type='LoadDocImageFromFile')])
    report = check_dataset(_cfg(cfg), progress=False)
    found = {(p, s, f) for p, s, f, _ in _found(report)}
    assert found == {('unreadable_image', 'error', 'b.png'),
                     ('exif_orientation', 'warning', 'c.jpg')}
    exif_msg = [p['message'] for p in report['problems']
                if p['problem'] == 'exif_orientation'][0]
    # unannotated page: shown upright, 30x40 stored becomes 40x30
    assert 'with the tag applied as 40x30' in exif_msg


def test_unknown_split():
    with pytest.raises(KeyError, match='test_dataloader'):
        check_dataset(Config(dict(train_dataloader=dict(dataset=dict()))),
                      'test')


def test_semantic_masks_decoded_and_sized(tmp_path):
    ds = make_tiny_dataset(
        dict(type='DocSemSegDataset', ann_file='SEM/train.txt',
             data_prefix=dict(img_path='PNG/', seg_map_path='SEM/'),
             pipeline=[dict(type='LoadDocImageFromFile')]), str(tmp_path))
    report = check_dataset(_cfg(ds), progress=False)
    assert report['errors'] == 0 and report['images'] >= 3
    masks = sorted(n for n in os.listdir(tmp_path / 'SEM')
                   if n.endswith('.png'))
    Image.fromarray(np.zeros((7, 5), np.uint8)).save(tmp_path / 'SEM' /
                                                     masks[0])
    (tmp_path / 'SEM' / masks[1]).write_bytes(b'not a png')
    os.remove(tmp_path / 'SEM' / masks[2])
    report = check_dataset(_cfg(ds), progress=False)
    found = {(p, s, f) for p, s, f, _ in _found(report)}
    assert found == {('seg_map_size_mismatch', 'error', masks[0]),
                     ('unreadable_seg_map', 'error', masks[1]),
                     ('missing_seg_map', 'error', masks[2])}
    assert '5x7 (w x h)' in [p['message'] for p in report['problems']
                              if p['problem'] == 'seg_map_size_mismatch'][0]
