# Copyright (c) docseg_mm contributors. All rights reserved.
"""Checkpoint conversion from original method repositories.

One module per source (``docsam``, ``selfdocseg``, ``hf_swin`` for HF Swin
backbones, ``torchvision_resnet`` for torchvision ResNet-50 encoders), a
shared :class:`ConversionReport` and a safe source loader
(:func:`load_source`). The command lines are thin wrappers in
``tools/model_converters/``.

Parity with the original code: :mod:`.parity` (comparison and verdict),
``docsam_parity`` / ``selfdocseg_parity`` (the docseg_mm side) and
``docsam_original`` / ``selfdocseg_original`` (building and running the
original from a user's checkout), used by
``tools/analysis_tools/{docsam,selfdocseg}_parity.py``.
"""
from .dig import convert_dig_state_dict, load_dig_checkpoint
from .loading import UnsafeCheckpointError, get_state_dict, load_source
from .report import ConversionReport

__all__ = [
    'ConversionReport', 'UnsafeCheckpointError', 'get_state_dict',
    'load_source', 'convert_dig_state_dict', 'load_dig_checkpoint'
]
