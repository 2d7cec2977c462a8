"""Peer of benchmark 1: papermill from PyPI over the same notebook and kernel.

    python papermill_map.py NOTEBOOK N PROCESSES OUTDIR

Runs papermill.execute_notebook once per parameter 0..N-1 with `job = {'param': i}` injected,
split over PROCESSES OS processes (1 = a plain sequential loop). Prints JSON: wall seconds from the
first call to the last result (interpreter and papermill import excluded, as nbgrid's worker
start-up is excluded on the other side), and per-call seconds.
"""
import json
import multiprocessing as mp
import os
import resource
import sys
import time


def loop(args):
    notebook, indices, outdir = args
    import papermill as pm

    start = time.time()
    calls = []
    for i in indices:
        t = time.time()
        pm.execute_notebook(
            notebook,
            os.path.join(outdir, f"out-{i}.ipynb"),
            parameters={"job": {"param": i, "job_id": i}},
            kernel_name="python3",
            progress_bar=False,
            log_output=False,
        )
        calls.append(time.time() - t)
    return start, time.time(), calls


def main():
    notebook, n, processes, outdir = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    shares = [(notebook, list(range(p, n, processes)), outdir) for p in range(processes)]
    if processes == 1:
        results = [loop(shares[0])]
    else:
        # fork after nothing heavy is imported: each process imports papermill itself, like a
        # user's two shell loops would.
        with mp.get_context("fork").Pool(processes) as pool:
            results = pool.map(loop, shares)
    start = min(r[0] for r in results)
    end = max(r[1] for r in results)
    calls = [c for r in results for c in r[2]]
    # every process and kernel has been waited for: their CPU is in RUSAGE_CHILDREN
    usage = [resource.getrusage(w) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    cpu = sum(u.ru_utime + u.ru_stime for u in usage)
    print(json.dumps({"wall": end - start, "calls": calls, "cpu": cpu, "notebook_cpu": notebook_cpu(outdir, n)}))


def notebook_cpu(outdir, n):
    """Mean of the ``BENCH_CPU`` parts the output notebooks printed; None when they printed none."""
    import nbformat

    parts = []
    for i in range(n):
        nb = nbformat.read(os.path.join(outdir, f"out-{i}.ipynb"), as_version=4)
        for cell in nb.cells:
            for out in cell.get("outputs", []):
                for line in str(out.get("text", "")).splitlines():
                    if line.startswith("BENCH_CPU "):
                        parts.append(json.loads(line[len("BENCH_CPU "):]))
    if not parts:
        return None
    return {key: sum(p[key] for p in parts) / len(parts) for key in parts[0]}


if __name__ == "__main__":
    main()
