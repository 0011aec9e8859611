# Copyright (c) docseg_mm contributors. All rights reserved.
"""tools/misc/check_dataset.py end to end: the generated demo set is clean
(exit 0), a folder of broken inputs fails (exit 1) with every problem named
by file and entry on stdout and in the json report."""
import json
import os.path as osp
import subprocess
import sys

from docseg_mm.testing.broken_data import write_broken_coco
from .conftest import REPO, tool_env, write_tiny_config

TOOL = osp.join(REPO, 'tools', 'misc', 'check_dataset.py')


def _run(args):
    return subprocess.run([sys.executable, TOOL] + args, cwd=REPO,
                          env=tool_env(), capture_output=True, text=True,
                          timeout=300)


def test_demo_set_is_clean(tmp_path, tiny_data):
    config = write_tiny_config(str(tmp_path / 'cfg.py'), tiny_data)
    out = str(tmp_path / 'report.json')
    proc = _run([config, '--split', 'val', '--workers', '2', '--out', out])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = json.load(open(out))
    val = json.load(open(osp.join(tiny_data, 'COCO', 'val.json')))
    assert report['images'] == len(val['images']) == 4
    assert report['errors'] == 0 and report['problems'] == []
    assert '0 error(s), 0 warning(s)' in proc.stdout


def test_broken_inputs_fail_with_every_file_named(tmp_path):
    paths = write_broken_coco(str(tmp_path))
    config = tmp_path / 'broken.py'
    config.write_text(
        'train_dataloader = dict(dataset=dict(type="CocoDocDataset", '
        f'ann_file={paths["ann_file"]!r}, '
        f'data_prefix=dict(img={paths["img_dir"] + "/"!r}), '
        'pipeline=[dict(type="LoadDocImageFromFile")]))\n')
    out = str(tmp_path / 'report.json')
    proc = _run([str(config), '--out', out, '--no-progress'])
    assert proc.returncode == 1, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    expected = [
        ('ERROR unreadable_image', 'truncated.png', 'img_id 2'),
        ('ERROR missing_image', 'missing.png', 'img_id 3'),
        ('ERROR size_mismatch', 'wrong_size.png', 'img_id 4'),
        ('ERROR ambiguous_exif_orientation', 'exif180.jpg', 'img_id 5'),
        ('WARNING exif_orientation', 'exif90.jpg', 'img_id 6'),
        ('WARNING duplicate_content', 'dup_b.png', 'img_id 8'),
        ('WARNING duplicate_file', 'good.png', 'img_id 9'),
        ('WARNING small_bbox', 'ann.json', 'annotation id 102'),
        ('WARNING outside_image', 'ann.json', 'annotation id 103'),
        ('WARNING bad_polygon', 'ann.json', 'annotation id 104'),
        ('ERROR rle_size_mismatch', 'ann.json', 'annotation id 105'),
        ('WARNING clipped_box', 'ann.json', 'annotation id 106'),
    ]
    for head, name, entry in expected:
        assert any(line.startswith(head) and name in line and entry in line
                   for line in lines), (head, name, proc.stdout)
    report = json.load(open(out))
    assert report['errors'] == 5 and report['warnings'] == 7
    assert len(report['problems']) == len(expected)
