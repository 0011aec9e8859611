# Copyright (c) docseg_mm contributors. All rights reserved.
"""Pictures of predictions with the mmdet / mmseg visualisers.

Instance models and DocSAM are drawn by ``mmdet.DetLocalVisualizer``
(masks, boxes, class names and scores), semantic models by
``mmseg.SegLocalVisualizer`` (or the config's own subclass, e.g. AlignSeg's
cluster visualiser), text recognisers as the word image with the
predicted string under it.
"""
from datetime import datetime
from typing import List, Optional, Sequence

import cv2
import mmcv
import numpy as np
from mmengine.registry import VISUALIZERS
from mmengine.visualization import Visualizer

from .model_families import Family


def make_palette(num: int, seed: int = 42) -> List[tuple]:
    """``num`` fixed pseudo-random RGB colours."""
    rng = np.random.RandomState(seed)
    return [tuple(int(v) for v in c) for c in rng.randint(0, 255, (num, 3))]


def build_visualizer(family: Family, cfg) -> Optional[Visualizer]:
    """The family's visualizer (None for text recognisers)."""
    if family.name == 'text':
        return None
    vis_cfg = family.visualizer_cfg(cfg)
    name = f'docseg_infer_{datetime.now().timestamp()}_{id(family)}'
    vis_cfg['name'] = name
    return VISUALIZERS.build(vis_cfg)


def palette_for(family: Family, names: Sequence[str]) -> List[tuple]:
    """The model's palette when it covers ``names``, else a fixed one."""
    palette = family.palette
    if palette and list(names) == family.classes[:len(names)] and \
            len(palette) >= len(names):
        return [tuple(c) for c in palette[:len(names)]]
    return make_palette(max(len(names), 1))


def draw_text_picture(img: np.ndarray, text: str, score: float,
                      height: int = 64) -> np.ndarray:
    """A word image (BGR) scaled to ``height`` with its prediction under
    it; returns RGB."""
    h, w = img.shape[:2]
    scale = height / max(h, 1)
    word = cv2.resize(img, (max(int(round(w * scale)), 1), height))
    label = f'{text}  ({score:.2f})'
    (tw, th), base = cv2.getTextSize(label, cv2.FONT_HERSHEY_SIMPLEX, 0.8, 2)
    width = max(word.shape[1], tw + 10)
    canvas = np.full((height + th + base + 12, width, 3), 255, np.uint8)
    canvas[:height, :word.shape[1]] = word
    cv2.putText(canvas, label, (5, height + th + 5),
                cv2.FONT_HERSHEY_SIMPLEX, 0.8, (0, 0, 200), 2, cv2.LINE_AA)
    return canvas[..., ::-1].copy()


def draw_page(visualizer: Optional[Visualizer], family: Family, page,
              sample, names: Sequence[str], pred: Optional[dict] = None,
              out_file: str = '') -> np.ndarray:
    """Draw one page's prediction; write it to ``out_file`` if given.

    Args:
        visualizer (Visualizer | None): From :func:`build_visualizer`.
        family (Family): The model family.
        page (LoadedPage): The page (BGR ``img``).
        sample: The model's data sample (already filtered).
        names (Sequence[str]): Label names of the call.
        pred (dict, optional): Text recognisers: ``text`` and ``score``.
        out_file (str): Picture file. Defaults to '' (not written).

    Returns:
        np.ndarray: The RGB picture.
    """
    rgb = page.img[..., ::-1]
    if family.name == 'text':
        drawn = draw_text_picture(page.img, pred['text'], pred['score'])
        if out_file:
            mmcv.imwrite(drawn[..., ::-1], out_file)
        return drawn
    palette = palette_for(family, names)
    if family.name == 'semantic':
        visualizer.set_dataset_meta(classes=list(names), palette=palette)
        visualizer.add_datasample(
            page.source.name, rgb, sample, draw_gt=False, with_labels=True,
            out_file=out_file or None)
    else:
        visualizer.dataset_meta = dict(classes=list(names), palette=palette)
        visualizer.add_datasample(
            page.source.name, rgb, sample, draw_gt=False, pred_score_thr=0.0,
            out_file=out_file or None)
    return visualizer.get_image()
