# Copyright (c) docseg_mm contributors. All rights reserved.
"""Checkpoint converters (library logic of ``tools/model_converters``)."""
