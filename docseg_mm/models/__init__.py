# Copyright (c) docseg_mm contributors. All rights reserved.
from .heads import *  # noqa: F401,F403
from .selfsup import *  # noqa: F401,F403
from .utils import *  # noqa: F401,F403
