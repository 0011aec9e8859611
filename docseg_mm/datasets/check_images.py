# Copyright (c) docseg_mm contributors. All rights reserved.
"""Image part of the dataset check (:mod:`.dataset_check`): decode every
listed page the way the training pipeline will, in parallel.

Each page goes through :class:`~.transforms.LoadDocImageFromFile` configured
like the config's own loading transform, so a file the check passes is a
file training reads, and the problems it reports are the errors training
would raise: missing file, unreadable / undecodable file, size differing
from the annotation, EXIF orientation that leaves the frame ambiguous. The
EXIF tag of every page is noted (a warning when it changes the frame), and
a content hash finds the same file stored under several names.
"""
import hashlib
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import mmengine.fileio as fileio
import numpy as np
from mmengine.utils import ProgressBar

from .transforms.loading import LoadDocImageFromFile
from .transforms.page_decode import (ORIENTATION_NAMES, ImageLoadError,
                                     ImageNotFoundError,
                                     ImageOrientationError,
                                     ImageSizeMismatchError,
                                     choose_orientation, oriented_hw,
                                     probe_image)

#: Loading transforms whose arguments the check copies.
LOADER_TYPES = ('LoadDocImageFromFile', 'LoadImageFromFile', 'LoadTiffPage')
#: Arguments of :class:`LoadDocImageFromFile` the check copies.
LOADER_KEYS = ('color_type', 'imdecode_backend', 'backend_args',
               'exif_orientation', 'check_size')

Problem = Dict[str, str]


def loader_settings(pipeline: Optional[Sequence[dict]]) -> Tuple[dict, bool]:
    """How the config's pipeline loads pages.

    mmcv's ``LoadImageFromFile`` applies EXIF tags (cv2's default), so it is
    checked with ``exif_orientation='apply'``; ``LoadTiffPage`` decodes
    with Pillow and is approximated by the default loader.

    Args:
        pipeline (Sequence[dict], optional): The dataset's pipeline.

    Returns:
        tuple[dict, bool]: Keyword arguments for
        :class:`LoadDocImageFromFile` and whether the pipeline skips bad
        images (``skip_bad_images`` / ``ignore_empty``), which turns image
        errors into warnings.
    """
    for step in pipeline or []:
        kind = str(step.get('type', '')).split('.')[-1] \
            if isinstance(step, dict) else ''
        if kind not in LOADER_TYPES:
            continue
        kwargs = {k: step[k] for k in LOADER_KEYS if k in step}
        if kind == 'LoadImageFromFile':
            kwargs['exif_orientation'] = 'apply'
        if kind == 'LoadTiffPage':
            kwargs = dict(backend_args=step.get('backend_args'))
        skips = bool(step.get('skip_bad_images') or step.get('ignore_empty'))
        return kwargs, skips
    return {}, False


def _problem(problem: str, item: dict, message: str) -> Problem:
    """A problem record for an image entry."""
    return dict(problem=problem, file=str(item['img_path']),
                entry=f'img_id {item.get("img_id")!r}', message=message)


def check_one_image(item: dict, loader: LoadDocImageFromFile
                    ) -> Tuple[List[Problem], Optional[str]]:
    """Decode one page like training does and note what is wrong.

    Args:
        item (dict): ``img_path``, optional ``img_id``, ``height`` and
            ``width`` (the annotation size; absent for unlabelled pages)
            and ``seg_map_path`` (a semantic mask).
        loader (LoadDocImageFromFile): The configured loader (raising
            mode).

    Returns:
        tuple[list[dict], str | None]: Problems (``missing_image``,
        ``unreadable_image``, ``size_mismatch``,
        ``ambiguous_exif_orientation``, ``exif_orientation``; for items
        with ``seg_map_path``: ``missing_seg_map``, ``unreadable_seg_map``,
        ``seg_map_size_mismatch``) and the
        file's sha1 (None when it cannot be read).
    """
    results = {k: item[k] for k in ('img_path', 'img_id', 'height', 'width')
               if item.get(k) is not None}
    out: dict = {}
    try:
        content = fileio.get(item['img_path'],
                             backend_args=loader.backend_args)
    except FileNotFoundError:
        return [_problem('missing_image', item, 'image file not found: '
                         f'{item["img_path"]!r}')], None
    except Exception as e:  # backend errors vary
        return [_problem('unreadable_image', item,
                         f'cannot read: {type(e).__name__}: {e}')], None
    digest = hashlib.sha1(content).hexdigest()
    problems = []
    try:
        out = loader.transform(results)
        if out is None:  # a loader in skip mode; not configured so here
            raise ImageLoadError(f'cannot load {item["img_path"]!r}')
    except ImageNotFoundError as e:
        problems.append(_problem('missing_image', item, str(e)))
    except ImageOrientationError as e:
        problems.append(_problem('ambiguous_exif_orientation', item, str(e)))
    except ImageSizeMismatchError as e:
        problems.append(_problem('size_mismatch', item, str(e)))
    except Exception as e:  # ImageLoadError and whatever a decoder raises
        problems.append(_problem('unreadable_image', item,
                                 f'{type(e).__name__}: {e}'))
    if not problems and item.get('seg_map_path'):
        problems += _check_seg_map(item, out['img'].shape[:2],
                                   loader.backend_args)
    header = probe_image(content)
    if header is not None and header.orientation != 1 and not any(
            p['problem'] == 'ambiguous_exif_orientation' for p in problems):
        expected = (int(round(results['height'])),
                    int(round(results['width']))) \
            if 'height' in results and 'width' in results else None
        try:
            apply = choose_orientation(loader.exif_orientation, header,
                                       expected, item['img_path'])
        except ImageOrientationError as e:  # not reached by the loader
            return problems + [_problem('ambiguous_exif_orientation', item,
                                        str(e))], digest
        h, w = oriented_hw(header, apply)
        problems.append(_problem(
            'exif_orientation', item,
            f'EXIF orientation {header.orientation} '
            f'({ORIENTATION_NAMES[header.orientation]}); loaded '
            f'{"with the tag applied" if apply else "in the stored frame"} '
            f'as {w}x{h} (w x h), stored {header.width}x{header.height} '
            f'(exif_orientation={loader.exif_orientation!r})'))
    return problems, digest


