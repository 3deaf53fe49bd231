"""Imported last by a sweep's forkserver (``rmbench.run.cellproc.PRELOAD``): everything the
imports before it made is moved out of the cyclic collector's reach (``gc.freeze``), so that
a forked cell's collections never write to those objects' headers, and the pages that hold
them stay shared with the server instead of being copied into every cell."""

import gc

gc.collect()
gc.freeze()
