package dev.databaseunit.operator.gdpr;

import dev.databaseunit.operator.api.v1alpha1.ApiDurations;
import dev.databaseunit.operator.api.v1alpha1.GdprRequestSpec;
import dev.databaseunit.operator.api.v1alpha1.GdprRequestStatus;
import dev.databaseunit.operator.common.UnitProblem;
import dev.databaseunit.operator.events.EventReason;
import dev.databaseunit.operator.events.EventRecorder;
import dev.databaseunit.operator.status.Conditions;
import io.fabric8.kubernetes.api.model.Condition;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * How a GdprRequest's status moves: started, completed from a job's outcome, degraded by a problem, its export expired.
 * Pure: the time and the generation are values, and the result says which Event to record and when to look again; the
 * reconciler does the I/O.
 */
final class GdprReducer {
  /** An export is deleted this long after it was written unless the request says otherwise. */
  static final String DEFAULT_EXPORT_TTL = "7d";

  private GdprReducer() {}

  record Notice(EventRecorder.Type type, EventReason reason, String message) {}

  /**
   * @param event the Event to record, if any
   * @param recheck when the request needs another look (an export's expiry), if ever
   * @param erasedRows rows an erasure deleted (0 for anything else), for the metric
   */
  record Reduction(GdprRequestStatus status, Optional<Notice> event, Optional<Duration> recheck, long erasedRows) {
    /** The reason a completed request reports, for the metric of requests by outcome. */
    EventReason reason() {
      return event.orElseThrow().reason();
    }
  }

  static GdprRequestStatus initial() {
    return new GdprRequestStatus(null, List.of(), GdprPhase.Pending.name(), null, null, null, null, null);
  }

  /** The job was submitted: Running, Progressing. */
  static GdprRequestStatus running(GdprRequestSpec spec, GdprRequestStatus status, long generation, Instant now) {
    var conditions = Conditions.merge(status.conditions(), List.of(
        new Conditions.Desired(Conditions.PROGRESSING, true, "Running", spec.type() + " in progress")), generation, now);
    return new GdprRequestStatus(generation, conditions, GdprPhase.Running.name(),
        status.startTime() != null ? status.startTime() : timestamp(now), null, status.subjectHash(), null, null);
  }

  /** A job that erased or exported: Completed, Ready, with its result and a Normal Event. */
  static Reduction completed(GdprRequestSpec spec, String uid, GdprRequestStatus status, GdprOutcome outcome, long generation,
      Instant now) {
    EventReason reason;
    String message;
    GdprRequestStatus.ExportResult export = null;
    GdprRequestStatus.ErasureResult erasure = null;
    String hash;
    Duration recheck = null;
    long erasedRows = 0;
    switch (outcome) {
      case GdprOutcome.Erased erased -> {
        var e = erased.erasure();
        hash = e.subjectHash();
        long rows = SubjectEraser.total(e.counts());
        erasure = new GdprRequestStatus.ErasureResult(e.counts(), e.dryRun(), erased.cacheKeysInvalidated(),
            e.subjectFound() && !e.dryRun() ? uid : null);
        if (!e.subjectFound()) {
          reason = EventReason.SubjectNotFound;
          message = e.subjectIdFits() ? "No subject table holds a row of this subject; nothing was " + (e.dryRun() ? "counted" : "erased")
              : "The subject id is not a value of the subject columns' type, so no row can hold it; nothing was erased";
        } else if (e.dryRun()) {
          reason = EventReason.ErasureDryRunCompleted;
          message = "Dry run: an erasure would delete " + rows + " rows in " + nonZero(e.counts()) + " tables";
        } else {
          reason = EventReason.ErasureCompleted;
          message = "Erased " + rows + " rows in " + nonZero(e.counts()) + " tables in one transaction; "
              + erased.cacheKeysInvalidated() + " cache keys removed";
          erasedRows = rows;
        }
      }
      case GdprOutcome.Exported exported -> {
        var x = exported.export();
        hash = x.subjectHash();
        Instant expiresAt = now.plus(ApiDurations.parse(spec.exportTtl() != null ? spec.exportTtl() : DEFAULT_EXPORT_TTL))
            .truncatedTo(ChronoUnit.SECONDS);
        export = new GdprRequestStatus.ExportResult(x.location(), x.sha256(), x.sizeBytes(), x.rowCounts(), expiresAt.toString(), false);
        recheck = Duration.between(now, expiresAt);
        long rows = SubjectEraser.total(x.rowCounts());
        reason = rows == 0 ? EventReason.SubjectNotFound : EventReason.ExportCompleted;
        message = rows == 0 ? "No subject table holds a row of this subject; the export is empty"
            : "Exported " + rows + " rows (" + x.sizeBytes() + " bytes, sha256 " + x.sha256() + ") to " + x.location()
                + "; deleted at " + expiresAt;
      }
      case GdprOutcome.Failed failed -> throw new IllegalArgumentException("a failure does not complete a request", failed.problem());
    }
    var conditions = Conditions.merge(status.conditions(), List.of(
        new Conditions.Desired(Conditions.READY, true, reason.name(), message),
        new Conditions.Desired(Conditions.PROGRESSING, false, GdprPhase.Completed.name(), "Nothing in progress"),
        notDegraded()), generation, now);
    var next = new GdprRequestStatus(generation, conditions, GdprPhase.Completed.name(),
        status.startTime() != null ? status.startTime() : timestamp(now), timestamp(now), hash, export, erasure);
    return new Reduction(next, Optional.of(new Notice(EventRecorder.Type.Normal, reason, message)), Optional.ofNullable(recheck),
        erasedRows);
  }

