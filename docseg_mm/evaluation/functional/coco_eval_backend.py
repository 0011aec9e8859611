# Copyright (c) docseg_mm contributors. All rights reserved.
"""COCO-eval backends: pycocotools or faster-coco-eval's C++ evaluator.

``faster_coco_eval.COCOeval_faster`` runs ``evaluate`` and ``accumulate`` in
C++ and fills the same ``eval['precision']`` (T, R, K, A, M) and
``eval['recall']`` (T, K, A, M) arrays as pycocotools. Its own
``summarize`` reads ``stats[0]`` at ``maxDets[-1]`` where pycocotools reads
it at 100 detections; :class:`FasterCOCOeval` keeps pycocotools'
``summarize`` so that ``stats`` are pycocotools' numbers whatever
``maxDets`` is. Ground truth and results stay pycocotools ``COCO`` objects
(mmdet's ``COCO`` wrapper), so the backends are interchangeable.
"""
from typing import Type

from pycocotools.cocoeval import COCOeval

#: Accepted ``backend`` values of the COCO metrics.
COCO_EVAL_BACKENDS = ('pycocotools', 'faster_coco_eval')

_FASTER_CLASS = None


def check_coco_eval_backend(backend: str) -> str:
    """Validate a backend name and, for 'faster_coco_eval', its import.

    Args:
        backend (str): One of :data:`COCO_EVAL_BACKENDS`.

    Returns:
        str: The backend name.
    """
    if backend not in COCO_EVAL_BACKENDS:
        raise ValueError(f'COCO eval backend must be one of '
                         f'{COCO_EVAL_BACKENDS}, got {backend!r}')
    if backend == 'faster_coco_eval':
        _faster_coco_eval_class()
    return backend


def _faster_coco_eval_class() -> type:
    """Build :class:`FasterCOCOeval` on first use (lazy import)."""
    global _FASTER_CLASS
    if _FASTER_CLASS is not None:
        return _FASTER_CLASS
    try:
        from faster_coco_eval import COCOeval_faster
    except ImportError as err:
        raise ImportError(
            "COCO eval backend 'faster_coco_eval' needs the "
            "faster-coco-eval package ('pip install faster-coco-eval', "
            "listed in requirements/runtime.txt); use "
            "backend='pycocotools' without it.") from err

    class FasterCOCOeval(COCOeval_faster):
        """faster-coco-eval's evaluator with pycocotools' ``summarize``.

        Args:
            cocoGt (COCO): Ground truth.
            cocoDt (COCO): Results (``cocoGt.loadRes``).
            iouType (str): 'bbox' or 'segm'. Defaults to 'segm'.
        """

        def __init__(self, cocoGt=None, cocoDt=None, iouType='segm'):
            super().__init__(
                cocoGt, cocoDt, iouType, print_function=_silent)

        summarize = COCOeval.summarize

    _FASTER_CLASS = FasterCOCOeval
    return FasterCOCOeval


def _silent(*args, **kwargs) -> None:
    """Drop faster-coco-eval's progress messages."""


def get_coco_eval_class(backend: str = 'pycocotools') -> Type[COCOeval]:
    """The ``COCOeval``-compatible class of a backend.

    Both take ``(cocoGt, cocoDt, iouType)``, have ``params``,
    ``evaluate()``, ``accumulate()``, ``summarize()`` (pycocotools' printout
    and ``stats``) and ``eval['precision' | 'recall']``.

    Args:
        backend (str): 'pycocotools' or 'faster_coco_eval'. Defaults to
            'pycocotools'.

    Returns:
        type: The evaluator class.
    """
    check_coco_eval_backend(backend)
    if backend == 'faster_coco_eval':
        return _faster_coco_eval_class()
    return COCOeval
