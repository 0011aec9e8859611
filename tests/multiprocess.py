# Copyright (c) docseg_mm contributors. All rights reserved.
"""Run a test's distributed workers in fresh processes, with a deadline.

Workers are started with ``spawn``: a forked child of a process whose
OpenMP pool has run (as any test process's has) can hang on its first
parallel operation, and a hung worker would stall the whole suite.
"""
import time

import torch.multiprocessing as mp


def run_workers(fn, args: tuple, nprocs: int = 2,
                timeout: float = 180.) -> None:
    """Run ``fn(rank, *args)`` in ``nprocs`` processes and wait for them.

    Args:
        fn (callable): A module-level function (spawn imports it).
        args (tuple): Arguments after the rank.
        nprocs (int): Number of processes. Defaults to 2.
        timeout (float): Seconds before the workers are killed and the
            test fails. Defaults to 180.
    """
    ctx = mp.start_processes(fn, args=args, nprocs=nprocs, join=False,
                             start_method='spawn')
    deadline = time.monotonic() + timeout
    while not ctx.join(timeout=1.):
        if time.monotonic() > deadline:
            for proc in ctx.processes:
                if proc.is_alive():
                    proc.kill()
            raise TimeoutError(
                f'{nprocs} workers of {fn.__name__} did not finish in '
                f'{timeout:.0f} s')
