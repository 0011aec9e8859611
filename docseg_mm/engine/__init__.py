# Copyright (c) docseg_mm contributors. All rights reserved.
"""Training-loop extensions (hooks) of docseg_mm."""
from .hooks import *  # noqa: F401,F403
