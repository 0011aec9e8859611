# Copyright (c) docseg_mm contributors. All rights reserved.
"""Multi-scale + flip inference for SLRNet."""
from typing import List

import torch
from mmseg.models.segmentors import SegTTAModel
from mmseg.structures import SegDataSample

from docseg_mm.registry import MODELS


@MODELS.register_module()
class SLRNetTTAModel(SegTTAModel):
    """Average SLRNet's masks and classifier logits over test-time
    augmentations, then post-process once.

    Use with mmseg's ``TestTimeAug`` (e.g. scales ``[1, 1.5, 2, 0.5, 0.75]``
    x ``RandomFlip`` 0 / 1). Every augmented pass returns the class
    probabilities (``seg_logits``, already flipped back and resized to the
    original size) and ``img_cls_logits``; this model takes their plain
    means (SLRNet ``infer_voc.py``: ``sum(mask + flip(mask_flipped)) /
    (2 * #scales)``) and applies the segmentor's
    :meth:`~docseg_mm.models.segmentors.SLRNet.finalize_prediction` (class
    selection, ``bg_pow``, CRF) to the means. mmseg's ``SegTTAModel`` would
    soft-max the probabilities again.
    """

    def test_step(self, data) -> List[SegDataSample]:
        module = self.module
        module.skip_postprocess = True
        try:
            return super().test_step(data)
        finally:
            module.skip_postprocess = False

    def merge_preds(
            self,
            data_samples_list: List[List[SegDataSample]]
    ) -> List[SegDataSample]:
        merged = []
        for samples in data_samples_list:
            masks = torch.stack([s.seg_logits.data for s in samples]).mean(0)
            out = SegDataSample(metainfo=samples[0].metainfo)
            out.set_data(dict(seg_logits=samples[0].seg_logits.new(
                data=masks)))
            if 'img_cls_logits' in samples[0]:
                out.set_field(
                    torch.stack([s.img_cls_logits for s in samples]).mean(0),
                    'img_cls_logits')
            if 'gt_sem_seg' in samples[0]:
                out.gt_sem_seg = samples[0].gt_sem_seg
            merged.append(self.module.finalize_prediction(out))
        return merged
