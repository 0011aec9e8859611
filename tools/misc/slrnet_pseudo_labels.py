# Copyright (c) docseg_mm contributors. All rights reserved.
"""Write SLRNet pseudo labels (PNG, one label per pixel) of a training set.

The classes of each image are its ground-truth image labels; multi-scale +
flip and the config's CRF are used unless switched off. Train any mmseg
model on them afterwards (e.g.
the two-stage config in ``configs/slrnet/``).

Usage:
    python tools/misc/slrnet_pseudo_labels.py CONFIG CHECKPOINT OUT_DIR \
        [--ann-file LIST] [--no-tta] [--no-crf] [--work-dir DIR]
"""
import argparse
import os.path as osp

from mmengine.config import Config
from mmengine.runner import Runner

from docseg_mm.utils import register_all_modules
from docseg_mm.engine.pseudo_labels import pseudo_label_config


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('out_dir')
    parser.add_argument('--ann-file', help='split list to label instead of '
                        'the training set')
    parser.add_argument('--no-tta', action='store_true')
    parser.add_argument('--no-crf', action='store_true')
    parser.add_argument('--work-dir', default=None)
    args = parser.parse_args()
    register_all_modules(init_default_scope=False)
    cfg = pseudo_label_config(
        Config.fromfile(args.config), osp.abspath(args.out_dir),
        args.ann_file, tta=not args.no_tta,
        crf=False if args.no_crf else None)
    cfg.load_from = args.checkpoint
    cfg.work_dir = args.work_dir or osp.join(
        'work_dirs', osp.splitext(osp.basename(args.config))[0] + '_pseudo')
    Runner.from_cfg(cfg).test()
    print(f'pseudo labels written to {args.out_dir}')


if __name__ == '__main__':
    main()
