"""The timing of the Python anchors of scripts/bench.sh, as tests/bench/bench.c
times keyfold: five windows of about seconds/5 of CPU time each, the median
rate of each kind. Not a test."""
import statistics
import time


def median_rates(call, items, seconds, clock):
    """Calls call() repeatedly in five windows of seconds/5 of `clock` (a CPU
    clock: time.thread_time or time.process_time); returns the median rate
    (items per second of that clock), the median wall-clock rate and the
    five clock rates."""
    rates, wall = [], []
    for _ in range(5):
        t0, w0 = clock(), time.perf_counter()
        calls = 0
        while True:
            call()
            calls += 1
            t = clock()
            if t - t0 >= seconds / 5:
                break
        rates.append(items * calls / (t - t0))
        wall.append(items * calls / (time.perf_counter() - w0))
    return statistics.median(rates), statistics.median(wall), rates
