# Copyright (c) docseg_mm contributors. All rights reserved.
"""Check a config's dataset before a long run (tools/misc/check_dataset.py).

The dataset of a split is built as the config says, without its pipeline,
and checked whole: every annotation of a COCO file (:mod:`.check_coco`),
every skip a dataset records while loading (DocSAM folders, page folders,
RVL-CDIP ...: all offending entries, not the first five), whether the
dataset can be built at all (filters that empty it, missing split entries)
and every listed page decoded as the pipeline's loader decodes it
(:mod:`.check_images`). Wrappers (``ConcatDataset``, ``RepeatDataset``,
:class:`HeterogeneousDataset` ...) are checked leaf by leaf.

Each problem has a ``severity``: ``error`` when a training run would fail
on it (or the dataset cannot be built), ``warning`` when the dataset drops
or alters the entry silently (degenerate boxes, clipped boxes, duplicate
files, EXIF-rotated pages). :func:`exit_code` is 1 with errors, else 0.
"""
import copy
from collections import Counter
from typing import Any, Dict, List, Optional, Sequence, Tuple

from mmengine.config import Config

from docseg_mm.registry import DATASETS
from .check_coco import audit_coco_dataset
from .check_images import check_images, duplicate_problems, loader_settings
from .coco_doc import CocoDocDataset

#: Problems that stop (or silently corrupt) a training run.
ERRORS = frozenset({
    'annotation_file', 'invalid_image_entry', 'invalid_annotation',
    'rle_size_mismatch', 'missing_image', 'unreadable_image',
    'size_mismatch', 'ambiguous_exif_orientation', 'dataset_error',
    'missing_seg_map', 'unreadable_seg_map', 'seg_map_size_mismatch'
})
#: Image problems a loader in skip mode skips (then warnings).
IMAGE_ERRORS = frozenset({
    'missing_image', 'unreadable_image', 'size_mismatch',
    'ambiguous_exif_orientation'
})
SPLITS = ('train', 'val', 'test')
#: Dataset switches turned on so that loading reports every entry -> the
#: skip reason they produce (an error when the config has them off).
_REPORT_ALL = {'skip_missing': 'missing_file',
               'skip_unknown': 'unknown_category'}


def split_dataset_cfg(cfg: Config, split: str) -> dict:
    """The dataset config of ``<split>_dataloader``.

    Args:
        cfg (Config): The config.
        split (str): ``'train'``, ``'val'`` or ``'test'``.

    Returns:
        dict: A copy of the dataset config.

    Raises:
        KeyError: The config has no such dataloader.
    """
    if split not in SPLITS:
        raise ValueError(f'split must be one of {SPLITS}, got {split!r}')
    loader = cfg.get(f'{split}_dataloader')
    if not loader or not loader.get('dataset'):
        raise KeyError(f'the config has no {split}_dataloader.dataset')
    dataset = loader['dataset']
    return copy.deepcopy(dataset.to_dict() if hasattr(dataset, 'to_dict')
                         else dict(dataset))


def leaf_dataset_cfgs(cfg: dict,
                      pipeline: Optional[list] = None
                      ) -> List[Tuple[dict, Optional[list]]]:
    """The datasets under wrappers, each with the pipeline it loads with.

    Args:
        cfg (dict): A dataset config.
        pipeline (list, optional): The wrapper's pipeline. Defaults to None.

    Returns:
        list[tuple[dict, list | None]]: ``(leaf config, pipeline)`` pairs.
    """
    own = cfg.get('pipeline') or pipeline
    if isinstance(cfg.get('datasets'), (list, tuple)):
        return [leaf for sub in cfg['datasets']
                for leaf in leaf_dataset_cfgs(dict(sub), own)]
    if isinstance(cfg.get('dataset'), dict):
        return leaf_dataset_cfgs(dict(cfg['dataset']), own)
    return [(cfg, own)]


def _describe(cfg: dict) -> str:
    """``Type(data_root, ann_file)`` for messages."""
    parts = [str(cfg.get(k)) for k in ('data_root', 'ann_file', 'split_file')
             if cfg.get(k)]
    return f'{cfg.get("type")}({", ".join(parts)})'


