# Copyright (c) docseg_mm contributors. All rights reserved.
"""``filter_cfg`` for parsed data infos, with a clear error when nothing is
left (part of the annotation validation layer, see :mod:`.ann_checks`)."""
from typing import List, Optional

from .ann_checks import EmptyDatasetError


def filter_data_infos(data_list: List[dict],
                      filter_cfg: Optional[dict],
                      test_mode: bool,
                      source: str = '',
                      skipped: str = '') -> List[dict]:
    """Apply an mmdet-style ``filter_cfg`` (``filter_empty_gt``,
    ``min_size``) to parsed data infos; test mode keeps everything.

    Args:
        data_list (list[dict]): Data infos with ``instances``, ``width`` and
            ``height``.
        filter_cfg (dict, optional): The dataset's filter config.
        test_mode (bool): Whether the dataset is in test mode.
        source (str): What was read (the annotation file), for the error.
            Defaults to ''.
        skipped (str): Summary of the skipped annotations (why images may
            have lost all of theirs), for the error. Defaults to ''.

    Returns:
        list[dict]: The kept data infos.

    Raises:
        EmptyDatasetError: No data info is left (mmengine would otherwise
            fail with ``need at least one array to concatenate``); the
            message names ``source`` and the filter that removed them.
    """
    if test_mode or filter_cfg is None:
        kept = data_list
        filter_empty_gt, min_size = False, 0
    else:
        filter_empty_gt = filter_cfg.get('filter_empty_gt', False)
        min_size = filter_cfg.get('min_size', 0)
        kept = [
            info for info in data_list
            if (info['instances'] or not filter_empty_gt)
            and min(info['width'], info['height']) >= min_size
        ]
    if not kept:
        raise EmptyDatasetError(
            describe_empty(data_list, source, filter_empty_gt, min_size,
                           skipped))
    return kept


def describe_empty(data_list: List[dict], source: str, filter_empty_gt: bool,
                   min_size: float, skipped: str = '') -> str:
    """Say why a dataset ended up without any image.

    Args:
        data_list (list[dict]): The data infos before filtering.
        source (str): What was read (the annotation file).
        filter_empty_gt (bool): Whether images without an instance were
            removed.
        min_size (float): The ``min_size`` filter.
        skipped (str): Summary of the skipped annotations. Defaults to ''.

    Returns:
        str: The message.
    """
    where = f'{source!r}: ' if source else ''
    if not data_list:
        return (f'{where}the dataset lists no image at all (empty "images" '
                'list, or every entry was skipped)' +
                (f'; skipped: {skipped}' if skipped else ''))
    no_gt = [i for i in data_list if not i['instances']]
    small = [
        i for i in data_list
        if min(i['width'], i['height']) < min_size
    ]
    parts = []
    if filter_empty_gt and no_gt:
        parts.append(
            f'filter_cfg.filter_empty_gt=True removed {len(no_gt)} image(s) '
            'without a kept annotation (e.g. ' +
            ', '.join(repr(i.get('img_path', i.get('img_id')))
                      for i in no_gt[:3]) + ')')
    if small:
        parts.append(f'filter_cfg.min_size={min_size} removed {len(small)} '
                     'image(s) smaller than that')
    msg = (f'{where}no image is left for training: {len(data_list)} '
           f'image(s) read, then ' + '; '.join(parts))
    if skipped:
        msg += f'. Annotations skipped while loading: {skipped}'
    return msg + '. Check the file (tools/misc/check_dataset.py) or relax ' \
        'filter_cfg.'
