# The demo Mask R-CNN, fine-tuned from the demo SelfDocSeg pretraining
# (`make demo` exports the encoder to this path first).
_base_ = ['../demo/mask-rcnn_r18_fpn_1xb4-400i_demo-doclaynet.py']

pretrained = 'work_dirs/demo_selfdocseg_pretrain/encoder.pth'
model = dict(
    backbone=dict(init_cfg=dict(type='Pretrained', checkpoint=pretrained)))
