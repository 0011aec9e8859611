# The same network and budget as the tags-only demo, trained with the full
# pixel labels of every page (mode='semi' with every sample labelled: the
# one-hot masks replace the pseudo labels and the classification loss).
_base_ = ['./slrnet_r18-d16_1xb4-300i_demo-doc-tags.py']
# no image-level classifier is trained here (the seg loss replaces the
# classification loss of labelled samples): plain argmax at test time
model = dict(mode='semi', test_cfg=dict(class_select='none', bg_pow=1))
train_dataloader = dict(
    dataset=dict(pipeline=[
        dict(type='LoadDocImageFromFile'),
        dict(type='LoadSemSegAnnotations'),
        dict(type='mmseg.Resize', scale=(128, 160), keep_ratio=True),
        dict(type='mmseg.RandomFlip', prob=0.5),
        dict(type='mmseg.PhotoMetricDistortion', brightness_delta=16,
             contrast_range=(0.8, 1.2), saturation_range=(0.8, 1.2),
             hue_delta=8),
        dict(type='SetLabeled', labeled=True),
        dict(type='PackWSSSInputs')
    ]))
