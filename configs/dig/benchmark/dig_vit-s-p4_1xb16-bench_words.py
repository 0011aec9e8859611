# Side-by-side speed check (tools/analysis_tools/benchmark.py): DiG
# pretraining step on ViT-S/4 (32x128 words), batch 16, plain fp32
# OptimWrapper (CPU); compare with mocov3_vit-s-p4_1xb16-bench_words.py.
_base_ = ['../dig_vit-s-p4_8xb128-amp-coslr-10e_cc-ocr.py']

data_root = 'work_dirs/dig_demo/lmdb/'
train_dataloader = dict(
    batch_size=16, num_workers=2, persistent_workers=False,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(data_root=data_root, ann_file=['unlabeled']))
optim_wrapper = dict(type='OptimWrapper')
sync_bn = None
env_cfg = dict(dist_cfg=dict(backend='gloo'))
