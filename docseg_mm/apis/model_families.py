# Copyright (c) docseg_mm contributors. All rights reserved.
"""What differs between the model families behind one inference interface.

* ``instance``: mmdet detectors (Mask R-CNN ...): ``pred_instances`` over
  the classes of the training set; ``classes`` filters them.
* ``docsam``: :class:`~docseg_mm.models.segmentors.DocSAM`: the class names
  are given per call (any names; the background prompt is appended last)
  and the predictions use them.
* ``semantic``: mmseg segmentors (``EncoderDecoder``, SLRNet, AlignSeg and
  any other one that returns ``pred_sem_seg``): a label map; regions are
  its connected components; ``classes`` filters them. Models without class
  names and cluster models (AlignSeg: its labels are cluster ids even when
  its dataset has classes) name their labels ``cluster k``.
* ``text``: text recognisers (DiG's ``EncoderDecoderRecognizer``): one
  string per (word) image.
"""
from contextlib import contextmanager
from typing import Dict, List, Optional, Sequence

import numpy as np
from mmdet.models.detectors.base import BaseDetector
from mmengine.config import Config
from mmseg.models.segmentors import BaseSegmentor
from torch import nn

from docseg_mm.models.recognizers import EncoderDecoderRecognizer
from docseg_mm.models.segmentors import AlignSeg, DocSAM
from docseg_mm.registry import DATASETS
from .regions import instance_regions, semantic_regions

#: Prompt appended to DocSAM class names when none is given (the original
#: inference default, ``"_background_"``).
DEFAULT_BACKGROUND = '_background_'
#: Names of a background label in semantic class lists.
BACKGROUND_NAMES = ('background', '_background_', 'bg')


def dataset_meta_from_cfg(cfg: Config) -> Dict:
    """``classes`` / ``palette`` of the test set's dataset class.

    The config's ``metainfo`` wins over the class's ``METAINFO``. Datasets
    wrapping others (``datasets=[...]``, ``dataset=...``) are searched
    depth-first.

    Returns:
        dict: Possibly empty.
    """
    def find(ds) -> Dict:
        if not isinstance(ds, dict):
            return {}
        meta = dict(ds.get('metainfo') or {})
        if 'classes' not in meta:
            cls = DATASETS.get(ds.get('type', '')) if isinstance(
                ds.get('type'), str) else ds.get('type')
            base = getattr(cls, 'METAINFO', None) or {}
            for key in ('classes', 'palette'):
                if key in base and key not in meta:
                    meta[key] = base[key]
        if 'classes' in meta:
            return meta
        for child in list(ds.get('datasets') or []) + [ds.get('dataset')]:
            found = find(child)
            if found:
                return found
        return {}

    for key in ('test_dataloader', 'val_dataloader'):
        loader = cfg.get(key)
        if loader and loader.get('dataset'):
            try:
                meta = find(loader['dataset'])
            except KeyError:  # a dataset type of an unloaded scope
                meta = {}
            if meta:
                return {k: list(v) for k, v in meta.items()
                        if k in ('classes', 'palette')}
    return {}


def detect_family(model: nn.Module) -> str:
    """``'docsam'``, ``'instance'``, ``'semantic'`` or ``'text'``.

    Raises:
        TypeError: For a model none of the families handles.
    """
    if isinstance(model, DocSAM):
        return 'docsam'
    if isinstance(model, BaseDetector):
        return 'instance'
    if isinstance(model, BaseSegmentor):
        return 'semantic'
    if isinstance(model, EncoderDecoderRecognizer):
        return 'text'
    raise TypeError(
        f'{type(model).__name__} is not a model the inferencer knows: '
        'expected an mmdet detector, DocSAM, an mmseg segmentor or a text '
        'recogniser.')


def predicts_clusters(model: nn.Module) -> bool:
    """Whether a segmentor's labels are cluster ids (AlignSeg, or a model
    with ``predicts_clusters = True``), not the dataset's class ids."""
    return isinstance(model, AlignSeg) or bool(
        getattr(model, 'predicts_clusters', False))


