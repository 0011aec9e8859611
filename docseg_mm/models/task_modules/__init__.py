# Copyright (c) docseg_mm contributors. All rights reserved.
from .assigners import *  # noqa: F401,F403
from .match_costs import *  # noqa: F401,F403
from .text_dictionary import PRINTABLE94, Dictionary
from .text_encoders import ClassNameEncoder

__all__ = ['ClassNameEncoder', 'Dictionary', 'PRINTABLE94']
