# SLRNet, semi-supervised with pixel labels on VOC train (oversampled 7x)
# and unlabelled images (no image labels): the head predicts background
# too, no classification loss, background ** 3 before PAMR, cut-offs
# 0.9 / 0.8 / 0.6, seg loss after 11 epochs: 72.4 mIoU on VOC val without
# CRF (authors' number).
_base_ = ['./slrnet-semi_wrn38-d8_2xb4-30e_voc12aug-448x448.py']
max_epochs = 40
seg_loss_start_epoch = 11
model = dict(
    mode='semi_unlabeled',
    loss_weights=dict(cls=1.0, reg=4.0, code=4.0, seg=1.0),
    pseudo_label=dict(type='relative', bg_factor=0.9, fg_factor=0.8,
                      low=0.6),
    pamr_bg_pow=3,
    decode_head=dict(constant_bg=False),
    # the classifier is a constant in the original: every class is kept
    test_cfg=dict(class_select='none', bg_pow=1, crf=None))
_labeled_pipeline = [
    dict(type='mmseg.LoadImageFromFile'),
    dict(type='LoadSemSegAnnotations', num_classes=21),
    dict(type='RandomResizedCropWithSegMap', scale=448,
         crop_ratio_range=(0.9, 1.0), interpolation='bicubic'),
    dict(type='mmseg.RandomFlip', prob=0.5),
    dict(type='mmpretrain.ColorJitter', brightness=0.3, contrast=0.3,
         saturation=0.3, hue=0.1),
    dict(type='SetLabeled', labeled=True),
    dict(type='PackWSSSInputs')
]
# unlabelled images: no mask is read
_weak_pipeline = [_labeled_pipeline[0]] + _labeled_pipeline[2:-2] + [
    dict(type='SetLabeled', labeled=False),
    dict(type='PackWSSSInputs')
]
_voc = dict(
    type='mmseg.PascalVOCDataset',
    data_root='data/VOCdevkit/VOC2012',
    data_prefix=dict(img_path='JPEGImages',
                     seg_map_path='SegmentationClassAug'))
train_dataloader = dict(
    batch_size=5,
    dataset=dict(
        _delete_=True,
        type='ConcatDataset',
        datasets=[
            # train_aug minus VOC train: images only
            dict(_voc, ann_file='ImageSets/Segmentation/train_aug_weak.txt',
                 pipeline=_weak_pipeline),
            # VOC train: pixel labels, oversampled 7x (oversample_rate)
            dict(type='RepeatDataset', times=7,
                 dataset=dict(_voc, pipeline=_labeled_pipeline,
                              ann_file='ImageSets/Segmentation/train.txt')),
        ]))
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
param_scheduler = [
    dict(type='ConstantLR', factor=1.0, by_epoch=True, begin=0,
         end=seg_loss_start_epoch),
    dict(type='CosineAnnealingLR', T_max=max_epochs - seg_loss_start_epoch + 1,
         eta_min=0., by_epoch=True, begin=seg_loss_start_epoch,
         end=max_epochs, convert_to_iter_based=True),
]
custom_hooks = [
    dict(type='SegLossWarmupHook', start_epoch=seg_loss_start_epoch)
]
auto_scale_lr = dict(base_batch_size=10)
