# Copyright (c) docseg_mm contributors. All rights reserved.
"""``DocSegInferencer``: documents in, regions out, for every model family.

Built on mmengine's ``BaseInferencer`` like mmdet's ``DetInferencer`` and
mmseg's ``MMSegInferencer``: :meth:`preprocess` (inputs -> pages -> test
pipeline -> batches), :meth:`forward` (``model.test_step``),
:meth:`visualize` (mmdet / mmseg visualisers) and :meth:`postprocess`
(regions as JSON-friendly dicts, in PDF points too for PDF pages, with the
PDF's own text inside each region).

Example::

    >>> from docseg_mm.apis import DocSegInferencer
    >>> infer = DocSegInferencer('configs/demo/mask-rcnn_r18_fpn_'
    ...                          '1xb4-400i_demo-doclaynet.py', 'iter_400.pth')
    >>> out = infer(['paper.pdf', 'scans/'], batch_size=4, out_dir='out')
    >>> out['predictions'][0]['regions'][0]['category']
"""
import logging
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.infer.infer import BaseInferencer
from mmengine.logging import print_log
from mmengine.registry import FUNCTIONS
from torch import nn

from docseg_mm.utils import register_all_modules
from .batching import Batch, ShapeBatcher, input_key, pad_divisor, prefetch
from .inference import (build_inference_pipeline, find_metafile_model,
                        image_results, init_model)
from .model_families import Family
from .page_loader import LoadedPage, PageLoader
from .pictures import build_visualizer, draw_page
from .progress import PageProgress
from .sources import PageError, collect_sources
from .writers import ResultWriter


