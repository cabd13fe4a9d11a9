package dev.databaseunit.operator.vector;

import java.util.Arrays;
import java.util.HashSet;
import java.util.List;

/** The arithmetic of a recall probe: recall@k over several queries and latency percentiles. */
public final class RecallMath {
  private RecallMath() {}

  /**
   * Mean recall@k: for each query, the share of the exact top k that the index returned in its top k. A query
   * whose exact answer has fewer than k rows (a tiny table) is measured against what exists.
   *
   * @param exact per query, the ids of the exact nearest neighbours, nearest first
   * @param approximate per query, the ids the index returned, nearest first
   */
  public static double recallAtK(List<? extends List<?>> exact, List<? extends List<?>> approximate, int k) {
    if (exact.size() != approximate.size()) {
      throw new IllegalArgumentException("one approximate answer per exact answer expected: " + exact.size()
          + " vs " + approximate.size());
    }
    if (exact.isEmpty()) {
      throw new IllegalArgumentException("no queries");
    }
    double sum = 0;
    int counted = 0;
    for (int i = 0; i < exact.size(); i++) {
      var truth = new HashSet<Object>(exact.get(i).subList(0, Math.min(k, exact.get(i).size())));
      if (truth.isEmpty()) {
        continue;
      }
      long found = approximate.get(i).stream().limit(k).filter(truth::contains).count();
      sum += (double) found / truth.size();
      counted++;
    }
    return counted == 0 ? 1.0 : sum / counted;
  }

  /** The p-th percentile (0 < p ≤ 1) by the nearest-rank method: the smallest sample with at least p of all at or below it. */
  public static double percentile(double[] samples, double p) {
    if (samples.length == 0) {
      throw new IllegalArgumentException("no samples");
    }
    if (!(p > 0 && p <= 1)) {
      throw new IllegalArgumentException("percentile must be in (0, 1]: " + p);
    }
    double[] sorted = samples.clone();
    Arrays.sort(sorted);
    int rank = (int) Math.ceil(p * sorted.length);
    return sorted[Math.max(rank, 1) - 1];
  }

  /** Index scans over all scans of the table (index scans of this index plus sequential scans); NaN before any scan. */
  public static double indexEfficiency(long indexScans, long sequentialScans) {
    long total = indexScans + sequentialScans;
    return total == 0 ? Double.NaN : (double) indexScans / total;
  }
}
