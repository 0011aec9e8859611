# SelfDocSeg pretraining on PubLayNet's training page images.
_base_ = ['./selfdocseg_resnet50_1xb8-coslr-800e_doclaynet.py']

data_root = 'data/PubLayNet/'
train_dataloader = dict(
    dataset=dict(data_root=data_root, data_prefix='train/'))
