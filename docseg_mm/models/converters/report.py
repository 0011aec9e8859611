# Copyright (c) docseg_mm contributors. All rights reserved.
"""What a checkpoint conversion did with every source tensor."""
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Callable, Dict, Iterable, List, Optional

#: A function giving the summary group of a target key.
GroupOf = Callable[[str], str]


@dataclass
class ConversionReport:
    """What happened to every key of a conversion.

    Every converter in :mod:`docseg_mm.models.converters` fills one report:
    each source key is either mapped to a target key or dropped with a
    reason, and :meth:`check_complete` makes sure nothing was forgotten.

    Attributes:
        source_format (str): Name of the source layout (e.g.
            ``'lightning'``, ``'encoder'``, ``'docsam'``).
        mapped (dict): Source key -> target key. Several source keys may
            give one target (e.g. q/k/v fused into ``qkv``).
        dropped (dict): Source key -> reason it is not in the output.
        added (dict): Target key not taken from the source -> reason.
        notes (list): Other remarks (duplicate check result, forms seen).
        group_of (Callable[[str], str], optional): Group of a target key
            for the per-group counts of :meth:`summary`. Defaults to None
            (no groups).
    """
    source_format: str
    mapped: Dict[str, str] = field(default_factory=dict)
    dropped: Dict[str, str] = field(default_factory=dict)
    added: Dict[str, str] = field(default_factory=dict)
    notes: List[str] = field(default_factory=list)
    group_of: Optional[GroupOf] = field(
        default=None, repr=False, compare=False)

    def check_complete(self, source_keys: Iterable[str]) -> None:
        """Make sure every source key was mapped or dropped, exactly once.

        Args:
            source_keys (Iterable[str]): Keys of the source state dict.

        Raises:
            RuntimeError: If a key was neither mapped nor dropped, or both,
                or a mapped / dropped key is not a source key.
        """
        source_keys = set(source_keys)
        both = set(self.mapped) & set(self.dropped)
        missing = source_keys - set(self.mapped) - set(self.dropped)
        extra = (set(self.mapped) | set(self.dropped)) - source_keys
        if both or missing or extra:
            raise RuntimeError(
                'internal error: keys not accounted for exactly once: '
                f'both={sorted(both)[:5]} missing={sorted(missing)[:5]} '
                f'extra={sorted(extra)[:5]}')

    def dropped_by_reason(self) -> 'OrderedDict[str, List[str]]':
        """Group the dropped keys by reason (first-seen order).

        Returns:
            OrderedDict[str, list[str]]: Reason -> dropped source keys.
        """
        groups: 'OrderedDict[str, List[str]]' = OrderedDict()
        for key, reason in self.dropped.items():
            groups.setdefault(reason, []).append(key)
        return groups

    def mapped_by_group(self,
                        group_of: GroupOf) -> 'OrderedDict[str, int]':
        """Count the distinct target keys of each group.

        Args:
            group_of (Callable[[str], str]): Group name of a target key.

        Returns:
            OrderedDict[str, int]: Group -> number of target keys.
        """
        counts: 'OrderedDict[str, int]' = OrderedDict()
        for dst in dict.fromkeys(self.mapped.values()):
            name = group_of(dst)
            counts[name] = counts.get(name, 0) + 1
        return counts

    def summary(self, max_listed: int = 3) -> str:
        """A human-readable multi-line summary (what the CLIs print).

        Args:
            max_listed (int): Dropped keys shown per reason. Defaults to 3.

        Returns:
            str: The summary.
        """
        lines = [
            f'source format : {self.source_format}',
            f'source tensors: {len(self.mapped) + len(self.dropped)}',
            f'mapped        : {len(self.mapped)}',
            f'dropped       : {len(self.dropped)}',
        ]
        if self.group_of is not None:
            for name, count in self.mapped_by_group(self.group_of).items():
                lines.append(f'  -> {name:<24s} {count:4d} tensors')
        for reason, keys in self.dropped_by_reason().items():
            shown = ', '.join(keys[:max_listed]) + (
                ', ...' if len(keys) > max_listed else '')
            lines.append(f'  dropped {len(keys):4d} ({reason}): {shown}')
        for key, reason in self.added.items():
            lines.append(f'  added {key} ({reason})')
        for note in self.notes:
            lines.append(f'  note: {note}')
        return '\n'.join(lines)
