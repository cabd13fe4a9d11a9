package dev.databaseunit.operator.vector;

import java.util.Optional;

/**
 * What to do next for one declared index, decided from what the catalog shows: a pure function, so every
 * case (fresh table, interrupted build, parameter change, crash in the middle of a swap) is unit-tested.
 *
 * <p>A parameter change never drops the serving index first: a replacement is built under {@link
 * #replacementName} and swapped in by renaming, and the index it replaced, renamed to {@link #retiredName},
 * is dropped afterwards. One step is taken per decision; the next reconcile decides again from the catalog,
 * so a restart at any point resumes where the database is.
 */
public final class IndexPlan {
  private IndexPlan() {}

  public enum Step {
    /** The index exists, is valid and has the declared parameters. */
    NOTHING,
    /** No index of that name: build it. */
    CREATE,
    /** An invalid index of that name is left from an interrupted build: drop it and build again. */
    REPLACE_INVALID,
    /** The index serves with other parameters: build a replacement next to it. */
    BUILD_REPLACEMENT,
    /** A replacement is left that is invalid or no longer matches the spec: drop it. */
    DROP_REPLACEMENT,
    /** The replacement is valid and matches: rename it into place. */
    SWAP,
    /** The index replaced by an earlier swap is still there: drop it. */
    DROP_RETIRED,
    /** rebuildIn: MaintenanceWindow — the serving index stays as it is until a window's OptimizeIndexes task. */
    AWAIT_WINDOW
  }

  /** An HNSW index as found in the catalog. */
  public record Observed(long oid, boolean valid, HnswParameters parameters) {}

  /**
   * @param current the index under the declared name
   * @param replacement the index under {@link #replacementName}
   * @param retired the index under {@link #retiredName}
   */
  public static Step decide(HnswParameters desired, Optional<Observed> current, Optional<Observed> replacement,
      Optional<Observed> retired) {
    if (retired.isPresent()) {
      return Step.DROP_RETIRED;
    }
    if (replacement.isPresent()) {
      boolean usable = replacement.get().valid() && replacement.get().parameters().equals(desired);
      boolean currentFits = current.isPresent() && current.get().valid() && current.get().parameters().equals(desired);
      return usable && !currentFits ? Step.SWAP : Step.DROP_REPLACEMENT;
    }
    if (current.isEmpty()) {
      return Step.CREATE;
    }
    if (!current.get().valid()) {
      return Step.REPLACE_INVALID;
    }
    return current.get().parameters().equals(desired) ? Step.NOTHING : Step.BUILD_REPLACEMENT;
  }

  /**
   * The step a reconcile takes for an index with {@code rebuildIn: MaintenanceWindow}: while a valid index serves,
   * everything beyond it (a parameter rebuild, a swap, dropping what a window left) is the window's work, so a
   * reconcile never races the window's task; a missing or invalid index is still built at once.
   */
  public static Step decideOutsideWindow(HnswParameters desired, Optional<Observed> current, Optional<Observed> replacement,
      Optional<Observed> retired) {
    Step step = decide(desired, current, replacement, retired);
    boolean serving = current.isPresent() && current.get().valid();
    return serving && step != Step.NOTHING ? Step.AWAIT_WINDOW : step;
  }

  /** The state shown in status for what the catalog shows while no job runs. */
  public static String state(Optional<Observed> current) {
    if (current.isEmpty()) {
      return VectorIndexState.ABSENT;
    }
    return current.get().valid() ? VectorIndexState.READY : VectorIndexState.INVALID;
  }

  /** Where a replacement is built; PostgreSQL names are at most 63 bytes, so a long name is shortened. */
  public static String replacementName(String name) {
    return withSuffix(name, "_new");
  }

  /** What the replaced index is renamed to during a swap, until it is dropped. */
  public static String retiredName(String name) {
    return withSuffix(name, "_old");
  }

  private static String withSuffix(String name, String suffix) {
    int keep = Math.min(name.length(), 63 - suffix.length());
    return name.substring(0, keep) + suffix;
  }
}
