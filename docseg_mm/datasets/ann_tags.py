# Copyright (c) docseg_mm contributors. All rights reserved.
"""Validation of page-level tag files (image-level labels), in the family
of :mod:`docseg_mm.datasets.ann_checks`.

A tags file is the json ``{"classes": [...], "tags": {file_name: [class
names]}}`` written by
:func:`docseg_mm.datasets.converters.coco_to_semantic`. The checks hold no
dataset state and raise :class:`TagsFormatError` naming the file and the
offending entry.
"""
import json
from typing import Dict, Optional, Sequence

import numpy as np
from mmengine.fileio import get_local_path

from .ann_checks import AnnotationFormatError


class TagsFormatError(AnnotationFormatError):
    """A page-tags file is malformed or disagrees with the image list."""


def read_tags_file(tags_file: str,
                   backend_args: Optional[dict] = None) -> Dict:
    """Read a page-tags json and check its structure.

    Args:
        tags_file (str): Path of the json (as written by
            :func:`docseg_mm.datasets.converters.coco_to_semantic`).
        backend_args (dict, optional): File backend arguments.
            Defaults to None.

    Returns:
        dict: ``classes`` (list of names) and ``tags`` (file name -> names).

    Raises:
        FileNotFoundError: The file does not exist (the message names it).
        TagsFormatError: If the file is not such a json; the message names
            the file and the offending entry.
    """
    try:
        with get_local_path(tags_file, backend_args=backend_args) as path:
            with open(path) as f:
                data = json.load(f)
    except FileNotFoundError as e:
        raise FileNotFoundError(f'tags file not found: {tags_file!r}') from e
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise TagsFormatError(f'{tags_file}: not valid json ({e})') from e
    if not isinstance(data, dict) or not isinstance(data.get('tags'), dict):
        raise TagsFormatError(
            f'{tags_file}: expected {{"classes": [...], "tags": '
            '{file_name: [class names]}}')
    classes = data.get('classes')
    if classes is not None and not (isinstance(classes, list) and all(
            isinstance(c, str) for c in classes)):
        raise TagsFormatError(f'{tags_file}: "classes" must be a list of '
                              'class names')
    for name, tags in data['tags'].items():
        if not isinstance(tags, list) or not all(
                isinstance(t, str) for t in tags):
            raise TagsFormatError(f'{tags_file}: tags of {name!r} must be a '
                                  f'list of class names, got {tags!r}')
    return data


def check_tag_classes(data: Dict, classes: Sequence[str], tags_file: str,
                      owner: str) -> None:
    """Check that the ``classes`` list of a tags file names known classes.

    Args:
        data (dict): The json read by :func:`read_tags_file`.
        classes (Sequence[str]): The dataset's classes (background first).
        tags_file (str): The tags file, for messages.
        owner (str): Who reads it (e.g. the dataset class), for messages.

    Raises:
        TagsFormatError: A class of the file is not one of ``classes``.
    """
    unknown = [c for c in data.get('classes') or [] if c not in classes]
    if unknown:
        raise TagsFormatError(
            f'{tags_file}: classes {unknown} are not classes of {owner} '
            f'{tuple(classes)}')


def tags_to_multi_hot(tags: Sequence[str], classes: Sequence[str],
                      tags_file: str, page: str, owner: str,
                      allow_unknown: bool = False) -> np.ndarray:
    """Multi-hot float32 labels over the foreground classes of one page.

    Args:
        tags (Sequence[str]): The page's tags.
        classes (Sequence[str]): The dataset's classes, background first;
            the labels index ``classes[1:]``.
        tags_file (str): The tags file, for messages.
        page (str): The page's file name, for messages.
        owner (str): Who reads it, for messages.
        allow_unknown (bool): Ignore tags outside ``classes`` (a label map
            dropped them). Defaults to False.

    Returns:
        np.ndarray: ``(len(classes) - 1, )`` 0/1 labels.

    Raises:
        TagsFormatError: A tag is not a class (and not ``allow_unknown``).
    """
    index = {name: i for i, name in enumerate(classes[1:])}
    labels = np.zeros(len(classes) - 1, np.float32)
    for tag in tags:
        if tag in index:
            labels[index[tag]] = 1.
        elif tag not in classes and not allow_unknown:
            raise TagsFormatError(
                f'{tags_file}: page {page!r} has tag {tag!r}, not a class '
                f'of {owner}')
    return labels
