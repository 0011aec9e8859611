# Row 2 of SelfDocSeg's table: the backbone starts from plain BYOL
# (mmpretrain's) pretrained on the same DocLayNet pages with
# byol_resnet50_1xb8-coslr-800e_doclaynet.py; export its encoder with
#   python tools/model_converters/selfdocseg_export_encoder.py \
#       work_dirs/byol_resnet50_1xb8-coslr-800e_doclaynet/epoch_800.pth \
#       checkpoints/byol_r50_encoder.pth
_base_ = ['./mask-rcnn_r50-selfdocseg-pre_fpn_1xb2-300k_doclaynet.py']

pretrained = 'checkpoints/byol_r50_encoder.pth'
model = dict(
    backbone=dict(init_cfg=dict(type='Pretrained', checkpoint=pretrained)))
