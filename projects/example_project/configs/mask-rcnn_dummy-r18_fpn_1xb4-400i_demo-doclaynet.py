# Run from the repository root:
#   PYTHONPATH=projects/example_project python tools/train.py \
#       projects/example_project/configs/mask-rcnn_dummy-r18_fpn_1xb4-400i_demo-doclaynet.py
_base_ = ['../../../configs/demo/mask-rcnn_r18_fpn_1xb4-400i_demo-doclaynet.py']

custom_imports = dict(imports=['dummy'], allow_failed_imports=False)

# The model is built in the mmdet scope (`_scope_='mmdet'`), so the project's
# module is reached with the docseg_mm prefix.
model = dict(backbone=dict(type='docseg_mm.DummyResNet'))
