package dev.databaseunit.operator.vector;

import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;

/**
 * The search for the smallest {@code hnsw.ef_search} whose measured recall meets a target, as a pure step over the
 * points measured so far: the probe measures what {@link #next} asks for until it answers with a decision.
 *
 * <p>Doubling from the floor finds an ef_search that meets the target (or reaches the cap), then bisection narrows
 * the gap to the last one that did not, to within a quarter of it: recall rises slowly with ef_search, so a finer
 * step would cost more probe queries than the latency it saves. At most about log2(cap/floor) + 4 points.
 */
public final class EfSearchTuning {
  private EfSearchTuning() {}

  /** What to do after the points measured so far. */
  public sealed interface Step {}

  /** Measure recall at this ef_search next. */
  public record Measure(int efSearch) implements Step {}

  /** The smallest measured ef_search that meets the target. */
  public record Met(int efSearch, double recall) implements Step {}

  /**
   * Nothing up to the cap meets the target: the graph itself misses neighbours (m or ef_construction too low).
   *
   * @param efSearch the measured ef_search with the highest recall (the smallest of equals): the best there is
   */
  public record Unreachable(int efSearch, double recall) implements Step {}

  /**
   * @param measured recall by ef_search; points outside [floor, cap] are ignored (the range changed since)
   * @param floor the smallest ef_search considered, at least 1
   * @param cap the largest ef_search considered; a cap below the floor is the floor (a pinned value)
   */
  public static Step next(Map<Integer, Double> measured, double target, int floor, int cap) {
    if (floor < 1) {
      throw new IllegalArgumentException("floor must be at least 1: " + floor);
    }
    int top = Math.max(floor, cap);
    NavigableMap<Integer, Double> points = new TreeMap<>(measured).subMap(floor, true, top, true);
    Integer met = points.entrySet().stream().filter(e -> e.getValue() >= target).map(Map.Entry::getKey).findFirst().orElse(null);
    if (met == null) {
      if (!points.isEmpty() && points.lastKey() == top) {
        var best = points.entrySet().stream().reduce((a, b) -> b.getValue() > a.getValue() ? b : a).orElseThrow();
        return new Unreachable(best.getKey(), best.getValue());
      }
      return new Measure(points.isEmpty() ? floor : (int) Math.min(top, 2L * points.lastKey()));
    }
    if (met == floor) {
      return new Met(met, points.get(met));
    }
    Integer below = points.lowerKey(met);
    if (below == null) {
      // Met above the floor with nothing measured under it (a lower cap or floor before): start at the floor.
      return new Measure(floor);
    }
    if (met - below <= Math.max(1, below / 4)) {
      return new Met(met, points.get(met));
    }
    return new Measure(below + (met - below) / 2);
  }
}