  /**
   * A problem: Degraded with its reason (and, before completion, not Ready and not progressing) in the same phase; a
   * Warning Event only when the reason is new, so retries do not repeat it.
   */
  static Reduction degraded(GdprRequestStatus status, UnitProblem problem, long generation, Instant now) {
    Condition before = Conditions.find(status.conditions(), Conditions.DEGRADED);
    boolean fresh = before == null || !"True".equals(before.getStatus()) || !problem.reason().name().equals(before.getReason());
    List<Conditions.Desired> desired = new ArrayList<>();
    desired.add(new Conditions.Desired(Conditions.DEGRADED, true, problem.reason().name(), problem.getMessage()));
    if (GdprPhase.of(status.phase()) != GdprPhase.Completed) {
      desired.add(new Conditions.Desired(Conditions.READY, false, problem.reason().name(), problem.getMessage()));
      desired.add(new Conditions.Desired(Conditions.PROGRESSING, false, "Retrying", "Retried with backoff"));
    }
    var conditions = Conditions.merge(status.conditions(), desired, generation, now);
    var next = new GdprRequestStatus(generation, conditions, GdprPhase.of(status.phase()).name(),
        status.startTime(), status.completionTime(), status.subjectHash(), status.export(), status.erasure());
    return new Reduction(next, fresh ? Optional.of(new Notice(EventRecorder.Type.Warning, problem.reason(), problem.getMessage()))
        : Optional.empty(), Optional.empty(), 0);
  }

  /** A completed export whose expiry has not come: when to look again; empty when there is nothing left to expire. */
  static Optional<Duration> untilExpiry(GdprRequestStatus status, Instant now) {
    var export = status.export();
    if (export == null || Boolean.TRUE.equals(export.expired()) || export.expiresAt() == null) {
      return Optional.empty();
    }
    return Optional.of(Duration.between(now, Instant.parse(export.expiresAt())));
  }

  /** The export was deleted at its expiry: marked expired, no longer Degraded. */
  static Reduction expired(GdprRequestStatus status, long generation, Instant now) {
    var export = status.export();
    String message = "Export " + export.location() + " deleted at its expiry " + export.expiresAt();
    var conditions = Conditions.merge(status.conditions(), List.of(notDegraded()), generation, now);
    var marked = new GdprRequestStatus.ExportResult(export.location(), export.sha256(), export.sizeBytes(), export.rowCounts(),
        export.expiresAt(), true);
    var next = new GdprRequestStatus(generation, conditions, status.phase(), status.startTime(), status.completionTime(),
        status.subjectHash(), marked, status.erasure());
    return new Reduction(next, Optional.of(new Notice(EventRecorder.Type.Normal, EventReason.ExportExpired, message)),
        Optional.empty(), 0);
  }

  private static Conditions.Desired notDegraded() {
    return new Conditions.Desired(Conditions.DEGRADED, false, "AsExpected", "No problems found");
  }

  private static long nonZero(Map<String, Long> counts) {
    return counts.values().stream().filter(n -> n > 0).count();
  }

  private static String timestamp(Instant t) {
    return t.truncatedTo(ChronoUnit.SECONDS).toString();
  }
}
