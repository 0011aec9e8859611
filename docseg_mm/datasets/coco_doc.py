# Copyright (c) docseg_mm contributors. All rights reserved.
"""Generic COCO-format document layout dataset with validated loading."""
import os.path as osp
from collections import defaultdict
from typing import Any, Dict, List, Optional

from mmdet.datasets import CocoDataset

from docseg_mm.registry import DATASETS
from .ann_checks import (AnnotationFormatError, check_categories,
                         check_coco_geometry, check_image, is_id,
                         precedence_skip_reason, read_coco_json)
from .ann_filters import filter_data_infos
from .coco_classes import CocoClassesMixin
from .skip_report import SkipReportMixin, summarize_ids


@DATASETS.register_module()
class CocoDocDataset(SkipReportMixin, CocoClassesMixin, CocoDataset):
    """COCO-format document layout dataset that validates its annotations.

    Class names come from ``metainfo=dict(classes=...)`` when given, else
    from the file's ``categories`` sorted by id. Labels are assigned BY NAME
    (label ``i`` is the category named ``classes[i]``), which is also how
    mmdet's ``CocoMetric`` finds category ids, so ``classes`` must equal the
    json category names exactly. Categories of the file that are not in
    ``classes`` are ignored (subsetting).

    Structural problems raise :class:`AnnotationFormatError` (a
    ``ValueError``) or ``FileNotFoundError`` naming the annotation file and
    the entry (image id, ``file_name``, annotation id). Per-annotation
    geometry problems are skipped, counted in :attr:`skipped` (reason ->
    count) and reported in one log line per file that also lists the first
    offending annotation ids. Skip reasons:

    - ``missing_image``: ``image_id`` is not an image of the file.
    - ``unknown_category``: ``category_id`` is not a category of the file
      (only with ``unknown_category='skip'``; an error otherwise).
    - ``bad_bbox``: ``bbox`` is not four finite numbers.
    - ``small_bbox``: box width or height below ``min_box_size``.
    - ``outside_image``: (almost) nothing of the box is on the page.
    - ``zero_area``: the json ``area`` is <= 0 (as mmdet).
    - ``bad_polygon``: no polygon part has >= 3 points, an even number of
      coordinates and a positive area (or the segmentation has a wrong
      type); partly bad polygons keep their good parts.
    - ``bad_rle``: a dict segmentation without ``counts``/``size``.
    - ``ignored``: the annotation has ``ignore: true`` (as mmdet).
    - ``precedence``: ``precedence != 0`` with
      ``drop_nonzero_precedence=True`` (DocLayNet's redundant duplicates).
    - ``duplicate_file``: an image entry whose ``file_name`` an earlier
      entry (another image id) already lists; the first entry is kept,
      the later one is not loaded a second time (``duplicate_files=
      'error'`` raises instead). Its annotations are counted as
      ``duplicate_file_ann``.
    - subclasses may add their own (:meth:`_filter_annotation`).

    Image entries keep every extra field (``doc_category``, ``page_no``...)
    under its own name in the data info; a field that collides with a
    reserved data-info key (e.g. ``instances``) is stored as
    ``image_<key>``.

    Note:
        ``filter_cfg=dict(filter_empty_gt=True)`` drops images without any
        kept instance (crowd instances count), i.e. after the validation
        above; ``min_size`` works as in mmdet. With ``lazy_init=True`` the
        classes taken from the file are only known after ``full_init()``.

    Args:
        ann_file (str): COCO json path, relative to ``data_root``.
            Defaults to ''.
        metainfo (dict, optional): Meta information; ``classes`` selects and
            orders the categories by name. Defaults to None.
        data_root (str): Root joined to ``ann_file`` and ``data_prefix``.
            Defaults to ''.
        data_prefix (dict): Prefix of the image folder under key ``img``
            (and optionally ``seg``). Defaults to ``dict(img='')``.
        unknown_category (str): What to do with an annotation whose
            ``category_id`` is not among the file's categories: ``'error'``
            or ``'skip'`` (count and log). Defaults to 'error'.
        clip_boxes (bool): Clip boxes to the page ``[0, W] x [0, H]``.
            Defaults to True.
        min_box_size (float): Minimum box width and height in pixels,
            checked before and after clipping. Defaults to 1.0.
        bbox_as_missing_mask (bool): Give annotations without segmentation
            a rectangular polygon mask from their (clipped) box, so that
            ``LoadAnnotations(with_mask=True)`` can be used on box-only
            files. Defaults to False.
        drop_nonzero_precedence (bool): Drop annotations whose
            ``precedence`` is not 0 (DocLayNet's redundant annotations of
            double/triple-annotated pages), counted as ``precedence``.
            Defaults to False.
        check_class_order (bool): Raise if ``classes`` are ordered unlike
            the file's categories, which makes mmdet's ``CocoMetric`` (it
            maps label ``i`` to the ``i``-th selected category in file order)
            score labels against the wrong categories. If False only warn.
            Defaults to True.
        num_logged_ids (int): How many offending annotation ids per reason
            the summary log line lists. Defaults to 5.
        duplicate_files (str): An image entry listing the same file as an
            earlier one: ``'skip'`` (keep the first, count and log) or
            ``'error'``. Defaults to 'skip'.
        **kwargs: Other arguments of :class:`mmdet.datasets.CocoDataset`
            (``filter_cfg``, ``pipeline``, ``test_mode``, ``backend_args``,
            ...).
    """

    METAINFO: dict = dict()
    UNKNOWN_CATEGORY_MODES = ('error', 'skip')
    #: Reasons that are intended filtering, logged at INFO, not WARNING.
    NOTICE_REASONS = frozenset({'ignored', 'precedence'})
    #: Data-info keys written by the dataset; image fields with these names
    #: are stored as ``image_<key>``.
    RESERVED_KEYS = frozenset({
        'img_path', 'img_id', 'seg_map_path', 'height', 'width', 'instances',
        'sample_idx', 'text', 'caption_prompt', 'custom_entities'
    })

    def __init__(self,
                 ann_file: str = '',
                 metainfo: Optional[dict] = None,
                 data_root: str = '',
                 data_prefix: dict = dict(img=''),
                 *,
                 unknown_category: str = 'error',
                 clip_boxes: bool = True,
                 min_box_size: float = 1.0,
                 bbox_as_missing_mask: bool = False,
                 drop_nonzero_precedence: bool = False,
                 check_class_order: bool = True,
                 num_logged_ids: int = 5,
                 duplicate_files: str = 'skip',
                 **kwargs) -> None:
        if duplicate_files not in ('skip', 'error'):
            raise ValueError("duplicate_files must be 'skip' or 'error', "
                             f'got {duplicate_files!r}')
        self.duplicate_files = duplicate_files
        if unknown_category not in self.UNKNOWN_CATEGORY_MODES:
            raise ValueError(
                f'unknown_category must be one of '
                f'{self.UNKNOWN_CATEGORY_MODES}, got {unknown_category!r}')
        if 'img' not in data_prefix:
            raise ValueError("data_prefix needs an 'img' key (the image "
                             f'folder), got {data_prefix!r}')
        self.unknown_category = unknown_category
        self.clip_boxes = clip_boxes
        self.min_box_size = float(min_box_size)
        self.bbox_as_missing_mask = bbox_as_missing_mask
        self.drop_nonzero_precedence = drop_nonzero_precedence
        self.check_class_order = check_class_order
        self.num_logged_ids = num_logged_ids
        self._reset_stats()
        super().__init__(
            ann_file=ann_file,
            metainfo=metainfo,
            data_root=data_root,
            data_prefix=data_prefix,
            **kwargs)

    # ------------------------------------------------------------------
    # loading
    # ------------------------------------------------------------------
    def load_data_list(self) -> List[dict]:
        """Read, validate and parse ``self.ann_file``.

        Returns:
            list[dict]: One data info per image, in file order.
        """
        self._reset_stats()
        raw = read_coco_json(self.ann_file, self.backend_args)
        cat_pairs = check_categories(raw['categories'], self.ann_file)
        self._set_classes(cat_pairs)
        images = self._index_images(raw['images'])
        file_cat_ids = set(cid for cid, _ in cat_pairs)
        grouped = self._group_annotations(raw['annotations'], images,
                                          file_cat_ids)
        data_list = []
        for img_id, img in images.items():
            raw_img_info = dict(img)
            raw_img_info['img_id'] = img_id
            data_list.append(
                self.parse_data_info(
                    dict(
                        raw_img_info=raw_img_info,
                        raw_ann_info=grouped.get(img_id, []))))
        self._build_cat_img_map(data_list)
        self._log_summary(data_list)
        return data_list

    def parse_data_info(self, raw_data_info: dict) -> dict:
        """Turn one image and its (pre-checked) annotations into a data info.

        Args:
            raw_data_info (dict): ``raw_img_info`` (image entry plus
                ``img_id``) and ``raw_ann_info`` (its annotations).

        Returns:
            dict: Data info with ``img_path``, ``img_id``, ``height``,
            ``width``, ``seg_map_path``, ``instances`` and the extra image
            fields.
        """
        img_info = raw_data_info['raw_img_info']
        data_info: Dict[str, Any] = {}
        for key, value in img_info.items():
            if key in ('id', 'img_id', 'width', 'height'):
                continue
            data_info[f'image_{key}' if key in self.RESERVED_KEYS else key] = \
                value
        file_name = img_info['file_name']
        data_info['img_path'] = osp.join(self.data_prefix['img'], file_name)
        if self.data_prefix.get('seg', None):
            data_info['seg_map_path'] = osp.join(
                self.data_prefix['seg'],
                file_name.rsplit('.', 1)[0] + self.seg_map_suffix)
        else:
            data_info['seg_map_path'] = None
        data_info['img_id'] = img_info['img_id']
        width = int(round(img_info['width']))
        height = int(round(img_info['height']))
        data_info['width'], data_info['height'] = width, height
        if self.return_classes:
            data_info['text'] = self.metainfo['classes']
            data_info['caption_prompt'] = self.caption_prompt
            data_info['custom_entities'] = True
        instances = []
        for ann in raw_data_info['raw_ann_info']:
            instance = self._parse_instance(ann, width, height)
            if instance is not None:
                instances.append(instance)
        data_info['instances'] = instances
        return data_info

    def filter_data(self) -> List[dict]:
        """Apply ``filter_cfg`` (``filter_empty_gt``, ``min_size``).

        Returns:
            list[dict]: The kept data infos (all of them in test mode).
        """
        return filter_data_infos(
            self.data_list, self.filter_cfg, self.test_mode, self.ann_file,
            summarize_ids(self.skipped_ids, self.skipped))

    def _filter_annotation(self, ann: dict) -> Optional[str]:
        """Drop an annotation before the geometry checks.

        Drops non-zero ``precedence`` annotations when asked to; subclasses
        may add their own rules.

        Args:
            ann (dict): A json annotation of a selected category.

        Returns:
            str | None: A skip reason, or None to keep it.
        """
        return precedence_skip_reason(ann, self.drop_nonzero_precedence)

    # ------------------------------------------------------------------
    # images and annotations
    # ------------------------------------------------------------------
    def _index_images(self, images: List[dict]) -> Dict[Any, dict]:
        """Check the image entries and index them by id (file order).

        A repeated ``file_name`` (normalised) keeps its first entry; later
        ones are skipped as ``duplicate_file`` (or raise).
        """
        indexed: Dict[Any, dict] = {}
        first_by_file: Dict[str, Any] = {}
        self._duplicate_ids: set = set()
        for i, img in enumerate(images):
            check_image(img, i, self.ann_file)
            if img['id'] in indexed or img['id'] in self._duplicate_ids:
                raise AnnotationFormatError(
                    f'annotation file {self.ann_file!r}: image id '
                    f'{img["id"]!r} (file_name {img["file_name"]!r}) is '
                    'defined more than once')
            key = osp.normpath(img['file_name'])
            if key in first_by_file:
                msg = (f'image id {img["id"]!r} lists {img["file_name"]!r} '
                       f'again (first as image id {first_by_file[key]!r})')
                if self.duplicate_files == 'error':
                    raise AnnotationFormatError(
                        f'annotation file {self.ann_file!r}: {msg}; pass '
                        "duplicate_files='skip' to keep the first entry")
                self._duplicate_ids.add(img['id'])
                self._skip('duplicate_file', msg)
                continue
            first_by_file[key] = img['id']
            indexed[img['id']] = img
        return indexed

    def _group_annotations(self, annotations: List[dict], images: dict,
                           file_cat_ids: set) -> Dict[Any, List[dict]]:
        """Check ids and categories; group kept annotations by image."""
        grouped: Dict[Any, List[dict]] = defaultdict(list)
        seen = set()
        for i, ann in enumerate(annotations):
            ann_id = ann.get('id', None)
            if not is_id(ann_id):
                raise AnnotationFormatError(
                    f'annotation file {self.ann_file!r}: annotations[{i}] '
                    f'(image_id {ann.get("image_id")!r}) has no valid "id" '
                    f'(got {ann_id!r})')
            if ann_id in seen:
                raise AnnotationFormatError(
                    f'annotation file {self.ann_file!r}: annotation id '
                    f'{ann_id!r} is used more than once')
            seen.add(ann_id)
            for key in ('image_id', 'category_id'):
                value = ann.get(key, None)
                if not is_id(value):
                    raise AnnotationFormatError(
                        f'annotation file {self.ann_file!r}: annotation id '
                        f'{ann_id!r} has no valid {key!r} (got {value!r})')
            self.load_stats['annotations'] += 1
            cat_id = ann['category_id']
            if ann['image_id'] in self._duplicate_ids:
                self._skip('duplicate_file_ann', ann_id)
            elif ann['image_id'] not in images:
                self._skip('missing_image', ann_id)
            elif cat_id not in file_cat_ids:
                if self.unknown_category == 'error':
                    raise AnnotationFormatError(
                        f'annotation file {self.ann_file!r}: annotation id '
                        f'{ann_id!r} (image id {ann["image_id"]!r}) has '
                        f'category_id {cat_id!r}, which is not among the '
                        f'file\'s categories {sorted(file_cat_ids)}; pass '
                        "unknown_category='skip' to drop such annotations")
                self._skip('unknown_category', ann_id)
            elif cat_id not in self.cat2label:
                self.load_stats['unselected_category'] += 1
            else:
                reason = self._filter_annotation(ann)
                if reason:
                    self._skip(reason, ann_id)
                else:
                    grouped[ann['image_id']].append(ann)
        return grouped

    def _parse_instance(self, ann: dict, width: int,
                        height: int) -> Optional[dict]:
        """Validate one annotation's geometry; None if it is skipped."""
        geom, reason, notes = check_coco_geometry(
            ann, width, height, self.min_box_size, self.clip_boxes,
            self.bbox_as_missing_mask, self.ann_file)
        self.load_stats['clipped'] += notes['clipped']
        if geom is None:
            return self._skip(reason, ann['id'])
        self.load_stats['polygon_parts_dropped'] += notes['parts_dropped']
        instance = dict(
            bbox=geom['bbox'],
            bbox_label=self.cat2label[ann['category_id']],
            ignore_flag=1 if ann.get('iscrowd', False) else 0)
        if geom['mask'] is not None:
            instance['mask'] = geom['mask']
        return instance

    # ------------------------------------------------------------------
    # bookkeeping
    # ------------------------------------------------------------------
    def _reset_stats(self) -> None:
        """Clear :attr:`skipped`, :attr:`skipped_ids`, :attr:`load_stats`."""
        self._reset_skips()
        #: counters: annotations, unselected_category, clipped,
        #: polygon_parts_dropped
        self.load_stats: Dict[str, int] = dict(
            annotations=0,
            unselected_category=0,
            clipped=0,
            polygon_parts_dropped=0)

    def _build_cat_img_map(self, data_list: List[dict]) -> None:
        """``cat_id -> [img_id]`` over kept instances (mmdet attribute)."""
        cat_img_map: Dict[int, List[Any]] = {cid: [] for cid in self.cat_ids}
        for info in data_list:
            for label in sorted({i['bbox_label'] for i in info['instances']}):
                cat_img_map[self.cat_ids[label]].append(info['img_id'])
        self.cat_img_map = cat_img_map

    def _log_summary(self, data_list: List[dict]) -> None:
        """Log one line about what was loaded, clipped and skipped."""
        stats = self.load_stats
        kept = sum(len(info['instances']) for info in data_list)
        msg = (f'{type(self).__name__}: {self.ann_file!r}: '
               f'{len(data_list)} images, {kept}/{stats["annotations"]} '
               'annotations kept')
        if stats['unselected_category']:
            msg += (f', {stats["unselected_category"]} of categories not '
                    'in classes ignored')
        if stats['clipped']:
            msg += f', {stats["clipped"]} boxes clipped to the page'
        if stats['polygon_parts_dropped']:
            msg += (f', {stats["polygon_parts_dropped"]} degenerate polygon '
                    'parts dropped')
        self._log_load_summary(msg)
