# Copyright (c) docseg_mm contributors. All rights reserved.
"""Document datasets registered in ``docseg_mm.registry.DATASETS``."""
from .ann_checks import AnnotationFormatError, EmptyDatasetError
from .coco_doc import CocoDocDataset
from .coco_stuff27 import (COCO_STUFF27_CLASSES, CocoStuff27Dataset,
                           coco_stuff27_label_map)
from .coco_wsss import COCO_CLASSES, COCOWSSSDataset
from .ann_tags import TagsFormatError, read_tags_file
from .doc_semseg import DocSemSegDataset
from .doclaynet import DocLayNetDataset
from .docsam_coco import DOCLAYNET_TO_COARSE, DocSAMCocoDataset
from .docsam_folder import DocSAMFolderDataset
from .docsam_meta import parse_dataset_path
from .heterogeneous import HeterogeneousDataset
from .page_folder import IMG_EXTENSIONS, PageImageFolder
from .publaynet import PubLayNetDataset
from .pvoc import PVOCDataset
from .recog_lmdb import (LMDBFormatError, RecogLMDBDataset,
                         UnlabeledLMDBDataset, WordImageFolderDataset,
                         scan_recog_lmdb)
from .samplers import DatasetMixSampler, ImageLabelWeightedSampler
from .rvl_cdip import RVL_CDIP_CLASSES, RVLCDIPDataset
from .skip_report import SkipReportMixin
from .transforms import (ImageLoadError, ImageNotFoundError,
                         ImageOrientationError, ImageSizeMismatchError,
                         LoadDocImageFromFile, LoadTiffPage)

__all__ = [
    'COCO_STUFF27_CLASSES', 'CocoStuff27Dataset', 'coco_stuff27_label_map',
    'PVOCDataset',
    'AnnotationFormatError', 'EmptyDatasetError',
    'CocoDocDataset', 'DocLayNetDataset',
    'PubLayNetDataset', 'LoadDocImageFromFile', 'ImageLoadError',
    'ImageNotFoundError', 'ImageSizeMismatchError', 'ImageOrientationError',
    'RVLCDIPDataset',
    'RVL_CDIP_CLASSES', 'PageImageFolder', 'LoadTiffPage', 'IMG_EXTENSIONS',
    'DOCLAYNET_TO_COARSE', 'DocSAMCocoDataset', 'DocSAMFolderDataset',
    'parse_dataset_path', 'HeterogeneousDataset', 'DatasetMixSampler',
    'SkipReportMixin', 'DocSemSegDataset', 'TagsFormatError',
    'read_tags_file', 'COCO_CLASSES', 'COCOWSSSDataset',
    'ImageLabelWeightedSampler',
    'LMDBFormatError', 'RecogLMDBDataset', 'UnlabeledLMDBDataset',
    'WordImageFolderDataset', 'scan_recog_lmdb'
]
