package dev.databaseunit.operator.maintenance;

import dev.databaseunit.operator.api.v1alpha1.BackupPolicy;
import dev.databaseunit.operator.api.v1alpha1.DatabaseUnit;
import dev.databaseunit.operator.api.v1alpha1.MaintenanceWindow;
import dev.databaseunit.operator.api.v1alpha1.MaintenanceWindowSpec.Task;
import dev.databaseunit.operator.api.v1alpha1.MaintenanceWindowStatus.Run;
import dev.databaseunit.operator.common.CachedObjects;
import dev.databaseunit.operator.events.EventReason;
import dev.databaseunit.operator.events.EventRecorder;
import dev.databaseunit.operator.postgres.DatabaseFailures;
import dev.databaseunit.operator.postgres.PostgresTarget;
import dev.databaseunit.operator.postgres.PostgresTargets;
import dev.databaseunit.operator.postgres.UnitDataSources;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One maintenance run of one unit, on a worker thread: {@link Prechecks}, drain, tasks with rollback ({@link TaskRunner}),
 * RESUME ({@link DrainStep}), post-checks, report. Each phase is written to status before its step starts
 * ({@link RunRecord}; PAUSE is sent only after "Draining" is stored), and RESUME is sent in a finally path whenever
 * PAUSE was. {@link #recover} finishes a run that a stopped operator left.
 */
final class MaintenanceRun {
  private static final Logger log = LoggerFactory.getLogger(MaintenanceRun.class);

  /** What every run shares. */
  record Services(KubernetesClient client, WindowStatusStore store, EventRecorder events, UnitLease lease,
      MaintenanceMetrics metrics, Clock clock, UnitDataSources dataSources, DrainPoints drainPoints,
      Map<Task, MaintenanceTask> tasks, PostgresTargets.SecretLookup secrets, CachedObjects<BackupPolicy> policies) {}

  private final Services services;
  private final DatabaseUnit unit;
  private final AtomicBoolean leaseLost = new AtomicBoolean();
  private final long startedNanos = System.nanoTime();
  private final RunRecord record;
  private final TaskRunner tasks;

  MaintenanceRun(Services services, MaintenanceWindow window, DatabaseUnit unit, Run run, RunPhase phase) {
    this.services = services;
    this.unit = unit;
    this.record = new RunRecord(services, window, run, phase);
    this.tasks = new TaskRunner(services, record, leaseLost::get);
  }

  String unitName() {
    return record.run().unit();
  }

  void leaseLost() {
    leaseLost.set(true);
  }

  // ----- a fresh run -----

  void execute() {
    RunFailure failure = null;
    UnitAccess access = null;
    boolean pauseSent = false;
    boolean resumed = false;
    var pauses = new DrainStep(services, record);
    try {
      if (record.phase() == RunPhase.Pending) {
        record.moveTo(RunPhase.Prechecks);
        record.event(EventRecorder.Type.Normal, EventReason.MaintenanceStarted,
            "Run " + record.run().id() + " of unit " + record.run().unit() + " started");
      }
      access = UnitAccess.resolve(services.client(), services.secrets(), unit, services.dataSources(), services.drainPoints());
      new Prechecks(services, record, unit, leaseLost::get).check(access);

      record.moveTo(RunPhase.Draining);
      pauseSent = true;
      pauses.drain(access);
      failure = tasks.runAll(access);
    } catch (RunFailure f) {
      failure = f;
    } catch (InterruptedException e) {
      Run run = record.run();
      if (record.phase() == RunPhase.Prechecks && run.backupRequest() != null) {
        // Nothing is paused yet: the run stays in status, waiting for its backup, for the next operator to continue
        // (released first: an interrupted thread cannot reach the API server).
        log.info("Run {} of {} stops waiting for backup request {}; the next operator continues it", run.id(), run.unit(),
            run.backupRequest().token());
        record.releaseLease();
        Thread.currentThread().interrupt();
        return;
      }
      Thread.currentThread().interrupt();
      failure = new RunFailure(EventReason.MaintenanceFailed, "interrupted: the operator is stopping");
    } catch (Exception e) {
      log.warn("Maintenance run {} of {} failed", record.run().id(), record.run().unit(), e);
      failure = new RunFailure(EventReason.MaintenanceFailed, RunFailure.describe(e, access), e);
    } finally {
      if (pauseSent) {
        // Whatever happened above, traffic flows again before anything else is done.
        boolean interrupted = Thread.interrupted();
        resumed = pauses.resume(access);
        if (interrupted) {
          Thread.currentThread().interrupt();
        }
      }
    }
    if (pauseSent && !resumed) {
      return; // RESUME did not go through: the run stays in status (phase Resuming) for the reconciler to retry.
    }
    finish(access, failure, pauseSent);
  }

  // ----- a run a stopped operator left behind -----

  /** Finishes a run found in status with no live holder: RESUME first when it may be paused, then roll back. */
  void recover() {
    RunPhase found = record.phase();
    Run run = record.run();
    if (found == RunPhase.Prechecks && run.backupRequest() != null) {
      // Nothing was paused: the run goes on waiting for the backup it asked for, without asking again.
      record.event(EventRecorder.Type.Normal, EventReason.MaintenanceRecovered, "Found run " + run.id() + " of unit " + run.unit()
          + " waiting for backup request " + run.backupRequest().token() + " by " + run.holder() + "; waiting on");
      record.set(run.withHolder(services.lease().identity()));
      execute();
      return;
    }
    var recovery = RunPlan.recovery(found);
    record.event(EventRecorder.Type.Warning, EventReason.MaintenanceRecovered, "Found run " + run.id() + " of unit " + run.unit()
        + " left in phase " + found + " by " + run.holder() + "; " + (recovery.resumeFirst() ? "resuming PgBouncer first" : "ending it"));
    UnitAccess access = null;
    RunFailure failure = new RunFailure(EventReason.MaintenanceFailed, "interrupted by an operator restart in phase " + found);
    try {
      access = UnitAccess.resolve(services.client(), services.secrets(), unit, services.dataSources(), services.drainPoints());
    } catch (RunFailure f) {
      failure = new RunFailure(EventReason.MaintenanceFailed, failure.getMessage() + "; " + f.getMessage());
    }
    record.set(run.withHolder(services.lease().identity()));
    if (recovery.resumeFirst()) {
      record.assume(RunPhase.Resuming);
      if (!new DrainStep(services, record).resume(access)) {
        return;
      }
    }
    boolean allSucceeded = tasks.allSucceeded();
    if (recovery.rollBack() && access != null) {
      failure = tasks.rollBackAfterRestart(access, failure);
      allSucceeded = false;
    }
    boolean completedRun = (found == RunPhase.Resuming || found == RunPhase.PostChecks) && allSucceeded;
    if (recovery.postChecks()) {
      record.assume(RunPhase.Resuming);
    }
    finish(access, completedRun ? null : failure, recovery.postChecks());
  }

  // ----- the end of every run -----

  private void finish(UnitAccess access, RunFailure failure, boolean postChecks) {
    if (postChecks && access != null) {
      record.moveTo(RunPhase.PostChecks);
      Optional<String> problem = postCheck(access);
      if (problem.isPresent() && failure == null) {
        failure = new RunFailure(EventReason.MaintenanceFailed, "post-check failed: " + problem.get());
      }
    }
    Run ended = record.end(failure);
    Duration took = Duration.ofNanos(System.nanoTime() - startedNanos);
    services.metrics().runEnded(record.namespace(), ended.unit(), ended.outcome(), took);
    if (failure == null) {
      record.event(EventRecorder.Type.Normal, EventReason.MaintenanceSucceeded, summary(ended, took));
    } else {
      record.event(EventRecorder.Type.Warning, EventReason.MaintenanceFailed, summary(ended, took) + ": " + failure.getMessage());
    }
    record.releaseLease();
  }

  /** Health after RESUME: the database answers directly and a canary query passes through PgBouncer. */
  private Optional<String> postCheck(UnitAccess access) {
    try {
      if (access.drainPoint().isPaused(access.target().database())) {
        return Optional.of("PgBouncer still reports " + access.target().database() + " as paused");
      }
    } catch (Exception e) {
      return Optional.of("PgBouncer console: " + e.getMessage());
    }
    for (PostgresTarget target : List.of(access.target(), access.pooler())) {
      var props = target.jdbcProperties(services.dataSources().caFiles());
      // PgBouncer in transaction mode: no server-side prepared statements.
      props.setProperty("prepareThreshold", "0");
      try (Connection c = DriverManager.getConnection(target.jdbcUrl(), props); var s = c.createStatement(); var rs = s.executeQuery("SELECT 1")) {
        rs.next();
      } catch (java.sql.SQLException e) {
        return Optional.of("canary query at " + target.host() + ":" + target.port() + ": "
            + DatabaseFailures.redact(e.getMessage(), target.password()));
      }
    }
    return Optional.empty();
  }

  private static String summary(Run ended, Duration took) {
    String tasks = ended.tasks() == null ? "none" : ended.tasks().stream()
        .map(t -> t.task() + " " + t.state() + (t.durationSeconds() != null ? " " + t.durationSeconds() + " s" : ""))
        .collect(Collectors.joining(", "));
    return "Run " + ended.id() + " of unit " + ended.unit() + " " + ended.outcome() + " in " + took.toMillis() / 1000.0 + " s; drain "
        + (ended.drainSeconds() != null ? ended.drainSeconds() + " s, " + ended.connectionsForceClosed() + " closed" : "not reached")
        + "; tasks: " + tasks;
  }
}
