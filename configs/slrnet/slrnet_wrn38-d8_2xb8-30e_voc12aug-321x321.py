# SLRNet, weakly supervised (image-level labels) on VOC 2012 + SBD, the
# README's first row: 67.2 mIoU on VOC val with CRF (authors' number).
# Original: batch 16 (nn.DataParallel over 2 GPUs), crop 321, 30 epochs,
# seed 128, checkpoint of epoch 20 evaluated (checkpoint20.pth.tar).
#   bash tools/dist_train.sh THIS_CONFIG 2
#   python tools/test.py THIS_CONFIG CKPT --tta      (multi-scale + flip)
_base_ = [
    '../_base_/models/slrnet_wrn38.py',
    '../_base_/datasets/voc12aug_wsss.py',
    '../_base_/schedules/slrnet_sgd_30e.py',
    '../_base_/slrnet_runtime.py'
]
randomness = dict(seed=128)
