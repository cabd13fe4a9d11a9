package dev.databaseunit.operator.maintenance;

import dev.databaseunit.operator.api.v1alpha1.ApiDurations;
import dev.databaseunit.operator.api.v1alpha1.DatabaseUnit;
import dev.databaseunit.operator.api.v1alpha1.MaintenanceWindow;
import dev.databaseunit.operator.api.v1alpha1.MaintenanceWindowSpec;
import dev.databaseunit.operator.api.v1alpha1.MaintenanceWindowStatus;
import dev.databaseunit.operator.api.v1alpha1.MaintenanceWindowStatus.Run;
import dev.databaseunit.operator.common.Jobs;
import dev.databaseunit.operator.common.ScheduleStart;
import dev.databaseunit.operator.events.EventReason;
import dev.databaseunit.operator.events.EventRecorder;
import dev.databaseunit.operator.maintenance.WindowSchedule.InvalidSchedule;
import dev.databaseunit.operator.maintenance.WindowSchedule.Window;
import dev.databaseunit.operator.postgres.PostgresTargets;
import dev.databaseunit.operator.postgres.UnitDataSources;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reconciles MaintenanceWindows: finishes runs a stopped operator left (RESUME first), starts a run per unit inside
 * the window (or at once for runNow) under the unit's Lease, and otherwise reports the next window. Runs happen on
 * worker threads; while one is underway here it alone writes the window's status.
 */
@ControllerConfiguration(name = MaintenanceWindowReconciler.NAME)
public class MaintenanceWindowReconciler implements Reconciler<MaintenanceWindow>, AutoCloseable {
  public static final String NAME = "maintenancewindow";
  private static final Logger log = LoggerFactory.getLogger(MaintenanceWindowReconciler.class);
  /** How often a window with a run underway is looked at again. */
  static final Duration WHILE_RUNNING = Duration.ofSeconds(2);
  /** Longest wait between two looks at an idle window (a changed clock, a lost event). */
  static final Duration IDLE_RESYNC = Duration.ofMinutes(5);
  static final String SUSPENDED_MESSAGE = "Suspended (spec.suspend): no scheduled window starts a run";

  private final KubernetesClient client;
  private final EventRecorder events;
  private final Clock clock;
  private final UnitLease lease;
  private final MaintenanceRun.Services services;
  private final Map<String, MaintenanceRun> active = new ConcurrentHashMap<>();
  private final Jobs runs;
  private final WindowTargets targets = new WindowTargets();
  private final ScheduledExecutorService renewer = Executors.newSingleThreadScheduledExecutor(
      Thread.ofPlatform().name("maintenance-lease").daemon().factory());

  /** @param secrets the units' Secrets (the operator's {@link dev.databaseunit.operator.postgres.SecretCache}) */
  public MaintenanceWindowReconciler(KubernetesClient client, EventRecorder events, Clock clock, UnitDataSources dataSources,
      PostgresTargets.SecretLookup secrets, MeterRegistry registry, MaintenanceSettings settings) {
    this.client = client;
    this.events = events;
    this.clock = clock;
    // A stopped run resumes PgBouncer on its way out: the stop waits for that.
    this.runs = new Jobs("maintenance", clock, Integer.MAX_VALUE, Duration.ofSeconds(30));
    this.lease = new UnitLease(client, clock, settings.identity(), settings.leaseDuration());
    this.services = new MaintenanceRun.Services(client, new WindowStatusStore(client), events, lease, new MaintenanceMetrics(registry),
        clock, dataSources, settings.drainPoints(), settings.tasks(), secrets, targets.policies());
    long renewEvery = Math.max(1, settings.leaseDuration().toMillis() / 3);
    renewer.scheduleAtFixedRate(this::renewLeases, renewEvery, renewEvery, TimeUnit.MILLISECONDS);
  }

