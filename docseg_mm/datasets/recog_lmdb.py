# Copyright (c) docseg_mm contributors. All rights reserved.
"""Word-image LMDB datasets in the standard recognition layout.

Keys: ``num-samples`` (ASCII integer), ``image-%09d`` (encoded image bytes)
and ``label-%09d`` (UTF-8 text), 1-based, as written by DiG's, ABINet's and
mmocr's tools. Every problem is counted and logged with the database path:
an empty database, missing image or label records, labels that are not
UTF-8, words longer than ``max_word_len`` and (when checked) images that do
not decode. Nothing is replaced by a neighbouring record (DiG's loader
skipped two records and could run past the end).
"""
import os
import os.path as osp
from collections import Counter
from typing import Dict, List, Optional, Sequence, Tuple, Union

import mmcv
from mmengine.dataset import BaseDataset
from mmengine.logging import MMLogger

from docseg_mm.registry import DATASETS

#: Problem kinds counted while reading a database.
PROBLEMS = ('missing_image', 'missing_label', 'non_utf8_label', 'empty_label',
            'too_long', 'corrupt_image')


class LMDBFormatError(ValueError):
    """A database that is not a recognition LMDB."""


def open_lmdb(path: str):
    """Open an LMDB directory read-only (no lock, no readahead)."""
    import lmdb
    if not osp.isdir(path):
        raise FileNotFoundError(f'LMDB directory {path} does not exist')
    return lmdb.open(path, readonly=True, lock=False, readahead=False,
                     meminit=False, max_readers=32)


def read_num_samples(txn, path: str) -> int:
    """The ``num-samples`` entry, with a clear error if it is unusable."""
    raw = txn.get(b'num-samples')
    if raw is None:
        raise LMDBFormatError(f'{path}: no "num-samples" key; not a '
                              'recognition LMDB')
    try:
        return int(raw.decode('ascii').strip())
    except (UnicodeDecodeError, ValueError):
        raise LMDBFormatError(f'{path}: "num-samples" is {raw[:20]!r}, not an '
                              'integer') from None


def scan_recog_lmdb(path: str,
                    with_label: bool = True,
                    max_word_len: Optional[int] = None,
                    check_images: bool = False
                    ) -> Tuple[List[Tuple[int, str]], Counter]:
    """Read the labels (and optionally decode the images) of a database.

    Args:
        path (str): LMDB directory.
        with_label (bool): Read ``label-%09d``. Defaults to True.
        max_word_len (int, optional): Longer words are dropped.
            Defaults to None (keep all).
        check_images (bool): Decode every image and drop the corrupt ones.
            Defaults to False (only the presence of the key is checked).

    Returns:
        tuple: ``[(index, text)]`` of the kept records (text '' without
        labels) and a Counter of the problems (see :data:`PROBLEMS`) plus
        ``num_samples``.
    """
    counts: Counter = Counter()
    kept = []
    env = open_lmdb(path)
    try:
        with env.begin(write=False) as txn:
            total = read_num_samples(txn, path)
            counts['num_samples'] = total
            for idx in range(1, total + 1):
                img = txn.get(b'image-%09d' % idx)
                if img is None:
                    counts['missing_image'] += 1
                    continue
                text = ''
                if with_label:
                    raw = txn.get(b'label-%09d' % idx)
                    if raw is None:
                        counts['missing_label'] += 1
                        continue
                    try:
                        text = raw.decode('utf-8')
                    except UnicodeDecodeError:
                        counts['non_utf8_label'] += 1
                        continue
                    if not text:
                        counts['empty_label'] += 1
                        continue
                    if max_word_len is not None and len(text) > max_word_len:
                        counts['too_long'] += 1
                        continue
                if check_images and mmcv.imfrombytes(img) is None:
                    counts['corrupt_image'] += 1
                    continue
                kept.append((idx, text))
    finally:
        env.close()
    return kept, counts


def format_report(path: str, counts: Counter, kept: int) -> str:
    """One line: kept records and every nonzero problem count."""
    problems = ', '.join(f'{k}={counts[k]}' for k in PROBLEMS if counts[k])
    line = f'{path}: {kept} of {counts["num_samples"]} records kept'
    if counts['num_samples'] == 0:
        line += ' (EMPTY database)'
    return line + (f'; skipped: {problems}' if problems else '')


