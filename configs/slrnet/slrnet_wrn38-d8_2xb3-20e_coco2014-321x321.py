# SLRNet, weakly supervised on COCO 2014 (80 classes): weighted BCE
# (pos_weight 10 x the authors' class weights) instead of the soft-margin
# loss, max-normalised pseudo labels (fg > 0.5, bg: no fg > 0.1), 40k
# class-balanced draws per epoch, 20 epochs. The README reports no COCO
# number (the L2ID / COCO results are in the paper).
# Prepare: python tools/dataset_converters/coco_wsss.py data/coco2014
_base_ = ['./slrnet_wrn38-d8_2xb8-30e_voc12aug-321x321.py']
# BALANCED_CLASS_WEIGHTS of the original's datasets/coco.py (no background)
coco_class_weights = [
    0.0580, 0.9439, 0.3090, 1.1062, 1.1484, 1.0208, 0.9967, 0.6532, 1.0895,
    0.9073, 1.3032, 1.3549, 1.7261, 0.6848, 0.9237, 0.7763, 0.7619, 1.1403,
    1.1233, 1.1372, 1.1843, 1.1465, 1.0259, 1.0586, 0.6450, 0.9943, 0.5161,
    1.0647, 1.2419, 1.4560, 1.3231, 1.4945, 0.8353, 1.4468, 1.2007, 1.1670,
    1.3137, 1.3341, 1.2179, 0.3373, 1.1479, 0.3139, 0.7700, 0.6261, 0.7421,
    0.3778, 0.9794, 1.0642, 1.0816, 1.0154, 1.0580, 1.1336, 1.5824, 1.0513,
    1.4388, 0.9719, 0.2687, 0.7155, 0.6840, 0.8768, 0.2607, 0.8369, 0.6103,
    0.7912, 1.1343, 1.0577, 0.9783, 0.7671, 1.1942, 0.7544, 2.6064, 0.4852,
    0.9054, 0.5438, 0.7720, 0.8335, 1.4894, 1.1677, 2.2971, 1.4464
]
model = dict(
    cls_loss=dict(type='bce', pos_weight=10.0,
                  class_weights=coco_class_weights),
    pseudo_label=dict(_delete_=True, type='absolute', fg_thr=0.5,
                      bg_thr=0.1),
    decode_head=dict(num_classes=81),
    test_cfg=dict(topk=6))
dataset_type = 'COCOWSSSDataset'
data_root = 'data/coco2014'
train_pipeline = [
    dict(type='mmseg.LoadImageFromFile'),
    dict(type='RandomResizedCropWithSegMap', scale=321,
         crop_ratio_range=(0.9, 1.0), interpolation='bicubic'),
    dict(type='mmseg.RandomFlip', prob=0.5),
    dict(type='mmpretrain.ColorJitter', brightness=0.3, contrast=0.3,
         saturation=0.3, hue=0.1),
    dict(type='PackWSSSInputs')
]
test_pipeline = [
    dict(type='mmseg.LoadImageFromFile'),
    dict(type='LoadSemSegAnnotations'),
    dict(type='PackWSSSInputs')
]
train_dataloader = dict(
    batch_size=3,
    sampler=dict(_delete_=True, type='ImageLabelWeightedSampler',
                 num_samples=40000),
    dataset=dict(
        _delete_=True,
        type=dataset_type,
        data_root=data_root,
        data_prefix=dict(img_path='train2014', seg_map_path='SEM/train2014'),
        ann_file='SEM/train2014.txt',
        tags_file='SEM/train2014_tags.json',
        pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type=dataset_type,
        data_root=data_root,
        data_prefix=dict(img_path='val2014', seg_map_path='SEM/val2014'),
        ann_file='SEM/val2014.txt',
        tags_file='SEM/val2014_tags.json',
        pipeline=test_pipeline))
test_dataloader = val_dataloader
max_epochs = 20
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
param_scheduler = [
    dict(type='ConstantLR', factor=1.0, by_epoch=True, begin=0, end=6),
    dict(type='CosineAnnealingLR', T_max=max_epochs - 5, eta_min=0.,
         by_epoch=True, begin=6, end=max_epochs, convert_to_iter_based=True),
]
auto_scale_lr = dict(base_batch_size=6)
