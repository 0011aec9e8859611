# Copyright (c) docseg_mm contributors. All rights reserved.
"""SLRNet command lines: converter (thin: report + output), pseudo-label
config, demo data preparation."""
import json
import os.path as osp
import sys

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config

from docseg_mm.engine.pseudo_labels import pseudo_label_config
from .conftest import REPO, run_tool


def test_slrnet_to_docseg_cli(tmp_path):
    sd = {'aspp.conv1.weight': torch.randn(4, 20, 1, 1),
          'newly_added.0.conv1.weight': None,
          '_aff.aff_x.kernel': torch.zeros(8, 1, 3, 3)}
    sd['newly_added.0.conv1.weight'] = sd['aspp.conv1.weight']
    src, dst = tmp_path / 'checkpoint20.pth.tar', tmp_path / 'out.pth'
    torch.save({'state_dict': sd, 'epoch': 20}, src)
    printed = run_tool([sys.executable, osp.join(
        REPO, 'tools', 'model_converters', 'slrnet_to_docseg.py'), str(src),
        str(dst)]).stdout
    assert 'source tensors: 3' in printed and 'mapped        : 1' in printed
    assert 'newly_added.0.conv1.weight' in printed
    assert printed.rstrip().endswith(f'saved to {dst}')
    out = torch.load(dst, weights_only=True)['state_dict']
    assert torch.equal(out['decode_head.bottleneck.conv.weight'],
                       sd['aspp.conv1.weight'])


def test_unsafe_checkpoint_refused(tmp_path):
    from docseg_mm.models.converters.slrnet import convert_file
    src = tmp_path / 'bad.pth'
    torch.save({'state_dict': {}, 'cfg': argparse_like()}, src)
    with pytest.raises(Exception, match='refused'):
        convert_file(str(src), str(tmp_path / 'o.pth'))


class argparse_like:  # noqa: N801 - a pickled Python object
    pass


def test_pseudo_label_config():
    cfg = Config.fromfile(osp.join(
        REPO, 'configs', 'slrnet',
        'slrnet_wrn38-d8_2xb8-30e_voc12aug-321x321.py'))
    out = pseudo_label_config(cfg, 'out/pseudo', 'ImageSets/x.txt')
    assert out.model.type == 'SLRNetTTAModel'
    assert out.model.module.test_cfg.class_select == 'gt'
    assert out.model.module.test_cfg.crf is not None
    assert out.test_dataloader.dataset.ann_file == 'ImageSets/x.txt'
    assert out.test_dataloader.dataset.pipeline[1].type == 'mmseg.TestTimeAug'
    assert out.test_evaluator == dict(type='mmseg.IoUMetric',
                                      format_only=True,
                                      output_dir='out/pseudo')
    plain = pseudo_label_config(cfg, 'out/p', tta=False, crf=False)
    assert plain.model.type == 'SLRNet' and plain.model.test_cfg.crf is None


def test_prepare_demo_semseg(tmp_path):
    root = tmp_path / 'demo'
    (root / 'COCO').mkdir(parents=True)
    for split in ('train', 'val'):
        coco = dict(
            images=[dict(id=1, file_name=f'{split}_0.png', width=20,
                         height=10)],
            annotations=[dict(id=1, image_id=1, category_id=9,
                              bbox=[2, 2, 8, 5], area=40, iscrowd=0,
                              segmentation=[[2, 2, 10, 2, 10, 7, 2, 7]])],
            categories=[dict(id=i + 1, name=n) for i, n in enumerate(
                ('Caption', 'Footnote', 'Formula', 'List-item',
                 'Page-footer', 'Page-header', 'Picture', 'Section-header',
                 'Table', 'Text', 'Title'))])
        with open(root / 'COCO' / f'{split}.json', 'w') as f:
            json.dump(coco, f)
    run_tool([sys.executable, osp.join(REPO, 'tools', 'misc',
                                       'prepare_demo_semseg.py'), str(root)])
    assert (root / 'SEM' / 'train.txt').read_text() == 'train_0\n'
    tags = json.loads((root / 'SEM' / 'val_tags.json').read_text())
    assert tags['tags'] == {'val_0.png': ['Table']}
    mask = cv2.imread(str(root / 'SEM' / 'train_0.png'), 0)
    assert set(np.unique(mask)) == {0, 9, 255}
