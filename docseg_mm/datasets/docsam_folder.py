# Copyright (c) docseg_mm contributors. All rights reserved.
"""DocSAM's dataset-folder format: one COCO json per image."""
import os
import os.path as osp
from collections import defaultdict
from typing import Any, Dict, List, Optional, Sequence, Tuple

from mmdet.datasets import BaseDetDataset
from PIL import Image

from docseg_mm.registry import DATASETS
from .ann_checks import AnnotationFormatError, make_palette
from .ann_filters import filter_data_infos
from .docsam_meta import DocSAMMetaMixin, parse_dataset_path
from .docsam_rectify import (BACKGROUND, category_names, polygons_area,
                             read_image_json, rectify_geometry,
                             resolve_category)
from .skip_report import SkipReportMixin, summarize_ids

IMG_SUFFIXES = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff', '.gif',
                '.webp')


@DATASETS.register_module()
class DocSAMFolderDataset(SkipReportMixin, DocSAMMetaMixin, BaseDetDataset):
    """A DocSAM dataset folder: ``image/``, ``coco/<stem>.json``, lists.

    Layout (``data_root``)::

        image/<file>            page images
        image_resize/<file>     optional replacements (e.g. pre-resized)
        coco/<stem>.json        one COCO dict per image: images[0] (width,
                                height), annotations, categories
        list.txt | list_train.txt | list_val.txt   stems or file names

    Rectification (as DocSAM's ``_coco_data_rectify``): annotations without
    box and polygon are dropped; ``category_id`` may be an int id or a
    category name; category ``_background_`` is dropped; when an image's
    categories contain both ``table`` and ``text word``, ``text word`` is
    dropped; boxes and polygons are clipped to the image; a missing box is
    the polygons' bounds and a missing polygon the box rectangle;
    annotations are sorted by area (largest first).

    Classes: ``metainfo=dict(classes=...)`` fixes names and label order;
    else the sorted union of category names over all images (the
    categories listed in each json after the drops above, plus names used
    by its annotations). ``class_names`` appends the background prompt.
    Every data info carries ``class_names``, ``dataset_name`` and ``task``
    (pack them with ``PackDetInputs(meta_keys=...)``); ``img_id`` is the
    file stem.

    When ``image_resize/<file>`` exists it is loaded instead and the
    annotations (in the json's ``width x height`` frame) are scaled to its
    size (read from the image header), so ``height``/``width`` of the data
    info are the loaded image's.

    Errors name the json file and the annotation: malformed json, an
    invalid ``category_id``, a split entry without json or image
    (``FileNotFoundError``; counted skip with ``skip_missing=True``), an
    unknown category (a category id missing from the file's categories, a
    name not among them, or a name outside explicit ``classes``;
    counted skip with ``skip_unknown=True``). Other dropped annotations are
    counted in :attr:`skipped` (reason -> count) and logged once:
    ``no_geometry``, ``background``, ``text_word``, ``unsupported_rle``,
    ``bad_polygon``, ``small_bbox``, ``outside_image``,
    ``unknown_category``, ``missing_file``, ``duplicate_entry`` (a split
    entry listed again is used once). Only local files are supported.

    Args:
        data_root (str): The dataset folder.
        split_file (str, optional): Split list relative to ``data_root``
            (``list.txt``, ``list_train.txt``, ``list_val.txt``). None uses
            every ``<ann_dir>/*.json`` (sorted). Defaults to 'list.txt'.
        metainfo (dict, optional): ``classes`` fixes the class list.
            Defaults to None.
        dataset_name (str, optional): Name used in the background prompt.
            Defaults to None: parsed from ``data_root`` as DocSAM does (see
            :func:`parse_dataset_path`), else the folder name.
        task (str, optional): Task family (``layout``, ``ancient``,
            ``handwritten``, ``table``, ``scenetext``). Defaults to None:
            parsed from ``data_root``; an error if that fails.
        background_name (str, optional): Background prompt. Defaults to
            None (``f'{dataset_name} _background_'``).
        skip_unknown (bool): Count and skip annotations of unknown
            categories instead of raising. Defaults to False.
        skip_missing (bool): Count and skip split entries whose json or
            image is missing instead of raising. Defaults to False.
        ann_dir (str): Json folder. Defaults to 'coco'.
        img_dir (str): Image folder. Defaults to 'image'.
        resized_img_dir (str, optional): Folder of replacement images.
            Defaults to 'image_resize'.
        min_box_size (float): Minimum box width/height in pixels (before and
            after clipping). Defaults to 1.0.
        num_logged_ids (int): Offending entries listed per skip reason in
            the log line. Defaults to 5.
        **kwargs: Other arguments of mmdet ``BaseDetDataset``
            (``pipeline``, ``test_mode``, ``filter_cfg`` with
            ``filter_empty_gt`` / ``min_size``, ``lazy_init``, ...).
    """

    METAINFO: dict = dict()
    #: Intended filtering, logged at INFO level.
    NOTICE_REASONS = frozenset({'background', 'text_word'})

    def __init__(self,
                 data_root: str,
                 split_file: Optional[str] = 'list.txt',
                 metainfo: Optional[dict] = None,
                 *,
                 dataset_name: Optional[str] = None,
                 task: Optional[str] = None,
                 background_name: Optional[str] = None,
                 skip_unknown: bool = False,
                 skip_missing: bool = False,
                 ann_dir: str = 'coco',
                 img_dir: str = 'image',
                 resized_img_dir: Optional[str] = 'image_resize',
                 min_box_size: float = 1.0,
                 num_logged_ids: int = 5,
                 **kwargs: Any) -> None:
        parsed_name, parsed_task = parse_dataset_path(data_root)
        if dataset_name is None:
            dataset_name = parsed_name or self._folder_name(data_root)
        if task is None:
            if parsed_task is None:
                raise ValueError(
                    f'{type(self).__name__}: cannot infer the task family of '
                    f'{data_root!r} (no Ancient/Handwritten/Layout/SceneText/'
                    'Table path segment); pass task=...')
            task = parsed_task
        self._init_docsam_meta(dataset_name, task, background_name)
        self.skip_unknown = skip_unknown
        self.skip_missing = skip_missing
        self.min_box_size = float(min_box_size)
        self.num_logged_ids = num_logged_ids
        self._reset_skips()
        prefix = dict(img=img_dir, ann=ann_dir)
        if resized_img_dir:
            prefix['img_resize'] = resized_img_dir
        super().__init__(
            ann_file=split_file or '',
            metainfo=metainfo,
            data_root=data_root,
            data_prefix=prefix,
            **kwargs)
        if 'classes' not in self._metainfo:  # lazy_init
            self._update_docsam_metainfo(with_classes=False)

    @staticmethod
    def _folder_name(path: str) -> str:
        """Last path segment that is not a split name."""
        segs = [s for s in osp.normpath(path).split(os.sep) if s]
        while len(segs) > 1 and segs[-1] in ('train', 'test', 'val'):
            segs.pop()
        return segs[-1] if segs else path

    # ------------------------------------------------------------------
    # loading
    # ------------------------------------------------------------------
    def load_data_list(self) -> List[dict]:
        """Read the split list and every per-image json.

        Returns:
            list[dict]: One data info per listed image.
        """
        self._reset_skips()
        records = []
        img_index = self._index_dir(self.data_prefix['img'])
        resized = self._index_dir(self.data_prefix.get('img_resize', ''))
        for entry in self._read_split():
            record = self._load_entry(entry, img_index, resized)
            if record is not None:
                records.append(record)
        classes = self._resolve_classes(records)
        data_list = [self._to_data_info(rec, classes) for rec in records]
        self._update_docsam_metainfo()
        self._log_summary(data_list)
        return data_list

    def _read_split(self) -> List[str]:
        """Entries of the split list (or stems of all jsons)."""
        if not self.ann_file:
            ann_dir = self.data_prefix['ann']
            if not osp.isdir(ann_dir):
                raise FileNotFoundError(
                    f'{type(self).__name__}: annotation folder not found: '
                    f'{ann_dir!r}')
            return sorted(
                osp.splitext(n)[0] for n in os.listdir(ann_dir)
                if n.endswith('.json'))
        if not osp.isfile(self.ann_file):
            found = sorted(
                n for n in os.listdir(self.data_root)
                if n.startswith('list')) if osp.isdir(self.data_root) else []
            raise FileNotFoundError(
                f'{type(self).__name__}: split file not found: '
                f'{self.ann_file!r} (list files in data_root: {found})')
        entries, seen = [], set()
        with open(self.ann_file, encoding='utf-8') as f:
            for line in f:
                entry = line.strip()
                if entry in seen:
                    self._skip('duplicate_entry', entry)
                elif entry:
                    seen.add(entry)
                    entries.append(entry)
        return entries

    @staticmethod
    def _index_dir(folder: str) -> Dict[str, List[str]]:
        """``stem -> [file names]`` of a folder (empty if it is missing)."""
        index: Dict[str, List[str]] = defaultdict(list)
        if folder and osp.isdir(folder):
            for name in os.listdir(folder):
                stem = osp.splitext(name)[0]
                index[stem].append(name)
                if stem != name:
                    index[name].append(name)
        return index

    def _missing(self, msg: str, entry: str) -> None:
        """Raise ``FileNotFoundError`` or count a skipped entry."""
        if not self.skip_missing:
            raise FileNotFoundError(msg + ' (pass skip_missing=True to skip '
                                    'such entries)')
        self._skip('missing_file', entry)

    def _load_entry(self, entry: str, img_index: Dict[str, List[str]],
                    resized: Dict[str, List[str]]) -> Optional[dict]:
        """Read and rectify the json of one split entry."""
        has_suffix = osp.splitext(entry)[1].lower() in IMG_SUFFIXES
        stem = osp.splitext(entry)[0] if has_suffix else entry
        where = f'split {self.ann_file or self.data_prefix["ann"]!r} entry ' \
                f'{entry!r}'
        json_path = osp.join(self.data_prefix['ann'], stem + '.json')
        if not osp.isfile(json_path):
            return self._missing(
                f'{where}: annotation file not found: {json_path!r}', entry)
        raw = read_image_json(json_path)
        file_name = self._image_file(entry, stem, has_suffix, raw,
                                     img_index) or self._image_file(
                                         entry, stem, has_suffix, raw, resized)
        if file_name is None:
            return self._missing(
                f'{where}: no image for it in {self.data_prefix["img"]!r} or '
                f'{self.data_prefix.get("img_resize")!r} (json '
                f'{json_path!r})', entry)
        img = raw['images'][0]
        width, height = float(img['width']), float(img['height'])
        id2name = category_names(raw['categories'], json_path)
        cat_set = {n for n in id2name.values() if n != BACKGROUND}
        drop_word = 'table' in cat_set and 'text word' in cat_set
        if drop_word:
            cat_set.discard('text word')
        instances = []
        for j, ann in enumerate(raw['annotations']):
            ann_ref = f'{stem}#{ann.get("id", j)}'
            name, cat = resolve_category(ann, j, id2name, json_path)
            if name is None:
                self._unknown(
                    f'annotation file {json_path!r}: annotations[{j}] (id '
                    f'{ann.get("id")!r}) has category_id {cat!r}, which is '
                    f'not a category of the file {sorted(id2name.items())}',
                    ann_ref)
                continue
            if name == BACKGROUND:
                self._skip('background', ann_ref)
                continue
            if drop_word and name == 'text word':
                self._skip('text_word', ann_ref)
                continue
            geom, reason = rectify_geometry(ann, width, height,
                                            self.min_box_size)
            if geom is None:
                self._skip(reason, ann_ref)
                continue
            cat_set.add(name)
            instances.append(
                dict(
                    name=name,
                    ref=(j, ann.get('id')),
                    bbox=list(geom[0]),
                    mask=geom[1],
                    ignore_flag=1 if ann.get('iscrowd', 0) else 0))
        instances.sort(key=lambda i: -polygons_area(i['mask']))
        img_path = osp.join(self.data_prefix['img'], file_name)
        if file_name in resized.get(file_name, []):
            img_path = osp.join(self.data_prefix['img_resize'], file_name)
            width, height = self._rescale(instances, img_path, width, height)
        return dict(
            stem=stem,
            json_path=json_path,
            img_path=img_path,
            width=width,
            height=height,
            categories=cat_set,
            instances=instances)

    @staticmethod
    def _image_file(entry: str, stem: str, has_suffix: bool, raw: dict,
                    img_index: Dict[str, List[str]]) -> Optional[str]:
        """The image file name of an entry, or None if not found."""
        if has_suffix:
            return entry if entry in img_index.get(entry, []) else None
        json_name = osp.basename(str(raw['images'][0].get('file_name', '')))
        if json_name and osp.splitext(json_name)[0] == stem and \
                json_name in img_index.get(json_name, []):
            return json_name
        candidates = [
            n for n in img_index.get(stem, []) if osp.splitext(n)[0] == stem
        ]
        if len(candidates) > 1:
            raise AnnotationFormatError(
                f'split entry {entry!r}: several images share the stem '
                f'({sorted(candidates)}); list file names instead of stems')
        return candidates[0] if candidates else None

    @staticmethod
    def _rescale(instances: List[dict], img_path: str, width: float,
                 height: float) -> Tuple[float, float]:
        """Scale annotations from the json frame to the replacement image.

        Returns:
            tuple[float, float]: The replacement image's width and height.
        """
        try:
            with Image.open(img_path) as im:
                new_w, new_h = im.size
        except Exception as e:  # PIL raises various errors
            raise OSError(f'cannot read the size of replacement image '
                          f'{img_path!r}: {type(e).__name__}: {e}') from e
        sx, sy = new_w / width, new_h / height
        for inst in instances:
            x1, y1, x2, y2 = inst['bbox']
            inst['bbox'] = [x1 * sx, y1 * sy, x2 * sx, y2 * sy]
            for part in inst['mask']:
                part[0::2] = [v * sx for v in part[0::2]]
                part[1::2] = [v * sy for v in part[1::2]]
        return float(new_w), float(new_h)

    def _resolve_classes(self, records: List[dict]) -> Tuple[str, ...]:
        """Explicit ``classes`` or the sorted union of category names."""
        classes = self._metainfo.get('classes', None)
        if classes is None:
            classes = tuple(
                sorted(set().union(*(r['categories'] for r in records))))
        else:
            classes = (classes, ) if isinstance(classes, str) else \
                tuple(classes)
            repeated = sorted({c for c in classes if classes.count(c) > 1})
            if repeated:
                raise ValueError(
                    f'{type(self).__name__} {self.dataset_name!r}: class '
                    f'name(s) {repeated} appear more than once in classes')
        if not classes:
            raise AnnotationFormatError(
                f'{type(self).__name__} {self.dataset_name!r}: no category '
                f'found in {len(records)} annotation files under '
                f'{self.data_prefix["ann"]!r}')
        self._metainfo['classes'] = classes
        if len(self._metainfo.get('palette', None) or []) < len(classes):
            self._metainfo['palette'] = make_palette(len(classes))
        return classes

    def _to_data_info(self, record: dict, classes: Sequence[str]) -> dict:
        """Label the instances of a record and build its data info."""
        label_of = {name: i for i, name in enumerate(classes)}
        instances = []
        for inst in record['instances']:
            label = label_of.get(inst['name'], None)
            if label is None:
                j, ann_id = inst['ref']
                self._unknown(
                    f'annotation file {record["json_path"]!r}: annotations'
                    f'[{j}] (id {ann_id!r}) has category {inst["name"]!r}, '
                    f'which is not in classes {tuple(classes)}',
                    f'{record["stem"]}#{ann_id if ann_id is not None else j}')
                continue
            instances.append(
                dict(
                    bbox=inst['bbox'],
                    bbox_label=label,
                    mask=inst['mask'],
                    ignore_flag=inst['ignore_flag']))
        data_info = dict(
            img_path=record['img_path'],
            img_id=record['stem'],
            ann_path=record['json_path'],
            seg_map_path=None,
            height=int(round(record['height'])),
            width=int(round(record['width'])),
            instances=instances)
        return self._add_docsam_keys(data_info)

    def filter_data(self) -> List[dict]:
        """Apply ``filter_cfg`` (``filter_empty_gt``, ``min_size``).

        Returns:
            list[dict]: The kept data infos (all of them in test mode).
        """
        return filter_data_infos(
            self.data_list, self.filter_cfg, self.test_mode,
            f'{type(self).__name__} {self.dataset_name!r} ({self.data_root})',
            summarize_ids(self.skipped_ids, self.skipped, 'stem#ann'))

    # ------------------------------------------------------------------
    # bookkeeping
    # ------------------------------------------------------------------
    def _unknown(self, msg: str, ref: str) -> None:
        """Raise for an unknown category or count it."""
        if not self.skip_unknown:
            raise AnnotationFormatError(
                f'{type(self).__name__} {self.dataset_name!r}: {msg}; pass '
                'skip_unknown=True to skip such annotations')
        self._skip('unknown_category', ref)

    def _log_summary(self, data_list: List[dict]) -> None:
        """Log one line about what was loaded and skipped."""
        kept = sum(len(d['instances']) for d in data_list)
        msg = (f'{type(self).__name__} {self.dataset_name!r} ({self.task}): '
               f'{len(data_list)} images, {kept} instances, '
               f'{len(self._metainfo["classes"])} classes '
               f'{tuple(self._metainfo["classes"])}')
        self._log_load_summary(msg, label='stem#ann')
