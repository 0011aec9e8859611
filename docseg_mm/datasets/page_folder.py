# Copyright (c) docseg_mm contributors. All rights reserved.
"""Label-free folders of page images (self-supervised pretraining).

Pages are loaded with :class:`~docseg_mm.datasets.transforms.LoadTiffPage`
(multi-page / 1-bit / 16-bit scans) or ``LoadDocImageFromFile``.
"""
import os.path as osp
from typing import List, Optional, Sequence, Tuple, Union

import mmengine.fileio as fileio
from mmengine.dataset import BaseDataset

from docseg_mm.registry import DATASETS, TRANSFORMS
from .skip_report import MISSING_MODES, SkipReportMixin

IMG_EXTENSIONS = ('.png', '.jpg', '.jpeg', '.tif', '.tiff', '.bmp', '.webp')


def build_pipeline(pipeline: Sequence) -> list:
    """Build transform configs with ``docseg_mm``'s TRANSFORMS registry.

    Building here (instead of in the base dataset) finds ``docseg_mm``
    transforms such as :class:`LoadTiffPage` even when no default scope is
    set; other codebases' transforms need their prefix
    (``mmpretrain.PackInputs``).

    Args:
        pipeline (Sequence): Transform configs (dict) or callables.

    Returns:
        list: The built transforms.
    """
    return [
        TRANSFORMS.build(t) if isinstance(t, dict) else t for t in pipeline
    ]


def list_page_images(folder: str,
                     extensions: Sequence[str] = IMG_EXTENSIONS,
                     recursive: bool = True,
                     backend_args: Optional[dict] = None) -> List[str]:
    """List page images under ``folder`` in sorted (deterministic) order.

    Hidden files and everything inside hidden folders (names starting with
    ``.``, e.g. macOS ``._x.png`` or ``.ipynb_checkpoints``) are skipped.

    Args:
        folder (str): The folder to scan.
        extensions (Sequence[str]): Accepted suffixes, case-insensitive.
            Defaults to ``IMG_EXTENSIONS``.
        recursive (bool): Also scan sub-folders. Defaults to True.
        backend_args (dict, optional): mmengine file backend arguments.
            Defaults to None.

    Returns:
        list[str]: Paths relative to ``folder``, with ``/`` separators.

    Raises:
        FileNotFoundError: ``folder`` is not a directory.
    """
    if not fileio.isdir(folder, backend_args=backend_args):
        raise FileNotFoundError(f'image folder {folder!r} does not exist or '
                                'is not a directory')
    suffixes = tuple(e.lower() for e in extensions)
    found = []
    for rel in fileio.list_dir_or_file(
            folder,
            list_dir=False,
            list_file=True,
            recursive=recursive,
            backend_args=backend_args):
        rel = rel.replace(osp.sep, '/')
        if any(part.startswith('.') for part in rel.split('/')):
            continue
        if rel.lower().endswith(suffixes):
            found.append(rel)
    return sorted(found)


