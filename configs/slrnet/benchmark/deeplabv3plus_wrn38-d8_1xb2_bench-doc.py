# Benchmark pair with the paper's backbone, side 2: mmseg's DeepLabV3+
# head on WideResNet-38 (same batch, pages, optimizer groups).
_base_ = ['./deeplabv3plus_r18-d16_1xb4_bench-doc.py']
model = dict(
    backbone=dict(_delete_=True, type='WideResNet38'),
    decode_head=dict(in_channels=4096, channels=256, c1_in_channels=256,
                     c1_channels=48, dilations=(1, 12, 24, 36)))
train_dataloader = dict(batch_size=2)
optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    constructor='BackboneHeadOptimWrapperConstructor',
    optimizer=dict(type='SGD', lr=5e-4, momentum=0.9, nesterov=True,
                   weight_decay=5e-4))
