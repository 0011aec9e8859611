# Copyright (c) docseg_mm contributors. All rights reserved.
"""RVL-CDIP document classification (16 classes), in both common layouts."""
import logging
import re
from typing import Dict, List, Optional, Sequence, Tuple, Union

import mmengine.fileio as fileio
from mmengine.logging import print_log
from mmengine.utils import is_abs
from mmpretrain.datasets import BaseDataset

from docseg_mm.registry import DATASETS
from .ann_checks import AnnotationFormatError
from .page_folder import build_pipeline, list_page_images
from .skip_report import SkipReportMixin

RVL_CDIP_CLASSES = ('letter', 'form', 'email', 'handwritten', 'advertisement',
                    'scientific report', 'scientific publication',
                    'specification', 'file folder', 'news article', 'budget',
                    'invoice', 'presentation', 'questionnaire', 'resume',
                    'memo')
SPLITS = ('train', 'val', 'test')


def normalize_class_name(name: str) -> str:
    """Lower-case a class name and treat ``_``, ``-`` and spaces alike."""
    return re.sub(r'[\s_\-]+', ' ', name.strip().lower())


@DATASETS.register_module()
class RVLCDIPDataset(SkipReportMixin, BaseDataset):
    """RVL-CDIP (400k grayscale TIFF pages, 16 classes).

    Two layouts are read:

    * **official release** (``split`` or ``ann_file`` given)::

          data_root/labels/{train,val,test}.txt   # "imagesa/a/a/.../x.tif 3"
          data_root/images/imagesa/...

      Labels are the integers of the label files; ``data_prefix`` defaults
      to ``'images'``. ``split`` may name several splits (e.g.
      ``('train', 'val')`` for a kNN feature bank).
    * **class folders** (neither given): ``data_root/data_prefix/<class>/
      **/*.tif``. Folder names are matched to ``classes`` ignoring case and
      treating ``_``/``-``/space alike (``scientific_report``), or may be
      the label index (``0`` .. ``15``). The label is the index in
      ``classes`` (the official order), not the folder's sort position.
      With ``classes_from_folders=True`` and no ``classes``, the sorted
      folder names become the classes (any names).

    Label indices follow :data:`RVL_CDIP_CLASSES`: letter, form, email,
    handwritten, advertisement, scientific report, scientific publication,
    specification, file folder, news article, budget, invoice, presentation,
    questionnaire, resume, memo. Load the images with ``LoadTiffPage``.

    Args:
        data_root (str): Dataset root. Defaults to ''.
        split (str | Sequence[str], optional): Official split(s) among
            ``train``, ``val``, ``test``; reads ``labels/<split>.txt``.
            Defaults to None.
        ann_file (str | Sequence[str]): Label file(s) (official format,
            relative to ``data_root``). Defaults to ''.
        data_prefix (str | dict, optional): Image folder relative to
            ``data_root``. Defaults to None (``'images'`` for label files,
            ``''`` for class folders).
        classes (str | Sequence[str], optional): Class names (a file or a
            sequence). Defaults to None (the 16 RVL-CDIP classes).
        classes_from_folders (bool): In the folder layout without
            ``classes``, take the sorted folder names as classes instead of
            failing on unknown folders. Defaults to False.
        extensions (Sequence[str]): Image suffixes of the folder layout.
            Defaults to ``('.tif', '.tiff')``.
        missing_images (str): Listed images that do not exist: ``'error'``
            (raise, naming file and line), ``'skip'`` (count as
            ``missing_image`` in :attr:`skipped`, log and drop) or
            ``'defer'`` (no check at init: fastest; the loader reports).
            Defaults to ``'error'``.
        backend_args (dict, optional): mmengine file backend arguments.
            Defaults to None.
        pipeline (Sequence): Transforms; dicts are built in ``docseg_mm``'s
            registry. Defaults to ().
        lazy_init (bool): Defer reading the labels. Defaults to False.
        **kwargs: Other arguments of mmpretrain's ``BaseDataset``
            (``metainfo``, ``indices``, ``test_mode``...).

    Raises:
        AnnotationFormatError: A malformed label line or a label out of
            range (the message gives ``file:line``).
        FileNotFoundError: A missing label file, image folder or image.
        ValueError: An unknown class folder (lists the known classes).
    """

    METAINFO = dict(classes=RVL_CDIP_CLASSES)

    def __init__(self,
                 data_root: str = '',
                 split: Union[str, Sequence[str], None] = None,
                 ann_file: Union[str, Sequence[str]] = '',
                 data_prefix: Union[str, dict, None] = None,
                 classes: Union[str, Sequence[str], None] = None,
                 classes_from_folders: bool = False,
                 extensions: Sequence[str] = ('.tif', '.tiff'),
                 missing_images: str = 'error',
                 backend_args: Optional[dict] = None,
                 pipeline: Sequence = (),
                 lazy_init: bool = False,
                 **kwargs) -> None:
        ann_files = self._resolve_ann_files(split, ann_file)
        if data_prefix is None:
            data_prefix = 'images' if ann_files else ''
        metainfo = kwargs.get('metainfo') or {}
        self.user_classes = classes is not None or 'classes' in metainfo
        self.classes_from_folders = classes_from_folders
        self.extensions = tuple(extensions)
        self.missing_images = missing_images
        self.backend_args = backend_args
        self.split = split
        super().__init__(
            ann_file='',
            data_root=data_root,
            data_prefix=data_prefix,
            classes=classes,
            pipeline=build_pipeline(pipeline),
            lazy_init=True,
            **kwargs)
        self.ann_files = [
            f if is_abs(f) or not data_root else fileio.join_path(
                data_root, f, backend_args=backend_args) for f in ann_files
        ]
        if not lazy_init:
            self.full_init()

    @staticmethod
    def _resolve_ann_files(split: Union[str, Sequence[str], None],
                           ann_file: Union[str, Sequence[str]]) -> List[str]:
        """Label files named by ``split`` or ``ann_file``."""
        if split is not None and ann_file:
            raise ValueError('give either split or ann_file, not both')
        if split is not None:
            splits = [split] if isinstance(split, str) else list(split)
            bad = [s for s in splits if s not in SPLITS]
            if bad or not splits:
                raise ValueError(f'unknown RVL-CDIP split(s) {bad or splits}; '
                                 f'choose from {SPLITS}')
            return [f'labels/{s}.txt' for s in splits]
        if not ann_file:
            return []
        return [ann_file] if isinstance(ann_file, str) else list(ann_file)

    def load_data_list(self) -> List[dict]:
        """Read the label files or the class folders.

        Returns:
            list[dict]: ``dict(img_path, gt_label)`` per image.
        """
        self._reset_skips()
        if self.ann_files:
            samples = self._samples_from_label_files()
        else:
            samples = self._samples_from_folders()
        return [dict(img_path=p, gt_label=label) for p, label in samples]

    def _parse_label_file(self, ann_file: str,
                          num_classes: int) -> Tuple[list, List[str]]:
        """Parse one official label file into (path, label) and positions."""
        try:
            text = fileio.get_text(ann_file, backend_args=self.backend_args)
        except FileNotFoundError:
            raise FileNotFoundError(
                f'RVL-CDIP label file {ann_file!r} not found (official '
                'layout: <data_root>/labels/{train,val,test}.txt)') from None
        samples, wheres = [], []
        for lineno, raw in enumerate(text.splitlines(), 1):
            line = raw.strip()
            if not line or line.startswith('#'):
                continue
            where = f'{ann_file}:{lineno}'
            parts = line.rsplit(None, 1)
            if len(parts) != 2:
                raise AnnotationFormatError(
                    f'{where}: malformed line {raw!r}; expected '
                    '"<relative image path> <integer label>"')
            try:
                label = int(parts[1])
            except ValueError:
                raise AnnotationFormatError(
                    f'{where}: label {parts[1]!r} is not an integer in '
                    f'line {raw!r}') from None
            if not 0 <= label < num_classes:
                raise AnnotationFormatError(
                    f'{where}: label {label} is out of range 0..'
                    f'{num_classes - 1} ({num_classes} classes)')
            path = fileio.join_path(
                self.img_prefix, parts[0], backend_args=self.backend_args)
            samples.append((path, label))
            wheres.append(where)
        return samples, wheres

    def _samples_from_label_files(self) -> List[Tuple[str, int]]:
        """(path, label) of all lines of all label files."""
        num_classes = len(self.CLASSES)
        samples, wheres = [], []
        for ann_file in self.ann_files:
            s, w = self._parse_label_file(ann_file, num_classes)
            samples += s
            wheres += w
        if not samples:
            raise AnnotationFormatError(
                f'RVL-CDIP label file(s) {self.ann_files} list no image')
        keep = self._keep_existing([p for p, _ in samples], wheres,
                                   self.missing_images, self.backend_args)
        self._log_load_summary(
            f'RVLCDIPDataset: {len(keep)} of {len(samples)} listed images',
            label='first',
            always=False)
        return [samples[i] for i in keep]

    def _folder_labels(self, folders: List[str]) -> Dict[str, int]:
        """Map class folder names to label indices."""
        if self.classes_from_folders and not self.user_classes:
            self._metainfo['classes'] = tuple(folders)
            return {f: i for i, f in enumerate(folders)}
        classes = list(self.CLASSES)
        lookup = {normalize_class_name(c): i for i, c in enumerate(classes)}
        mapping, unknown = {}, []
        for folder in folders:
            key = normalize_class_name(folder)
            if key in lookup:
                mapping[folder] = lookup[key]
            elif key.isdigit() and int(key) < len(classes):
                mapping[folder] = int(key)
            else:
                unknown.append(folder)
        if unknown:
            raise ValueError(
                f'RVLCDIPDataset: unknown class folder(s) {unknown} in '
                f'{self.img_prefix!r}; known classes (index order): '
                f'{classes} (folder names may also use _ or - for spaces, '
                'or be the label index). Set classes=... or '
                'classes_from_folders=True for custom classes.')
        return mapping

    def _samples_from_folders(self) -> List[Tuple[str, int]]:
        """(path, label) of the images in the class folders."""
        root = self.img_prefix
        if not fileio.isdir(root, backend_args=self.backend_args):
            raise FileNotFoundError(
                f'RVLCDIPDataset: image folder {root!r} does not exist (give '
                'split=... for the official labels/ + images/ layout)')
        folders = sorted(
            d for d in fileio.list_dir_or_file(
                root,
                list_dir=True,
                list_file=False,
                recursive=False,
                backend_args=self.backend_args) if not d.startswith('.'))
        mapping = self._folder_labels(folders)
        samples, empty = [], []
        for folder in folders:
            rels = list_page_images(
                fileio.join_path(root, folder, backend_args=self.backend_args),
                self.extensions, True, self.backend_args)
            if not rels:
                empty.append(folder)
            samples += [(fileio.join_path(
                root, folder, rel,
                backend_args=self.backend_args), mapping[folder])
                        for rel in rels]
        if not samples:
            raise FileNotFoundError(
                f'RVLCDIPDataset: no image ({", ".join(self.extensions)}) in '
                f'class folders of {root!r} (found folders: {folders})')
        if empty:
            print_log(
                f'RVLCDIPDataset: class folder(s) without images: {empty}',
                logger='current',
                level=logging.WARNING)
        return samples

    def extra_repr(self) -> List[str]:
        """Label files (or folder layout) and image prefix."""
        layout = self.ann_files or 'class folders'
        return [
            f'Label files: \t{layout}', f'Prefix of images: \t'
            f'{self.img_prefix}'
        ]
