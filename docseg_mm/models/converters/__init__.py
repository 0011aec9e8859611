# Copyright (c) docseg_mm contributors. All rights reserved.
"""Checkpoint converters (library side of ``tools/model_converters``)."""
from .dig import (ConversionReport, convert_dig_state_dict,
                  load_dig_checkpoint)

__all__ = ['ConversionReport', 'convert_dig_state_dict',
           'load_dig_checkpoint']
