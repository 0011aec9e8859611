# Copyright (c) docseg_mm contributors. All rights reserved.
"""DocLayNet (COCO release) layout dataset."""
from typing import Any

from docseg_mm.registry import DATASETS
from .coco_doc import CocoDocDataset


@DATASETS.register_module()
class DocLayNetDataset(CocoDocDataset):
    """DocLayNet in its COCO release layout.

    Expected layout (``data_root`` points at the extracted ``DocLayNet_core``
    folder)::

        data_root/
            COCO/train.json  COCO/val.json  COCO/test.json
            PNG/<page hash>.png  (1025 x 1025)

    Use e.g. ``ann_file='COCO/train.json'``; images are looked up under
    ``data_prefix['img']`` (``'PNG/'`` by default). The 11 classes are in
    DocLayNet's category id order (ids 1..11).

    Annotations whose ``precedence`` is not 0 (redundant annotations of the
    double/triple-annotated pages) are dropped and counted in
    ``self.skipped['precedence']``. Boxes are clipped to the page (DocLayNet
    has coordinates such as -0.49). Image fields ``doc_category``,
    ``collection``, ``doc_name``, ``page_no`` (and any other) are kept in the
    data info.

    Args:
        *args: Positional arguments of :class:`CocoDocDataset`.
        data_prefix (dict): Image folder under key ``img``.
            Defaults to ``dict(img='PNG/')``.
        drop_nonzero_precedence (bool): Drop annotations with
            ``precedence != 0``. Defaults to True.
        **kwargs: Keyword arguments of :class:`CocoDocDataset`
            (``clip_boxes`` defaults to True there).
    """

    METAINFO: dict = dict(
        classes=('Caption', 'Footnote', 'Formula', 'List-item', 'Page-footer',
                 'Page-header', 'Picture', 'Section-header', 'Table', 'Text',
                 'Title'),
        palette=[(220, 20, 60), (255, 127, 14), (188, 189, 34), (44, 160, 44),
                 (127, 127, 127), (148, 103, 189),
                 (214, 39, 40), (31, 119, 180), (140, 86, 75), (23, 190, 207),
                 (227, 119, 194)])

    def __init__(self,
                 *args: Any,
                 data_prefix: dict = dict(img='PNG/'),
                 drop_nonzero_precedence: bool = True,
                 **kwargs: Any) -> None:
        super().__init__(
            *args,
            data_prefix=data_prefix,
            drop_nonzero_precedence=drop_nonzero_precedence,
            **kwargs)
