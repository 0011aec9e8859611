# Copyright (c) docseg_mm contributors. All rights reserved.
"""DocSAM: one segmentor for many document segmentation tasks."""
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch.nn.functional as F
from mmdet.models.detectors.base import BaseDetector
from mmdet.structures import SampleList
from mmdet.utils import ConfigType, OptConfigType
from mmengine.model.utils import stack_batch
from mmengine.structures import InstanceData, PixelData
from torch import Tensor, nn

from docseg_mm.registry import MODELS
from ..utils.docsam_postprocess import rescale_predictions
from ..utils.sliding_window import (merge_slide_instances,
                                    merge_slide_semantic, slide_window_boxes)

#: What the segmentor itself does at test time; the post-processing
#: thresholds are the head's (``DocSAMHead.test_cfg``).
DEFAULT_TEST_CFG = dict(
    mode='whole',
    patch_size=(640, 640),
    stride=(320, 320),
    batch_size=16,
    merge_nms_iou=0.5,
    thumb_score_factor=0.75,
    border_score_factor=0.5,
    border_margin=4,
    faithful_border=False)

#: One image's results: instances and (C - 1, H, W) bool semantic masks.
Result = Tuple[InstanceData, Tensor]


@MODELS.register_module()
class DocSAM(BaseDetector):
    """DocSAM segmentor: backbone -> pixel decoder -> hybrid query head.

    Every data sample carries the class names of its dataset
    (``metainfo['class_names']``, background last); predictions use the
    same list, so one model answers for any set of class names.
    Predictions: ``pred_instances`` (masks, boxes, scores, labels over the
    non-background classes) and ``pred_sem_masks`` (one binary map per
    non-background class; a pixel may belong to several).

    At test time the segmentor only decides what goes through the network:
    the whole images, or (``mode='slide'``) a thumbnail plus sliding windows
    of each image, batched with the data preprocessor's padding; the head
    post-processes (:meth:`DocSAMHead.predict_by_feat`) and the windows are
    merged here.

    Args:
        backbone (dict | nn.Module): Backbone returning 4 maps at strides
            4, 8, 16, 32 (e.g. ``mmdet.SwinTransformer``).
        neck (dict | nn.Module): ``DocSAMPixelDecoder``.
        head (dict | nn.Module): ``DocSAMHead``.
        train_cfg (dict, optional): Passed to the head. Defaults to None.
        test_cfg (dict, optional): ``mode`` ('whole' or 'slide'),
            ``patch_size``, ``stride``, ``batch_size`` (images or patches
            per forward), ``merge_nms_iou``, ``thumb_score_factor``,
            ``border_score_factor``, ``border_margin`` (px, defaults to 4),
            ``faithful_border`` and the head's post-processing keys
            (``score_thr``, ``mask_thr``, ``nms_iou`` per patch,
            ``max_per_img``). ``faithful_border`` picks the rule that
            down-weights window instances near a window edge: False counts
            only window edges inside the image, True the original's literal
            rule (every window edge, comparisons on the inclusive mask box;
            see :func:`merge_slide_instances`). Defaults to whole-image
            prediction with the original's thresholds and
            ``faithful_border=False``.
        data_preprocessor (dict, optional): Defaults to None.
        init_cfg (dict, optional): Defaults to None.
    """

    def __init__(self,
                 backbone: Union[ConfigType, nn.Module],
                 neck: Union[ConfigType, nn.Module],
                 head: Union[ConfigType, nn.Module],
                 train_cfg: OptConfigType = None,
                 test_cfg: OptConfigType = None,
                 data_preprocessor: OptConfigType = None,
                 init_cfg: OptConfigType = None) -> None:
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        if not isinstance(backbone, nn.Module):
            backbone = MODELS.build(backbone)
        self.backbone = backbone
        if not isinstance(neck, nn.Module):
            neck = MODELS.build(neck)
        self.neck = neck
        if not isinstance(head, nn.Module):
            head = MODELS.build(
                dict(head, train_cfg=train_cfg, test_cfg=test_cfg))
        self.head = head
        self.train_cfg = train_cfg
        self.test_cfg = dict(DEFAULT_TEST_CFG, **self.head.test_cfg)
        self.test_cfg.update(test_cfg or {})

    # ------------------------------------------------------------------
    @staticmethod
    def _valid_regions(inputs: Tensor,
                       batch_data_samples: Sequence) -> Tuple[Tensor, Tensor]:
        """``image_bboxes`` (B, 4) and ``pixel_mask`` (B, H, W) of a padded
        batch (samples or meta dicts with ``img_shape``)."""
        b, _, h, w = inputs.shape
        boxes = inputs.new_zeros((b, 4))
        mask = inputs.new_zeros((b, h, w))
        for i, sample in enumerate(batch_data_samples):
            meta = getattr(sample, 'metainfo', sample)
            ih, iw = meta.get('img_shape', (h, w))[:2]
            boxes[i, 2], boxes[i, 3] = iw, ih
            mask[i, :ih, :iw] = 1
        return boxes, mask

    def extract_feat(self,
                     inputs: Tensor,
                     image_bboxes: Optional[Tensor] = None
                     ) -> Tuple[List[Tensor], Tensor]:
        """Multi-scale features ``[s32, s16, s8, s4]`` and mask features."""
        feats = self.backbone(inputs)
        return self.neck(feats, image_bboxes)

    def loss(self, inputs: Tensor,
             batch_data_samples: SampleList) -> Dict[str, Tensor]:
        """Compute losses of a batch."""
        image_bboxes, pixel_mask = self._valid_regions(
            inputs, batch_data_samples)
        feats, mask_features = self.extract_feat(inputs, image_bboxes)
        return self.head.loss(feats, mask_features, image_bboxes, pixel_mask,
                              batch_data_samples)

    def _forward(self, inputs: Tensor,
                 batch_data_samples: SampleList = None) -> List[Dict]:
        """Raw predictions of every decoder stage."""
        if not batch_data_samples:
            raise ValueError('DocSAM needs data samples carrying '
                             "metainfo['class_names'] (background last).")
        image_bboxes, pixel_mask = self._valid_regions(
            inputs, batch_data_samples)
        feats, mask_features = self.extract_feat(inputs, image_bboxes)
        names = [s.metainfo['class_names'] for s in batch_data_samples]
        return self.head(feats, mask_features, image_bboxes, pixel_mask,
                         names)

    # ------------------------------------------------------------------
    def _stack(self, patches: Sequence[Tensor]) -> Tensor:
        """Pad and stack preprocessed patches as the data preprocessor pads
        a batch (``pad_size_divisor``, ``pad_value``)."""
        pre = self.data_preprocessor
        return stack_batch(
            list(patches),
            getattr(pre, 'pad_size_divisor', 1) or 1,
            getattr(pre, 'pad_value', 0))

    def _predict_patches(self, patches: Sequence[Tensor],
                         class_names: Sequence[str],
                         out_shapes: Sequence[Tuple[int, int]]
                         ) -> List[Result]:
        """Predict image patches that share one class-name list.

        Args:
            patches (Sequence[Tensor]): ``(3, h, w)`` preprocessed patches.
            class_names (Sequence[str]): Class names, background last.
            out_shapes (Sequence[tuple]): Size of each patch's results.

        Returns:
            list[tuple]: ``(InstanceData, (C - 1, H, W) bool)`` per patch.
        """
        results = []
        step = max(int(self.test_cfg['batch_size']), 1)
        for start in range(0, len(patches), step):
            chunk = patches[start:start + step]
            batch = self._stack(chunk)
            metas = [
                dict(
                    class_names=class_names,
                    img_shape=tuple(p.shape[-2:]),
                    batch_input_shape=tuple(batch.shape[-2:]),
                    out_shape=out_shapes[start + i])
                for i, p in enumerate(chunk)
            ]
            image_bboxes, pixel_mask = self._valid_regions(batch, metas)
            feats, mask_features = self.extract_feat(batch, image_bboxes)
            results += self.head.predict(
                feats,
                mask_features,
                image_bboxes,
                pixel_mask,
                metas,
                cfg=self.test_cfg)
        return results

    def _predict_slide(self, image: Tensor,
                       class_names: Sequence[str]) -> Result:
        """Thumbnail + sliding windows, merged (original ``test.py``)."""
        cfg = self.test_cfg
        h, w = image.shape[-2:]
        patch = tuple(cfg['patch_size'])
        thumb = F.interpolate(image[None], patch, mode='area')[0]
        windows = slide_window_boxes(h, w, patch, tuple(cfg['stride']))
        patches = [thumb] + [
            image[:, y0:y1, x0:x1] for x0, y0, x1, y1 in windows.tolist()
        ]
        sizes = [(h, w)] + [(int(y1 - y0), int(x1 - x0))
                            for x0, y0, x1, y1 in windows.tolist()]
        results = self._predict_patches(patches, class_names, sizes)
        inst = merge_slide_instances(
            results[0][0], [(box, r[0]) for box, r in zip(windows,
                                                          results[1:])],
            (h, w),
            thumb_score_factor=cfg['thumb_score_factor'],
            border_score_factor=cfg['border_score_factor'],
            border_margin=int(cfg['border_margin']),
            nms_iou=cfg['merge_nms_iou'],
            faithful=bool(cfg['faithful_border']))
        sem = merge_slide_semantic(
            results[0][1], [(box, r[1]) for box, r in zip(windows,
                                                          results[1:])],
            (h, w))
        return inst, sem

    def predict(self,
                inputs: Tensor,
                batch_data_samples: SampleList,
                rescale: bool = True) -> SampleList:
        """Predict instances and semantic maps for a batch.

        In ``'whole'`` mode the images (cropped to ``img_shape``) go through
        the model in batches of ``batch_size`` that share their class names;
        in ``'slide'`` mode every image is split into a thumbnail and
        windows of ``patch_size`` at ``stride`` whose predictions are
        merged.
        """
        mode = self.test_cfg['mode']
        if mode not in ('whole', 'slide'):
            raise ValueError(f"test_cfg.mode must be 'whole' or 'slide', "
                             f'got {mode!r}')
        images, names = [], []
        for img, sample in zip(inputs, batch_data_samples):
            ih, iw = sample.metainfo['img_shape'][:2]
            images.append(img[:, :ih, :iw])
            names.append(sample.metainfo['class_names'])
        if mode == 'slide':
            results = [
                self._predict_slide(img, name)
                for img, name in zip(images, names)
            ]
        elif len(set(map(tuple, names))) == 1:
            results = self._predict_patches(
                images, names[0], [tuple(i.shape[-2:]) for i in images])
        else:
            results = []
            for img, name in zip(images, names):
                results += self._predict_patches([img], name,
                                                 [tuple(img.shape[-2:])])
        for (inst, sem), sample in zip(results, batch_data_samples):
            if rescale:
                inst, sem = rescale_predictions(inst, sem, sample.metainfo)
            sample.pred_instances = inst
            sample.pred_sem_masks = PixelData(data=sem)
        return batch_data_samples
