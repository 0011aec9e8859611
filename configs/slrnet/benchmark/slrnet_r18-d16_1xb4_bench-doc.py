# Benchmark pair, side 1: the CPU demo SLRNet in its steady state (seg
# loss, PAMR pseudo labels on), batch 4 pages at 125 x 160.
#   python tools/analysis_tools/benchmark.py \
#       configs/slrnet/benchmark/deeplabv3plus_r18-d16_1xb4_bench-doc.py \
#       configs/slrnet/benchmark/slrnet_r18-d16_1xb4_bench-doc.py \
#       --infer-images 0 --train-iters 20
_base_ = ['../slrnet_r18-d16_1xb4-300i_demo-doc-tags.py']
model = dict(seg_loss_enabled=True)
custom_hooks = []
