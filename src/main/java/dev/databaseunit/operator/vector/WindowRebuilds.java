package dev.databaseunit.operator.vector;

import dev.databaseunit.operator.api.v1alpha1.ApplyIn;
import dev.databaseunit.operator.api.v1alpha1.VectorIndexSpec;
import dev.databaseunit.operator.common.UnitProblem;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Parameter rebuilds of the indexes declared with {@code rebuildIn: MaintenanceWindow}, for a maintenance
 * window's OptimizeIndexes task: the capability's {@link IndexPlan} steps and {@link IndexDdl} statements, taken
 * one after another on the task's connection instead of as background jobs. The connection must be in
 * autocommit mode (CREATE/DROP INDEX CONCURRENTLY).
 */
public final class WindowRebuilds {
  /** More steps than any path through the plan takes (drop leftovers, build, swap); guards the loop. */
  private static final int MAX_STEPS = 6;

  private WindowRebuilds() {}

  /** The entries whose parameter rebuilds wait for a window. */
  public static List<VectorIndexSpec> deferredTo(List<VectorIndexSpec> specs) {
    return specs == null ? List.of() : specs.stream().filter(s -> s.rebuildIn() == ApplyIn.MaintenanceWindow).toList();
  }

  /**
   * Brings the index to its declared parameters: a replacement is built concurrently while the old index serves
   * and swapped in; leftovers of an earlier attempt are dropped first.
   *
   * @return the steps taken; empty when the index already matched
   * @throws UnitProblem when the entry does not fit the table (the capability reports the same problem)
   */
  public static Optional<String> rebuild(Connection connection, VectorIndexSpec spec) throws SQLException, UnitProblem {
    VectorTable table = VectorCatalog.validate(connection, spec);
    HnswParameters desired = HnswParameters.of(spec);
    String name = spec.name();
    List<String> steps = new ArrayList<>();
    for (int i = 0; i < MAX_STEPS; i++) {
      Optional<IndexPlan.Observed> current = VectorCatalog.index(connection, table, name);
      IndexPlan.Step step = IndexPlan.decide(desired, current, VectorCatalog.index(connection, table, IndexPlan.replacementName(name)),
          VectorCatalog.index(connection, table, IndexPlan.retiredName(name)));
      if (step == IndexPlan.Step.NOTHING) {
        return steps.isEmpty() ? Optional.empty()
            : Optional.of(name + " (HNSW m=" + desired.m() + " ef_construction=" + desired.efConstruction() + ": "
                + String.join(", ", steps) + ")");
      }
      IndexDdl.apply(step, connection, table, name, desired, current.isPresent());
      steps.add(step.name().toLowerCase(Locale.ROOT).replace('_', ' '));
    }
    throw new IllegalStateException("vector index " + name + " did not reach its parameters in " + MAX_STEPS + " steps: " + steps);
  }

  /**
   * Rolls a rebuild back from what the catalog shows: a replaced index still there is swapped back in, an
   * unfinished replacement is dropped. Idempotent.
   *
   * @return what was undone; empty when there was nothing left to undo
   */
  public static Optional<String> swapBack(Connection connection, VectorIndexSpec spec) throws SQLException, UnitProblem {
    VectorTable table = VectorCatalog.validate(connection, spec);
    String name = spec.name();
    boolean current = VectorCatalog.index(connection, table, name).isPresent();
    boolean replacement = VectorCatalog.index(connection, table, IndexPlan.replacementName(name)).isPresent();
    boolean retired = VectorCatalog.index(connection, table, IndexPlan.retiredName(name)).isPresent();
    if (!replacement && !retired) {
      return Optional.empty();
    }
    IndexDdl.swapBack(connection, table, name, current, retired);
    return Optional.of(retired ? name + ": swapped the previous index back" : name + ": dropped the unfinished replacement");
  }
}
