# Copyright (c) docseg_mm contributors. All rights reserved.
"""HeterogeneousDataset: offsets, per-sample class names, errors."""
import pytest
from mmengine.dataset import BaseDataset

from docseg_mm.datasets.docsam_coco import DOCLAYNET_TO_COARSE
from docseg_mm.datasets.heterogeneous import HeterogeneousDataset
from docseg_mm.datasets.transforms.loading import ImageNotFoundError
from docseg_mm.registry import DATASETS

DOCLAYNET = ('Caption', 'Footnote', 'Formula', 'List-item', 'Page-footer',
             'Page-header', 'Picture', 'Section-header', 'Table', 'Text',
             'Title')
CATS = [dict(id=i + 1, name=n) for i, n in enumerate(DOCLAYNET)]


def _file(write_coco, num_images, name):
    images = [
        dict(id=i + 1, file_name=f'p{i}.png', width=50, height=50)
        for i in range(num_images)
    ]
    anns = [
        dict(id=i + 1, image_id=i + 1, category_id=7, bbox=[0, 0, 9, 9])
        for i in range(num_images)
    ]
    return write_coco(images, anns, CATS, name=name)


@pytest.fixture
def configs(write_coco, tmp_path):
    a = dict(
        type='DocSAMCocoDataset',
        ann_file=_file(write_coco, 3, 'a.json'),
        dataset_name='A',
        task='layout')
    b = dict(
        type='DocSAMCocoDataset',
        ann_file=_file(write_coco, 2, 'b.json'),
        data_prefix=dict(img=str(tmp_path)),
        dataset_name='B',
        task='table',
        class_map=DOCLAYNET_TO_COARSE)
    return a, b


def test_indexing_and_metainfo(configs):
    ds = DATASETS.build(dict(type='HeterogeneousDataset', datasets=configs))
    assert len(ds) == 5 and ds.cumulative_sizes == [3, 5]
    assert ds.dataset_names == ('A', 'B') and ds.families == ('layout',
                                                              'table')
    assert ds.num_classes_per_dataset == (11, 3)
    assert [ds.get_dataset_index(i) for i in (0, 2, 3, 4, -1)] == [(0, 0),
                                                                   (0, 2),
                                                                   (1, 0),
                                                                   (1, 1),
                                                                   (1, 1)]
    with pytest.raises(IndexError, match='out of range'):
        ds.get_dataset_index(5)
    coarse = ('figure', 'table', 'text', 'B _background_')
    assert ds[2]['class_names'] == DOCLAYNET + ('A _background_', )
    assert ds[3]['class_names'] == coarse
    assert ds[3]['instances'][0]['bbox_label'] == 0  # Picture -> figure
    assert ds[0]['instances'][0]['bbox_label'] == 6  # Picture
    assert ds.get_data_info(4)['img_id'] == 2
    meta = ds.metainfo
    assert meta['dataset_names'] == ('A', 'B')
    assert meta['tasks'] == ('layout', 'table')
    assert meta['class_names_per_dataset'] == (DOCLAYNET +
                                               ('A _background_', ), coarse)
    assert ds.get_subset_metainfo(1)['classes'] == coarse[:3]


def test_families_lazy_and_errors(configs):
    a, b = configs
    ds = HeterogeneousDataset([a, b], families=['x', 'y'], lazy_init=True)
    assert ds.families == ('x', 'y') and not ds._fully_initialized
    assert len(ds) == 5 and ds._fully_initialized
    with pytest.raises(ValueError, match='unique'):
        HeterogeneousDataset([a, dict(a)])
    with pytest.raises(ValueError, match='families has 1'):
        HeterogeneousDataset([a, b], families=['x'])
    with pytest.raises(ValueError, match='non-empty list'):
        HeterogeneousDataset([])

    class Plain(BaseDataset):

        def load_data_list(self):
            return [dict(x=1)]

    plain = Plain(metainfo=dict(dataset_name='P', classes=('c', )))
    with pytest.raises(ValueError, match='task'):
        HeterogeneousDataset([plain])
    ds = HeterogeneousDataset([plain], families=['layout'])
    assert ds.metainfo['class_names_per_dataset'] == (('c',
                                                       'P _background_'), )


def test_loading_error_names_dataset(configs):
    a, b = configs
    b = dict(b, pipeline=[dict(type='LoadDocImageFromFile')])
    ds = HeterogeneousDataset([a, b])
    with pytest.raises(ImageNotFoundError) as e:
        ds[4]
    msg = str(e.value)
    assert "dataset 'B'" in msg and 'local index 1' in msg
    assert 'p1.png' in msg