@DATASETS.register_module()
class RecogLMDBDataset(BaseDataset):
    """Labelled word images in one or more recognition LMDBs.

    Every data info has mmocr's fields ``img_key``, ``img_path``
    (``<lmdb>/<img_key>``, for identification) and
    ``instances=[dict(text=...)]``, plus ``dataset_name`` (per LMDB, for
    per-set metrics); ``prepare_data`` decodes the image into ``img``
    (``ori_shape``, ``img_shape`` set) before the pipeline.

    Args:
        ann_file (str | Sequence[str]): LMDB directory or directories
            (relative to ``data_root``).
        dataset_names (str | Sequence[str], optional): One name per LMDB.
            Defaults to the folder names.
        max_word_len (int, optional): Drop (and count) longer words. DiG
            trains on words of at most 23 characters. Defaults to None.
        check_images (bool, optional): Decode every image while loading and
            drop corrupt ones; defaults to ``test_mode`` (evaluation sets are
            fixed up front; at training time a corrupt image found on the fly
            is logged, counted and replaced by a random record).
        color_type (str): mmcv ``imfrombytes`` flag. Defaults to 'color'.
        **kwargs: :class:`mmengine.dataset.BaseDataset` arguments.
    """
    with_label = True

    def __init__(self,
                 ann_file: Union[str, Sequence[str]] = '',
                 dataset_names: Optional[Union[str, Sequence[str]]] = None,
                 max_word_len: Optional[int] = None,
                 check_images: Optional[bool] = None,
                 color_type: str = 'color',
                 test_mode: bool = False,
                 **kwargs) -> None:
        files = [ann_file] if isinstance(ann_file, str) else list(ann_file)
        if not files or not all(files):
            raise ValueError('ann_file must name at least one LMDB')
        names = [dataset_names] if isinstance(dataset_names, str) else \
            dataset_names
        if names is not None and len(names) != len(files):
            raise ValueError(f'{len(names)} dataset_names for {len(files)} '
                             'LMDBs')
        self.lmdb_files = files
        self.dataset_names = list(names) if names is not None else [
            osp.basename(osp.normpath(f)) for f in files]
        self.max_word_len = max_word_len
        self.check_images = test_mode if check_images is None else \
            check_images
        self.color_type = color_type
        self._envs: Dict[str, object] = {}
        self._env_pid = None
        self.report: Dict[str, Counter] = {}
        super().__init__(ann_file='', test_mode=test_mode, **kwargs)

    def _lmdb_path(self, f: str) -> str:
        if self.data_root and not osp.isabs(f):
            return osp.join(self.data_root, f)
        return f

    def load_data_list(self) -> List[dict]:
        logger = MMLogger.get_current_instance()
        data_list = []
        for f, name in zip(self.lmdb_files, self.dataset_names):
            path = self._lmdb_path(f)
            records, counts = scan_recog_lmdb(
                path, with_label=self.with_label,
                max_word_len=self.max_word_len,
                check_images=self.check_images)
            self.report[path] = counts
            line = format_report(path, counts, len(records))
            if counts['num_samples'] == 0 or \
                    len(records) < counts['num_samples']:
                logger.warning(line)
            else:
                logger.info(line)
            data_list.extend(
                dict(lmdb=path, img_key='image-%09d' % idx,
                     img_path=osp.join(path, 'image-%09d' % idx),
                     instances=[dict(text=text)] if self.with_label else [],
                     dataset_name=name) for idx, text in records)
        if not data_list:  # MMEngine cannot serialise an empty list
            self.serialize_data = False
        return data_list

    def _read(self, path: str, key: str) -> Optional[bytes]:
        if self._env_pid != os.getpid():
            self._envs, self._env_pid = {}, os.getpid()
        if path not in self._envs:
            self._envs[path] = open_lmdb(path)
        with self._envs[path].begin(write=False) as txn:
            return txn.get(key.encode('ascii'))

    def prepare_data(self, idx: int) -> Optional[dict]:
        info = self.get_data_info(idx)
        buf = self._read(info['lmdb'], info['img_key'])
        img = None if buf is None else mmcv.imfrombytes(
            buf, flag=self.color_type)
        if img is None:
            counts = self.report.setdefault(info['lmdb'], Counter())
            counts['corrupt_image'] += 1
            MMLogger.get_current_instance().warning(
                f'{info["lmdb"]}: record {info["img_key"]} does not decode '
                f'(corrupt images so far: {counts["corrupt_image"]})')
            return None
        info['img'] = img
        info['ori_shape'] = info['img_shape'] = img.shape[:2]
        return self.pipeline(info)

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state['_envs'] = {}  # LMDB handles do not cross processes
        state['_env_pid'] = None
        return state


