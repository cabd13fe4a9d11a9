package dev.databaseunit.operator.vector;

import dev.databaseunit.operator.api.v1alpha1.DatabaseUnitStatus.AutoRebuildStatus;
import dev.databaseunit.operator.api.v1alpha1.DatabaseUnitStatus.VectorIndexStatus;
import dev.databaseunit.operator.api.v1alpha1.VectorIndexSpec;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * spec.autoRebuild as plain functions: when a probe finds the target out of reach at maxEfSearch, the next, stronger
 * graph; and the entry as the index plan and the window's rebuild must build it.
 */
public final class AutoRebuild {
  /** Beyond these the build time and size grow faster than recall: the step stops and says so. */
  static final int MAX_M = 48;
  static final int MAX_EF_CONSTRUCTION = 512;
  private static final int M_STEP = 8;

  private AutoRebuild() {}

  /** The entry with m and efConstruction raised to what autoRebuild chose; the entry itself without autoRebuild. */
  public static VectorIndexSpec effective(VectorIndexSpec spec, VectorIndexStatus status) {
    AutoRebuildStatus chosen = status != null ? status.autoRebuild() : null;
    if (!Boolean.TRUE.equals(spec.autoRebuild()) || chosen == null) {
      return spec;
    }
    HnswParameters declared = HnswParameters.of(spec);
    int m = Math.max(declared.m(), chosen.m());
    int efConstruction = Math.max(declared.efConstruction(), chosen.efConstruction());
    return new VectorIndexSpec(spec.name(), spec.table(), spec.column(), spec.dimensions(), spec.opclass(), m, efConstruction,
        spec.efSearch(), spec.analyzeSchedule(), spec.rebuildIn(), spec.targetRecall(), spec.maxEfSearch(), spec.autoRebuild());
  }

  /** The unit's entries as a window must build them: each with its status's chosen graph (matched by name). */
  public static List<VectorIndexSpec> effective(List<VectorIndexSpec> specs, List<VectorIndexStatus> statuses) {
    List<VectorIndexStatus> known = statuses != null ? statuses : List.of();
    return (specs != null ? specs : List.<VectorIndexSpec>of()).stream()
        .map(spec -> effective(spec, known.stream().filter(s -> spec.name().equals(s.name())).findFirst().orElse(null)))
        .toList();
  }

  /** One step up: efConstruction doubled and m + 8, each at most its limit, efConstruction at least 2·m; empty at both. */
  public static Optional<HnswParameters> stronger(HnswParameters serving) {
    int m = Math.max(serving.m(), Math.min(MAX_M, serving.m() + M_STEP));
    int efConstruction = Math.max(serving.efConstruction(), Math.min(MAX_EF_CONSTRUCTION, Math.max(2 * serving.efConstruction(), 2 * m)));
    if (m == serving.m() && efConstruction == serving.efConstruction()) {
      return Optional.empty();
    }
    return Optional.of(new HnswParameters(serving.column(), serving.opclass(), m, efConstruction));
  }

  /**
   * What autoRebuild holds after a probe of the serving index.
   *
   * @param desired the parameters the index should have now (the entry's, raised by {@code current})
   * @param result the probe just folded into status, or null when none finished
   * @return null without autoRebuild; {@code current} while nothing new is learnt (no result, target met, a chosen
   *     graph not built yet); else the next step, or the serving graph with why none follows
   */
  static AutoRebuildStatus decide(VectorIndexSpec spec, HnswParameters desired, HnswParameters serving, RecallProbe.Result result,
      AutoRebuildStatus current, Instant now) {
    if (!Boolean.TRUE.equals(spec.autoRebuild())) {
      return null;
    }
    if (result == null || result.queries() == 0 || result.met() || !sameGraph(desired, serving)) {
      return current;
    }
    String measured = String.format(Locale.ROOT, "recall@10 %.2f at ef_search %d is below the target %.2f with m %d, efConstruction %d",
        result.recallAtK(), result.efSearch(), result.range().target(), serving.m(), serving.efConstruction());
    Optional<HnswParameters> next = stronger(serving);
    if (next.isEmpty()) {
      String message = measured + "; autoRebuild stops at m " + MAX_M + ", efConstruction " + MAX_EF_CONSTRUCTION
          + ": raise maxEfSearch, lower targetRecall or change the data's index";
      return current != null && message.equals(current.message()) ? current
          : new AutoRebuildStatus(serving.m(), serving.efConstruction(), message, now.toString());
    }
    return new AutoRebuildStatus(next.get().m(), next.get().efConstruction(), measured + "; the next MaintenanceWindow rebuilds "
        + "it with m " + next.get().m() + ", efConstruction " + next.get().efConstruction(), now.toString());
  }

  private static boolean sameGraph(HnswParameters a, HnswParameters b) {
    return a.m() == b.m() && a.efConstruction() == b.efConstruction();
  }
}
