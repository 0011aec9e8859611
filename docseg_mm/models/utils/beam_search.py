# Copyright (c) docseg_mm contributors. All rights reserved.
from typing import Callable, List

import torch

#: ``step_fn(last_tokens (N,), reorder (N,) or None) -> log-probs (N, V)``;
#: ``reorder`` tells the step function which previous row every row
#: continues (to reorder its caches) before it takes the new tokens.
StepFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


@torch.no_grad()
def beam_search(step_fn: StepFn, batch_size: int, beam_width: int,
                max_len: int, start_token: int, end_class: int,
                class_to_token: torch.Tensor) -> List[List[int]]:
    """Beam search over output classes, without length normalisation.

    At every step the ``2 * beam_width`` best continuations of the live
    beams are taken in order of score; those ending with ``end_class`` are
    finished hypotheses, the best ``beam_width`` others stay live. A
    sample stops when its best finished score is at least its best live
    score (scores only decrease). With ``beam_width=1`` this is greedy
    decoding.

    Args:
        step_fn (StepFn): See :data:`StepFn`; rows are sample-major
            (``sample * beam_width + beam``).
        batch_size (int): Samples.
        beam_width (int): Beams per sample.
        max_len (int): Maximum decoded length (end token included).
        start_token (int): Token fed at the first step.
        end_class (int): Output class that ends a hypothesis.
        class_to_token (Tensor): Token to feed for each output class.

    Returns:
        list[list[int]]: Per sample, the best output-class sequence (with
        its end class when it has one).
    """
    k = beam_width
    device = class_to_token.device
    scores = torch.full((batch_size, k), float('-inf'), device=device)
    scores[:, 0] = 0.
    seqs = torch.zeros((batch_size * k, 0), dtype=torch.long, device=device)
    tokens = torch.full((batch_size * k, ), start_token, dtype=torch.long,
                        device=device)
    best_done = [(float('-inf'), None)] * batch_size
    reorder = None
    for _ in range(max_len):
        logp = step_fn(tokens, reorder)
        num_classes = logp.shape[1]
        cand = (scores.view(-1, 1) + logp).view(batch_size, -1)
        top, idx = cand.topk(min(2 * k, cand.shape[1]), dim=1)
        new_scores = torch.full_like(scores, float('-inf'))
        new_rows = torch.zeros((batch_size, k), dtype=torch.long,
                               device=device)
        new_cls = torch.full((batch_size, k), end_class, dtype=torch.long,
                             device=device)
        for b in range(batch_size):
            live = 0
            for s, i in zip(top[b].tolist(), idx[b].tolist()):
                if s == float('-inf') or live == k:
                    break
                row, cls = b * k + i // num_classes, i % num_classes
                if cls == end_class:
                    if s > best_done[b][0]:
                        best_done[b] = (s, seqs[row].tolist() + [cls])
                    continue
                new_scores[b, live] = s
                new_rows[b, live] = row
                new_cls[b, live] = cls
                live += 1
        reorder = new_rows.view(-1)
        seqs = torch.cat([seqs[reorder], new_cls.view(-1, 1)], dim=1)
        scores = new_scores
        tokens = class_to_token[new_cls.view(-1)]
        if all(best_done[b][0] >= scores[b].max().item()
               for b in range(batch_size)):
            break
    results = []
    for b in range(batch_size):
        if best_done[b][1] is not None and \
                best_done[b][0] >= scores[b].max().item():
            results.append(best_done[b][1])
        else:
            results.append(seqs[b * k + int(scores[b].argmax())].tolist())
    return results