  @Override
  public List<EventSource<?, MaintenanceWindow>> prepareEventSources(EventSourceContext<MaintenanceWindow> context) {
    return targets.prepare(context);
  }

  @Override
  public UpdateControl<MaintenanceWindow> reconcile(MaintenanceWindow window, Context<MaintenanceWindow> context) {
    String key = window.getMetadata().getNamespace() + "/" + window.getMetadata().getName();
    if (active.containsKey(key)) {
      return UpdateControl.<MaintenanceWindow>noUpdate().rescheduleAfter(WHILE_RUNNING);
    }
    MaintenanceWindowStatus status = window.getStatus() != null ? window.getStatus() : MaintenanceWindowStatus.empty();
    if (status.currentRun() != null) {
      return recoverOrphan(key, window, status);
    }
    Instant now = clock.instant();
    MaintenanceWindowSpec spec = window.getSpec();
    Duration length;
    Optional<WindowSchedule> schedule = Optional.empty();
    try {
      length = ApiDurations.parse(spec.duration());
      if (spec.schedule() != null) {
        schedule = Optional.of(WindowSchedule.parse(spec.schedule(), spec.timeZone(), length, now));
      }
    } catch (InvalidSchedule | IllegalArgumentException e) {
      return degrade(window, EventReason.MaintenanceInvalidSchedule, e.getMessage(), IDLE_RESYNC);
    }
    List<String> units = targets.unitNames(window);
    if (units.isEmpty()) {
      String message = spec.databaseUnit() != null ? "DatabaseUnit " + spec.databaseUnit() + " does not exist in namespace "
          + window.getMetadata().getNamespace() : "selector matches no DatabaseUnit in namespace " + window.getMetadata().getNamespace();
      return degrade(window, EventReason.MaintenanceUnitNotFound, message, Duration.ofSeconds(30));
    }

    Instant since = ScheduleStart.recordedOr(status.scheduledSince(), window.getMetadata().getCreationTimestamp(), now);
    Optional<Window> current = currentWindow(window, status, schedule, length, since, now);
    Optional<String> pending = current.flatMap(w -> units.stream().filter(u -> !doneIn(status, w, window).contains(u)).findFirst());
    if (current.isPresent() && pending.isPresent()) {
      return startRun(key, window, current.get(), pending.get(), since, now);
    }
    return idle(window, schedule, since, now);
  }

  /**
   * runNow: one window per generation, opened when first seen; otherwise the schedule's window around now, if it opened
   * after {@code since} (the resource's creation): a window that was already open when the resource was created never
   * starts a run.
   */
  static Optional<Window> currentWindow(MaintenanceWindow window, MaintenanceWindowStatus status, Optional<WindowSchedule> schedule,
      Duration length, Instant since, Instant now) {
    if (Boolean.TRUE.equals(window.getSpec().runNow())) {
      Run last = status.lastRun();
      if (last != null && Objects.equals(last.generation(), window.getMetadata().getGeneration()) && last.windowStart() != null) {
        Window opened = new Window(Instant.parse(last.windowStart()), Instant.parse(last.windowEnd()));
        return opened.contains(now) ? Optional.of(opened) : Optional.empty();
      }
      return Optional.of(new Window(now, now.plus(length)));
    }
    if (Boolean.TRUE.equals(window.getSpec().suspend())) {
      return Optional.empty();
    }
    return schedule.flatMap(s -> s.windowAt(now)).filter(w -> w.start().isAfter(since));
  }

  private static List<String> doneIn(MaintenanceWindowStatus status, Window window, MaintenanceWindow mw) {
    Run last = status.lastRun();
    if (last == null || status.windowUnitsDone() == null || !Objects.equals(last.windowStart(), RunRecord.timestamp(window.start()))
        || !Objects.equals(last.generation(), mw.getMetadata().getGeneration())) {
      return List.of();
    }
    return status.windowUnitsDone();
  }

