# Copyright (c) docseg_mm contributors. All rights reserved.
"""Training-loop extensions (hooks, optimizer constructors) of docseg_mm."""
from .hooks import *  # noqa: F401,F403
from .optimizers import *  # noqa: F401,F403
