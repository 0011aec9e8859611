# Copyright (c) docseg_mm contributors. All rights reserved.
"""Pages to batches: background loading and same-shape batches.

Loading a page (decoding an image, rendering a PDF page, the test
pipeline) runs in a background thread (:func:`prefetch`; PDFium, OpenCV and
the decoders release the GIL), overlapping with the model's forward pass.
:class:`ShapeBatcher` groups pages whose padded input shapes are equal, so
that a page gets exactly the same input tensor whatever the batch size
(padding to a larger page of the batch would change the features near its
border) and batch size 1 and N give the same predictions.
"""
import queue
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator, List, Optional, Tuple

from torch import nn

#: Pages held back while waiting for a same-shape batch, in batches.
LOOKAHEAD = 4


@dataclass
class Batch:
    """One forward pass worth of pages, and the errors met before it.

    Attributes:
        pages (list): :class:`LoadedPage` s.
        items (list): Their pipeline outputs (collated by the caller).
        errors (list): :class:`PageError` s since the previous batch.
    """
    pages: List[Any] = field(default_factory=list)
    items: List[dict] = field(default_factory=list)
    errors: List[Any] = field(default_factory=list)


class _Failure:

    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


def prefetch(iterable: Iterable, size: int = 4,
             enabled: bool = True) -> Iterator:
    """Iterate ``iterable`` in a background thread, ``size`` items ahead.

    Args:
        iterable (Iterable): Produces the items (in the thread).
        size (int): Queue length. Defaults to 4.
        enabled (bool): False iterates inline. Defaults to True.

    Yields:
        The items, in order; an exception of the producer is re-raised.
    """
    if not enabled:
        yield from iterable
        return
    q: queue.Queue = queue.Queue(maxsize=max(size, 1))
    stop = threading.Event()
    done = object()

    def put(item) -> bool:
        while not stop.is_set():
            try:
                q.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def run() -> None:
        try:
            for item in iterable:
                if not put(item):
                    return
        except BaseException as e:  # handed to the consumer
            put(_Failure(e))
        finally:
            put(done)

    thread = threading.Thread(target=run, name='docseg-page-loader',
                              daemon=True)
    thread.start()
    try:
        while True:
            item = q.get()
            if item is done:
                break
            if isinstance(item, _Failure):
                raise item.exc
            yield item
    finally:
        stop.set()
        thread.join(timeout=5)


def pad_divisor(model: nn.Module) -> int:
    """The size divisor the model's data preprocessor pads batches to.

    mmseg's ``SegDataPreProcessor`` (and subclasses) pads nothing at test
    time (it asserts equal sizes; its ``size_divisor`` is for training), so
    its batches need equal shapes: 1.
    """
    from mmseg.models.data_preprocessor import SegDataPreProcessor
    pre = getattr(model, 'data_preprocessor', None)
    if isinstance(pre, SegDataPreProcessor):
        return 1
    for attr in ('pad_size_divisor', 'size_divisor'):
        value = getattr(pre, attr, None)
        if isinstance(value, int) and value > 0:
            return value
    return 1


def input_key(item: dict, divisor: int) -> Tuple:
    """Padded shape of a pipeline output's ``inputs`` (the batch key)."""
    inputs = item.get('inputs')
    shape = tuple(getattr(inputs, 'shape', ()))
    if len(shape) < 2:
        return shape
    h, w = shape[-2:]
    d = max(int(divisor), 1)
    return tuple(shape[:-2]) + (-(-h // d) * d, -(-w // d) * d)


class ShapeBatcher:
    """Group prepared pages into batches of equal padded input shape.

    Args:
        batch_size (int): Pages per batch.
        key_fn (Callable): Pipeline output -> batch key.
        lookahead (int): Pages held back at most, in batches; when more
            are waiting the largest group goes out as it is. Defaults to
            :data:`LOOKAHEAD`.
    """

    def __init__(self, batch_size: int, key_fn: Callable[[dict], Tuple],
                 lookahead: int = LOOKAHEAD) -> None:
        if batch_size < 1:
            raise ValueError(f'batch_size must be >= 1, got {batch_size}')
        self.batch_size = batch_size
        self.key_fn = key_fn
        self.limit = max(batch_size * lookahead, batch_size)
        self.groups: 'OrderedDict[Tuple, list]' = OrderedDict()
        self.errors: List[Any] = []

    def _waiting(self) -> int:
        return sum(len(g) for g in self.groups.values())

    def _emit(self, key: Tuple) -> Batch:
        group = self.groups.pop(key)
        batch = Batch([p for p, _ in group], [d for _, d in group],
                      self.errors)
        self.errors = []
        return batch

    def add(self, page: Any, item: Optional[dict] = None,
            error: Any = None) -> List[Batch]:
        """Add a prepared page (or an error); return full batches."""
        if error is not None:
            self.errors.append(error)
            return [] if self.groups else [self.flush_errors()]
        key = self.key_fn(item)
        self.groups.setdefault(key, []).append((page, item))
        out = []
        if len(self.groups[key]) >= self.batch_size:
            out.append(self._emit(key))
        elif self._waiting() >= self.limit:
            largest = max(self.groups, key=lambda k: len(self.groups[k]))
            out.append(self._emit(largest))
        return out

    def flush_errors(self) -> Batch:
        batch = Batch(errors=self.errors)
        self.errors = []
        return batch

    def finish(self) -> List[Batch]:
        """The remaining groups (oldest first) and errors."""
        out = [self._emit(k) for k in list(self.groups)]
        if self.errors:
            out.append(self.flush_errors())
        return out
