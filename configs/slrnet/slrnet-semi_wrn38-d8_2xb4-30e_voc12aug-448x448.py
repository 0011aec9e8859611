# SLRNet, semi-supervised with pixel labels on VOC train (1,464 images,
# oversampled 3x) and image labels on the rest of train_aug: 75.1 mIoU on
# VOC val without CRF (authors' number, bg_pow 1).
# The original takes the *last 1,464 lines* of its train_aug list as the
# labelled part; its shipped list holds only 463 VOC train images there.
# Here the labelled part is VOC's own train list (see README).
_base_ = ['./slrnet_wrn38-d8_2xb8-30e_voc12aug-321x321.py']
crop_size = 448
model = dict(
    mode='semi',
    loss_weights=dict(cls=0.5, reg=2.0, code=2.0, seg=0.5),
    test_cfg=dict(bg_pow=1, crf=None))
_weak_pipeline = [
    dict(type='mmseg.LoadImageFromFile'),
    dict(type='LoadSemSegAnnotations', num_classes=21),
    dict(type='ImageLabelsFromSegMap', num_classes=21),
    dict(type='RandomResizedCropWithSegMap', scale=crop_size,
         crop_ratio_range=(0.9, 1.0), interpolation='bicubic'),
    dict(type='mmseg.RandomFlip', prob=0.5),
    dict(type='mmpretrain.ColorJitter', brightness=0.3, contrast=0.3,
         saturation=0.3, hue=0.1),
    dict(type='SetLabeled', labeled=False),
    dict(type='PackWSSSInputs')
]
_labeled_pipeline = _weak_pipeline[:-2] + [
    dict(type='SetLabeled', labeled=True),
    dict(type='PackWSSSInputs')
]
_voc = dict(
    type='mmseg.PascalVOCDataset',
    data_root='data/VOCdevkit/VOC2012',
    data_prefix=dict(img_path='JPEGImages',
                     seg_map_path='SegmentationClassAug'))
train_dataloader = dict(
    batch_size=4,
    dataset=dict(
        _delete_=True,
        type='ConcatDataset',
        datasets=[
            # train_aug minus VOC train: image labels only
            dict(_voc, ann_file='ImageSets/Segmentation/train_aug_weak.txt',
                 pipeline=_weak_pipeline),
            # VOC train: pixel labels, oversampled 3x (oversample_rate)
            dict(type='RepeatDataset', times=3,
                 dataset=dict(_voc, pipeline=_labeled_pipeline,
                              ann_file='ImageSets/Segmentation/train.txt')),
        ]))
auto_scale_lr = dict(base_batch_size=8)
