# Copyright (c) docseg_mm contributors. All rights reserved.
import json
import os.path as osp
from typing import Dict, List

from mmseg.datasets import BaseSegDataset

from docseg_mm.registry import DATASETS

#: The 27 COCO-Stuff supercategories ("other" removed), sorted: label order.
COCO_STUFF27_CLASSES = (
    'accessory', 'animal', 'appliance', 'building', 'ceiling', 'electronic',
    'floor', 'food', 'food-stuff', 'furniture', 'furniture-stuff', 'ground',
    'indoor', 'kitchen', 'outdoor', 'person', 'plant', 'raw-material', 'sky',
    'solid', 'sports', 'structural', 'textile', 'vehicle', 'wall', 'water',
    'window')


def coco_stuff27_label_map(categories: List[dict]) -> Dict[int, int]:
    """PNG value -> 27-class label of the ``stuffthingmaps`` masks.

    A PNG value is ``category id - 1``; each category maps to the index of
    its supercategory in the sorted supercategory list without ``other``;
    ``other`` (and the unlabelled 255) map to 255 (AlignSeg's
    ``COCOSegmentation(mask_type='all')``, from IIC/PiCIE).

    Args:
        categories (list[dict]): ``categories`` of ``stuffthing_2017.json``
            (``id``, ``supercategory``).

    Returns:
        dict[int, int]: Old value -> new label.
    """
    supers = sorted({c['supercategory'] for c in categories} - {'other'})
    if tuple(supers) != COCO_STUFF27_CLASSES:
        raise ValueError(f'expected the 27 COCO-Stuff supercategories (plus '
                         f'"other"), got {supers}')
    index = {s: i for i, s in enumerate(supers)}
    label_map = {
        int(c['id']) - 1: index.get(c['supercategory'], 255)
        for c in categories
    }
    label_map[255] = 255
    return label_map


@DATASETS.register_module()
class CocoStuff27Dataset(BaseSegDataset):
    """COCO-Stuff with its 27 supercategories (AlignSeg / PiCIE / STEGO)::

        images/{train,val}2017/<name>.jpg
        annotations/stuffthingmaps_trainval2017/{train,val}2017/<name>.png
        annotations/stuffthingmaps_trainval2017/stuffthing_2017.json

    The masks are relabelled on load (``label_map`` applied by mmseg's
    ``LoadAnnotations``) from the category file's supercategories. Without
    ``ann_file`` every image of ``img_path`` is used (the original lists the
    folder, so the curated IIC val subset is whatever is placed there); with
    one, it lists the names (no suffix) to use.

    Args:
        categories_file (str): The category json, relative to ``data_root``.
            Defaults to
            ``'annotations/stuffthingmaps_trainval2017/stuffthing_2017.json'``.
        data_prefix (dict): Defaults to the val2017 folders.
        **kwargs: :class:`mmseg.datasets.BaseSegDataset` arguments.
    """

    METAINFO = dict(classes=COCO_STUFF27_CLASSES)

    def __init__(self,
                 categories_file: str = 'annotations/stuffthingmaps_'
                 'trainval2017/stuffthing_2017.json',
                 data_prefix: dict = dict(
                     img_path='images/val2017',
                     seg_map_path='annotations/stuffthingmaps_trainval2017/'
                     'val2017'),
                 img_suffix: str = '.jpg',
                 seg_map_suffix: str = '.png',
                 **kwargs) -> None:
        root = kwargs.get('data_root')
        path = categories_file
        if root is not None and not osp.isabs(path):
            path = osp.join(root, path)
        try:
            with open(path) as f:
                categories = json.load(f)['categories']
        except (OSError, KeyError, json.JSONDecodeError) as e:
            raise ValueError(f'{path}: cannot read the COCO-Stuff '
                             f'categories ({e!r})') from e
        self.coco27_label_map = coco_stuff27_label_map(categories)
        super().__init__(data_prefix=data_prefix, img_suffix=img_suffix,
                         seg_map_suffix=seg_map_suffix, **kwargs)

    def load_data_list(self) -> List[dict]:
        """mmseg's list with the 27-class ``label_map`` on every entry."""
        data_list = super().load_data_list()
        for info in data_list:
            info['label_map'] = self.coco27_label_map
        return data_list
