package dev.databaseunit.operator.maintenance;

import dev.databaseunit.operator.api.v1alpha1.MaintenanceWindow;
import dev.databaseunit.operator.api.v1alpha1.MaintenanceWindowSpec;
import dev.databaseunit.operator.api.v1alpha1.MaintenanceWindowStatus;
import dev.databaseunit.operator.api.v1alpha1.MaintenanceWindowStatus.Run;
import dev.databaseunit.operator.api.v1alpha1.MaintenanceWindowStatus.SkipReason;
import dev.databaseunit.operator.events.EventReason;
import dev.databaseunit.operator.events.EventRecorder;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A run as the window's status holds it: the run record and its phase. Each phase is written before the step it names
 * starts ({@link #moveTo}), so an operator killed at any point leaves in {@code currentRun} what the next one needs to
 * resume or roll back; the end moves the run to {@code lastRun} ({@link #end}).
 */
final class RunRecord {
  private static final Logger log = LoggerFactory.getLogger(RunRecord.class);
  private final MaintenanceRun.Services services;
  private final MaintenanceWindow window;
  private Run run;
  private RunPhase phase;

  RunRecord(MaintenanceRun.Services services, MaintenanceWindow window, Run run, RunPhase phase) {
    this.services = services;
    this.window = window;
    this.run = run;
    this.phase = phase;
  }

  Run run() {
    return run;
  }

  RunPhase phase() {
    return phase;
  }

  /** Changes the run in memory; the next phase write or the end stores it. */
  void set(Run changed) {
    run = changed;
  }

  /** Takes a phase without writing it: its write failed, or a recovery goes on from a phase it decides. */
  void assume(RunPhase next) {
    phase = next;
  }

  /** Writes the phase (and the run as it stands) to status before the step it names. */
  void moveTo(RunPhase next) {
    if (phase != next && !phase.canMoveTo(next)) {
      throw new IllegalStateException("run " + run.id() + " cannot move from " + phase + " to " + next);
    }
    Run snapshot = run.withHolder(services.lease().identity());
    long generation = window.getMetadata().getGeneration();
    Instant now = services.clock().instant();
    services.store().update(namespace(), window.getMetadata().getName(), status -> WindowConditions.running(
        status.withPhase(next.name()).withCurrentRun(snapshot), generation, now, "Run " + snapshot.id() + " of " + snapshot.unit() + ": " + next));
    phase = next;
  }

  /**
   * Ends the run: its outcome (a pure function of the typed failure) goes to {@code lastRun}, the unit joins the
   * window's done units, and the conditions say how it went. Returns the ended run.
   */
  Run end(RunFailure failure) {
    boolean leftForLater = run.tasks() != null && run.tasks().stream().anyMatch(t -> t.skipReason() == SkipReason.WindowEnds);
    String outcome = RunOutcome.of(failure != null ? failure.reason() : null, failure != null && failure.rollbackFailed(), leftForLater).name();
    Instant now = services.clock().instant();
    Run ended = run.withEnd(timestamp(now), outcome, failure != null ? failure.getMessage() : null);
    long generation = window.getMetadata().getGeneration();
    RunPhase last = failure == null ? RunPhase.Succeeded : RunPhase.Failed;
    services.store().update(namespace(), window.getMetadata().getName(), status -> {
      List<String> done = new ArrayList<>();
      if (status.lastRun() != null && Objects.equals(status.lastRun().windowStart(), ended.windowStart())
          && Objects.equals(status.lastRun().generation(), ended.generation()) && status.windowUnitsDone() != null) {
        done.addAll(status.windowUnitsDone());
      }
      if (!done.contains(ended.unit())) {
        done.add(ended.unit());
      }
      MaintenanceWindowStatus next = status.withPhase(last.name()).withCurrentRun(null).withLastRun(ended).withWindowUnitsDone(done);
      return failure == null
          ? WindowConditions.healthy(next, generation, now, "Run" + outcome, "Last run " + ended.id() + ": " + outcome)
          : WindowConditions.degraded(next, generation, now, failure.reason().name(), failure.getMessage());
    });
    phase = last;
    return ended;
  }

  void releaseLease() {
    try {
      services.lease().release(namespace(), run.unit());
    } catch (RuntimeException e) {
      // The run is over or left in status; an unreleased Lease only makes the next run wait for it to expire.
      log.warn("Could not release the maintenance Lease of {}: {}", run.unit(), e.toString());
    }
  }

  void event(EventRecorder.Type type, EventReason reason, String message) {
    services.events().record(window, type, reason, message);
  }

  MaintenanceWindow window() {
    return window;
  }

  MaintenanceWindowSpec spec() {
    return window.getSpec();
  }

  String namespace() {
    return window.getMetadata().getNamespace();
  }

  static String timestamp(Instant t) {
    return t.truncatedTo(ChronoUnit.SECONDS).toString();
  }
}
