# Copyright (c) docseg_mm contributors. All rights reserved.
"""Make the demo set's semantic masks, page tags and split lists if missing.

The demo generator writes ``data/demo/SEM/`` itself once its rebuilt version
lands; until then (or for an older set) this writes, for each split,
``SEM/<stem>.png`` + ``SEM/<split>_tags.json`` with
``docseg_mm.datasets.converters.coco_to_semantic`` (DocLayNet classes, the
``precedence != 0`` duplicates dropped) and ``SEM/<split>.txt`` (image stems,
mmseg's ``ann_file`` convention). Existing files are left alone.

Usage: python tools/misc/prepare_demo_semseg.py [DEMO_ROOT]
"""
import json
import os.path as osp
import sys

from docseg_mm.datasets.converters import coco_to_semantic
from docseg_mm.demo_data.classes import DOCLAYNET_CLASSES


def main() -> None:
    root = sys.argv[1] if len(sys.argv) > 1 else 'data/demo'
    sem = osp.join(root, 'SEM')
    for split in ('train', 'val'):
        ann = osp.join(root, 'COCO', f'{split}.json')
        tags = osp.join(sem, f'{split}_tags.json')
        if not osp.isfile(tags):
            stats = coco_to_semantic(
                ann, sem, tags, DOCLAYNET_CLASSES, border=1,
                keep_annotation=lambda a: a.get('precedence', 0) == 0)
            print(f'{split}: {stats["images"]} masks + tags -> {sem}')
        lst = osp.join(sem, f'{split}.txt')
        if not osp.isfile(lst):
            with open(ann) as f:
                names = [im['file_name'] for im in json.load(f)['images']]
            with open(lst, 'w') as f:
                f.write(''.join(osp.splitext(n)[0] + '\n' for n in names))
            print(f'{split}: {len(names)} stems -> {lst}')


if __name__ == '__main__':
    main()
