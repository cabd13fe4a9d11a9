package dev.databaseunit.operator.monitoring;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;

/**
 * Query latency percentiles from two pg_stat_statements snapshots. PostgreSQL keeps per-statement totals, not
 * per-execution timings, so the percentile is over executions in the interval with each execution taking its
 * statement's mean time in that interval: exact when a statement's executions are alike, an underestimate of
 * the tail when one statement's timings spread widely. The alert on it is a trend signal, documented as such.
 */
public final class StatementLatency {

  /** Cumulative counters of one statement (pg_stat_statements calls and total_exec_time in ms). */
  public record Totals(long calls, double totalMillis) {}

  private StatementLatency() {}

  /** The q-quantile (0 < q ≤ 1) in seconds of executions between the snapshots; empty without executions. */
  public static OptionalDouble quantileSeconds(Map<Long, Totals> before, Map<Long, Totals> after, double q) {
    record Bucket(double meanMillis, long calls) {}
    List<Bucket> buckets = new ArrayList<>();
    long total = 0;
    for (var entry : after.entrySet()) {
      Totals now = entry.getValue();
      Totals then = before.getOrDefault(entry.getKey(), new Totals(0, 0));
      long calls = now.calls() - then.calls();
      double millis = now.totalMillis() - then.totalMillis();
      if (calls < 0 || millis < 0) {
        // Statistics were reset in between: count this statement from zero.
        calls = now.calls();
        millis = now.totalMillis();
      }
      if (calls > 0) {
        buckets.add(new Bucket(millis / calls, calls));
        total += calls;
      }
    }
    if (total == 0) {
      return OptionalDouble.empty();
    }
    buckets.sort(Comparator.comparingDouble(Bucket::meanMillis));
    double rank = Math.ceil(q * total);
    long seen = 0;
    for (Bucket bucket : buckets) {
      seen += bucket.calls();
      if (seen >= rank) {
        return OptionalDouble.of(bucket.meanMillis() / 1000.0);
      }
    }
    return OptionalDouble.of(buckets.getLast().meanMillis() / 1000.0);
  }
}
