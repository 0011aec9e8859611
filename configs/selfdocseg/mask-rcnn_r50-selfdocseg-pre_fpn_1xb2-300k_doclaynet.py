# Row 3 of SelfDocSeg's table: the backbone starts from SelfDocSeg
# pretraining. Export the encoder of a pretraining checkpoint first:
#   python tools/model_converters/selfdocseg_export_encoder.py \
#       work_dirs/selfdocseg_resnet50_1xb8-coslr-800e_doclaynet/epoch_800.pth \
#       checkpoints/selfdocseg_r50_encoder.pth
# As in the original (Detectron2 FREEZE_AT=2 with FrozenBN), the stem and the
# first stage are frozen and BatchNorm statistics are kept.
_base_ = ['./mask-rcnn_r50_fpn_1xb2-300k_doclaynet-random.py']

pretrained = 'checkpoints/selfdocseg_r50_encoder.pth'
model = dict(
    backbone=dict(
        frozen_stages=1,
        norm_cfg=dict(type='BN', requires_grad=True),
        norm_eval=True,
        init_cfg=dict(_delete_=True, type='Pretrained',
                      checkpoint=pretrained)))
