# Copyright (c) docseg_mm contributors. All rights reserved.
from mmengine.structures import BaseDataElement, LabelData


class TextRecogDataSample(BaseDataElement):
    """A text recognition sample, with mmocr's field names.

    - ``gt_text`` (:obj:`LabelData`): ``item``, the transcription (str).
    - ``pred_text`` (:obj:`LabelData`): ``item``, the predicted string, and
      ``score``, the per-character probabilities (list of float).

    Meta information (``img_path``, ``ori_shape``, ``img_shape``,
    ``dataset_name`` ...) is set with ``set_metainfo``.
    """

    @property
    def gt_text(self) -> LabelData:
        return self._gt_text

    @gt_text.setter
    def gt_text(self, value: LabelData) -> None:
        self.set_field(value, '_gt_text', dtype=LabelData)

    @gt_text.deleter
    def gt_text(self) -> None:
        del self._gt_text

    @property
    def pred_text(self) -> LabelData:
        return self._pred_text

    @pred_text.setter
    def pred_text(self, value: LabelData) -> None:
        self.set_field(value, '_pred_text', dtype=LabelData)

    @pred_text.deleter
    def pred_text(self) -> None:
        del self._pred_text