def _skip_problems(dataset: Any, strict: Dict[str, str]) -> List[dict]:
    """Every entry a :class:`SkipReportMixin` dataset skipped."""
    problems = []
    notice = getattr(dataset, 'NOTICE_REASONS', frozenset())
    ann_dir = (getattr(dataset, 'data_prefix', None) or {}).get('ann')
    source = getattr(dataset, 'ann_file', '') or \
        getattr(dataset, 'data_root', '')
    for reason, refs in sorted(getattr(dataset, 'skipped_ids', {}).items()):
        if reason in notice:
            continue
        for ref in refs:
            file = source
            if ann_dir and isinstance(ref, str) and '#' in ref:
                file = f'{ann_dir.rstrip("/")}/{ref.split("#")[0]}.json'
            severity = 'error' if reason in strict else 'warning'
            msg = f'skipped while loading ({reason})'
            if reason in strict:
                msg += f'; the config has {strict[reason]}, so training ' \
                    'stops on it'
            problems.append(dict(problem=reason, file=str(file),
                                 entry=str(ref), message=msg,
                                 severity=severity))
    return problems


def _build_lazy(cfg: dict) -> Any:
    """Build a dataset without pipeline and without loading it."""
    cfg = copy.deepcopy(cfg)
    cfg['pipeline'] = []
    cfg['lazy_init'] = True
    return DATASETS.build(cfg)


def check_leaf(cfg: dict, pipeline: Optional[list], workers: int = 4,
               progress: bool = True) -> Tuple[List[dict], dict]:
    """Check one (unwrapped) dataset.

    Args:
        cfg (dict): Its config.
        pipeline (list, optional): The pipeline it loads with (for the
            loader settings).
        workers (int): Decoding threads. Defaults to 4.
        progress (bool): Show a progress bar. Defaults to True.

    Returns:
        tuple[list[dict], dict]: The problems (with ``severity``) and a
        summary (``dataset``, ``images``).
    """
    summary = dict(dataset=_describe(cfg), images=0)
    problems: List[dict] = []

    def fail(e: Exception) -> None:
        problems.append(dict(problem='dataset_error',
                             file=str(cfg.get('ann_file') or
                                      cfg.get('data_root') or ''),
                             entry=summary['dataset'],
                             message=f'{type(e).__name__}: {e}'))

    try:
        dataset = _build_lazy(cfg)
    except Exception as e:  # any constructor error ends this dataset
        fail(e)
        return _with_severity(problems, {}, False), summary
    strict: Dict[str, str] = {}
    for attr, reason in _REPORT_ALL.items():
        if getattr(dataset, attr, True) is False:
            strict[reason] = f'{attr}=False'
            setattr(dataset, attr, True)
    if getattr(dataset, 'missing_images', None) == 'error':
        dataset.missing_images = 'defer'  # the decode check lists them all
    if hasattr(dataset, 'num_logged_ids'):
        dataset.num_logged_ids = 10**9
    items: List[dict] = []
    if isinstance(dataset, CocoDocDataset):
        found, items = audit_coco_dataset(dataset)
        if dataset.unknown_category == 'error':
            strict['unknown_category'] = "unknown_category='error'"
        if dataset.duplicate_files == 'error':
            strict['duplicate_file'] = "duplicate_files='error'"
        problems += found
        if not any(p['problem'] in ERRORS or p['problem'] in strict
                   for p in found):
            try:
                dataset.full_init()
            except Exception as e:  # e.g. EmptyDatasetError
                fail(e)
    else:
        try:
            dataset.full_init()
        except Exception as e:  # the dataset's own error names the entry
            fail(e)
        else:
            problems += _skip_problems(dataset, strict)
            items = _data_items(dataset)
    loader_kwargs, skips_bad = loader_settings(pipeline)
    summary['images'] = len(items)
    found, digests = check_images(items, loader_kwargs, workers, progress)
    problems += found + duplicate_problems(items, digests)
    return _with_severity(problems, strict, skips_bad), summary


