# Copyright (c) docseg_mm contributors. All rights reserved.
"""Helpers for tests (the ``mmdet.testing`` idea): tiny datasets written in
the on-disk format a dataset config expects."""
from .tiny_datasets import (TINY_DATASET_WRITERS, make_tiny_dataset,
                            register_tiny_writer)

__all__ = ['TINY_DATASET_WRITERS', 'make_tiny_dataset', 'register_tiny_writer']
