# Copyright (c) docseg_mm contributors. All rights reserved.
"""DocSAM: one segmentor for many document segmentation tasks."""
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from mmdet.models.detectors.base import BaseDetector
from mmdet.structures import SampleList
from mmengine.structures import InstanceData, PixelData
from torch import Tensor, nn

from docseg_mm.registry import MODELS
from ..utils.docsam_postprocess import (postprocess_instances,
                                        postprocess_semantic)
from ..utils.sliding_window import (merge_slide_instances,
                                    merge_slide_semantic, slide_window_boxes)

ConfigOrModule = Union[dict, nn.Module]


def _build(cfg: ConfigOrModule) -> nn.Module:
    return cfg if isinstance(cfg, nn.Module) else MODELS.build(cfg)


@MODELS.register_module()
class DocSAM(BaseDetector):
    """DocSAM segmentor: backbone -> pixel decoder -> hybrid query head.

    Every data sample carries the class names of its dataset
    (``metainfo['class_names']``, background last); predictions use the
    same list, so one model answers for any set of class names.
    Predictions: ``pred_instances`` (masks, boxes, scores, labels over the
    non-background classes) and ``pred_sem_masks`` (one binary map per
    non-background class; a pixel may belong to several).

    Args:
        backbone (dict | nn.Module): Backbone returning 4 maps at strides
            4, 8, 16, 32 (e.g. ``mmdet.SwinTransformer``).
        neck (dict | nn.Module): ``DocSAMPixelDecoder``.
        head (dict | nn.Module): ``DocSAMHead``.
        train_cfg (dict, optional): Passed to the head. Defaults to None.
        test_cfg (dict, optional): ``mode`` ('whole' or 'slide'),
            ``patch_size``, ``stride``, ``batch_size`` (patches per forward),
            ``score_thr``, ``mask_thr``, ``nms_iou`` (per patch),
            ``merge_nms_iou``, ``thumb_score_factor``,
            ``border_score_factor``, ``max_per_img``. Defaults to whole-image
            prediction with the original's thresholds.
        data_preprocessor (dict, optional): Defaults to None.
        init_cfg (dict, optional): Defaults to None.
    """

    def __init__(self,
                 backbone: ConfigOrModule,
                 neck: ConfigOrModule,
                 head: ConfigOrModule,
                 train_cfg: Optional[dict] = None,
                 test_cfg: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.backbone = _build(backbone)
        self.neck = _build(neck)
        if isinstance(head, dict):
            head = dict(head, train_cfg=train_cfg, test_cfg=test_cfg)
        self.head = _build(head)
        self.train_cfg = train_cfg
        self.test_cfg = dict(
            mode='whole',
            patch_size=(640, 640),
            stride=(320, 320),
            batch_size=16,
            score_thr=0.01,
            mask_thr=0.5,
            nms_iou=0.25,
            merge_nms_iou=0.5,
            thumb_score_factor=0.75,
            border_score_factor=0.5,
            max_per_img=None)
        self.test_cfg.update(test_cfg or {})

    # ------------------------------------------------------------------
    @staticmethod
    def _valid_regions(inputs: Tensor,
                       batch_data_samples: SampleList) -> Tuple[Tensor,
                                                                Tensor]:
        """``image_bboxes`` (B, 4) and ``pixel_mask`` (B, H, W) of a padded
        batch."""
        b, _, h, w = inputs.shape
        boxes = inputs.new_zeros((b, 4))
        mask = inputs.new_zeros((b, h, w))
        for i, sample in enumerate(batch_data_samples):
            ih, iw = sample.metainfo.get('img_shape', (h, w))[:2]
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
    def _predict_patches(self, patches: Sequence[Tensor],
                         class_names: Sequence[str],
                         out_sizes: Sequence[Tuple[int, int]]
                         ) -> List[Tuple[InstanceData, Tensor]]:
        """Predict instances and semantic maps of image patches.

        Args:
            patches (Sequence[Tensor]): ``(3, h, w)`` preprocessed patches.
            class_names (Sequence[str]): Class names, background last.
            out_sizes (Sequence[tuple]): Size to resize each result to.

        Returns:
            list[tuple]: ``(InstanceData, (C - 1, H, W) bool)`` per patch.
        """
        cfg = self.test_cfg
        results = []
        step = max(int(cfg['batch_size']), 1)
        for start in range(0, len(patches), step):
            chunk = patches[start:start + step]
            h = max(p.shape[-2] for p in chunk)
            w = max(p.shape[-1] for p in chunk)
            # pad like the data preprocessor does for training batches
            div = getattr(self.data_preprocessor, 'pad_size_divisor', 1) or 1
            h, w = -(-h // div) * div, -(-w // div) * div
            batch = chunk[0].new_zeros((len(chunk), 3, h, w))
            image_bboxes = batch.new_zeros((len(chunk), 4))
            pixel_mask = batch.new_zeros((len(chunk), h, w))
            for i, p in enumerate(chunk):
                ph, pw = p.shape[-2:]
                batch[i, :, :ph, :pw] = p
                image_bboxes[i, 2:] = torch.tensor([pw, ph])
                pixel_mask[i, :ph, :pw] = 1
            feats, mask_features = self.extract_feat(batch, image_bboxes)
            out = self.head(feats, mask_features, image_bboxes, pixel_mask,
                            [class_names] * len(chunk))[-1]
            num = len(class_names)
            for i, p in enumerate(chunk):
                ph, pw = p.shape[-2:]
                valid = ~out['padding_mask'][i]
                results.append(
                    self._postprocess_one(
                        out['cls_logits'][i, valid, :num],
                        out['mask_logits'][i, valid],
                        out['boxes'][i, valid], out['sem_logits'][i, :num],
                        (ph, pw), out_sizes[start + i], (h, w)))
        return results

    def _postprocess_one(self, cls_logits: Tensor, mask_logits: Tensor,
                         boxes: Tensor, sem_logits: Tensor,
                         in_size: Tuple[int, int], out_size: Tuple[int, int],
                         pad_size: Tuple[int, int]
                         ) -> Tuple[InstanceData, Tensor]:
        """Crop stride-4 maps to the valid region and post-process.

        The stride-4 maps cover ``pad_size``; they are cropped to the cells
        that cover ``in_size`` and resized to a slightly larger size than
        ``out_size`` so that the crop back to ``out_size`` is exact.
        """
        cfg = self.test_cfg
        h4 = -(-in_size[0] * mask_logits.shape[-2] // pad_size[0])
        w4 = -(-in_size[1] * mask_logits.shape[-1] // pad_size[1])
        cover = (h4 * pad_size[0] / mask_logits.shape[-2],
                 w4 * pad_size[1] / mask_logits.shape[-1])
        sy, sx = out_size[0] / in_size[0], out_size[1] / in_size[1]
        big = (int(round(cover[0] * sy)), int(round(cover[1] * sx)))
        big = (max(big[0], out_size[0]), max(big[1], out_size[1]))
        inst = postprocess_instances(
            cls_logits,
            mask_logits[:, :h4, :w4],
            boxes,
            in_size=(int(round(cover[0])), int(round(cover[1]))),
            out_size=big,
            score_thr=cfg['score_thr'],
            mask_thr=cfg['mask_thr'],
            nms_iou=cfg['nms_iou'],
            max_per_img=cfg['max_per_img'])
        inst.masks = inst.masks[:, :out_size[0], :out_size[1]]
        if len(inst):
            inst.bboxes[:, 0::2] = inst.bboxes[:, 0::2].clamp(0, out_size[1])
            inst.bboxes[:, 1::2] = inst.bboxes[:, 1::2].clamp(0, out_size[0])
        sem = postprocess_semantic(sem_logits[:, :h4, :w4], big)
        return inst, sem[:, :out_size[0], :out_size[1]]

    def _predict_slide(self, image: Tensor,
                       class_names: Sequence[str]) -> Tuple[InstanceData,
                                                            Tensor]:
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
            nms_iou=cfg['merge_nms_iou'])
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

        In ``'whole'`` mode the batch goes through the model at once; in
        ``'slide'`` mode every image is split into a 640x640 thumbnail and
        640x640 windows at stride 320 whose predictions are merged.
        """
        mode = self.test_cfg['mode']
        results = []
        if mode == 'slide':
            for img, sample in zip(inputs, batch_data_samples):
                ih, iw = sample.metainfo['img_shape'][:2]
                results.append(
                    self._predict_slide(img[:, :ih, :iw],
                                        sample.metainfo['class_names']))
        elif mode == 'whole':
            patches, sizes = [], []
            for img, sample in zip(inputs, batch_data_samples):
                ih, iw = sample.metainfo['img_shape'][:2]
                patches.append(img[:, :ih, :iw])
                sizes.append((ih, iw))
            names = [s.metainfo['class_names'] for s in batch_data_samples]
            if len(set(map(tuple, names))) == 1:
                results = self._predict_patches(patches, names[0], sizes)
            else:
                for p, n, s in zip(patches, names, sizes):
                    results += self._predict_patches([p], n, [s])
        else:
            raise ValueError(f"test_cfg.mode must be 'whole' or 'slide', "
                             f'got {mode!r}')
        for (inst, sem), sample in zip(results, batch_data_samples):
            if rescale:
                inst, sem = self._rescale(inst, sem, sample.metainfo)
            sample.pred_instances = inst
            sample.pred_sem_masks = PixelData(data=sem)
        return batch_data_samples

    @staticmethod
    def _rescale(inst: InstanceData, sem: Tensor,
                 meta: dict) -> Tuple[InstanceData, Tensor]:
        """Bring results from the resized input to the original image."""
        oh, ow = meta['ori_shape'][:2]
        if len(inst):
            inst.masks = F.interpolate(
                inst.masks[None].float(), (oh, ow),
                mode='bilinear', align_corners=False)[0] > 0.5
            sx, sy = meta.get('scale_factor', (1.0, 1.0))[:2]
            inst.bboxes = inst.bboxes / inst.bboxes.new_tensor(
                [sx, sy, sx, sy])
        else:
            inst.masks = inst.masks.new_zeros((0, oh, ow))
        if sem.shape[-2:] != (oh, ow):
            sem = F.interpolate(
                sem[None].float(), (oh, ow), mode='bilinear',
                align_corners=False)[0] > 0.5
        return inst, sem
