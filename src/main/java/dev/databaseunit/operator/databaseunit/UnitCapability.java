package dev.databaseunit.operator.databaseunit;

import dev.databaseunit.operator.common.UnitProblem;
import dev.databaseunit.operator.api.v1alpha1.DatabaseUnitStatus;
import java.time.Duration;
import java.util.Optional;

/**
 * One aspect of a DatabaseUnit (managed PostgreSQL, bootstrap, migrations, vector indexes, pooler, cache, connection
 * Secret, database metrics) that the DatabaseUnit reconciler
 * brings to its spec, in the order the operator registers them. Each capability owns its own part of the
 * status and returns the status with that part updated; it must be idempotent, because it runs on every
 * reconcile, and must not block for long (a long job records its phase and asks to be checked again).
 */
public interface UnitCapability {

  /** Short name for logs, e.g. "migrations". */
  String name();

  /** Whether the capability talks to the unit's database: if it is unreachable, such capabilities are skipped. */
  default boolean needsDatabase() {
    return true;
  }

  /**
   * Whether the capability must run before the operator connects to the database (it provides the database,
   * as the managed instance does). Such capabilities see no target or data source; while one of them is
   * progressing or has a problem, the database and everything after it wait.
   */
  default boolean providesDatabase() {
    return false;
  }

  Outcome reconcile(UnitContext context, DatabaseUnitStatus status);

  /** Releases what the capability holds for a unit that was deleted (pools, loops, listeners). */
  default void unitDeleted(String unitKey) {}

  /**
   * @param status the status with this capability's part updated
   * @param problem what keeps the capability from its spec (Degraded), if anything
   * @param progressing what it is still working on (Progressing), if anything
   * @param recheckAfter when it wants to be reconciled again (a build to poll, a schedule to honour)
   */
  record Outcome(DatabaseUnitStatus status, Optional<UnitProblem> problem, Optional<String> progressing,
      Optional<Duration> recheckAfter) {

    public static Outcome done(DatabaseUnitStatus status) {
      return new Outcome(status, Optional.empty(), Optional.empty(), Optional.empty());
    }

    public static Outcome degraded(DatabaseUnitStatus status, UnitProblem problem) {
      return new Outcome(status, Optional.of(problem), Optional.empty(), Optional.empty());
    }

    public static Outcome progressing(DatabaseUnitStatus status, String what, Duration recheckAfter) {
      return new Outcome(status, Optional.empty(), Optional.of(what), Optional.of(recheckAfter));
    }

    public Outcome recheckAfter(Duration after) {
      return new Outcome(status, problem, progressing, Optional.of(after));
    }
  }
}
