# Copyright (c) docseg_mm contributors. All rights reserved.
"""PubLayNet layout dataset."""
from docseg_mm.registry import DATASETS
from .coco_doc import CocoDocDataset


@DATASETS.register_module()
class PubLayNetDataset(CocoDocDataset):
    """PubLayNet (COCO format, category ids 1..5).

    Release layout::

        data_root/
            train.json  val.json
            train/<name>.jpg  val/<name>.jpg

    Use e.g. ``ann_file='train.json', data_prefix=dict(img='train/')``.
    All arguments are those of :class:`CocoDocDataset` (note that its
    ``data_prefix`` defaults to ``dict(img='')``, so set the split folder).
    """

    METAINFO: dict = dict(
        classes=('text', 'title', 'list', 'table', 'figure'),
        palette=[(31, 119, 180), (214, 39, 40), (44, 160, 44), (255, 127, 14),
                 (148, 103, 189)])
