# DocSAM-Large fine-tuned on M6Doc (74 classes) from the all-dataset model.
_base_ = ['./docsam_swin-l_4xb4-40k_doclaynet.py']
data_root = 'data/M6Doc/'
m6doc = dict(
    type='DocSAMCocoDataset',
    dataset_name='M6Doc',
    task='layout',
    data_root=data_root,
    data_prefix=dict(img='images/'),
    bbox_as_missing_mask=True)
train_dataloader = dict(
    dataset=dict(
        datasets=[
            dict(
                m6doc,
                ann_file='annotations/instances_train2017.json',
                filter_cfg=dict(filter_empty_gt=False),
                pipeline={{_base_.train_pipeline}})
        ]))
val_dataloader = dict(
    dataset=dict(
        datasets=[
            dict(
                m6doc,
                ann_file='annotations/instances_test2017.json',
                test_mode=True,
                pipeline={{_base_.test_pipeline}})
        ]))
test_dataloader = val_dataloader
