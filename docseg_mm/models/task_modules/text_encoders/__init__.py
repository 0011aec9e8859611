# Copyright (c) docseg_mm contributors. All rights reserved.
from .class_name_encoder import (DEFAULT_MODEL_NAME, ClassNameEncoder,
                                 load_embeddings_file)

__all__ = ['ClassNameEncoder', 'DEFAULT_MODEL_NAME', 'load_embeddings_file']
