# Copyright (c) docseg_mm contributors. All rights reserved.
"""Check the dataset of a config before a long run.

Builds the dataset of one split (without its pipeline), checks every
annotation and decodes every image as the pipeline's loader would (in
parallel), then prints a report (counts per problem, every offending file
and entry) and optionally writes it as json. Exit code 1 when a training
run would fail on an error, 0 with warnings only.

Usage:
    python tools/misc/check_dataset.py CONFIG [--split train|val|test] \
        [--workers N] [--out REPORT.json] [--cfg-options KEY=VALUE ...]
"""
import argparse
import json
import sys

from mmengine.config import Config, DictAction

from docseg_mm.datasets.dataset_check import (SPLITS, check_dataset,
                                              exit_code, format_report)
from docseg_mm.utils import register_all_modules


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='config file')
    parser.add_argument('--split', choices=SPLITS, default='train')
    parser.add_argument('--workers', type=int, default=4,
                        help='decoding threads (default 4)')
    parser.add_argument('--out', help='write the full report as json')
    parser.add_argument('--max-lines', type=int, default=None,
                        help='print at most this many problems')
    parser.add_argument('--no-progress', action='store_true')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings (key=value)')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    register_all_modules(init_default_scope=True)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    report = check_dataset(cfg, args.split, args.workers,
                           progress=not args.no_progress)
    report['config'] = args.config
    print(format_report(report, args.max_lines))
    if args.out:
        with open(args.out, 'w', encoding='utf-8') as f:
            json.dump(report, f, indent=1)
        print(f'report written to {args.out}')
    return exit_code(report)


if __name__ == '__main__':
    sys.exit(main())
