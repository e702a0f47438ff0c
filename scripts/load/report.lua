-- wrk report in machine-readable form. Only `done` is defined, so wrk adds no
-- per-request Lua work (no `response` callback): the counts are wrk's own.
-- "Non-2xx" here is wrk's status error count (HTTP status > 399).
done = function(summary, latency, requests)
   local secs = summary.duration / 1e6
   io.write(string.format("TESSERA_WRK requests=%d duration_s=%.3f rps=%.1f p50_us=%d p99_us=%d max_us=%d non2xx=%d connect=%d read=%d write=%d timeout=%d\n",
      summary.requests, secs, summary.requests / secs,
      latency:percentile(50), latency:percentile(99), latency.max,
      summary.errors.status, summary.errors.connect, summary.errors.read,
      summary.errors.write, summary.errors.timeout))
end
