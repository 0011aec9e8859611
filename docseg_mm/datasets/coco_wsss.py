# Copyright (c) docseg_mm contributors. All rights reserved.
"""COCO 2014 for weakly supervised semantic segmentation (80 classes)."""
from docseg_mm.registry import DATASETS
from .doc_semseg import DocSemSegDataset

#: COCO's 80 thing classes in category-id order.
COCO_CLASSES = (
    'person', 'bicycle', 'car', 'motorcycle', 'airplane', 'bus', 'train',
    'truck', 'boat', 'traffic light', 'fire hydrant', 'stop sign',
    'parking meter', 'bench', 'bird', 'cat', 'dog', 'horse', 'sheep', 'cow',
    'elephant', 'bear', 'zebra', 'giraffe', 'backpack', 'umbrella',
    'handbag', 'tie', 'suitcase', 'frisbee', 'skis', 'snowboard',
    'sports ball', 'kite', 'baseball bat', 'baseball glove', 'skateboard',
    'surfboard', 'tennis racket', 'bottle', 'wine glass', 'cup', 'fork',
    'knife', 'spoon', 'bowl', 'banana', 'apple', 'sandwich', 'orange',
    'broccoli', 'carrot', 'hot dog', 'pizza', 'donut', 'cake', 'chair',
    'couch', 'potted plant', 'bed', 'dining table', 'toilet', 'tv',
    'laptop', 'mouse', 'remote', 'keyboard', 'cell phone', 'microwave',
    'oven', 'toaster', 'sink', 'refrigerator', 'book', 'clock', 'vase',
    'scissors', 'teddy bear', 'hair drier', 'toothbrush')


@DATASETS.register_module()
class COCOWSSSDataset(DocSemSegDataset):
    """COCO 2014 images with semantic masks and image-level labels.

    Made by ``tools/dataset_converters/coco_wsss.py`` from the instance
    annotations (``coco_to_semantic`` with these 80 classes, no outline
    band, crowd regions ignored)::

        data_root/train2014/*.jpg  val2014/*.jpg
        data_root/SEM/{train2014,val2014}/<stem>.png
        data_root/SEM/{train2014,val2014}.txt          split lists
        data_root/SEM/{train2014,val2014}_tags.json    image labels

    Images without annotations are kept (all-background, no labels), as in
    SLRNet's ``COCOClassification``.
    """

    METAINFO: dict = dict(classes=('background', ) + COCO_CLASSES)

    def __init__(self, img_suffix: str = '.jpg', **kwargs) -> None:
        super().__init__(img_suffix=img_suffix, **kwargs)