@DATASETS.register_module()
class PageImageFolder(SkipReportMixin, BaseDataset):
    """Unlabelled page images of a folder, for self-supervised pretraining.

    Lists every image with one of ``extensions`` under
    ``data_root/data_prefix`` (recursively by default) in sorted order of
    the relative path, so the index order is the same on every machine and
    rank. Works on a user's own scans, DocLayNet's ``PNG/`` folder or a
    PubLayNet ``train/`` folder. With ``ann_file`` the images are instead
    the lines of that text file (paths relative to the folder; blank lines
    and lines starting with ``#`` are ignored).

    Data info: ``img_path`` and ``rel_path`` (plus mmengine's
    ``sample_idx``). Pair it with ``LoadTiffPage`` (or mmcv's
    ``LoadImageFromFile``) and e.g. ``mmpretrain.PackInputs``.

    Args:
        data_root (str): Root for ``data_prefix`` and ``ann_file``.
            Defaults to ''.
        data_prefix (str | dict): Image folder (``dict(img_path=...)`` or a
            str). Defaults to ''.
        ann_file (str): Optional list of relative image paths. Defaults to
            ''.
        recursive (bool): Scan sub-folders. Defaults to True.
        extensions (Sequence[str]): Accepted suffixes, case-insensitive.
            Defaults to ``IMG_EXTENSIONS`` (png, jpg, jpeg, tif, tiff, bmp,
            webp).
        missing_images (str): For ``ann_file`` entries: ``'error'``,
            ``'skip'`` (count as ``missing_image`` in :attr:`skipped`, log
            and drop) or ``'defer'`` (no check). Defaults to ``'error'``.
        backend_args (dict, optional): mmengine file backend arguments.
            Defaults to None.
        pipeline (Sequence): Transforms; dicts are built in ``docseg_mm``'s
            registry. Defaults to ().
        **kwargs: Other arguments of mmengine's ``BaseDataset``
            (``indices``, ``test_mode``, ``lazy_init``, ``max_refetch``...).

    Raises:
        FileNotFoundError: The folder does not exist or holds no image, or
            ``ann_file`` is empty (messages name the folder / file).
    """

    def __init__(self,
                 data_root: str = '',
                 data_prefix: Union[str, dict] = '',
                 ann_file: str = '',
                 recursive: bool = True,
                 extensions: Sequence[str] = IMG_EXTENSIONS,
                 missing_images: str = 'error',
                 backend_args: Optional[dict] = None,
                 pipeline: Sequence = (),
                 **kwargs) -> None:
        if missing_images not in MISSING_MODES:
            raise ValueError(f'missing_images must be one of '
                             f'{MISSING_MODES}, got {missing_images!r}')
        if isinstance(data_prefix, str):
            data_prefix = dict(img_path=data_prefix)
        self.recursive = recursive
        self.extensions = tuple(extensions)
        self.missing_images = missing_images
        self.backend_args = backend_args
        super().__init__(
            ann_file=ann_file,
            data_root=data_root,
            data_prefix=data_prefix,
            pipeline=build_pipeline(pipeline),
            **kwargs)

    @property
    def img_prefix(self) -> str:
        """The folder the relative paths start from."""
        return self.data_prefix.get('img_path', '') or '.'

    def _read_list(self) -> Tuple[List[str], List[str]]:
        """Relative paths and their ``file:line`` from ``ann_file``."""
        text = fileio.get_text(self.ann_file, backend_args=self.backend_args)
        rels, wheres = [], []
        for lineno, line in enumerate(text.splitlines(), 1):
            line = line.strip()
            if line and not line.startswith('#'):
                rels.append(line)
                wheres.append(f'{self.ann_file}:{lineno}')
        if not rels:
            raise FileNotFoundError(
                f'PageImageFolder: image list {self.ann_file!r} is empty')
        return rels, wheres

    def load_data_list(self) -> List[dict]:
        """List the images.

        Returns:
            list[dict]: One ``dict(img_path, rel_path)`` per image.
        """
        self._reset_skips()
        folder = self.img_prefix
        if self.ann_file:
            rels, wheres = self._read_list()
            paths = [
                fileio.join_path(folder, r, backend_args=self.backend_args)
                for r in rels
            ]
            keep = self._keep_existing(paths, wheres, self.missing_images,
                                       self.backend_args)
            self._log_load_summary(
                f'PageImageFolder: {len(keep)} of {len(paths)} images of '
                f'{self.ann_file!r}',
                label='first',
                always=False)
            rels = [rels[i] for i in keep]
            if not rels:
                raise FileNotFoundError(
                    f'PageImageFolder: no image of {self.ann_file!r} exists '
                    f'under {folder!r}')
        else:
            rels = list_page_images(folder, self.extensions, self.recursive,
                                    self.backend_args)
            if not rels:
                exts = ', '.join(self.extensions)
                raise FileNotFoundError(
                    f'PageImageFolder: no page image ({exts}) found in folder '
                    f'{folder!r} (recursive={self.recursive})')
        return [
            dict(
                img_path=fileio.join_path(
                    folder, rel, backend_args=self.backend_args),
                rel_path=rel) for rel in rels
        ]
