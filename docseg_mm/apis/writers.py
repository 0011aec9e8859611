# Copyright (c) docseg_mm contributors. All rights reserved.
"""Files of an inference run.

``<out_dir>/``

* ``results.coco.json``: one COCO file for the run: ``images`` (every page
  predicted, with ``file_name`` relative to ``out_dir`` for rendered pages,
  ``source`` and ``page``), ``categories`` and ``annotations`` (``bbox``
  xywh, ``segmentation`` polygons, ``area``, ``score``, ``iscrowd`` 0),
  importable as pre-annotations (CVAT / Label Studio COCO import);
* ``preds/<name>.json``: one per page (regions in pixels, and for PDF
  pages also in PDF points with the page's text inside each region);
* ``vis/<name>.jpg``: pictures; ``sem/<name>.png``: label maps of semantic
  models (``uint8``, or ``uint16`` beyond 255 labels; 255 = not predicted);
* ``pages/<name>.png``: rendered PDF pages and TIFF frames (what the COCO
  file's ``file_name`` points at);
* ``texts.tsv``: text recognisers (``file_name``, text, mean character
  score);
* ``errors.json`` and ``summary.json``.

Per-page files are written as each page is done; the run-level files are
rewritten at the end (also when the run stops on an exception), so nothing
written for good pages is lost.
"""
import json
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence

import mmcv
import numpy as np

COCO_FILE = 'results.coco.json'


def _dump(obj, path: str) -> None:
    tmp = path + '.tmp'
    with open(tmp, 'w', encoding='utf-8') as f:
        # dumps uses the C encoder (dump streams through the Python one)
        f.write(json.dumps(obj, ensure_ascii=False))
    os.replace(tmp, path)


def coco_annotation(region: Dict, ann_id: int, image_id: int,
                    category_id: int) -> Dict:
    """A COCO annotation of a region."""
    x0, y0, x1, y1 = region['bbox']
    ann = dict(id=ann_id, image_id=image_id, category_id=category_id,
               bbox=[x0, y0, round(x1 - x0, 2), round(y1 - y0, 2)],
               segmentation=region['polygons'], area=region['area'],
               iscrowd=0, score=region['score'])
    if 'text' in region:
        ann['text'] = region['text']
    return ann


class ResultWriter:
    """Write the files of a run (see the module docstring).

    Args:
        out_dir (str): Output folder (created).
        save_vis (bool): Keep pictures. Defaults to True.
        save_pred (bool): Write per-page JSON files. Defaults to True.
    """

    def __init__(self, out_dir: str, save_vis: bool = True,
                 save_pred: bool = True) -> None:
        self.out_dir = out_dir
        self.save_vis = save_vis
        self.save_pred = save_pred
        os.makedirs(out_dir, exist_ok=True)
        self.images: List[Dict] = []
        self.annotations: List[Dict] = []
        self.categories: List[str] = []
        self.texts: List[Dict] = []
        self.errors: List[Dict] = []
        self.num_regions = 0

    def path(self, *parts: str) -> str:
        """A path inside the output folder (its folder created)."""
        path = osp.join(self.out_dir, *parts)
        os.makedirs(osp.dirname(path), exist_ok=True)
        return path

    def vis_file(self, name: str) -> str:
        return self.path('vis', name + '.jpg') if self.save_vis else ''

    def set_categories(self, names: Sequence[str]) -> None:
        """Categories of the run (COCO ids are positions + 1)."""
        self.categories = list(names)

    def write_page(self, page, pred: Dict,
                   sem_seg: Optional[np.ndarray] = None) -> None:
        """Write one page's files and add it to the run's results.

        Args:
            page (LoadedPage): The page (``source``, ``img``).
            pred (dict): Its prediction from the inferencer's postprocess.
            sem_seg (np.ndarray, optional): ``(H, W)`` label map.
        """
        src = page.source
        if src.kind in ('pdf', 'tiff', 'array'):
            mmcv.imwrite(page.img, self.path(src.file_name))
        if sem_seg is not None:
            dtype = np.uint8 if sem_seg.max(initial=0) <= 255 else np.uint16
            rel = osp.join('sem', src.name + '.png')
            mmcv.imwrite(sem_seg.astype(dtype), self.path(rel))
            pred['sem_seg'] = rel
        if self.save_pred:
            _dump(pred, self.path('preds', src.name + '.json'))
        image_id = src.index + 1
        h, w = page.img.shape[:2]
        image = dict(id=image_id, file_name=src.file_name, width=w,
                     height=h, source=src.path or None, page=src.page)
        self.images.append(image)
        if 'text' in pred and 'regions' not in pred:
            self.texts.append(dict(file_name=src.file_name,
                                   text=pred['text'], score=pred['score']))
            return
        for region in pred.get('regions', []):
            cat = region['category']
            if cat not in self.categories:
                self.categories.append(cat)
            self.annotations.append(coco_annotation(
                region, len(self.annotations) + 1, image_id,
                self.categories.index(cat) + 1))
        self.num_regions += len(pred.get('regions', []))

    def add_error(self, error) -> None:
        """Record a :class:`PageError`."""
        self.errors.append(error.to_dict())

    def finish(self, summary: Optional[Dict] = None) -> Dict:
        """Write the run-level files.

        Returns:
            dict: Paths written (``coco``, ``errors``, ``summary``,
            ``texts``).
        """
        images = sorted(self.images, key=lambda im: im['id'])
        out = {}
        if not self.texts:
            coco = dict(
                info=dict(description='docseg_mm predictions',
                          note='annotations carry the model score'),
                images=images,
                categories=[dict(id=i + 1, name=n, supercategory='')
                            for i, n in enumerate(self.categories)],
                annotations=self.annotations)
            out['coco'] = osp.join(self.out_dir, COCO_FILE)
            _dump(coco, out['coco'])
        else:
            out['texts'] = osp.join(self.out_dir, 'texts.tsv')
            with open(out['texts'], 'w', encoding='utf-8') as f:
                for t in self.texts:
                    text = t['text'].replace('\t', ' ').replace('\n', ' ')
                    f.write(f"{t['file_name']}\t{text}\t{t['score']:.4f}\n")
        out['errors'] = osp.join(self.out_dir, 'errors.json')
        _dump(self.errors, out['errors'])
        if summary is not None:
            out['summary'] = osp.join(self.out_dir, 'summary.json')
            _dump(summary, out['summary'])
        return out
