# Copyright (c) docseg_mm contributors. All rights reserved.
from .layout_mask_codes import HOLE_FLAG, MAX_OBJECTS
from .text_recog_data_sample import TextRecogDataSample

__all__ = ['HOLE_FLAG', 'MAX_OBJECTS', 'TextRecogDataSample']
