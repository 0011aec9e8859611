# Copyright (c) docseg_mm contributors. All rights reserved.
import os
import os.path as osp

import cv2
import lmdb
import numpy as np
import pytest
from mmengine.logging import MMLogger

from docseg_mm.datasets import (LMDBFormatError, RecogLMDBDataset,
                                UnlabeledLMDBDataset, WordImageFolderDataset,
                                scan_recog_lmdb)
from docseg_mm.datasets.converters import write_recog_lmdb


def png(value=0, w=40):
    img = np.full((16, w, 3), value, np.uint8)
    return cv2.imencode('.png', img)[1].tobytes()


def write_raw_lmdb(path, records, num_samples):
    """records: {key: bytes}; written as they are."""
    env = lmdb.open(path, map_size=1 << 24)
    with env.begin(write=True) as txn:
        if num_samples is not None:
            txn.put(b'num-samples', str(num_samples).encode())
        for k, v in records.items():
            txn.put(k.encode(), v)
    env.close()
    return path


@pytest.fixture
def bad_lmdb(tmp_path):
    rec = {
        'image-000000001': png(10), 'label-000000001': b'good',
        # 2: image missing
        'label-000000002': b'lost',
        # 3: label missing
        'image-000000003': png(30),
        'image-000000004': png(40), 'label-000000004': b'\xff\xfe bad',
        'image-000000005': png(50), 'label-000000005': b'x' * 30,
        'image-000000006': b'not an image', 'label-000000006': b'corrupt',
        'image-000000007': png(70), 'label-000000007': 'caf\u00e9'.encode(),
    }
    return write_raw_lmdb(str(tmp_path / 'bad'), rec, 7)


def test_bad_records_are_counted_and_reported(bad_lmdb, capsys):
    records, counts = scan_recog_lmdb(bad_lmdb, max_word_len=23,
                                      check_images=True)
    assert records == [(1, 'good'), (7, 'caf\u00e9')]
    assert {k: v for k, v in counts.items() if v} == dict(
        num_samples=7, missing_image=1, missing_label=1, non_utf8_label=1,
        too_long=1, corrupt_image=1)
    logger = MMLogger.get_instance('dig_lmdb_test', log_level='INFO')
    ds = RecogLMDBDataset(ann_file=bad_lmdb, max_word_len=23, test_mode=True,
                          pipeline=[])
    assert len(ds) == 2 and ds[1]['instances'][0]['text'] == 'caf\u00e9'
    assert ds.report[bad_lmdb]['corrupt_image'] == 1
    assert logger is not None


def test_corrupt_image_at_training_time_is_counted(bad_lmdb):
    ds = RecogLMDBDataset(ann_file=bad_lmdb, pipeline=[],
                          serialize_data=False)
    # without the image check the corrupt record is kept until read
    texts = [ds.get_data_info(i)['instances'][0]['text']
             for i in range(len(ds))]
    assert texts == ['good', 'x' * 30, 'corrupt', 'caf\u00e9']
    assert ds.prepare_data(2) is None
    assert ds.report[bad_lmdb]['corrupt_image'] == 1
    item = ds.prepare_data(0)
    assert item['img'].shape == (16, 40, 3) and item['img'][0, 0, 0] == 10


def test_empty_and_malformed_databases(tmp_path):
    empty = write_raw_lmdb(str(tmp_path / 'empty'), {}, 0)
    ds = UnlabeledLMDBDataset(ann_file=empty, pipeline=[])
    assert len(ds) == 0 and ds.report[empty]['num_samples'] == 0
    nokey = write_raw_lmdb(str(tmp_path / 'nokey'), {'x': b'1'}, None)
    with pytest.raises(LMDBFormatError, match='num-samples'):
        scan_recog_lmdb(nokey)
    with pytest.raises(FileNotFoundError):
        scan_recog_lmdb(str(tmp_path / 'absent'))


def test_several_lmdbs_named_per_set(tmp_path, bad_lmdb):
    other = write_raw_lmdb(str(tmp_path / 'other'), {
        'image-000000001': png(1), 'label-000000001': b'one'}, 1)
    ds = RecogLMDBDataset(ann_file=['bad', 'other'], data_root=str(tmp_path),
                          dataset_names=['B', 'O'], max_word_len=23,
                          test_mode=True, pipeline=[])
    assert [d['dataset_name'] for d in ds] == ['B', 'B', 'O']
    assert ds[2]['img_path'] == osp.join(other, 'image-000000001')


def test_writer_counts_bad_inputs_and_round_trips(tmp_path):
    root = tmp_path / 'words'
    (root / 'train').mkdir(parents=True)
    cv2.imwrite(str(root / 'train' / 'a.png'), np.zeros((8, 20, 3), np.uint8))
    cv2.imwrite(str(root / 'train' / 'b.png'), np.ones((8, 20, 3), np.uint8))
    (root / 'train' / 'broken.png').write_bytes(b'garbage')
    label = root / 'train.txt'
    label.write_bytes(
        'train/a.png\tAlpha\n'
        'train/b.png\tBeta\n'
        'train/missing.png\tGone\n'
        'train/broken.png\tBroken\n'
        'no tab here\n'
        'train/a.png\t\n'
        'train/b.png\tthisisaverylongwordindeed\n'.encode() +
        b'train/a.png\t\xff\n')
    out = str(tmp_path / 'lmdb')
    written, skipped = write_recog_lmdb(str(root), out, str(label),
                                        max_word_len=10)
    assert written == 2
    assert dict(skipped) == dict(missing_image=1, corrupt_image=1,
                                 bad_line=1, empty_label=1, too_long=1,
                                 non_utf8_label=1)
    records, counts = scan_recog_lmdb(out, check_images=True)
    assert records == [(1, 'Alpha'), (2, 'Beta')]
    with pytest.raises(FileExistsError):
        write_recog_lmdb(str(root), out, str(label))
    # unlabeled: every decodable image file of the folder
    n, skipped = write_recog_lmdb(str(root / 'train'), str(tmp_path / 'u'))
    assert n == 2 and skipped['corrupt_image'] == 1
    ds = UnlabeledLMDBDataset(ann_file=str(tmp_path / 'u'), pipeline=[])
    assert len(ds) == 2 and ds[0]['instances'] == []


def test_word_folder_dataset(tmp_path):
    root = tmp_path / 'w'
    root.mkdir()
    cv2.imwrite(str(root / 'x.png'), np.zeros((8, 20, 3), np.uint8))
    (root / 'l.txt').write_text('x.png\tok\ny.png\tmissing\n')
    ds = WordImageFolderDataset(ann_file=str(root / 'l.txt'),
                                data_prefix=dict(img_path=str(root)),
                                pipeline=[])
    assert len(ds) == 1 and ds.report['missing_image'] == 1
    unl = WordImageFolderDataset(data_prefix=dict(img_path=str(root)),
                                 pipeline=[])
    assert [osp.basename(d['img_path']) for d in unl] == ['x.png']
    assert os.path.isfile(unl[0]['img_path'])
