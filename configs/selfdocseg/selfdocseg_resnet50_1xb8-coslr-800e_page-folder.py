# SelfDocSeg pretraining on any folder of page images, e.g.
#   python tools/train.py THIS_CONFIG --cfg-options \
#       train_dataloader.dataset.data_root=/path/to/my/scans/
_base_ = ['./selfdocseg_resnet50_1xb8-coslr-800e_doclaynet.py']

data_root = 'data/pages/'
train_dataloader = dict(dataset=dict(data_root=data_root, data_prefix=''))