class DocSegInferencer(BaseInferencer):
    """Segment page images, folders and PDFs with any docseg_mm model.

    Args:
        model (str | Config | dict, optional): Config file, metafile model
            name or config; None takes the config saved in ``weights``.
        weights (str, optional): Checkpoint. Defaults to None.
        device (str, optional): Defaults to None (CUDA when available).
        scope (str): Registry scope. Defaults to ``'docseg_mm'``.
        show_progress (bool): Progress bar over pages. Defaults to True.
        cfg_options (dict, optional): Config overrides. Defaults to None.
        class_embeddings (str, optional): DocSAM: precomputed class-name
            embeddings instead of the text model. Defaults to None.
        background (str, optional): DocSAM's background prompt.
            Defaults to ``'_background_'``.
    """

    preprocess_kwargs: set = {'dpi', 'pages', 'with_text', 'num_workers'}
    forward_kwargs: set = {'classes', 'score_thr'}
    visualize_kwargs: set = {'img_out_dir', 'return_vis'}
    postprocess_kwargs: set = {'pred_out_dir', 'return_datasamples'}

    def __init__(self,
                 model=None,
                 weights: Optional[str] = None,
                 device: Optional[str] = None,
                 scope: Optional[str] = 'docseg_mm',
                 show_progress: bool = True,
                 cfg_options: Optional[dict] = None,
                 class_embeddings: Optional[str] = None,
                 background: Optional[str] = None) -> None:
        register_all_modules(init_default_scope=True)
        self._init_kwargs = dict(cfg_options=cfg_options,
                                 class_embeddings=class_embeddings)
        self._background = background
        super().__init__(model=model, weights=weights, device=device,
                         scope=scope, show_progress=show_progress)
        self.cfg = self.model.cfg

    # ------------------------------------------------------------ set-up
    def _load_model_from_metafile(self, model: str) -> Tuple[Config, str]:
        path, weights = find_metafile_model(model)
        return Config.fromfile(path), weights

    def _init_model(self, cfg, weights: Optional[str],
                    device: str = 'cpu') -> nn.Module:
        model = init_model(cfg if cfg else None, weights, device,
                           **self._init_kwargs)
        self.family = Family(model, self._background)
        return model

    def _init_pipeline(self, cfg):
        return build_inference_pipeline(self.model.cfg)

    def _init_collate(self, cfg):
        """The test loader's ``collate_fn`` (mmengine's registry), else
        ``pseudo_collate``."""
        loader = self.model.cfg.get('test_dataloader') or {}
        collate = loader.get('collate_fn')
        if not collate:
            return pseudo_collate
        name = collate.get('type') if isinstance(collate, dict) else collate
        fn = FUNCTIONS.get(name) if isinstance(name, str) else name
        if fn is None:
            raise ValueError(f'unknown collate_fn {name!r} in the config')
        return fn

    def _init_visualizer(self, cfg):
        return build_visualizer(self.family, self.model.cfg)

    # -------------------------------------------------------- preprocess
    def _prepare(self, sources, loader: PageLoader):
        """Load pages and run the test pipeline (runs in the loader
        thread); yields ``(page, item, error)``."""
        for src in sources:
            page = loader.load(src)
            if isinstance(page, PageError):
                yield None, None, page
                continue
            try:
                item = self.pipeline(image_results(page.img, src.path))
            except Exception as e:  # a page the pipeline cannot take
                yield None, None, PageError(
                    src.path or src.where(), src.page,
                    f'test pipeline failed: {type(e).__name__}: {e}')
                continue
            yield page, item, None

    def preprocess(self, inputs, batch_size: int = 1, dpi: float = 150.,
                   pages=None, with_text: bool = True,
                   num_workers: int = 1, sources=None, errors=None):
        """Expand inputs into pages and group them into batches.

        Args:
            inputs: Paths, folders, globs, PDFs or BGR arrays.
            batch_size (int): Pages per forward pass. Defaults to 1.
            dpi (float): PDF rendering resolution. Defaults to 150.
            pages (str | list, optional): PDF / TIFF pages (``'1-3,7'``).
                Defaults to None (all).
            with_text (bool): Read PDF text layers. Defaults to True.
            num_workers (int): 1 loads pages in a background thread, 0
                inline. Defaults to 1.
            sources, errors: Already collected pages (internal).

        Yields:
            Batch: Pages of equal padded input shape, their pipeline
            outputs and the page errors met before them.
        """
        if sources is None:
            sources, errors = collect_sources(inputs, pages)
        batcher = ShapeBatcher(
            batch_size, lambda item: input_key(item, pad_divisor(self.model)))
        if errors:
            batcher.errors.extend(errors)
            yield batcher.flush_errors()
        loader = PageLoader(dpi=dpi, with_text=with_text)
        try:
            for page, item, error in prefetch(
                    self._prepare(sources, loader), size=2 * batch_size,
                    enabled=num_workers > 0):
                yield from batcher.add(page, item, error)
            yield from batcher.finish()
        finally:
            loader.close()

    # ----------------------------------------------------------- forward
    @torch.no_grad()
    def forward(self, inputs: Batch, classes: Optional[Sequence[str]] = None,
                score_thr: float = 0.3) -> List:
        """Predict a batch; keep instances with ``score >= score_thr`` (and
        of ``classes`` for models with fixed classes)."""
        data = self.collate_fn(inputs.items)
        self.family.prepare(data, classes,
                            images=[p.img for p in inputs.pages])
        with self.family.score_thr(score_thr):
            samples = self.model.test_step(data)
        keep = self.family.keep_labels(classes)
        for sample in samples:
            if 'pred_instances' in sample:
                inst = sample.pred_instances
                ok = inst.scores >= score_thr
                if keep is not None:
                    ok &= torch.isin(inst.labels,
                                     inst.labels.new_tensor(keep))
                sample.pred_instances = inst[ok]
            if keep is not None and 'pred_sem_seg' in sample:
                allowed = keep + self.family.background_labels()
                seg = sample.pred_sem_seg.data
                seg[~torch.isin(seg, seg.new_tensor(allowed))] = 255
        return samples

    # --------------------------------------------------------- visualize
    def visualize(self, inputs: List[LoadedPage], preds: List,
                  img_out_dir: str = '', return_vis: bool = False,
                  names: Optional[Sequence[str]] = None,
                  texts: Optional[List[Dict]] = None,
                  **kwargs) -> Optional[List[np.ndarray]]:
        """Draw the predictions of a batch of pages.

        Args:
            inputs (list[LoadedPage]): The pages.
            preds (list): Their data samples.
            img_out_dir (str): Folder of ``<name>.jpg`` pictures; '' writes
                none. Defaults to ''.
            return_vis (bool): Return the RGB pictures. Defaults to False.
            names (Sequence[str], optional): Label names of the call.
            texts (list[dict], optional): Text recognisers' predictions.

        Returns:
            list[np.ndarray] | None: Pictures when asked for.
        """
        if not img_out_dir and not return_vis:
            return None
        import os.path as osp
        out = []
        for i, (page, sample) in enumerate(zip(inputs, preds)):
            out_file = osp.join(img_out_dir, page.source.name + '.jpg') \
                if img_out_dir else ''
            out.append(draw_page(self.visualizer, self.family, page, sample,
                                 names or self.family.label_names(None),
                                 (texts or [None] * len(preds))[i],
                                 out_file))
        return out if return_vis else None

    # ------------------------------------------------------- postprocess
    def page_prediction(self, page: LoadedPage, sample,
                        classes: Optional[Sequence[str]] = None,
                        score_thr: float = 0.3) -> Dict:
        """JSON-friendly prediction of one page (see :meth:`postprocess`).
        """
        src = page.source
        h, w = page.img.shape[:2]
        pred: Dict[str, Any] = dict(
            source=src.path or None, page=src.page, name=src.name,
            file_name=src.file_name, width=w, height=h)
        pred.update(self.family.to_prediction(sample, classes, score_thr))
        if 'regions' in pred:
            pred['categories'] = self.family.category_names(classes)
        if page.pdf is not None:
            pred['pdf'] = page.pdf.to_dict()
            pred['text_layer'] = bool(page.text)
            for region in pred.get('regions', []):
                region['pdf_bbox'] = [round(v, 3) for v in
                                      page.pdf.box_to_pdf(region['bbox'])]
                region['pdf_polygons'] = [
                    page.pdf.to_pdf(np.reshape(p, (-1, 2))).round(3)
                    .reshape(-1).tolist() for p in region['polygons']]
                if page.text:
                    region['text'] = page.text.text_in_box(
                        region['pdf_bbox'])
        return pred

    def postprocess(self, preds: List, visualization=None,
                    return_datasamples: bool = False,
                    pred_out_dir: str = '', pages=None, classes=None,
                    score_thr: float = 0.3, **kwargs) -> Dict:
        """Predictions of a batch as dicts (or the data samples).

        Each dict has ``source``, ``page`` (1-based for PDF / TIFF pages),
        ``name``, ``file_name``, ``width``, ``height`` and ``regions``
        (``label``, ``category``, ``score``, ``bbox`` x0 y0 x1 y1 in
        pixels, ``polygons``, ``area``; for PDF pages ``pdf_bbox`` /
        ``pdf_polygons`` in PDF points and ``text``), or for text
        recognisers ``text`` and ``score``.
        """
        if return_datasamples:
            return dict(predictions=preds, visualization=visualization)
        out = [self.page_prediction(p, s, classes, score_thr)
               for p, s in zip(pages, preds)]
        return dict(predictions=out, visualization=visualization)

    # ---------------------------------------------------------- __call__
    def __call__(self,
                 inputs,
                 batch_size: int = 1,
                 return_datasamples: bool = False,
                 return_vis: bool = False,
                 out_dir: str = '',
                 no_save_vis: bool = False,
                 no_save_pred: bool = False,
                 keep_predictions: bool = True,
                 classes: Optional[Sequence[str]] = None,
                 score_thr: float = 0.3,
                 dpi: float = 150.,
                 pages=None,
                 with_text: bool = True,
                 num_workers: int = 1) -> Dict:
        """Predict every page of ``inputs``.

        Args:
            inputs: Image files, folders (recursive), glob patterns, PDF
                files or BGR arrays (one or a list). URLs are refused.
            batch_size (int): Pages per forward pass. Defaults to 1.
            return_datasamples (bool): Return data samples instead of
                dicts. Defaults to False.
            return_vis (bool): Also return the pictures. Defaults to False.
            out_dir (str): Write the run's files there (see
                :mod:`docseg_mm.apis.writers`). Defaults to '' (nothing).
            no_save_vis (bool): No pictures in ``out_dir``.
            no_save_pred (bool): No per-page JSON files in ``out_dir``.
            keep_predictions (bool): Return the predictions (False keeps
                memory flat on long runs). Defaults to True.
            classes (Sequence[str], optional): DocSAM: the class names to
                segment; other models: keep only these classes.
            score_thr (float): Smallest kept score. Defaults to 0.3.
            dpi (float): PDF rendering resolution. Defaults to 150.
            pages (str | list, optional): PDF / TIFF pages, e.g.
                ``'1-3,7'``. Defaults to None (all).
            with_text (bool): Attach PDF text to regions. Defaults to True.
            num_workers (int): Background page-loading threads (0 or 1).

        Returns:
            dict: ``predictions`` (list), ``visualization`` (list or None),
            ``errors`` (:class:`PageError` list), ``num_pages`` and, with
            ``out_dir``, ``files``.
        """
        sources, errors = collect_sources(inputs, pages)
        names = self.family.label_names(classes)
        self.family.keep_labels(classes)  # unknown names fail before work
        if self.family.name == 'docsam':
            self.family.prompt(classes)
        writer = ResultWriter(out_dir, save_vis=not no_save_vis,
                              save_pred=not no_save_pred) if out_dir else None
        if writer is not None:
            writer.set_categories(self.family.category_names(classes))
        img_out_dir = '' if writer is None or no_save_vis else \
            writer.path('vis', '')
        results = dict(predictions=[], visualization=[] if return_vis
                       else None, errors=[], num_pages=0)
        progress = PageProgress(len(sources), enabled=self.show_progress)

        def report(err: PageError, counted: bool) -> None:
            print_log(f'skipped {err}', logger='current',
                      level=logging.WARNING)
            results['errors'].append(err)
            if writer is not None:
                writer.add_error(err)
            progress.advance(counted, ok=False)

        try:
            for err in errors:
                report(err, False)
            for batch in self.preprocess(
                    inputs, batch_size, dpi=dpi, with_text=with_text,
                    num_workers=num_workers, sources=sources, errors=[]):
                for err in batch.errors:
                    report(err, True)
                if not batch.pages:
                    continue
                samples = self.forward(batch, classes, score_thr)
                preds = [self.page_prediction(p, s, classes, score_thr)
                         for p, s in zip(batch.pages, samples)]
                vis = self.visualize(batch.pages, samples, img_out_dir,
                                     return_vis, names=names, texts=preds)
                for i, (page, sample) in enumerate(zip(batch.pages,
                                                       samples)):
                    if writer is not None:
                        sem = sample.get('pred_sem_seg')
                        writer.write_page(page, preds[i], None if sem is None
                                          else sem.data[0].cpu().numpy())
                    if keep_predictions:
                        results['predictions'].append(
                            (page.source.index,
                             sample if return_datasamples else preds[i]))
                    if vis is not None:
                        results['visualization'].append(vis[i])
                    results['num_pages'] += 1
                    progress.advance(True)
        finally:
            progress.close()
            if writer is not None:
                results['num_regions'] = writer.num_regions
                results['files'] = writer.finish(dict(
                    num_pages=results['num_pages'],
                    num_errors=len(results['errors']),
                    num_regions=writer.num_regions,
                    categories=writer.categories,
                    errors=[str(e) for e in results['errors']]))
        results['predictions'] = [
            p for _, p in sorted(results['predictions'], key=lambda x: x[0])
        ]
        return results
