# Unlabeled document pages for SelfDocSeg pretraining, the original recipe:
# pseudo-layout mask from the page (threshold 239, 3x3 rect erosion x2) at
# 512x640, no geometric augmentation, per-view colour augmentation.
# Point `data_root`/`data_prefix` at any folder of page images (DocLayNet's
# PNG/, PubLayNet's train/, your own scans).
dataset_type = 'PageImageFolder'
data_root = 'data/pages/'
page_size = (512, 640)  # (w, h) of both views
grid_size = (64, 80)  # ResNet-50 C5 upsampled x4 = page / 8

data_preprocessor = dict(
    type='mmpretrain.SelfSupDataPreprocessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    to_rgb=True)

view_pipeline1 = [
    dict(type='mmpretrain.RandomApply',
         transforms=[dict(type='mmpretrain.ColorJitter', brightness=0.4,
                          contrast=0.4, saturation=0.2, hue=0.1)],
         prob=0.8),
    dict(type='mmpretrain.RandomGrayscale', prob=0.2, keep_channels=True,
         channel_weights=(0.114, 0.587, 0.2989)),
    dict(type='mmpretrain.GaussianBlur', magnitude_range=(0.8, 2.0),
         magnitude_std='inf', prob=1.0),
    dict(type='mmpretrain.Solarize', thr=128, prob=0.0),
]
view_pipeline2 = [
    dict(type='mmpretrain.RandomApply',
         transforms=[dict(type='mmpretrain.ColorJitter', brightness=0.4,
                          contrast=0.4, saturation=0.2, hue=0.1)],
         prob=0.8),
    dict(type='mmpretrain.RandomGrayscale', prob=0.2, keep_channels=True,
         channel_weights=(0.114, 0.587, 0.2989)),
    dict(type='mmpretrain.GaussianBlur', magnitude_range=(0.8, 2.0),
         magnitude_std='inf', prob=0.1),
    dict(type='mmpretrain.Solarize', thr=128, prob=0.2),
]
train_pipeline = [
    dict(type='LoadTiffPage'),
    # Resizes the page to `page_size` and computes the mask in that frame.
    dict(type='PseudoLayoutMask', work_size=page_size, resize_img=True,
         threshold=239, kernel_shape='rect', kernel_size=3, iterations=2,
         objects_on='grid'),
    dict(type='LayoutMaskToGrid', grid_size=grid_size, to_tensor=True),
    dict(type='mmpretrain.MultiView', num_views=[1, 1],
         transforms=[view_pipeline1, view_pipeline2]),
    dict(type='mmpretrain.PackInputs',
         algorithm_keys=('layout_mask', 'object_masks')),
]
train_dataloader = dict(
    batch_size=8,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_prefix='',
        pipeline=train_pipeline))