class Family:
    """Family-specific steps of :class:`DocSegInferencer`.

    Args:
        model (nn.Module): The model, with ``dataset_meta`` set.
        background (str, optional): DocSAM's background prompt.
            Defaults to :data:`DEFAULT_BACKGROUND`.
    """

    def __init__(self, model: nn.Module,
                 background: Optional[str] = None) -> None:
        self.model = model
        self.name = detect_family(model)
        self.background = background or DEFAULT_BACKGROUND
        meta = getattr(model, 'dataset_meta', None) or {}
        self.classes: List[str] = [str(c) for c in meta.get('classes') or []]
        self.palette = meta.get('palette')
        if self.name == 'semantic' and (not self.classes
                                        or predicts_clusters(model)):
            # cluster ids are no class ids, whatever the dataset's classes
            self.classes = [f'cluster {k}'
                            for k in range(self._num_labels())]
            self.palette = None

    def _num_labels(self) -> int:
        head = getattr(self.model, 'decode_head', None)
        for attr in ('num_classes', 'num_queries', 'num_clusters'):
            num = getattr(head, attr, None)
            if isinstance(num, int) and num > 0:
                return num
        return 0

    # --------------------------------------------------------------
    def label_names(self, classes: Optional[Sequence[str]]) -> List[str]:
        """Names of the label ids the model will predict for a call."""
        if self.name == 'docsam':
            return list(classes) if classes else list(self.classes)
        return list(self.classes)

    def prompt(self, classes: Optional[Sequence[str]]) -> List[str]:
        """DocSAM's class-name list: the names, then the background."""
        names = self.label_names(classes)
        if not names:
            raise ValueError(
                'DocSAM needs class names: pass classes=[...] (--classes) '
                'or use a checkpoint whose dataset_meta has classes.')
        return names + [self.background]

    @contextmanager
    def score_thr(self, score_thr: float):
        """Let an mmdet detector drop low scores itself for one call.

        The score threshold of its last stage (``roi_head.test_cfg`` /
        ``bbox_head.test_cfg``, applied before NMS and ``max_per_img``) is
        raised to ``score_thr`` while the context is open, so that e.g.
        Mask R-CNN does not predict masks that would be thrown away. The
        kept instances are the same: NMS only lets a higher score suppress
        a lower one.
        """
        changed = []
        if self.name == 'instance':
            for head in ('roi_head', 'bbox_head'):
                cfg = getattr(getattr(self.model, head, None), 'test_cfg',
                              None)
                if isinstance(cfg, dict) and isinstance(
                        cfg.get('score_thr'), float) and \
                        cfg['score_thr'] < score_thr:
                    changed.append((cfg, cfg['score_thr']))
                    cfg['score_thr'] = float(score_thr)
        try:
            yield
        finally:
            for cfg, value in changed:
                cfg['score_thr'] = value

    def keep_labels(self, classes: Optional[Sequence[str]]
                    ) -> Optional[List[int]]:
        """Label ids kept by a ``classes`` filter (None: all).

        Raises:
            ValueError: A name the model does not predict.
        """
        if not classes or self.name in ('docsam', 'text'):
            return None
        unknown = [c for c in classes if c not in self.classes]
        if unknown:
            raise ValueError(
                f'classes {unknown} are not predicted by this model; its '
                f'classes are {self.classes}. (Only DocSAM takes any class '
                'names.)')
        return [self.classes.index(c) for c in classes]

    def background_labels(self) -> List[int]:
        """Semantic labels that are not regions (the background class)."""
        return [i for i, c in enumerate(self.classes)
                if c.lower() in BACKGROUND_NAMES]

    def category_names(self, classes: Optional[Sequence[str]]) -> List[str]:
        """Region categories of a call (semantic: without background)."""
        names = self.label_names(classes)
        if self.name == 'semantic':
            drop = set(self.background_labels())
            names = [n for i, n in enumerate(names) if i not in drop]
        return names

    def needs_page_image(self) -> bool:
        """Whether predictions need the original page image (SLRNet's dense
        CRF, which otherwise reads ``img_path``)."""
        test_cfg = getattr(self.model, 'test_cfg', None) or {}
        return self.name == 'semantic' and bool(test_cfg.get('crf'))

    def prepare(self, data: dict, classes: Optional[Sequence[str]],
                images: Optional[Sequence[np.ndarray]] = None) -> None:
        """Attach per-call information to a collated batch: DocSAM's class
        names, the BGR page ``images`` (as RGB ``crf_image``) for models
        with a dense CRF."""
        if images is not None and self.needs_page_image():
            for sample, img in zip(data['data_samples'], images):
                sample.set_metainfo(
                    dict(crf_image=np.ascontiguousarray(img[..., ::-1])))
        if self.name != 'docsam':
            return
        names = self.prompt(classes)
        for sample in data['data_samples']:
            sample.set_metainfo(dict(class_names=list(names)))

    def to_prediction(self, sample, classes: Optional[Sequence[str]],
                      score_thr: float) -> Dict:
        """Regions (or text) of one data sample, in original pixels.

        Returns:
            dict: ``regions`` (list of dicts with ``label``, ``category``,
            ``score``, ``bbox`` x0 y0 x1 y1, ``polygons``, ``area``) or, for
            text recognisers, ``text`` and ``score``.
        """
        names = self.label_names(classes)
        keep = self.keep_labels(classes)
        if self.name == 'text':
            pred = sample.pred_text
            scores = list(pred.get('score', []) or [])
            return dict(text=pred.item,
                        score=float(np.mean(scores)) if scores else 0.0)
        if self.name == 'semantic':
            probs = sample.get('seg_logits')
            probs = None if probs is None else probs.data
            return dict(regions=semantic_regions(
                sample.pred_sem_seg.data[0], probs, names,
                background=self.background_labels(), keep_labels=keep,
                score_thr=score_thr))
        return dict(regions=instance_regions(
            sample.pred_instances, names, score_thr=score_thr,
            keep_labels=keep))

    def visualizer_cfg(self, cfg: Config) -> dict:
        """Visualizer for the family's pictures (the config's own when it
        fits the family)."""
        own = dict(cfg.get('visualizer') or {})
        own_type = str(own.get('type', ''))
        if self.name in ('instance', 'docsam'):
            fits = own_type.endswith('DetLocalVisualizer')
            default = 'mmdet.DetLocalVisualizer'
        elif self.name == 'semantic':
            fits = 'Seg' in own_type and 'Visualizer' in own_type
            default = 'mmseg.SegLocalVisualizer'
        else:
            fits, default = False, 'Visualizer'
        vis = own if fits else dict(type=default)
        vis.pop('vis_backends', None)
        vis.pop('save_dir', None)
        return vis
