# Copyright (c) docseg_mm contributors. All rights reserved.
"""English-looking text from a small hand-written grammar and word lists.

The word lists are common English words (no copyrighted text); sentences
follow noun-phrase / verb-phrase patterns with numbers, citations and
parentheses, so that word lengths, capitals and punctuation look like real
prose. Every function draws from the ``rng`` it is given.
"""
from typing import List

import numpy as np

_W = str.split
DET = _W('the the the the a a an this each every our their its some any no '
         'these those')
PREP = _W('of of of in in in to to for for with with on on by from at into '
          'over under between across through within without against among '
          'after before during per via')
CONJ = _W('and and and but or while whereas because although since so')
PRON = _W('we we it they this which that')
ADV = _W('also often only however therefore thus usually significantly '
         'directly clearly generally approximately typically further hence '
         'nevertheless consequently moreover currently previously largely '
         'strongly mostly rarely easily quickly')
ADJ = _W('new large small general specific different important possible '
         'available local public social economic similar main common full '
         'high low recent total final simple complex standard natural '
         'relevant additional following previous current early single '
         'several various major minor linear optimal robust efficient '
         'annual quarterly legal technical financial physical digital '
         'internal external primary secondary initial average relative '
         'effective significant potential proposed original critical '
         'dynamic static mobile electronic mechanical thermal optical '
         'statistical empirical practical reliable accurate efficient')
NOUN = _W('system method result process model data value time case part '
          'number group problem area order point level form field rate '
          'study analysis approach function structure network section '
          'effect change development information report table figure '
          'example quality control design range test term type set '
          'condition service product support policy market cost price '
          'sample signal surface material energy device unit component '
          'layer interface user application document page image text '
          'element parameter variable algorithm framework performance '
          'measurement distribution estimate error feature operation '
          'procedure requirement standard provision agreement authority '
          'member person company period year month share income asset '
          'liability revenue account statement interest investment risk '
          'capital fund loan equity obligation article paragraph clause '
          'court decision regulation party notice claim invention '
          'embodiment apparatus housing member surface portion assembly '
          'configuration connection controller circuit sensor module '
          'memory processor server file command option setting window '
          'button menu key display manual chapter')
VERB = _W('use show provide include describe consider present increase '
          'reduce compare obtain improve require determine apply allow '
          'define develop evaluate estimate measure observe perform '
          'produce report represent support affect apply contain create '
          'demonstrate enable ensure establish extend identify indicate '
          'maintain propose receive remain select specify combine connect '
          'convert deliver detect display generate install operate process '
          'record reflect replace retain transfer update validate')
TITLE_NOUN = _W('Analysis Approach Framework Study Review Method Model '
                'Design Evaluation Estimation Learning Control Systems '
                'Networks Structure Dynamics Performance Assessment '
                'Report Statement Guide Manual Regulation Directive Act '
                'Procedure Overview Introduction Reference Specification')
SECTIONS = dict(
    scientific_article=_W('Introduction|Related Work|Background|Method|'
                          'Methods|Experiments|Results|Discussion|'
                          'Conclusion|Evaluation|Implementation|'
                          'Materials and Methods|Acknowledgements|'
                          'References|Limitations|Ablation Study', '|'),
    financial_report=_W('Highlights|Financial Review|Revenue|Operating '
                        'Expenses|Outlook|Risk Management|Balance Sheet|'
                        'Cash Flow|Segment Information|Governance|'
                        'Notes to the Financial Statements|Liquidity', '|'),
    manual=_W('Getting Started|Installation|Configuration|Safety '
              'Instructions|Troubleshooting|Maintenance|Usage|Overview|'
              'Specifications|Command Reference|Options|Examples|'
              'Connecting the Device|Technical Data', '|'),
    patent=_W('BACKGROUND OF THE INVENTION|SUMMARY|DETAILED DESCRIPTION|'
              'BRIEF DESCRIPTION OF THE DRAWINGS|CLAIMS|FIELD OF THE '
              'INVENTION|DESCRIPTION OF EMBODIMENTS', '|'),
    law_regulation=_W('General Provisions|Definitions|Scope|Obligations|'
                      'Penalties|Transitional Provisions|Entry into Force|'
                      'Application|Supervision|Final Provisions|'
                      'Reporting Requirements|Exemptions', '|'),
)
FIRST = _W('Anna Ben Carla David Eva Felix Grace Hugo Irene Jan Kim Lena '
           'Marco Nina Omar Paula Ravi Sara Tom Uma Victor Wei Yuki Zoe')
