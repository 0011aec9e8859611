# Copyright (c) docseg_mm contributors. All rights reserved.
from .docsam_hungarian_assigner import DocSAMHungarianAssigner

__all__ = ['DocSAMHungarianAssigner']
