package dev.databaseunit.operator.maintenance;

import dev.databaseunit.operator.api.v1alpha1.ApiDurations;
import dev.databaseunit.operator.api.v1alpha1.BackupPolicy;
import dev.databaseunit.operator.api.v1alpha1.DatabaseUnit;
import dev.databaseunit.operator.api.v1alpha1.MaintenanceWindow;
import dev.databaseunit.operator.api.v1alpha1.MaintenanceWindowSpec;
import dev.databaseunit.operator.api.v1alpha1.MaintenanceWindowSpec.Task;
import dev.databaseunit.operator.api.v1alpha1.MaintenanceWindowStatus;
import dev.databaseunit.operator.api.v1alpha1.BackupPolicyStatus.OnDemandRequest;
import dev.databaseunit.operator.api.v1alpha1.MaintenanceWindowStatus.BackupRequest;
import dev.databaseunit.operator.api.v1alpha1.MaintenanceWindowStatus.Run;
import dev.databaseunit.operator.backup.OnDemand;
import dev.databaseunit.operator.common.Backoff;
import dev.databaseunit.operator.api.v1alpha1.MaintenanceWindowStatus.SkipReason;
import dev.databaseunit.operator.api.v1alpha1.MaintenanceWindowStatus.TaskResult;
import dev.databaseunit.operator.events.EventReason;
import dev.databaseunit.operator.events.EventRecorder;
import dev.databaseunit.operator.postgres.DatabaseFailures;
import dev.databaseunit.operator.postgres.PostgresTarget;
import dev.databaseunit.operator.postgres.UnitDataSources;
import dev.databaseunit.operator.status.Conditions;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One maintenance run of one unit, on a worker thread: prechecks, drain, tasks with rollback, RESUME, post-checks,
 * report. Each phase is written to status before its step starts (PAUSE is sent only after "Draining" is stored), and
 * RESUME is sent in a finally path whenever PAUSE was. {@link #recover} finishes a run that a stopped operator left.
 */
final class MaintenanceRun {
  private static final Logger log = LoggerFactory.getLogger(MaintenanceRun.class);
  /** RESUME is retried every second for ten tries; after that the reconciler's recovery takes over. */
  static final Backoff RESUME = Backoff.fixed(Duration.ofSeconds(1), 10);
  /** How often a run waiting for a requested backup looks at the BackupPolicy. */
  static final Duration BACKUP_POLL = Duration.ofSeconds(1);

  /** What every run shares. */
  record Services(KubernetesClient client, WindowStatusStore store, EventRecorder events, UnitLease lease,
      MaintenanceMetrics metrics, Clock clock, UnitDataSources dataSources, DrainPoints drainPoints,
      Map<Task, MaintenanceTask> tasks) {}

  private final Services services;
  private final MaintenanceWindow window;
  private final DatabaseUnit unit;
  private final AtomicBoolean leaseLost = new AtomicBoolean();
  private final long startedNanos = System.nanoTime();
  private RunPhase phase;
  private Run run;

  MaintenanceRun(Services services, MaintenanceWindow window, DatabaseUnit unit, Run run, RunPhase phase) {
    this.services = services;
    this.window = window;
    this.unit = unit;
    this.run = run;
    this.phase = phase;
  }

  String unitName() {
    return run.unit();
  }

  void leaseLost() {
    leaseLost.set(true);
  }

  private MaintenanceWindowSpec spec() {
    return window.getSpec();
  }

  // ----- a fresh run -----

  void execute() {
    RunFailure failure = null;
    UnitAccess access = null;
    boolean pauseSent = false;
    boolean resumed = false;
    DrainPoint.PendingPause pause = null;
    try {
      if (phase == RunPhase.Pending) {
        moveTo(RunPhase.Prechecks);
        event(EventRecorder.Type.Normal, EventReason.MaintenanceStarted, "Run " + run.id() + " of unit " + run.unit() + " started");
      }
      access = UnitAccess.resolve(services.client(), unit, services.dataSources(), services.drainPoints());
      precheck(access);

      moveTo(RunPhase.Draining);
      pauseSent = true;
      var drained = new Drainer(access.drainPoint()).drain(access.target().database(), access.direct(),
          ApiDurations.parse(spec().drainTimeout()), spec().onDrainTimeout());
      pause = drained.pause();
      run = run.withDrain(drained.seconds(), drained.forceClosed());
      services.metrics().drained(namespace(), run.unit(), drained.seconds(), drained.forceClosed());
      switch (drained.outcome()) {
        case DRAINED -> event(EventRecorder.Type.Normal, EventReason.MaintenanceDrained,
            "PgBouncer paused " + access.target().database() + "; in-flight transactions finished in " + drained.seconds() + " s ("
                + drained.mostClientsQueued() + " clients queued at most)");
        case FORCE_CLOSED -> event(EventRecorder.Type.Warning, EventReason.MaintenanceConnectionsKilled,
            "Drain timed out after " + spec().drainTimeout() + ": terminated " + drained.forceClosed() + " backends still in a transaction");
        case ABORTED -> {
          String why = "transactions were still running after the drain timeout of " + spec().drainTimeout()
              + " (onDrainTimeout: abort): no task was run";
          event(EventRecorder.Type.Warning, EventReason.MaintenanceDrainTimedOut, why + "; resuming");
          throw new RunFailure(EventReason.MaintenanceDrainTimedOut, why);
        }
      }
      failure = runTasks(access);
    } catch (RunFailure f) {
      failure = f;
    } catch (InterruptedException e) {
      if (phase == RunPhase.Prechecks && run.backupRequest() != null) {
        // Nothing is paused yet: the run stays in status, waiting for its backup, for the next operator to continue
        // (released first: an interrupted thread cannot reach the API server).
        log.info("Run {} of {} stops waiting for backup request {}; the next operator continues it", run.id(), run.unit(),
            run.backupRequest().token());
        releaseLease();
        Thread.currentThread().interrupt();
        return;
      }
      Thread.currentThread().interrupt();
      failure = new RunFailure(EventReason.MaintenanceFailed, "interrupted: the operator is stopping");
    } catch (Exception e) {
      log.warn("Maintenance run {} of {} failed", run.id(), run.unit(), e);
      failure = new RunFailure(EventReason.MaintenanceFailed, describe(e, access), e);
    } finally {
      if (pauseSent) {
        // Whatever happened above, traffic flows again before anything else is done.
        boolean interrupted = Thread.interrupted();
        resumed = resume(access, pause);
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

  private void precheck(UnitAccess access) throws RunFailure, InterruptedException {
    var prechecks = spec().prechecks();
    if (prechecks == null || !Boolean.FALSE.equals(prechecks.requireReady())) {
      var status = unit.getStatus();
      if (status == null || !Conditions.isTrue(status.conditions(), Conditions.READY)) {
        var ready = status == null ? null : Conditions.find(status.conditions(), Conditions.READY);
        throw new RunFailure(EventReason.MaintenancePrecheckFailed, "unit " + run.unit() + " is not Ready"
            + (ready != null ? " (" + ready.getReason() + ": " + ready.getMessage() + ")" : ""));
      }
    }
    if (prechecks == null || !Boolean.FALSE.equals(prechecks.requireBackup())) {
      String within = prechecks != null && prechecks.requireBackupWithin() != null ? prechecks.requireBackupWithin() : "24h";
      Duration maxAge = ApiDurations.parse(within);
      Optional<Instant> newest = newestBackup();
      boolean recent = newest.isPresent() && !newest.get().isBefore(services.clock().instant().minus(maxAge));
      Optional<BackupPolicy> policy = policiesOfUnit().stream().findFirst();
      boolean take = prechecks == null || !Boolean.FALSE.equals(prechecks.takeBackupIfMissing());
      if (!recent && take && (policy.isPresent() || run.backupRequest() != null)) {
        takeBackup(policy, newest, within);
      } else if (newest.isEmpty()) {
        throw new RunFailure(EventReason.MaintenancePrecheckFailed,
            "no BackupPolicy of unit " + run.unit() + " reports a successful backup; maintenance needs one younger than "
                + within + " (set spec.prechecks.requireBackup: false to run without)");
      } else if (!recent) {
        throw new RunFailure(EventReason.MaintenancePrecheckFailed, "the newest backup of unit " + run.unit() + " ended at "
            + newest.get() + ", older than requireBackupWithin " + within);
      }
    }
    try (Connection c = access.direct().getConnection(); var s = c.createStatement()) {
      s.execute("SELECT 1");
    } catch (java.sql.SQLException e) {
      throw new RunFailure(EventReason.MaintenancePrecheckFailed, DatabaseFailures.classify(access.target(), e).getMessage(), e);
    }
  }

  /**
   * Asks the unit's BackupPolicy for an on-demand backup and waits, in phase Prechecks, until it reports it. The request
   * (token = run id) is stored in the run before the annotation is written, so a restarted operator waits for the same
   * backup instead of asking again. The wait ends when the drain would no longer fit the window.
   */
  private void takeBackup(Optional<BackupPolicy> found, Optional<Instant> newest, String within)
      throws RunFailure, InterruptedException {
    BackupRequest request = run.backupRequest();
    if (request == null) {
      request = new BackupRequest(found.orElseThrow().getMetadata().getName(), run.id(), timestamp(services.clock().instant()));
      run = run.withBackupRequest(request);
      moveTo(RunPhase.Prechecks);
      services.client().resources(BackupPolicy.class).inNamespace(namespace()).withName(request.policy())
          .patch(PatchContext.of(PatchType.JSON_MERGE), services.client().getKubernetesSerialization().asJson(
              Map.of("metadata", Map.of("annotations", Map.of(OnDemand.BACKUP_NOW, request.token())))));
      event(EventRecorder.Type.Normal, EventReason.MaintenanceBackupRequested, "No backup of unit " + run.unit() + " is younger than "
          + within + " (newest: " + newest.map(Instant::toString).orElse("none") + "); asked BackupPolicy " + request.policy()
          + " for one (request " + request.token() + ") and waiting");
    }
    Instant requested = Instant.parse(request.requestedAt());
    Instant deadline = Instant.parse(run.windowEnd()).minus(ApiDurations.parse(spec().drainTimeout()));
    String asked = "the backup requested from BackupPolicy " + request.policy() + " at " + request.requestedAt();
    while (true) {
      if (leaseLost.get()) {
        throw new RunFailure(EventReason.MaintenanceFailed, "lost the unit's maintenance Lease while waiting for " + asked);
      }
      BackupPolicy policy = policyNamed(request.policy());
      if (policy == null) {
        throw new RunFailure(EventReason.MaintenancePrecheckFailed, asked + " will not come: the policy was deleted");
      }
      OnDemandRequest handled = policy.getStatus() != null ? policy.getStatus().lastOnDemandBackup() : null;
      if (handled != null && request.token().equals(handled.token())) {
        if ("Succeeded".equals(handled.outcome())) {
          return;
        }
        throw new RunFailure(EventReason.MaintenancePrecheckFailed, asked + " " + handled.outcome().toLowerCase(java.util.Locale.ROOT)
            + ": " + handled.message());
      }
      if (newestBackup().filter(t -> t.isAfter(requested)).isPresent()) {
        return; // another backup (a scheduled one) finished after the request: just as good
      }
      if (!services.clock().instant().isBefore(deadline)) {
        var degraded = policy.getStatus() != null ? Conditions.find(policy.getStatus().conditions(), Conditions.DEGRADED) : null;
        throw new RunFailure(EventReason.MaintenancePrecheckFailed, asked + " had not finished by " + timestamp(deadline)
            + ", the last moment the drain (drainTimeout " + spec().drainTimeout() + ") still fits the window"
            + (degraded != null && "True".equals(degraded.getStatus()) ? "; the policy is Degraded: " + degraded.getMessage() : ""));
      }
      Thread.sleep(BACKUP_POLL.toMillis());
    }
  }

  /** A stopping operator interrupts the wait inside an API call too: that is an interrupt, not a failure of the run. */
  private BackupPolicy policyNamed(String name) throws InterruptedException {
    try {
      return services.client().resources(BackupPolicy.class).inNamespace(namespace()).withName(name).get();
    } catch (io.fabric8.kubernetes.client.KubernetesClientException e) {
      if (Thread.interrupted()) {
        throw new InterruptedException("stopped while reading BackupPolicy " + name);
      }
      throw e;
    }
  }

  /** The unit's BackupPolicies, by name: the first one is asked for backups. */
  private List<BackupPolicy> policiesOfUnit() {
    return services.client().resources(BackupPolicy.class).inNamespace(namespace()).list().getItems().stream()
        .filter(p -> p.getSpec() != null && run.unit().equals(p.getSpec().databaseUnit()))
        .sorted(java.util.Comparator.comparing(p -> p.getMetadata().getName()))
        .toList();
  }

  /** End time of the newest successful backup any BackupPolicy of the unit reports. */
  private Optional<Instant> newestBackup() {
    return policiesOfUnit().stream()
        .filter(p -> p.getStatus() != null)
        .flatMap(p -> {
          List<String> times = new ArrayList<>();
          if (p.getStatus().lastBackup() != null) {
            times.add(p.getStatus().lastBackup().endTime());
          }
          if (p.getStatus().tiers() != null) {
            p.getStatus().tiers().forEach(t -> times.add(t.lastSuccessTime()));
          }
          return times.stream();
        })
        .filter(Objects::nonNull)
        .map(Instant::parse)
        .max(Instant::compareTo);
  }

  /** Runs the tasks in order; on a failure rolls back and returns why. */
  private RunFailure runTasks(UnitAccess access) {
    List<Task> plan = RunPlan.order(spec().tasks());
    List<TaskResult> results = new ArrayList<>(plan.stream().map(t -> new TaskResult(t, TaskState.Pending.name(), null, null, null, null)).toList());
    Map<Task, Duration> measured = lastMeasured();
    Instant windowEnd = Instant.parse(run.windowEnd());
    List<Task> completed = new ArrayList<>();
    for (int i = 0; i < plan.size(); i++) {
      Task task = plan.get(i);
      if (leaseLost.get()) {
        skipFrom(results, i, SkipReason.LeaseLost, "not run: the unit's maintenance Lease was lost");
        return rollBack(access, results, completed, null, new RunFailure(EventReason.MaintenanceFailed,
            "lost the unit's maintenance Lease before " + task));
      }
      Instant now = services.clock().instant();
      if (!RunPlan.fits(now, windowEnd, RunPlan.estimate(task, measured))) {
        String why = "not started: estimated " + RunPlan.estimate(task, measured).toSeconds() + " s would not finish before the window ends at " + windowEnd;
        skipFrom(results, i, SkipReason.WindowEnds, why);
        event(EventRecorder.Type.Warning, EventReason.MaintenanceTasksSkipped, plan.subList(i, plan.size()) + " " + why);
        run = run.withTasks(List.copyOf(results));
        return null;
      }
      moveTask(results, i, new TaskResult(task, TaskState.Running.name(), timestamp(now), null, null, null));
      run = run.withTasks(List.copyOf(results));
      moveTo(RunPhase.Running);
      long t0 = System.nanoTime();
      try {
        String message = services.tasks().get(task).run(access.taskTarget());
        moveTask(results, i, ended(results.get(i), TaskState.Succeeded, t0, message, null));
        completed.add(task);
      } catch (TaskSkipped e) {
        moveTask(results, i, ended(results.get(i), TaskState.Skipped, t0, e.getMessage(), SkipReason.NotAvailable));
      } catch (Exception e) {
        String error = describe(e, access);
        moveTask(results, i, ended(results.get(i), TaskState.Failed, t0, error, null));
        skipFrom(results, i + 1, SkipReason.EarlierTaskFailed, "not run: " + task + " failed");
        event(EventRecorder.Type.Warning, EventReason.MaintenanceTaskFailed, task + " failed: " + error + "; rolling back");
        return rollBack(access, results, completed, task,
            new RunFailure(EventReason.MaintenanceTaskFailed, "task " + task + " failed: " + error));
      }
      run = run.withTasks(List.copyOf(results));
    }
    run = run.withTasks(List.copyOf(results));
    return null;
  }

  /** Rolls back after {@code failed} (null: no task failed, e.g. a lost lease) and returns the failure to report. */
  private RunFailure rollBack(UnitAccess access, List<TaskResult> results, List<Task> completed, Task failed, RunFailure failure) {
    run = run.withTasks(List.copyOf(results));
    moveTo(RunPhase.RollingBack);
    List<Task> undo = failed != null ? RunPlan.rollback(completed, failed, spec().rollbackPolicy())
        : RunPlan.undoCompleted(completed, spec().rollbackPolicy());
    List<String> rollbackErrors = undoTasks(access, results, undo, failed);
    run = run.withTasks(List.copyOf(results));
    return failure.withRollbackErrors(rollbackErrors);
  }

  private List<String> undoTasks(UnitAccess access, List<TaskResult> results, List<Task> undo, Task failed) {
    List<String> errors = new ArrayList<>();
    for (Task task : undo) {
      int index = indexOf(results, task);
      TaskResult before = results.get(index);
      try {
        String message = services.tasks().get(task).rollback(access.taskTarget());
        moveTask(results, index, task == failed
            ? new TaskResult(task, TaskState.Failed.name(), before.startTime(), before.endTime(), before.durationSeconds(),
                before.message() + "; rollback: " + message)
            : new TaskResult(task, TaskState.RolledBack.name(), before.startTime(), timestamp(services.clock().instant()),
                before.durationSeconds(), message));
      } catch (Exception e) {
        errors.add(task + ": " + describe(e, access));
      }
    }
    return errors;
  }

  /**
   * Sends RESUME until PgBouncer confirms. Gives up after a few tries (returns false) and leaves the run in status in
   * phase Resuming, which the reconciler's recovery retries.
   */
  private boolean resume(UnitAccess access, DrainPoint.PendingPause pause) {
    try {
      moveTo(RunPhase.Resuming);
    } catch (RuntimeException e) {
      log.warn("Could not record phase Resuming of run {}: {}", run.id(), e.toString());
      phase = RunPhase.Resuming;
    }
    if (access == null) {
      return false;
    }
    for (int attempt = 1; ; attempt++) {
      try {
        access.drainPoint().resume(access.target().database());
        if (pause != null) {
          pause.abandon();
        }
        event(EventRecorder.Type.Normal, EventReason.MaintenanceResumed, "PgBouncer resumed " + access.target().database());
        return true;
      } catch (Exception e) {
        log.warn("RESUME {} failed (attempt {} of {}): {}", access.target().database(), attempt, RESUME.attempts(), e.getMessage());
        if (!RESUME.mayRetry(attempt)) {
          return false;
        }
        try {
          Thread.sleep(RESUME.delay(attempt));
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          return false;
        }
      }
    }
  }

  // ----- a run a stopped operator left behind -----

  /** Finishes a run found in status with no live holder: RESUME first when it may be paused, then roll back. */
  void recover() {
    RunPhase found = phase;
    if (found == RunPhase.Prechecks && run.backupRequest() != null) {
      // Nothing was paused: the run goes on waiting for the backup it asked for, without asking again.
      event(EventRecorder.Type.Normal, EventReason.MaintenanceRecovered, "Found run " + run.id() + " of unit " + run.unit()
          + " waiting for backup request " + run.backupRequest().token() + " by " + run.holder() + "; waiting on");
      run = run.withHolder(services.lease().identity());
      execute();
      return;
    }
    var recovery = RunPlan.recovery(found);
    event(EventRecorder.Type.Warning, EventReason.MaintenanceRecovered, "Found run " + run.id() + " of unit " + run.unit()
        + " left in phase " + found + " by " + run.holder() + "; " + (recovery.resumeFirst() ? "resuming PgBouncer first" : "ending it"));
    UnitAccess access = null;
    RunFailure failure = new RunFailure(EventReason.MaintenanceFailed, "interrupted by an operator restart in phase " + found);
    try {
      access = UnitAccess.resolve(services.client(), unit, services.dataSources(), services.drainPoints());
    } catch (RunFailure f) {
      failure = new RunFailure(EventReason.MaintenanceFailed, failure.getMessage() + "; " + f.getMessage());
    }
    run = run.withHolder(services.lease().identity());
    if (recovery.resumeFirst()) {
      phase = RunPhase.Resuming;
      if (!resume(access, null)) {
        return;
      }
    }
    boolean allSucceeded = run.tasks() != null
        && run.tasks().stream().allMatch(t -> state(t) == TaskState.Succeeded || state(t) == TaskState.Skipped);
    if (recovery.rollBack() && access != null) {
      List<TaskResult> results = new ArrayList<>(run.tasks() == null ? List.of() : run.tasks());
      // Every task that started may have left something; the one that was running is the "failed" one.
      Task running = results.stream().filter(t -> state(t) == TaskState.Running).map(TaskResult::task).findFirst().orElse(null);
      List<Task> completed = results.stream().filter(t -> state(t) == TaskState.Succeeded).map(TaskResult::task).toList();
      if (running != null) {
        int i = indexOf(results, running);
        TaskResult r = results.get(i);
        moveTask(results, i, new TaskResult(running, TaskState.Failed.name(), r.startTime(), timestamp(services.clock().instant()), null,
            "interrupted by an operator restart"));
      }
      // After a crash the run failed as a whole: every completed task that can be undone is, whatever the policy.
      List<Task> undo = running != null ? RunPlan.rollback(completed, running, MaintenanceWindowSpec.RollbackPolicy.RollbackAll)
          : RunPlan.undoCompleted(completed, MaintenanceWindowSpec.RollbackPolicy.RollbackAll);
      List<String> errors = undoTasks(access, results, undo, running);
      run = run.withTasks(List.copyOf(results));
      failure = failure.withRollbackErrors(errors);
      allSucceeded = false;
    }
    boolean completedRun = (found == RunPhase.Resuming || found == RunPhase.PostChecks) && allSucceeded;
    phase = recovery.postChecks() ? RunPhase.Resuming : phase;
    finish(access, completedRun ? null : failure, recovery.postChecks());
  }

  // ----- the end of every run -----

  private void finish(UnitAccess access, RunFailure failure, boolean postChecks) {
    if (postChecks && access != null) {
      moveTo(RunPhase.PostChecks);
      Optional<String> problem = postCheck(access);
      if (problem.isPresent() && failure == null) {
        failure = new RunFailure(EventReason.MaintenanceFailed, "post-check failed: " + problem.get());
      }
    }
    boolean leftForLater = run.tasks() != null && run.tasks().stream().anyMatch(t -> t.skipReason() == SkipReason.WindowEnds);
    String outcome = RunOutcome.of(failure != null ? failure.reason() : null, failure != null && failure.rollbackFailed(), leftForLater).name();
    Instant now = services.clock().instant();
    Run ended = run.withEnd(timestamp(now), outcome, failure != null ? failure.getMessage() : null);
    long generation = window.getMetadata().getGeneration();
    RunPhase last = failure == null ? RunPhase.Succeeded : RunPhase.Failed;
    RunFailure reported = failure;
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
      return reported == null
          ? WindowConditions.healthy(next, generation, now, "Run" + outcome, "Last run " + ended.id() + ": " + outcome)
          : WindowConditions.degraded(next, generation, now, reported.reason().name(), reported.getMessage());
    });
    phase = last;
    Duration took = Duration.ofNanos(System.nanoTime() - startedNanos);
    services.metrics().runEnded(namespace(), run.unit(), outcome, took);
    if (failure == null) {
      event(EventRecorder.Type.Normal, EventReason.MaintenanceSucceeded, summary(ended, took));
    } else {
      event(EventRecorder.Type.Warning, EventReason.MaintenanceFailed, summary(ended, took) + ": " + failure.getMessage());
    }
    releaseLease();
  }

  private void releaseLease() {
    try {
      services.lease().release(namespace(), run.unit());
    } catch (RuntimeException e) {
      // The run is over or left in status; an unreleased Lease only makes the next run wait for it to expire.
      log.warn("Could not release the maintenance Lease of {}: {}", run.unit(), e.toString());
    }
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

  private String summary(Run ended, Duration took) {
    String tasks = ended.tasks() == null ? "none" : ended.tasks().stream()
        .map(t -> t.task() + " " + t.state() + (t.durationSeconds() != null ? " " + t.durationSeconds() + " s" : ""))
        .collect(Collectors.joining(", "));
    return "Run " + ended.id() + " of unit " + ended.unit() + " " + ended.outcome() + " in " + took.toMillis() / 1000.0 + " s; drain "
        + (ended.drainSeconds() != null ? ended.drainSeconds() + " s, " + ended.connectionsForceClosed() + " closed" : "not reached")
        + "; tasks: " + tasks;
  }

  // ----- helpers -----

  /** Writes the phase (and the run as it stands) to status before the step it names. */
  private void moveTo(RunPhase next) {
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

  private Map<Task, Duration> lastMeasured() {
    Map<Task, Duration> measured = new EnumMap<>(Task.class);
    var last = window.getStatus() != null ? window.getStatus().lastRun() : null;
    if (last != null && last.tasks() != null) {
      last.tasks().stream().filter(t -> state(t) == TaskState.Succeeded && t.durationSeconds() != null)
          .forEach(t -> measured.put(t.task(), Duration.ofMillis(Math.round(t.durationSeconds() * 1000))));
    }
    return measured;
  }

  private TaskResult ended(TaskResult started, TaskState state, long t0, String message, SkipReason skipped) {
    double seconds = Math.round((System.nanoTime() - t0) / 1e6) / 1000.0;
    return new TaskResult(started.task(), state.name(), started.startTime(), timestamp(services.clock().instant()), seconds, message,
        skipped);
  }

  private static void skipFrom(List<TaskResult> results, int from, SkipReason reason, String why) {
    for (int j = from; j < results.size(); j++) {
      moveTask(results, j, new TaskResult(results.get(j).task(), TaskState.Skipped.name(), null, null, null, why, reason));
    }
  }

  /** Replaces a task's result, refusing a move its state table does not allow. */
  private static void moveTask(List<TaskResult> results, int index, TaskResult next) {
    TaskState from = state(results.get(index));
    if (from != null && !from.canMoveTo(state(next))) {
      throw new IllegalStateException(next.task() + " cannot move from " + from + " to " + next.state());
    }
    results.set(index, next);
  }

  private static TaskState state(TaskResult task) {
    return TaskState.of(task.state());
  }

  private static int indexOf(List<TaskResult> results, Task task) {
    for (int i = 0; i < results.size(); i++) {
      if (results.get(i).task() == task) {
        return i;
      }
    }
    throw new IllegalArgumentException(task + " is not in the run");
  }

  private static String describe(Exception e, UnitAccess access) {
    String message = e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    // Flyway wraps the SQL error in a long report: keep its first line (the script) and the server's error.
    message = message.strip().lines().findFirst().orElse(message);
    java.sql.SQLException sql = null;
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof java.sql.SQLException s) {
        sql = s;
      }
    }
    if (sql != null && sql != e && sql.getMessage() != null) {
      message = message + ": " + sql.getMessage().strip().lines().findFirst().orElse("");
    }
    if (message.length() > 500) {
      message = message.substring(0, 500) + "...";
    }
    return access != null ? DatabaseFailures.redact(message, access.target().password()) : message;
  }

  private void event(EventRecorder.Type type, EventReason reason, String message) {
    services.events().record(window, type, reason, message);
  }

  private String namespace() {
    return window.getMetadata().getNamespace();
  }

  static String timestamp(Instant t) {
    return t.truncatedTo(ChronoUnit.SECONDS).toString();
  }
}