def _data_items(dataset: Any) -> List[dict]:
    """Image entries of a loaded dataset's data list."""
    items = []
    for i in range(len(dataset)):
        info = dataset.get_data_info(i)
        if info.get('img_path'):
            items.append({k: info.get(k) for k in
                          ('img_path', 'img_id', 'height', 'width',
                           'seg_map_path')})
    return items


def _with_severity(problems: List[dict], strict: Dict[str, str],
                   skips_bad: bool) -> List[dict]:
    """Set ``severity`` on problems that lack one."""
    for p in problems:
        if 'severity' in p:
            continue
        error = p['problem'] in ERRORS or p['problem'] in strict
        if skips_bad and p['problem'] in IMAGE_ERRORS:
            error = False
            p['message'] += ' (the pipeline skips bad images)'
        p['severity'] = 'error' if error else 'warning'
    return problems


def check_dataset(cfg: Config, split: str = 'train', workers: int = 4,
                  progress: bool = True) -> dict:
    """Check the dataset of a config's split.

    Args:
        cfg (Config): The config (modules registered, ``docseg_mm`` scope).
        split (str): ``'train'``, ``'val'`` or ``'test'``. Defaults to
            'train'.
        workers (int): Decoding threads. Defaults to 4.
        progress (bool): Show progress bars. Defaults to True.

    Returns:
        dict: The report: ``split``, ``datasets`` (one summary per leaf
        dataset), ``images``, ``counts`` (problem -> number), ``errors``,
        ``warnings`` and ``problems`` (``problem``, ``severity``, ``file``,
        ``entry``, ``message``), errors first.
    """
    summaries, problems = [], []
    for leaf, pipeline in leaf_dataset_cfgs(split_dataset_cfg(cfg, split)):
        found, summary = check_leaf(leaf, pipeline, workers, progress)
        summary['problems'] = len(found)
        summaries.append(summary)
        problems += found
    problems.sort(key=lambda p: (p['severity'] != 'error', p['problem']))
    severity = Counter(p['severity'] for p in problems)
    return dict(
        split=split,
        datasets=summaries,
        images=sum(s['images'] for s in summaries),
        counts=dict(sorted(Counter(p['problem'] for p in problems).items())),
        errors=severity['error'],
        warnings=severity['warning'],
        problems=problems)


def exit_code(report: dict) -> int:
    """1 when a training run would fail (errors), else 0."""
    return 1 if report['errors'] else 0


def format_report(report: dict, max_lines: Optional[int] = None) -> str:
    """The report as text: datasets, counts, then every problem.

    Args:
        report (dict): From :func:`check_dataset`.
        max_lines (int, optional): List at most this many problems (the
            json report has all). Defaults to None (all).

    Returns:
        str: The text.
    """
    lines = [f'split {report["split"]}: {len(report["datasets"])} '
             f'dataset(s), {report["images"]} image(s)']
    for s in report['datasets']:
        lines.append(f'  {s["dataset"]}: {s["images"]} image(s), '
                     f'{s["problems"]} problem(s)')
    severity_of = {p['problem']: p['severity'] for p in report['problems']}
    if report['counts']:
        lines.append('problems:')
        for name, count in report['counts'].items():
            lines.append(f'  {severity_of[name]:<7} {name:<28} {count}')
    shown: Sequence[dict] = report['problems']
    if max_lines is not None:
        shown = shown[:max_lines]
    for p in shown:
        lines.append(f'{p["severity"].upper()} {p["problem"]}: {p["file"]} '
                     f'[{p["entry"]}] {p["message"]}')
    if len(shown) < len(report['problems']):
        lines.append(f'... {len(report["problems"]) - len(shown)} more in '
                     'the json report')
    verdict = ('a training run would fail on the errors above'
               if report['errors'] else 'no error: the data can be trained on')
    lines.append(f'{report["errors"]} error(s), {report["warnings"]} '
                 f'warning(s): {verdict}')
    return '\n'.join(lines)