LAST = _W('Smith Garcia Chen Müller Rossi Kumar Silva Novak Kim Tanaka '
          'Johnson Martin Lopez Dubois Jensen Nowak Ivanova Okafor Hansen '
          'Costa Weber Moreau Larsen Kowalski Sato')


def _pick(rng: np.random.Generator, words: List[str]) -> str:
    return words[int(rng.integers(len(words)))]


def _verb(rng: np.random.Generator, form: str) -> str:
    v = _pick(rng, VERB)
    if form == 's':
        if v.endswith('y') and v[-2] not in 'aeiou':
            return v[:-1] + 'ies'
        return v + ('es' if v.endswith(('s', 'sh', 'ch', 'x')) else 's')
    if form == 'ed':
        return (v + 'd' if v.endswith('e') else v[:-1] + 'ied'
                if v.endswith('y') and v[-2] not in 'aeiou' else v + 'ed')
    return v


def _noun(rng: np.random.Generator, plural: bool) -> str:
    n = _pick(rng, NOUN)
    if not plural:
        return n
    if n.endswith(('s', 'x', 'ch', 'sh')):
        return n + 'es'
    if n.endswith('y') and n[-2] not in 'aeiou':
        return n[:-1] + 'ies'
    return n + 's'


def number(rng: np.random.Generator) -> str:
    """A number as prose writes it (``12``, ``3.5%``, ``1,204``, ``0.81``)."""
    k = rng.integers(7)
    if k == 0:
        return f'{rng.integers(2, 99)}'
    if k == 1:
        return f'{rng.uniform(0.1, 99):.1f}%'
    if k == 2:
        return f'{rng.integers(1, 99)},{rng.integers(0, 999):03d}'
    if k == 3:
        return f'{rng.uniform(0, 1):.2f}'
    if k == 4:
        return f'{rng.integers(1950, 2030)}'
    if k == 5:
        return f'{rng.integers(1, 500)} ms'
    return f'{rng.integers(2, 40)}'


def noun_phrase(rng: np.random.Generator, depth: int = 0) -> List[str]:
    """Words of a noun phrase such as ``the linear model of the system``."""
    out = []
    plural = rng.random() < 0.35
    if not plural or rng.random() < 0.5:
        det = _pick(rng, DET)
        if plural and det in ('a', 'an', 'this', 'each', 'every', 'its'):
            det = 'the'
        out.append(det)
    if rng.random() < 0.5:
        out.append(_pick(rng, ADJ))
    if rng.random() < 0.15:
        out.append(_pick(rng, NOUN))
    out.append(_noun(rng, plural))
    if depth < 1 and rng.random() < 0.35:
        out += [_pick(rng, PREP)] + noun_phrase(rng, depth + 1)
    if out[0] == 'a' and out[1][0] in 'aeiou':
        out[0] = 'an'
    elif out[0] == 'an' and out[1][0] not in 'aeiou':
        out[0] = 'a'
    return out


def clause(rng: np.random.Generator) -> List[str]:
    """Words of a clause: subject, verb, object and adjuncts."""
    out = (noun_phrase(rng) if rng.random() < 0.7 else [_pick(rng, PRON)])
    if rng.random() < 0.2:
        out.append(_pick(rng, ADV))
    if out[-1] in ('we', 'they') or out[-1].endswith('s'):
        out.append(_verb(rng, '') if rng.random() < 0.5 else
                   _verb(rng, 'ed'))
    else:
        out.append(_verb(rng, 's') if rng.random() < 0.6 else
                   _verb(rng, 'ed'))
    out += noun_phrase(rng)
    r = rng.random()
    if r < 0.25:
        out += [_pick(rng, PREP)] + noun_phrase(rng)
    elif r < 0.4:
        out += ['by', number(rng)]
    return out


