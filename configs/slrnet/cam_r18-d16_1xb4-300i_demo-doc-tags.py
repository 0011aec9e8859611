# CAM baseline for the tags-only demo: the same backbone as a multi-label
# classifier (global average pooling, soft-margin loss), the same budget;
# its class activation maps (background score 0.2) are the masks.
_base_ = ['./slrnet_r18-d16_1xb4-300i_demo-doc-tags.py']
model = dict(
    _delete_=True,
    type='CAMSegmentor',
    data_preprocessor={{_base_.data_preprocessor}},
    backbone={{_base_.model.backbone}},
    decode_head=dict(type='CAMHead', in_channels=128, num_classes=12),
    test_cfg=dict(mode='whole', class_select='predicted', fp_cut=0.3,
                  topk=None, bg_score=0.2))
custom_hooks = []