@DATASETS.register_module()
class UnlabeledLMDBDataset(RecogLMDBDataset):
    """Word images of a recognition LMDB without reading labels (for
    self-supervised pretraining; DiG's ``AloneImageLmdb``)."""
    with_label = False


@DATASETS.register_module()
class WordImageFolderDataset(BaseDataset):
    """Word images in a folder, with or without a label file.

    Without ``ann_file`` every image under ``data_prefix['img_path']``
    (recursively, sorted) is a sample. With ``ann_file``, each line is
    ``<path relative to the image folder>\\t<transcription>``; lines with a
    missing image, no tab, an empty or over-long word are counted and
    logged, never silently dropped.

    Args:
        ann_file (str): Label file, or '' for unlabeled. Defaults to ''.
        max_word_len (int, optional): Drop longer words. Defaults to None.
        extensions (Sequence[str]): Image suffixes. Defaults to
            ('.png', '.jpg', '.jpeg', '.bmp').
        dataset_name (str, optional): Name for per-set metrics.
        **kwargs: :class:`mmengine.dataset.BaseDataset` arguments.
    """

    def __init__(self,
                 ann_file: str = '',
                 max_word_len: Optional[int] = None,
                 extensions: Sequence[str] = ('.png', '.jpg', '.jpeg', '.bmp'),
                 dataset_name: Optional[str] = None,
                 **kwargs) -> None:
        self.max_word_len = max_word_len
        self.extensions = tuple(e.lower() for e in extensions)
        self._dataset_name = dataset_name
        self.report: Counter = Counter()
        kwargs.setdefault('data_prefix', dict(img_path=''))
        super().__init__(ann_file=ann_file, **kwargs)

    def load_data_list(self) -> List[dict]:
        root = self.data_prefix.get('img_path', '') or self.data_root or ''
        name = self._dataset_name or osp.basename(osp.normpath(root))
        if not self.ann_file:
            files = sorted(
                osp.join(d, f) for d, _, fs in os.walk(root) for f in fs
                if f.lower().endswith(self.extensions))
            if not files:
                MMLogger.get_current_instance().warning(
                    f'{root}: no images with suffix {self.extensions}')
            return [dict(img_path=p, instances=[], dataset_name=name)
                    for p in files]
        pairs, counts = read_label_file(self.ann_file, root,
                                        self.max_word_len)
        self.report = counts
        MMLogger.get_current_instance().info(
            f'{self.ann_file}: {len(pairs)} samples; ' + ', '.join(
                f'{k}={v}' for k, v in sorted(counts.items()) if v))
        return [dict(img_path=p, instances=[dict(text=t)], dataset_name=name)
                for p, t in pairs]


def read_label_file(label_file: str, img_root: str,
                    max_word_len: Optional[int] = None
                    ) -> Tuple[List[Tuple[str, str]], Counter]:
    """Parse ``<relative path>\\t<transcription>`` lines.

    Args:
        label_file (str): The label file (read as bytes; a line that is not
            UTF-8 is counted as ``non_utf8_label``).
        img_root (str): Folder the paths are relative to.
        max_word_len (int, optional): Drop longer words. Defaults to None.

    Returns:
        tuple: ``[(image path, text)]`` and a Counter of problems
        (``bad_line``, ``non_utf8_label``, ``empty_label``,
        ``missing_image``, ``too_long``).
    """
    counts: Counter = Counter()
    pairs = []
    with open(label_file, 'rb') as f:
        for raw in f:
            raw = raw.rstrip(b'\r\n')
            if not raw.strip():
                continue
            try:
                line = raw.decode('utf-8')
            except UnicodeDecodeError:
                counts['non_utf8_label'] += 1
                continue
            if '\t' not in line:
                counts['bad_line'] += 1
                continue
            rel, text = line.split('\t', 1)
            path = osp.join(img_root, rel)
            if not text:
                counts['empty_label'] += 1
            elif max_word_len is not None and len(text) > max_word_len:
                counts['too_long'] += 1
            elif not osp.isfile(path):
                counts['missing_image'] += 1
            else:
                pairs.append((path, text))
    return pairs, counts
