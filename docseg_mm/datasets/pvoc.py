# Copyright (c) docseg_mm contributors. All rights reserved.
from mmseg.datasets import PascalVOCDataset

from docseg_mm.registry import DATASETS


@DATASETS.register_module()
class PVOCDataset(PascalVOCDataset):
    """PASCAL VOC 2012 in the Leopart "PVOC" layout used by AlignSeg::

        PVOC/images/<name>.jpg
        PVOC/SegmentationClass/<name>.png       val masks (255 = ignore)
        PVOC/SegmentationClassAug/<name>.png    trainaug masks
        PVOC/sets/{train,trainaug,val}.txt      one name per line

    AlignSeg trains on ``sets/trainaug.txt`` without masks (the training
    pipeline never loads them) and evaluates on ``sets/val.txt`` (1449
    images) with ``SegmentationClass``. The 21 classes are mmseg's
    ``PascalVOCDataset`` ones.

    Args:
        ann_file (str): Split list. Defaults to ``'sets/val.txt'``.
        data_prefix (dict): Defaults to ``images`` / ``SegmentationClass``.
        **kwargs: :class:`mmseg.datasets.PascalVOCDataset` arguments.
    """

    def __init__(self,
                 ann_file: str = 'sets/val.txt',
                 data_prefix: dict = dict(
                     img_path='images', seg_map_path='SegmentationClass'),
                 **kwargs) -> None:
        super().__init__(ann_file=ann_file, data_prefix=data_prefix,
                         **kwargs)
