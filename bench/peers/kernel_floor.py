"""Benchmark 5, the floor: CPU and wall seconds for one fresh ipykernel to start and answer
kernel_info, then shut down, started the way the Kernel Gateway starts it (jupyter_client).

    python kernel_floor.py N
"""
import json
import resource
import sys
import time

from jupyter_client.manager import KernelManager


def main():
    n = int(sys.argv[1])
    walls = []
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    for _ in range(n):
        t = time.time()
        km = KernelManager(kernel_name="python3")
        km.start_kernel()
        kc = km.client()
        kc.start_channels()
        kc.wait_for_ready(timeout=60)
        walls.append(time.time() - t)
        kc.stop_channels()
        km.shutdown_kernel(now=False)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    print(json.dumps({"n": n, "cpu_per_kernel": cpu / n, "wall_to_ready": sorted(walls)[n // 2]}))


if __name__ == "__main__":
    main()