def _check_seg_map(item: dict, hw: Tuple[int, int],
                   backend_args: Optional[dict]) -> List[Problem]:
    """A semantic mask must decode and be sized like its page."""
    path = str(item['seg_map_path'])
    entry = dict(item, img_path=path)
    try:
        content = fileio.get(path, backend_args=backend_args)
    except FileNotFoundError:
        return [_problem('missing_seg_map', entry,
                         f'mask of {item["img_path"]!r} not found')]
    mask = cv2.imdecode(np.frombuffer(content, np.uint8),
                        cv2.IMREAD_UNCHANGED)
    if mask is None:
        return [_problem('unreadable_seg_map', entry,
                         f'mask of {item["img_path"]!r} cannot be decoded '
                         f'({len(content)} bytes)')]
    if tuple(mask.shape[:2]) != tuple(hw):
        return [_problem('seg_map_size_mismatch', entry,
                         f'mask is {mask.shape[1]}x{mask.shape[0]} (w x h) '
                         f'but its page {item["img_path"]!r} is '
                         f'{hw[1]}x{hw[0]}')]
    return []


def check_images(items: Sequence[dict],
                 loader_kwargs: Optional[dict] = None,
                 workers: int = 4,
                 progress: bool = True) -> Tuple[List[Problem], List[str]]:
    """Decode every page in a thread pool (cv2 and Pillow decode without
    the GIL; no process is forked).

    Args:
        items (Sequence[dict]): Image entries (see :func:`check_one_image`).
        loader_kwargs (dict, optional): Arguments of
            :class:`LoadDocImageFromFile` (from :func:`loader_settings`).
            Defaults to None.
        workers (int): Threads. Defaults to 4.
        progress (bool): Show a progress bar on stderr. Defaults to True.

    Returns:
        tuple[list[dict], list[str]]: Problems, and the per-item sha1 (''
        when unreadable), in item order.
    """
    loader = LoadDocImageFromFile(**dict(loader_kwargs or {}),
                                  skip_bad_images=False)
    bar = ProgressBar(len(items), file=sys.stderr) \
        if progress and items else None
    lock = threading.Lock()

    def run(item: dict) -> Tuple[List[Problem], Optional[str]]:
        result = check_one_image(item, loader)
        if bar is not None:
            with lock:
                bar.update()
        return result

    with ThreadPoolExecutor(max(1, int(workers))) as pool:
        results = list(pool.map(run, items))
    if bar is not None:
        sys.stderr.write('\n')
    problems = [p for found, _ in results for p in found]
    return problems, [digest or '' for _, digest in results]


def duplicate_problems(items: Sequence[dict],
                       digests: Sequence[str]) -> List[Problem]:
    """Files listed under several entries, and identical files stored under
    several names.

    Args:
        items (Sequence[dict]): Image entries with ``img_path``.
        digests (Sequence[str]): Their sha1 ('' when unreadable).

    Returns:
        list[dict]: ``duplicate_file`` (the same path under another
        ``img_id``) and ``duplicate_content`` (another path with the same
        bytes) problems, one per repeated entry.
    """
    import os.path as osp
    problems = []
    first_path: Dict[str, dict] = {}
    first_hash: Dict[str, dict] = {}
    for item, digest in zip(items, digests):
        path = osp.normpath(str(item['img_path']))
        if path in first_path:
            first = first_path[path]
            problems.append(_problem(
                'duplicate_file', item,
                f'{item["img_path"]!r} is listed again (first as img_id '
                f'{first.get("img_id")!r}): the dataset loads it once'))
            continue
        first_path[path] = item
        if not digest:
            continue
        if digest in first_hash:
            first = first_hash[digest]
            problems.append(_problem(
                'duplicate_content', item,
                f'same bytes as {first["img_path"]!r} (img_id '
                f'{first.get("img_id")!r}): one page under two names'))
        else:
            first_hash[digest] = item
    return problems