  private UpdateControl<MaintenanceWindow> startRun(String key, MaintenanceWindow window, Window w, String unitName, Instant since,
      Instant now) {
    String namespace = window.getMetadata().getNamespace();
    if (!lease.tryAcquire(namespace, unitName)) {
      String holder = lease.liveHolder(namespace, unitName).map(UnitLease.Holder::identity).orElse("another run");
      events.record(window, EventRecorder.Type.Normal, EventReason.MaintenanceLeaseHeld,
          "Unit " + unitName + " is under maintenance by " + holder + "; waiting");
      return UpdateControl.<MaintenanceWindow>noUpdate().rescheduleAfter(Duration.ofSeconds(10));
    }
    DatabaseUnit unit = targets.units().get(namespace, unitName).orElse(null);
    String id = window.getMetadata().getName() + "-" + unitName + "-" + now.getEpochSecond();
    Run run = new Run(id, unitName, window.getMetadata().getGeneration(), lease.identity(), RunRecord.timestamp(w.start()),
        RunRecord.timestamp(w.end()), RunRecord.timestamp(now), null, null, null, null, null, List.of(), null);
    long generation = window.getMetadata().getGeneration();
    // Pending is in status before the worker starts, so even a crash right now leaves the run to be ended.
    MaintenanceWindow stored = services.store().update(namespace, window.getMetadata().getName(), s -> WindowConditions.running(
        s.withPhase(RunPhase.Pending.name()).withCurrentRun(run).withScheduledSince(since.toString()), generation, now,
        "Run " + id + " of " + unitName + ": Pending"));
    start(key, new MaintenanceRun(services, stored, unit, run, RunPhase.Pending), MaintenanceRun::execute);
    return UpdateControl.<MaintenanceWindow>noUpdate().rescheduleAfter(WHILE_RUNNING);
  }

  /** A run in status that no worker here runs: another live holder's, or left by a stopped operator. */
  private UpdateControl<MaintenanceWindow> recoverOrphan(String key, MaintenanceWindow window, MaintenanceWindowStatus status) {
    Run run = status.currentRun();
    String namespace = window.getMetadata().getNamespace();
    Optional<UnitLease.Holder> holder = lease.liveHolder(namespace, run.unit());
    if (holder.isPresent() && !holder.get().identity().equals(lease.identity())) {
      // Another instance may still be running it: look again the moment its lease would expire.
      Duration untilExpiry = Duration.between(clock.instant(), holder.get().expiry()).plusMillis(200);
      return UpdateControl.<MaintenanceWindow>noUpdate().rescheduleAfter(untilExpiry);
    }
    if (!lease.tryAcquire(namespace, run.unit())) {
      return UpdateControl.<MaintenanceWindow>noUpdate().rescheduleAfter(WHILE_RUNNING);
    }
    DatabaseUnit unit = targets.units().get(namespace, run.unit()).orElse(null);
    log.warn("Maintenance run {} of {} was left in phase {} by {}; recovering", run.id(), run.unit(), status.phase(), run.holder());
    start(key, new MaintenanceRun(services, window, unit, run, RunPhase.of(status.phase())), MaintenanceRun::recover);
    return UpdateControl.<MaintenanceWindow>noUpdate().rescheduleAfter(WHILE_RUNNING);
  }

  private void start(String key, MaintenanceRun run, Consumer<MaintenanceRun> action) {
    active.put(key, run);
    runs.submit(key, progress -> {
      try {
        action.accept(run);
      } catch (RuntimeException e) {
        log.error("Maintenance run of {} ended with an unexpected error", run.unitName(), e);
      } finally {
        active.remove(key);
      }
      return null;
    });
  }

  private void renewLeases() {
    active.forEach((key, run) -> {
      try {
        if (!lease.tryAcquire(key.substring(0, key.indexOf('/')), run.unitName())) {
          log.error("Lost the maintenance Lease of {} during a run; the run stops after its current task", run.unitName());
          run.leaseLost();
        }
      } catch (RuntimeException e) {
        log.warn("Could not renew the maintenance Lease of {}: {}", run.unitName(), e.toString());
      }
    });
  }

