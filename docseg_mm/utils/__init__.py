# Copyright (c) docseg_mm contributors. All rights reserved.
from .checkpoint_compat import (MMENGINE_CHECKPOINT_GLOBALS,
                                load_checkpoint_file,
                                register_safe_checkpoint_loader)
from .dist import setup_cpu_distributed
from .setup_env import register_all_modules

__all__ = [
    'MMENGINE_CHECKPOINT_GLOBALS', 'load_checkpoint_file',
    'register_safe_checkpoint_loader', 'register_all_modules',
    'setup_cpu_distributed'
]
