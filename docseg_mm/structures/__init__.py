# Copyright (c) docseg_mm contributors. All rights reserved.
from .text_recog_data_sample import TextRecogDataSample

__all__ = ['TextRecogDataSample']
