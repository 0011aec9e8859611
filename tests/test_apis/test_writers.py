# Copyright (c) docseg_mm contributors. All rights reserved.
import json

import numpy as np
from pycocotools.coco import COCO

from docseg_mm.apis.page_loader import LoadedPage
from docseg_mm.apis.sources import PageError, PageSource
from docseg_mm.apis.writers import ResultWriter


def test_coco_results_file_loads_in_pycocotools(tmp_path):
    writer = ResultWriter(str(tmp_path), save_vis=False)
    writer.set_categories(['Text', 'Table'])
    img = np.zeros((40, 60, 3), np.uint8)
    page0 = LoadedPage(PageSource('doc.pdf', 'pdf', 2, 'pages/doc_p0002.png',
                                  'doc_p0002', 1), img)
    page1 = LoadedPage(PageSource('a.png', 'image', None, 'a.png', 'a', 0),
                       img)
    square = dict(label=1, category='Table', score=0.75,
                  bbox=[10., 5., 20., 15.], area=100,
                  polygons=[[10., 5., 20., 5., 20., 15., 10., 15.]],
                  text='cell')
    writer.write_page(page0, dict(name='doc_p0002', regions=[square]))
    writer.write_page(page1, dict(name='a', regions=[]),
                      sem_seg=np.ones((40, 60), np.int64))
    writer.add_error(PageError('bad.png', None, 'cannot decode'))
    files = writer.finish(dict(num_pages=2))
    coco = COCO(files['coco'])
    # images sorted by input order, the rendered page saved where it points
    assert [coco.imgs[i]['file_name'] for i in sorted(coco.imgs)] == \
        ['a.png', 'pages/doc_p0002.png']
    assert (tmp_path / 'pages' / 'doc_p0002.png').is_file()
    assert coco.imgs[2]['source'] == 'doc.pdf' and coco.imgs[2]['page'] == 2
    assert [c['name'] for c in coco.loadCats(coco.getCatIds())] == \
        ['Text', 'Table']
    ann = coco.loadAnns(coco.getAnnIds(imgIds=[2]))[0]
    assert ann['category_id'] == 2 and ann['bbox'] == [10., 5., 10., 10.]
    assert ann['score'] == 0.75 and ann['text'] == 'cell'
    assert coco.annToMask(ann).sum() == 100
    # loadRes accepts the annotations as detections (pre-annotations)
    dets = coco.loadRes(coco.dataset['annotations'])
    assert len(dets.anns) == 1
    with open(tmp_path / 'preds' / 'a.json') as f:
        assert json.load(f)['sem_seg'] == 'sem/a.png'
    assert (tmp_path / 'sem' / 'a.png').is_file()
    with open(files['errors']) as f:
        assert json.load(f) == [dict(path='bad.png', page=None,
                                     message='cannot decode')]
