# Benchmark pair with the paper's backbone, side 1: SLRNet with
# WideResNet-38 (random init: no ImageNet file here) in its steady state
# (seg loss on), batch 2 demo pages at 125 x 160, the original's SGD
# parameter groups.
#   python tools/analysis_tools/benchmark.py \
#       configs/slrnet/benchmark/deeplabv3plus_wrn38-d8_1xb2_bench-doc.py \
#       configs/slrnet/benchmark/slrnet_wrn38-d8_1xb2_bench-doc.py \
#       --infer-images 0 --train-iters 6 --warmup 2
_base_ = ['./slrnet_r18-d16_1xb4_bench-doc.py']
model = dict(
    backbone=dict(_delete_=True, type='WideResNet38'),
    decode_head=dict(in_channels=(256, 4096), channels=256,
                     skip_channels=48, dilations=(1, 12, 24, 36),
                     freeze_aspp_bn_stats=True))
train_dataloader = dict(batch_size=2)
optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    constructor='BackboneHeadOptimWrapperConstructor',
    optimizer=dict(type='SGD', lr=5e-4, momentum=0.9, nesterov=True,
                   weight_decay=5e-4))
