# Second stage of SLRNet's two-stage WSSS row (69.3 mIoU on VOC val without
# CRF, authors' number): mmseg's DeepLabV3+ R101 trained on SLRNet pseudo
# labels of train_aug (no ground-truth mask is read for training).
# 1. pseudo labels with the single-stage model, ground-truth image labels,
#    multi-scale + flip and CRF (tools/misc/slrnet_pseudo_labels.py):
#      python tools/misc/slrnet_pseudo_labels.py \
#          configs/slrnet/slrnet_wrn38-d8_2xb8-30e_voc12aug-321x321.py CKPT \
#          data/VOCdevkit/VOC2012/SLRNetPseudo
# 2. bash tools/dist_train.sh THIS_CONFIG 4
_base_ = ('mmseg::deeplabv3plus/'
          'deeplabv3plus_r101-d8_4xb4-40k_voc12aug-512x512.py')
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='PascalVOCDataset',
        data_root='data/VOCdevkit/VOC2012',
        data_prefix=dict(img_path='JPEGImages', seg_map_path='SLRNetPseudo'),
        ann_file='ImageSets/Segmentation/train_aug.txt',
        pipeline={{_base_.train_pipeline}}))
