"""Celery 5 side of bin/bench JobsBench: the same no-op task, Redis broker and result backend.

  worker N            run a worker with N prefork processes on BENCH_QUEUE
  preload N FILE      queue N tasks (no worker running) and write their ids to FILE
  drain FILE          wait for the tasks in FILE; print {"n", "seconds"} from first to last execution
  trickle N RATE      queue N tasks at RATE/s (worker running); print pickup latencies in ms (p50, p99, max)
"""
import json
import os
import sys
import time

from celery import Celery
from celery.result import ResultSet

broker = os.environ["BENCH_BROKER"]
queue = os.environ["BENCH_QUEUE"]
app = Celery("jobsbench", broker=broker, backend=broker)
app.conf.update(task_default_queue=queue, result_expires=600, worker_hijack_root_logger=False,
                broker_connection_retry_on_startup=True, task_serializer="json", result_serializer="json",
                accept_content=["json"])


@app.task(name="jobsbench.noop")
def noop(sent):
    now = time.time()
    return [now, now - sent if sent else 0.0]


def collect(ids):
    return ResultSet([app.AsyncResult(i) for i in ids]).join(timeout=600, propagate=True)


def pct(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, max(0, int(q * len(values) + 0.999999) - 1))]


if __name__ == "__main__":
    mode = sys.argv[1]
    if mode == "worker":
        app.worker_main(["worker", "--concurrency", sys.argv[2], "--loglevel", "WARNING", "-Q", queue,
                         "--without-gossip", "--without-mingle", "--without-heartbeat"])
    elif mode == "preload":
        ids = [noop.apply_async(args=[0]).id for _ in range(int(sys.argv[2]))]
        with open(sys.argv[3], "w") as f:
            json.dump(ids, f)
    elif mode == "drain":
        with open(sys.argv[2]) as f:
            ids = json.load(f)
        ran = [r[0] for r in collect(ids)]
        print(json.dumps({"n": len(ran), "seconds": max(ran) - min(ran)}))
    elif mode == "trickle":
        n, rate = int(sys.argv[2]), float(sys.argv[3])
        ids = []
        start = time.time()
        for i in range(n):
            ids.append(noop.apply_async(args=[time.time()]).id)
            pause = start + (i + 1) / rate - time.time()
            if pause > 0:
                time.sleep(pause)
        lat = [r[1] * 1000 for r in collect(ids)]
        print(json.dumps({"n": len(lat), "p50": pct(lat, 0.5), "p99": pct(lat, 0.99), "max": max(lat)}))