def sentence(rng: np.random.Generator, domain: str = '') -> List[str]:
    """Words (with punctuation attached) of one sentence."""
    words = clause(rng)
    r = rng.random()
    if r < 0.3:
        words[-1] += ','
        words += [_pick(rng, CONJ)] + clause(rng)
    elif r < 0.4:
        words = [_pick(rng, ADV).capitalize() + ','] + words
    if rng.random() < 0.12:
        ref = (f'[{rng.integers(1, 60)}]' if domain ==
               'scientific_article' else
               f'(see {_pick(rng, ["Section", "Table", "Fig.", "Annex"])} '
               f'{rng.integers(1, 9)})')
        words += ref.split()
    elif rng.random() < 0.08:
        words.insert(int(rng.integers(2, len(words))), '(' + number(rng) +
                     ')')
    words[0] = words[0][0].upper() + words[0][1:]
    words[-1] += '.' if rng.random() < 0.93 else _pick(rng, ['?', ';', ':'])
    return words


def paragraph(rng: np.random.Generator, n_sent: int,
              domain: str = '') -> List[str]:
    """Words of ``n_sent`` sentences."""
    out = []
    for _ in range(n_sent):
        out += sentence(rng, domain)
    return out


def title(rng: np.random.Generator) -> List[str]:
    """A document title in title case."""
    words = [_pick(rng, ADJ).capitalize(), _pick(rng, TITLE_NOUN)]
    if rng.random() < 0.7:
        words += [_pick(rng, ['for', 'of', 'in', 'with', 'on']),
                  _pick(rng, ADJ).capitalize(),
                  _pick(rng, NOUN).capitalize() + 's']
    if rng.random() < 0.3:
        words[-1] += ':'
        words += ['A', _pick(rng, ADJ).capitalize(), _pick(rng, TITLE_NOUN)]
    return words


def heading(rng: np.random.Generator, domain: str) -> List[str]:
    """Words of a section heading (unnumbered)."""
    if rng.random() < 0.5 and domain in SECTIONS:
        return _pick(rng, SECTIONS[domain]).split()
    words = [_pick(rng, ADJ).capitalize(), _noun(rng, rng.random() < 0.5)]
    if rng.random() < 0.4:
        words += [_pick(rng, ['of', 'and', 'for']), _noun(rng, True)]
    if domain == 'patent':
        words = [w.upper() for w in words]
    return words


def authors(rng: np.random.Generator, n: int) -> List[str]:
    """``n`` author names, comma separated."""
    names = [f'{_pick(rng, FIRST)} {_pick(rng, LAST)}' for _ in range(n)]
    return ', '.join(names).split()


def short_phrase(rng: np.random.Generator, n: int = 3) -> List[str]:
    """A few capitalised words (table headers, labels, running titles)."""
    words = [_noun(rng, False) if i else _pick(rng, ADJ) for i in range(n)]
    words[0] = words[0].capitalize()
    return words


def identifier(rng: np.random.Generator) -> str:
    """A snake_case identifier made of English words."""
    if rng.random() < 0.4:
        return _pick(rng, NOUN)
    return f'{_pick(rng, ADJ)}_{_pick(rng, NOUN)}'


def code_lines(rng: np.random.Generator, n: int) -> List[str]:
    """``n`` lines of Python-looking code with indentation."""
    lines = [f'def {identifier(rng)}({identifier(rng)}, '
             f'{identifier(rng)}={rng.integers(0, 10)}):']
    indent = 1
    while len(lines) < n:
        r = rng.random()
        pad = '    ' * indent
        if r < 0.35:
            lines.append(f'{pad}{identifier(rng)} = {identifier(rng)}.'
                         f'{_pick(rng, VERB)}({identifier(rng)})')
        elif r < 0.5 and indent < 3:
            lines.append(f'{pad}for {_pick(rng, "ijk")} in range('
                         f'{rng.integers(2, 64)}):')
            indent += 1
        elif r < 0.62 and indent < 3:
            lines.append(f'{pad}if {identifier(rng)} > {rng.integers(99)}:')
            indent += 1
        elif r < 0.75:
            lines.append(f'{pad}# {" ".join(noun_phrase(rng))}')
        elif r < 0.85 and indent > 1:
            lines.append(f'{pad}return {identifier(rng)}')
            indent -= 1
        else:
            lines.append(f'{pad}{identifier(rng)} += {rng.integers(1, 9)}')
    return lines
