# COCO-Stuff-27 (AlignSeg / PiCIE / STEGO): training on every image of
# images/train2017 without masks; evaluation on images/val2017 (place IIC's
# curated subset there, or give its name list as ann_file) with the
# stuffthingmaps relabelled to 27 supercategories ("other" ignored).
_base_ = ['./pvoc_alignseg.py']
data_root = 'data/coco_stuff164k/'
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='mmseg.BaseSegDataset',
        data_root=data_root,
        data_prefix=dict(img_path='images/train2017'),
        img_suffix='.jpg',
        pipeline={{_base_.train_pipeline}}))
val_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='CocoStuff27Dataset',
        data_root=data_root,
        data_prefix=dict(
            img_path='images/val2017',
            seg_map_path='annotations/stuffthingmaps_trainval2017/val2017'),
        pipeline={{_base_.test_pipeline}}))
test_dataloader = val_dataloader
