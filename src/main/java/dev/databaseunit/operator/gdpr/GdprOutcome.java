package dev.databaseunit.operator.gdpr;

import dev.databaseunit.operator.common.Jobs;
import dev.databaseunit.operator.common.UnitProblem;
import dev.databaseunit.operator.events.EventReason;

/** How a GdprRequest's job ended: exactly one of these, so no field is read that the other kinds leave empty. */
sealed interface GdprOutcome {
  /** An erasure (or its dry run) committed; {@code cacheKeysInvalidated} keys of the subject were removed from Redis. */
  record Erased(GdprService.Erasure erasure, long cacheKeysInvalidated) implements GdprOutcome {}

  record Exported(GdprService.Export export) implements GdprOutcome {}

  /** Nothing changed (or, for a cache failure, the erasure stands); retried with backoff. */
  record Failed(UnitProblem problem) implements GdprOutcome {}

  /** The outcome of a job as {@link Jobs} reports it: a job that threw or was cancelled is a problem too. */
  static GdprOutcome of(Jobs.Result<GdprOutcome> ended) {
    return switch (ended) {
      case Jobs.Result.Done<GdprOutcome> done -> done.value();
      case Jobs.Result.Failed<GdprOutcome> failed ->
          new Failed(new UnitProblem(EventReason.InternalError, "GdprRequest job failed: " + failed.error(), failed.error()));
      case Jobs.Result.Cancelled<GdprOutcome> cancelled -> new Failed(new UnitProblem(EventReason.GdprRequestRetrying, "interrupted"));
    };
  }
}
