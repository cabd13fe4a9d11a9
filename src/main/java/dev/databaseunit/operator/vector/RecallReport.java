package dev.databaseunit.operator.vector;

import dev.databaseunit.operator.api.v1alpha1.DatabaseUnitStatus.RecallPoint;
import dev.databaseunit.operator.api.v1alpha1.DatabaseUnitStatus.RecallTuningStatus;
import java.util.Locale;
import java.util.stream.Collectors;

/** A probe's search as status and as words: what it found and, when the target is out of reach, what to change. */
final class RecallReport {
  static final String MET = "RecallTargetMet";
  static final String UNREACHABLE = "RecallTargetUnreachable";
  static final String NO_VECTORS = "NoVectors";

  private RecallReport() {}

  /** @param probed the graph the probe measured */
  static RecallTuningStatus status(RecallProbe.Result result, HnswParameters probed) {
    RecallProbe.Range range = result.range();
    String reason = result.queries() == 0 ? NO_VECTORS : result.met() ? MET : UNREACHABLE;
    String message = result.queries() == 0 ? "the table has no vectors to measure" : message(result, null);
    return new RecallTuningStatus(reason, message, range.target(), range.floor(), Math.max(range.floor(), range.cap()),
        result.curve().entrySet().stream().map(e -> new RecallPoint(e.getKey(), e.getValue())).toList(),
        result.probeQueries(), result.probeMillis(), result.writesAtProbe(), probed.m(), probed.efConstruction());
  }

  /**
   * @param parameters the serving index's, for concrete advice; null leaves the numbers out (the status shows them)
   */
  static String message(RecallProbe.Result result, HnswParameters parameters) {
    RecallProbe.Range range = result.range();
    String curve = result.curve().entrySet().stream()
        .map(e -> String.format(Locale.ROOT, "%d: %.2f", e.getKey(), e.getValue())).collect(Collectors.joining(", "));
    if (result.met()) {
      return String.format(Locale.ROOT, "recall@10 %.2f at ef_search %d meets the target %.2f (measured %s)",
          result.recallAtK(), result.efSearch(), range.target(), curve);
    }
    boolean pinned = range.cap() <= range.floor();
    String searched = pinned ? "ef_search " + range.floor() + ", the only one allowed, does not reach"
        : "no ef_search from " + range.floor() + " to " + range.cap() + " reaches";
    String advice = parameters == null ? "a higher efConstruction or m"
        : String.format(Locale.ROOT, "efConstruction %d (now %d) or m %d (now %d)", Math.min(1000, 2 * parameters.efConstruction()),
            parameters.efConstruction(), Math.min(100, parameters.m() + 8), parameters.m());
    return String.format(Locale.ROOT, "%s recall@10 %.2f: best %.2f at ef_search %d (measured %s); %s",
        searched, range.target(), result.recallAtK(), result.efSearch(), curve,
        pinned ? "allow more (raise efSearch, or remove it and let the probe tune up to maxEfSearch) or rebuild with " + advice
            : "the graph misses neighbours that a longer search does not find: rebuild with " + advice);
  }
}