  private UpdateControl<MaintenanceWindow> idle(MaintenanceWindow window, Optional<WindowSchedule> schedule, Instant since, Instant now) {
    // A held window has no next start to report: none would run.
    boolean suspended = Boolean.TRUE.equals(window.getSpec().suspend());
    Optional<Instant> next = suspended ? Optional.empty() : schedule.flatMap(s -> s.nextStartAfter(now));
    long generation = window.getMetadata().getGeneration();
    MaintenanceWindowStatus before = window.getStatus() != null ? window.getStatus() : MaintenanceWindowStatus.empty();
    MaintenanceWindowStatus after = idleStatus(before, generation, next, suspended, now).withScheduledSince(since.toString());
    if (!after.equals(before)) {
      services.store().update(window.getMetadata().getNamespace(), window.getMetadata().getName(),
          s -> idleStatus(s, generation, next, suspended, now).withScheduledSince(since.toString()));
    }
    Duration wait = next.map(n -> Duration.between(now, n)).filter(d -> d.compareTo(IDLE_RESYNC) < 0).orElse(IDLE_RESYNC);
    return UpdateControl.<MaintenanceWindow>noUpdate().rescheduleAfter(wait.isNegative() || wait.isZero() ? Duration.ofSeconds(1) : wait);
  }

  private static MaintenanceWindowStatus idleStatus(MaintenanceWindowStatus status, long generation, Optional<Instant> next,
      boolean suspended, Instant now) {
    MaintenanceWindowStatus s = status.withNextWindowStart(next.map(RunRecord::timestamp).orElse(null))
        .withPhase(status.phase() != null ? status.phase() : "Idle");
    Run last = s.lastRun();
    boolean lastFailed = last != null && Objects.equals(last.generation(), generation)
        && (RunOutcome.of(last.outcome()) == null || !RunOutcome.of(last.outcome()).healthy());
    if (lastFailed && Objects.equals(s.observedGeneration(), generation)) {
      return s; // the run's Degraded condition stands until the next run or a spec change
    }
    String message = suspended ? SUSPENDED_MESSAGE
        : next.map(n -> "Next window starts at " + RunRecord.timestamp(n)).orElse("runNow: no run pending");
    // The last run of this spec keeps saying how it ended: an idle look must not turn RunSucceeded into Scheduled.
    if (last != null && Objects.equals(last.generation(), generation) && last.outcome() != null) {
      return WindowConditions.healthy(s, generation, now, "Run" + last.outcome(), "Last run " + last.id() + ": " + last.outcome()
          + "; " + message);
    }
    return WindowConditions.healthy(s, generation, now, suspended ? "Suspended" : "Scheduled", message);
  }

  private UpdateControl<MaintenanceWindow> degrade(MaintenanceWindow window, EventReason reason, String message, Duration retry) {
    long generation = window.getMetadata().getGeneration();
    Instant now = clock.instant();
    MaintenanceWindowStatus before = window.getStatus() != null ? window.getStatus() : MaintenanceWindowStatus.empty();
    MaintenanceWindowStatus after = WindowConditions.degraded(before, generation, now, reason.name(), message).withNextWindowStart(null);
    if (!after.equals(before)) {
      services.store().update(window.getMetadata().getNamespace(), window.getMetadata().getName(),
          s -> WindowConditions.degraded(s, generation, now, reason.name(), message).withNextWindowStart(null));
      events.record(window, EventRecorder.Type.Warning, reason, message);
    }
    return UpdateControl.<MaintenanceWindow>noUpdate().rescheduleAfter(retry);
  }

  /** Stops the workers: a run in progress is interrupted and resumes PgBouncer on its way out. */
  @Override
  public void close() {
    renewer.shutdownNow();
    runs.close();
  }
}
