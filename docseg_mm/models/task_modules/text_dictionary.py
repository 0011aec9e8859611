# Copyright (c) docseg_mm contributors. All rights reserved.
from typing import List, Optional, Sequence

from mmengine.fileio import get_text

from docseg_mm.registry import TASK_UTILS

#: DiG's 94 characters (``string.printable[:-6]``), in DiG's index order.
PRINTABLE94 = ('0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'
               '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~')


@TASK_UTILS.register_module()
class Dictionary:
    """Character dictionary with mmocr's interface and token order.

    Characters come from ``dict_file`` (one per line, empty lines skipped)
    or ``characters``; special tokens follow in mmocr's order: start, end
    (or one shared start/end), padding, unknown.

    Args:
        dict_file (str, optional): Character file. Defaults to None.
        characters (str | Sequence[str], optional): Characters, used when
            ``dict_file`` is None. Defaults to None.
        with_start (bool): Add ``start_token``. Defaults to False.
        with_end (bool): Add ``end_token``. Defaults to False.
        same_start_end (bool): One token for start and end. Defaults to
            False.
        with_padding (bool): Add ``padding_token``. Defaults to False.
        with_unknown (bool): Add ``unknown_token``; characters outside the
            dictionary map to it. Defaults to False.
        start_token (str): Defaults to '<BOS>'.
        end_token (str): Defaults to '<EOS>'.
        start_end_token (str): Defaults to '<BOS/EOS>'.
        padding_token (str): Defaults to '<PAD>'.
        unknown_token (str): Defaults to '<UKN>'.
    """

    def __init__(self,
                 dict_file: Optional[str] = None,
                 characters: Optional[Sequence[str]] = None,
                 with_start: bool = False,
                 with_end: bool = False,
                 same_start_end: bool = False,
                 with_padding: bool = False,
                 with_unknown: bool = False,
                 start_token: str = '<BOS>',
                 end_token: str = '<EOS>',
                 start_end_token: str = '<BOS/EOS>',
                 padding_token: str = '<PAD>',
                 unknown_token: str = '<UKN>') -> None:
        if dict_file is not None:
            chars = []
            for num, line in enumerate(get_text(dict_file).split('\n')):
                line = line.strip('\r')
                if len(line) > 1:
                    raise ValueError(f'{dict_file}, line {num + 1}: expected '
                                     f'one character, got {line!r}')
                if line:
                    chars.append(line)
        elif characters is not None:
            chars = list(characters)
        else:
            raise ValueError('give dict_file or characters')
        if len(set(chars)) != len(chars):
            raise ValueError('the dictionary has duplicated characters')
        self._dict: List[str] = chars
        self.num_chars = len(chars)
        self.start_idx = self.end_idx = None
        self.padding_idx = self.unknown_idx = None
        if with_start and with_end and same_start_end:
            self.start_idx = self.end_idx = self._add(start_end_token)
        else:
            if with_start:
                self.start_idx = self._add(start_token)
            if with_end:
                self.end_idx = self._add(end_token)
        if with_padding:
            self.padding_idx = self._add(padding_token)
        if with_unknown:
            self.unknown_idx = self._add(unknown_token)
        self._char2idx = {c: i for i, c in enumerate(self._dict)}

    def _add(self, token: str) -> int:
        if token in self._dict:
            raise ValueError(f'special token {token!r} is also a character')
        self._dict.append(token)
        return len(self._dict) - 1

    @property
    def num_classes(self) -> int:
        """int: Number of entries, special tokens included."""
        return len(self._dict)

    @property
    def dict(self) -> List[str]:
        """list[str]: The entries, special tokens included."""
        return self._dict

    def char2idx(self, char: str, strict: bool = True) -> Optional[int]:
        """Index of ``char``; the unknown index (or None if not ``strict``)
        for characters outside the dictionary."""
        idx = self._char2idx.get(char)
        if idx is None:
            if self.unknown_idx is not None:
                return self.unknown_idx
            if strict:
                raise KeyError(f'character {char!r} is not in the '
                               'dictionary (set with_unknown=True)')
        return idx

    def str2idx(self, string: str) -> List[int]:
        """Indices of a string's characters (unknown ones map to the unknown
        token; without one they raise)."""
        return [self.char2idx(c) for c in string]

    def idx2str(self, index: Sequence[int]) -> str:
        """The string of a list of indices."""
        return ''.join(self._dict[int(i)] for i in index)
