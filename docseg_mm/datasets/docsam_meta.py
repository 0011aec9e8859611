# Copyright (c) docseg_mm contributors. All rights reserved.
"""DocSAM dataset identity: dataset name, task family and class prompts.

DocSAM trains one model on many datasets; every sample carries the class
names of its own dataset, i.e. the dataset's classes in label order followed
by the background prompt ``"<dataset name> _background_"`` as the LAST
entry, so label ``i`` indexes ``class_names[i]``.
"""
import os.path as osp
import re
from typing import Optional, Tuple

#: Path segment (DocSAM folder layout) -> task family.
FAMILY_DIRS = {
    'Ancient': 'ancient',
    'Handwritten': 'handwritten',
    'Layout': 'layout',
    'SceneText': 'scenetext',
    'Table': 'table',
}
#: Task families of DocSAM.
TASK_FAMILIES = tuple(FAMILY_DIRS.values())
SPLIT_DIRS = ('train', 'test', 'val')
#: Data-info / meta keys that carry the identity of a sample's dataset.
DOCSAM_KEYS = ('class_names', 'dataset_name', 'task')


def parse_dataset_path(path: str) -> Tuple[Optional[str], Optional[str]]:
    """Dataset name and task family from a DocSAM folder path.

    As DocSAM: the name is the segment after one of ``Ancient``,
    ``Handwritten``, ``Layout``, ``SceneText``, ``Table`` plus, when it
    differs, the segment before ``train``/``test``/``val``, joined by a
    space: ``.../Ancient/CASIA-AHCDB/Style1/train`` -> ``'CASIA-AHCDB
    Style1'``, ``.../Layout/PubLayNet/val`` -> ``'PubLayNet'``. Unlike the
    original, a path without a split segment gives the bare name (no
    trailing space).

    Args:
        path (str): The dataset folder.

    Returns:
        tuple[str | None, str | None]: ``(name, family)``; both None when
        the path has no family segment.
    """
    segs = [s for s in re.split(r'[\\/]+', osp.normpath(path)) if s]
    name = family = sub = None
    for i, seg in enumerate(segs):
        if seg in FAMILY_DIRS and i + 1 < len(segs):
            name, family = segs[i + 1], FAMILY_DIRS[seg]
        if seg in SPLIT_DIRS and i > 0:
            sub = segs[i - 1]
    if name is None:
        return None, None
    if sub and sub != name:
        name = f'{name} {sub}'
    return name, family


def _check_str(value: object, what: str, owner: str) -> str:
    """Return ``value`` if it is a non-empty string, else raise."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f'{owner}: {what} must be a non-empty string, got '
                         f'{value!r}')
    return value


class DocSAMMetaMixin:
    """Adds ``dataset_name``, ``task`` and ``class_names`` to a dataset.

    The host must be an mmengine ``BaseDataset`` whose ``_metainfo`` holds
    ``classes`` (the non-background class names in label order) after
    ``load_data_list``.
    """

    dataset_name: str
    task: str
    background_name: str

    def _init_docsam_meta(self, dataset_name: str, task: str,
                          background_name: Optional[str]) -> None:
        """Check and store the identity (call before ``super().__init__``).

        Args:
            dataset_name (str): Dataset name used in prompts and logs.
            task (str): Task family (``layout``, ``ancient``, ...).
            background_name (str, optional): Background prompt. None gives
                ``f'{dataset_name} _background_'``.
        """
        owner = type(self).__name__
        self.dataset_name = _check_str(dataset_name, 'dataset_name', owner)
        self.task = _check_str(task, 'task', owner)
        if background_name is None:
            background_name = f'{dataset_name} _background_'
        self.background_name = _check_str(background_name, 'background_name',
                                          owner)

    @property
    def class_names(self) -> Tuple[str, ...]:
        """Classes in label order + the background prompt (last)."""
        classes = self._metainfo.get('classes', None)  # type: ignore
        if classes is None:
            self.full_init()  # type: ignore
            classes = self._metainfo['classes']  # type: ignore
        return tuple(classes) + (self.background_name, )

    def _update_docsam_metainfo(self, with_classes: bool = True) -> None:
        """Write ``dataset_name``, ``task`` (and ``class_names``) to meta."""
        meta = self._metainfo  # type: ignore
        meta['dataset_name'] = self.dataset_name
        meta['task'] = self.task
        meta['background_name'] = self.background_name
        if with_classes:
            if self.background_name in meta['classes']:
                raise ValueError(
                    f'{type(self).__name__} {self.dataset_name!r}: the '
                    f'background prompt {self.background_name!r} is also a '
                    'class name')
            meta['class_names'] = self.class_names

    def _add_docsam_keys(self, data_info: dict) -> dict:
        """Put ``class_names``, ``dataset_name`` and ``task`` in a data info.

        Args:
            data_info (dict): A parsed data info.

        Returns:
            dict: The same dict, updated.
        """
        data_info['class_names'] = self.class_names
        data_info['dataset_name'] = self.dataset_name
        data_info['task'] = self.task
        return data_info
