package dev.databaseunit.operator.backup;

import dev.databaseunit.operator.api.v1alpha1.ApiDurations;
import dev.databaseunit.operator.api.v1alpha1.BackupPolicy;
import dev.databaseunit.operator.api.v1alpha1.BackupPolicySpec;
import dev.databaseunit.operator.api.v1alpha1.BackupPolicySpec.BackupSchedule;
import dev.databaseunit.operator.api.v1alpha1.BackupPolicySpec.Tier;
import dev.databaseunit.operator.api.v1alpha1.BackupPolicyStatus;
import dev.databaseunit.operator.api.v1alpha1.BackupPolicyStatus.Operation;
import dev.databaseunit.operator.api.v1alpha1.BackupPolicyStatus.TierStatus;
import dev.databaseunit.operator.api.v1alpha1.DatabaseUnit;
import dev.databaseunit.operator.api.v1alpha1.SecretKeyRef;
import dev.databaseunit.operator.databaseunit.UnitProblem;
import dev.databaseunit.operator.events.EventReason;
import dev.databaseunit.operator.events.EventRecorder;
import dev.databaseunit.operator.postgres.PostgresTarget;
import dev.databaseunit.operator.postgres.PostgresTargets;
import dev.databaseunit.operator.status.Conditions;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Secret;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Cleaner;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.DeleteControl;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.Cache;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;

/**
 * Reconciles a BackupPolicy: works out from its status which fires of which tier are due or missed (a pure
 * {@link FireSchedule} decision), runs one backup or restore test at a time per policy on an executor (never on
 * the reconcile thread), and records the outcome, the schedule state and the work underway in status. Because
 * the work underway is in status, a restarted operator finds it: it adopts the backup when its manifest was
 * written and otherwise removes the partial object and lets the fire run again, inside its window. On-demand work
 * ({@link OnDemand} annotations) runs the same way and is recorded as handled, by its token, only once it has ended.
 */
// Annotations carry on-demand requests and do not change the generation: the filter lets their changes through.
@ControllerConfiguration(name = BackupPolicyReconciler.NAME, generationAwareEventProcessing = false,
    informer = @Informer(onUpdateFilter = SpecOrAnnotationsChanged.class))
public class BackupPolicyReconciler implements Reconciler<BackupPolicy>, Cleaner<BackupPolicy> {
  public static final String NAME = "backuppolicy";
  public static final String ON_SCHEDULE = "OnSchedule";
  static final Duration POLL_WHILE_RUNNING = Duration.ofSeconds(2);
  static final Duration MAX_SLEEP = Duration.ofMinutes(10);
  static final Duration RETRY_AFTER_FAILURE = Duration.ofMinutes(1);
  /** Restore tests have no window in the spec; one missed for more than a day is reported and skipped. */
  static final Duration RESTORE_TEST_WINDOW = Duration.ofDays(1);
  private static final String BY_UNIT = "byDatabaseUnit";
  private static final String BY_SECRET = "bySecret";
  private static final Logger log = LoggerFactory.getLogger(BackupPolicyReconciler.class);

  /** Opens the object store a policy names (S3 in the operator). */
  @FunctionalInterface
  public interface ObjectStores {
    ObjectStore open(BackupPolicySpec.ObjectStorage storage, AwsBasicCredentials credentials);
  }

  private final EventRecorder events;
  private final Clock clock;
  private final BackupService backups;
  private final RestoreTester restoreTester;
  private final ObjectStores stores;
  private final MeterRegistry registry;
  private final ExecutorService executor;
  private final Map<String, Job> jobs = new ConcurrentHashMap<>();
  private final Map<String, BackupMetrics> metrics = new ConcurrentHashMap<>();
  private final Map<String, Instant> failedAt = new ConcurrentHashMap<>();
  /** Backups a restore test is reading: retention never deletes them. */
  private final Set<String> inUse = ConcurrentHashMap.newKeySet();

  public BackupPolicyReconciler(EventRecorder events, Clock clock, BackupService backups, RestoreTester restoreTester,
      ObjectStores stores, MeterRegistry registry, ExecutorService executor) {
    this.events = events;
    this.clock = clock;
    this.backups = backups;
    this.restoreTester = restoreTester;
    this.stores = stores;
    this.registry = registry;
    this.executor = executor;
  }

  @Override
  public List<EventSource<?, BackupPolicy>> prepareEventSources(EventSourceContext<BackupPolicy> context) {
    context.getPrimaryCache().addIndexer(BY_UNIT, p -> List.of(key(p.getMetadata().getNamespace(), p.getSpec().databaseUnit())));
    context.getPrimaryCache().addIndexer(BY_SECRET, p -> secretNames(p.getSpec()).stream()
        .map(name -> key(p.getMetadata().getNamespace(), name)).toList());
    return List.of(watch(context, DatabaseUnit.class, BY_UNIT), watch(context, Secret.class, BY_SECRET));
  }

  private static <R extends HasMetadata> InformerEventSource<R, BackupPolicy> watch(
      EventSourceContext<BackupPolicy> context, Class<R> type, String index) {
    var config = InformerEventSourceConfiguration.from(type, BackupPolicy.class)
        .withNamespacesInheritedFromController()
        .withSecondaryToPrimaryMapper(o -> context.getPrimaryCache()
            .byIndex(index, key(o.getMetadata().getNamespace(), o.getMetadata().getName()))
            .stream().map(ResourceID::fromResource).collect(Collectors.toSet()))
        .build();
    return new InformerEventSource<>(config, context);
  }

  private static List<String> secretNames(BackupPolicySpec spec) {
    Stream<String> names = Stream.of(
            spec.storage() != null && spec.storage().credentials() != null ? spec.storage().credentials().secretName() : null,
            spec.secondaryStorage() != null && spec.secondaryStorage().credentials() != null
                ? spec.secondaryStorage().credentials().secretName() : null,
            spec.encryption() != null ? spec.encryption().keyEncryptionKey().name() : null)
        .filter(Objects::nonNull);
    Stream<String> previousKeys = spec.encryption() != null && spec.encryption().previousKeys() != null
        ? spec.encryption().previousKeys().stream().map(SecretKeyRef::name) : Stream.empty();
    var scratch = spec.restoreTest() != null ? spec.restoreTest().scratchInstance() : null;
    Stream<String> scratchSecrets = scratch == null ? Stream.empty() : Stream.of(scratch.credentials().secretName(),
        scratch.tls() != null && scratch.tls().caSecret() != null ? scratch.tls().caSecret().name() : null).filter(Objects::nonNull);
    return Stream.of(names, previousKeys, scratchSecrets).flatMap(s -> s).distinct().toList();
  }

  private static String key(String namespace, String name) {
    return namespace + "/" + name;
  }

  /**
   * Everything a backup or restore test needs, resolved from the unit and Secrets.
   *
   * @param scratchServer where restore tests create their scratch database: the unit's server or spec.restoreTest.scratchInstance
   */
  record Inputs(PostgresTarget target, PostgresTarget scratchServer, KeyEncryptionKey kek, List<KeyEncryptionKey> previousKeys, BackupPolicySpec.ObjectStorage storage,
      AwsBasicCredentials credentials, BackupPolicySpec.ObjectStorage secondary, AwsBasicCredentials secondaryCredentials) {}

  /** A backup or restore test to run, given where to report its phase. */
  @FunctionalInterface
  private interface Work {
    Callable<Outcome> start(AtomicReference<String> phase);
  }

  /** Work running on the executor for one policy. */
  private record Job(Operation operation, Future<Outcome> future, AtomicReference<String> phase) {}

  /**
   * What finished work reports back to the next reconcile. {@code scheduledFor} and {@code onDemandToken} name the
   * fire or request the work handled; both are null when it handled none (it runs again).
   */
  sealed interface Outcome {
    /** @param copyProblem why the cross-region copy failed, or null (copied or not asked for) */
    record BackedUp(BackupManifest manifest, Set<String> expired, int retained, String scheduledFor, String onDemandToken,
        boolean adopted, Boolean copied, String copyProblem, KeyRotation.Result rotation) implements Outcome {}
    record BackupFailed(Tier tier, String message, String onDemandToken) implements Outcome {}
    record Interrupted(String backupId) implements Outcome {}
    record RestoreTested(RestoreTester.Result result, String scheduledFor, String onDemandToken) implements Outcome {}
    record RestoreTestNotRun(String message, String scheduledFor, String onDemandToken) implements Outcome {}
  }

  @Override
  public UpdateControl<BackupPolicy> reconcile(BackupPolicy policy, Context<BackupPolicy> context) {
    String policyKey = key(policy.getMetadata().getNamespace(), policy.getMetadata().getName());
    Instant now = clock.instant();
    BackupPolicyStatus previous = policy.getStatus() != null ? policy.getStatus()
        : new BackupPolicyStatus(null, List.of(), List.of(), null, null, null, null, null, null, null);
    var draft = new Draft(previous);
    BackupMetrics meters = metrics.computeIfAbsent(policyKey, k ->
        new BackupMetrics(registry, policy.getMetadata().getNamespace(), policy.getSpec().databaseUnit(), policy.getMetadata().getName()));
    var objectives = policy.getSpec().restoreTest();
    meters.targets(ApiDurations.parse(objectives != null && objectives.rpo() != null ? objectives.rpo() : "24h"),
        ApiDurations.parse(objectives != null && objectives.rto() != null ? objectives.rto() : "4h"));

    Inputs inputs = null;
    UnitProblem problem = null;
    try {
      inputs = resolve(policy, context);
    } catch (UnitProblem p) {
      problem = p;
    }

    Job job = jobs.get(policyKey);
    if (job != null && !job.future().isDone()) {
      draft.inProgress = withPhase(job.operation(), job.phase().get());
      return finish(policy, previous, draft, problem, POLL_WHILE_RUNNING);
    }
    if (job != null) {
      jobs.remove(policyKey);
      apply(policy, draft, outcomeOf(job), meters);
    } else if (draft.inProgress != null && inputs != null) {
      // Status says work is underway but this process runs none: the operator restarted in the middle of it.
      startJob(policyKey, draft, draft.inProgress, recoverInterrupted(policy, inputs, draft.inProgress));
      return finish(policy, previous, draft, problem, POLL_WHILE_RUNNING);
    }
    if (draft.inProgress != null) {
      return finish(policy, previous, draft, problem, RETRY_AFTER_FAILURE);
    }

    Duration sleep = MAX_SLEEP;
    boolean suspended = Boolean.TRUE.equals(policy.getSpec().suspend());
    BackupSchedule dueSchedule = null;
    Instant dueFire = null;
    for (BackupSchedule schedule : schedules(policy.getSpec())) {
      Duration window = ApiDurations.parse(schedule.window() != null ? schedule.window() : "1h");
      var fires = new FireSchedule(schedule.cron(), orUtc(schedule.timeZone()), window);
      TierState tier = draft.tier(schedule.tier());
      var decision = fires.decide(lastHandled(tier.lastFireTime, policy, now, window), now);
      recordMissed(policy, draft, tier, decision, suspended, schedule.tier().name().toLowerCase(java.util.Locale.ROOT) + " backup",
          meters);
      tier.nextFireTime = decision.nextFire() != null ? decision.nextFire().toString() : null;
      sleep = earliest(sleep, decision.nextFire(), now);
      if (decision.due() != null) {
        if (suspended) {
          tier.lastFireTime = decision.due().toString();
        } else if (dueSchedule == null && mayRetry(policyKey + "/" + schedule.tier(), now)) {
          dueSchedule = schedule;
          dueFire = decision.due();
        } else {
          sleep = earliest(sleep, now.plus(RETRY_AFTER_FAILURE), now);
        }
      }
    }
    Instant restoreDue = null;
    var restoreSpec = policy.getSpec().restoreTest();
    if (restoreSpec != null && !Boolean.FALSE.equals(restoreSpec.enabled())) {
      var fires = new FireSchedule(restoreSpec.cron(), orUtc(restoreSpec.timeZone()), RESTORE_TEST_WINDOW);
      var decision = fires.decide(lastHandled(draft.restoreSchedule.lastFireTime, policy, now, RESTORE_TEST_WINDOW), now);
      recordMissed(policy, draft, draft.restoreSchedule, decision, suspended, "restore test", meters);
      draft.restoreSchedule.nextFireTime = decision.nextFire() != null ? decision.nextFire().toString() : null;
      sleep = earliest(sleep, decision.nextFire(), now);
      if (decision.due() != null && suspended) {
        draft.restoreSchedule.lastFireTime = decision.due().toString();
      } else if (decision.due() != null && mayRetry(policyKey + "/restore-test", now)) {
        restoreDue = decision.due();
      }
    }

    // On-demand requests run even when scheduling is suspended: they are explicit. A due fire goes first (it has a window).
    Map<String, String> annotations = policy.getMetadata().getAnnotations() != null ? policy.getMetadata().getAnnotations() : Map.of();
    var backupNow = OnDemand.pendingBackup(annotations, draft.lastOnDemandBackup, schedules(policy.getSpec()))
        .filter(r -> accepted(policy, r, "backup", now, rejected -> draft.lastOnDemandBackup = rejected));
    var restoreTestNow = OnDemand.pendingRestoreTest(annotations, draft.lastOnDemandRestoreTest)
        .filter(r -> accepted(policy, r, "restore test", now, rejected -> draft.lastOnDemandRestoreTest = rejected));

    if (inputs != null && (dueSchedule != null || backupNow.isPresent())) {
      Tier tier = dueSchedule != null ? dueSchedule.tier() : backupNow.get().tier();
      BackupSchedule schedule = dueSchedule != null ? dueSchedule
          : schedules(policy.getSpec()).stream().filter(s -> s.tier() == tier).findFirst().orElseThrow();
      String token = dueSchedule != null ? null : backupNow.get().token();
      var operation = new Operation("Backup", BackupCatalog.newBackupId(tier, now), BackupService.Phase.Dumping.name(), now.toString(),
          tier, dueFire != null ? dueFire.toString() : null, token);
      startJob(policyKey, draft, operation, backupJob(policy, inputs, schedule, operation));
      if (token != null) {
        events.record(policy, EventRecorder.Type.Normal, EventReason.BackupOnDemandStarted, "On-demand backup " + operation.id()
            + " (tier " + tier.name().toLowerCase(java.util.Locale.ROOT) + ") started for request " + token);
      }
      sleep = POLL_WHILE_RUNNING;
    } else if (inputs != null && (restoreDue != null || restoreTestNow.isPresent())) {
      String scheduledFor = restoreDue != null ? restoreDue.toString() : null;
      String token = restoreDue != null ? null : restoreTestNow.get().token();
      var operation = new Operation("RestoreTest", null, "Restoring", now.toString(), null, scheduledFor, token);
      startJob(policyKey, draft, operation, restoreTestJob(policy, inputs, scheduledFor, token));
      if (token != null) {
        events.record(policy, EventRecorder.Type.Normal, EventReason.RestoreTestOnDemandStarted,
            "On-demand restore test started for request " + token);
      }
      sleep = POLL_WHILE_RUNNING;
    }
    return finish(policy, previous, draft, problem, sleep);
  }

  /** A rejected request is handled at once: recorded with its token and reported, so it is not retried. */
  private boolean accepted(BackupPolicy policy, OnDemand.Request request, String what, Instant now,
      java.util.function.Consumer<BackupPolicyStatus.OnDemandRequest> record) {
    if (request.rejection() == null) {
      return true;
    }
    record.accept(new BackupPolicyStatus.OnDemandRequest(request.token(), "Rejected", null, now.toString(), now.toString(),
        request.rejection()));
    events.record(policy, EventRecorder.Type.Warning, EventReason.OnDemandRequestRejected, "On-demand " + what + " request "
        + request.token() + " rejected: " + request.rejection());
    return false;
  }

  private void startJob(String policyKey, Draft draft, Operation operation, Work work) {
    var phase = new AtomicReference<>(operation.phase());
    jobs.put(policyKey, new Job(operation, executor.submit(work.start(phase)), phase));
    draft.inProgress = operation;
  }

  private static Operation withPhase(Operation o, String phase) {
    return new Operation(o.kind(), o.id(), phase, o.startTime(), o.tier(), o.scheduledFor(), o.onDemandToken());
  }

  private static Outcome outcomeOf(Job job) {
    try {
      return job.future().get();
    } catch (ExecutionException e) {
      // Jobs turn their failures into outcomes; this is a bug in the job itself.
      log.error("Backup work {} failed unexpectedly", job.operation().id(), e.getCause());
      return job.operation().kind().equals("Backup")
          ? new Outcome.BackupFailed(job.operation().tier(), "internal error: " + e.getCause(), job.operation().onDemandToken())
          : new Outcome.RestoreTestNotRun("internal error: " + e.getCause(), job.operation().scheduledFor(),
              job.operation().onDemandToken());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Outcome.Interrupted(job.operation().id());
    }
  }

  private Work backupJob(
      BackupPolicy policy, Inputs inputs, BackupSchedule schedule, Operation operation) {
    String unit = key(policy.getMetadata().getNamespace(), policy.getSpec().databaseUnit());
    return phase -> () -> {
      try (ObjectStore store = stores.open(inputs.storage(), inputs.credentials())) {
        var catalog = new BackupCatalog(store, inputs.storage().prefix());
        catalog.removeIncomplete(Set.of(operation.id()));
        var request = new BackupService.Request(operation.id(), schedule.tier(), unit, inputs.target(),
            policy.getSpec().encryption().keyId());
        BackupManifest manifest = backups.backup(request, catalog, inputs.kek(), p -> phase.set(p.name()));
        Boolean copied = null;
        String copyProblem = null;
        if (Boolean.TRUE.equals(schedule.copyToSecondary()) && inputs.secondary() != null) {
          phase.set("Copying");
          try (ObjectStore secondary = stores.open(inputs.secondary(), inputs.secondaryCredentials())) {
            catalog.copyTo(new BackupCatalog(secondary, inputs.secondary().prefix()), manifest);
            copied = true;
          } catch (IOException | RuntimeException e) {
            copied = false;
            copyProblem = e.getMessage();
          }
        }
        return expire(policy, inputs, catalog, manifest, operation, false, copied, copyProblem);
      } catch (IOException | RuntimeException e) {
        return new Outcome.BackupFailed(schedule.tier(), e.getMessage(), operation.onDemandToken());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return new Outcome.Interrupted(operation.id());
      }
    };
  }

  /**
   * After a backup: expired backups are deleted (manifest first), then backups under a previous KEK re-wrapped.
   */
  private Outcome.BackedUp expire(BackupPolicy policy, Inputs inputs, BackupCatalog catalog, BackupManifest manifest,
      Operation operation, boolean adopted, Boolean copied, String copyProblem) throws IOException {
    List<BackupManifest> good = catalog.list();
    Map<Tier, Duration> retention = new EnumMap<>(Tier.class);
    schedules(policy.getSpec()).forEach(s -> retention.put(s.tier(), ApiDurations.parse(s.retention())));
    Set<String> expired = Retention.expired(good.stream().map(Retention.Backup::of).toList(), retention, inUse, clock.instant());
    for (String id : expired) {
      catalog.discard(id);
    }
    var rotation = KeyRotation.rewrap(catalog, inputs.kek(), policy.getSpec().encryption().keyId(), inputs.previousKeys());
    return new Outcome.BackedUp(manifest, expired, good.size() - expired.size(), operation.scheduledFor(), operation.onDemandToken(),
        adopted, copied, copyProblem,
        rotation);
  }

  private Work recoverInterrupted(
      BackupPolicy policy, Inputs inputs, Operation interrupted) {
    return phase -> () -> {
      phase.set("CleaningUp");
      if (!"Backup".equals(interrupted.kind())) {
        // A restore test's scratch database has a random name; the next test simply runs again.
        return new Outcome.RestoreTestNotRun("interrupted by an operator restart", null, null);
      }
      try (ObjectStore store = stores.open(inputs.storage(), inputs.credentials())) {
        var catalog = new BackupCatalog(store, inputs.storage().prefix());
        var finished = catalog.list().stream().filter(m -> m.backupId().equals(interrupted.id())).findFirst();
        if (finished.isPresent()) {
          return expire(policy, inputs, catalog, finished.get(), interrupted, true, null, null);
        }
        catalog.discard(interrupted.id());
        return new Outcome.Interrupted(interrupted.id());
      } catch (IOException | RuntimeException e) {
        // Like a scheduled fire, the request stays pending: the backup runs again once the cleanup succeeds.
        return new Outcome.BackupFailed(interrupted.tier(), "cleaning up interrupted backup " + interrupted.id() + ": " + e.getMessage(),
            null);
      }
    };
  }

  private Work restoreTestJob(
      BackupPolicy policy, Inputs inputs, String scheduledFor, String onDemandToken) {
    var spec = policy.getSpec().restoreTest();
    Duration rto = ApiDurations.parse(spec.rto() != null ? spec.rto() : "4h");
    Duration rpo = ApiDurations.parse(spec.rpo() != null ? spec.rpo() : "24h");
    return phase -> () -> {
      try (ObjectStore store = stores.open(inputs.storage(), inputs.credentials())) {
        var catalog = new BackupCatalog(store, inputs.storage().prefix());
        List<BackupManifest> good = catalog.list();
        if (good.isEmpty()) {
          return new Outcome.RestoreTestNotRun("no good backup to test in " + catalog.describe(), scheduledFor, onDemandToken);
        }
        BackupManifest newest = good.getLast();
        inUse.add(newest.backupId());
        try {
          return new Outcome.RestoreTested(restoreTester.test(newest, catalog, inputs.kek(), inputs.scratchServer(), rto, rpo), scheduledFor,
              onDemandToken);
        } finally {
          inUse.remove(newest.backupId());
        }
      } catch (IOException | java.sql.SQLException | RuntimeException e) {
        return new Outcome.RestoreTestNotRun(e.getMessage(), scheduledFor, onDemandToken);
      }
    };
  }

  private void apply(BackupPolicy policy, Draft draft, Outcome outcome, BackupMetrics meters) {
    String policyKey = key(policy.getMetadata().getNamespace(), policy.getMetadata().getName());
    Operation operation = draft.inProgress;
    draft.inProgress = null;
    String started = operation != null ? operation.startTime() : null;
    String ended = clock.instant().toString();
    switch (outcome) {
      case Outcome.BackedUp done -> {
        BackupManifest m = done.manifest();
        TierState tier = draft.tier(m.tier());
        if (done.scheduledFor() != null) {
          tier.lastFireTime = done.scheduledFor();
        }
        tier.lastSuccessTime = m.endTime().toString();
        draft.lastBackup = new BackupPolicyStatus.BackupRecord(m.backupId(), m.tier(), m.startTime().toString(),
            m.endTime().toString(), m.storedBytes(), m.sha256(), m.objectKey(), done.copied());
        draft.retained = done.retained();
        draft.workFailure = null;
        if (done.scheduledFor() != null) {
          draft.onSchedule = new Conditions.Desired(ON_SCHEDULE, true, EventReason.BackupSucceeded.name(),
              "The newest " + m.tier().name().toLowerCase(java.util.Locale.ROOT) + " backup ran on schedule");
          failedAt.remove(policyKey + "/" + m.tier());
        }
        if (done.onDemandToken() != null) {
          draft.lastOnDemandBackup = new BackupPolicyStatus.OnDemandRequest(done.onDemandToken(), "Succeeded", m.backupId(), started,
              ended, null);
        }
        meters.backupSucceeded(m, done.retained());
        events.record(policy, EventRecorder.Type.Normal, EventReason.BackupSucceeded, "Backup " + m.backupId() + " ("
            + m.storedBytes() + " bytes, " + m.tables().size() + " tables) written to " + m.objectKey()
            + (done.adopted() ? " (finished before an operator restart)" : "") + forRequest(done.onDemandToken()));
        if (done.copyProblem() != null) {
          events.record(policy, EventRecorder.Type.Warning, EventReason.BackupCopyFailed, "Backup " + m.backupId()
              + " was not copied to the secondary storage: " + done.copyProblem());
        }
        if (!done.rotation().rewrapped().isEmpty()) {
          events.record(policy, EventRecorder.Type.Normal, EventReason.BackupKeyRotated, done.rotation().rewrapped().size()
              + " backup(s) re-wrapped with key " + keyOf(m));
        }
        if (!done.rotation().strandedByFingerprint().isEmpty()) {
          draft.workFailure = new UnitProblem(EventReason.BackupKeyStillNeeded, done.rotation().strandedByFingerprint().entrySet()
              .stream().map(e -> e.getValue().size() + " backup(s) (newest " + e.getValue().getLast() + ") are wrapped by key fingerprint "
                  + e.getKey())
              .collect(Collectors.joining("; ")) + ", which spec.encryption no longer lists: add that key to previousKeys so "
              + "they can be re-wrapped, or they cannot be restored");
          events.record(policy, EventRecorder.Type.Warning, EventReason.BackupKeyStillNeeded, draft.workFailure.getMessage());
        }
        for (String id : done.expired()) {
          events.record(policy, EventRecorder.Type.Normal, EventReason.BackupExpired, "Backup " + id + " passed its retention and was deleted");
        }
      }
      case Outcome.BackupFailed failed -> {
        if (failed.onDemandToken() != null) {
          draft.lastOnDemandBackup = new BackupPolicyStatus.OnDemandRequest(failed.onDemandToken(), "Failed",
              operation != null ? operation.id() : null, started, ended, failed.message());
        } else {
          failedAt.put(policyKey + "/" + failed.tier(), clock.instant());
        }
        draft.workFailure = new UnitProblem(EventReason.BackupFailed, "Backup failed: " + failed.message());
        meters.backupFailed();
        events.record(policy, EventRecorder.Type.Warning, EventReason.BackupFailed, "Backup "
            + (operation != null ? operation.id() : "") + forRequest(failed.onDemandToken()) + " failed: " + failed.message());
      }
      case Outcome.Interrupted interrupted -> events.record(policy, EventRecorder.Type.Warning, EventReason.BackupInterrupted,
          "Backup " + interrupted.backupId() + " was interrupted; its partial object was removed and the backup runs again");
      case Outcome.RestoreTested tested -> {
        RestoreTester.Result r = tested.result();
        if (tested.scheduledFor() != null) {
          draft.restoreSchedule.lastFireTime = tested.scheduledFor();
        }
        if (tested.onDemandToken() != null) {
          draft.lastOnDemandRestoreTest = new BackupPolicyStatus.OnDemandRequest(tested.onDemandToken(), r.passed() ? "Passed" : "Failed",
              r.backupId(), started, ended, null);
        }
        draft.lastRestoreTest = report(r, policy.getSpec());
        meters.restoreTested(r);
        if (r.passed()) {
          draft.workFailure = null;
          failedAt.remove(policyKey + "/restore-test");
          events.record(policy, EventRecorder.Type.Normal, EventReason.RestoreTestPassed, "Restore test of backup "
              + r.backupId() + forRequest(tested.onDemandToken()) + " passed: recovered in " + RestoreTester.seconds(r.recoveryTime()));
        } else {
          String failedChecks = r.checks().stream().filter(c -> !c.passed())
              .map(c -> c.check().name().toLowerCase(java.util.Locale.ROOT) + ": " + c.detail()).collect(Collectors.joining("; "));
          draft.workFailure = new UnitProblem(EventReason.RestoreTestFailed, "Restore test of backup " + r.backupId()
              + forRequest(tested.onDemandToken()) + " failed: " + failedChecks);
          events.record(policy, EventRecorder.Type.Warning, EventReason.RestoreTestFailed, draft.workFailure.getMessage());
        }
      }
      case Outcome.RestoreTestNotRun notRun -> {
        if (notRun.scheduledFor() != null) {
          failedAt.put(policyKey + "/restore-test", clock.instant());
        }
        if (notRun.onDemandToken() != null) {
          draft.lastOnDemandRestoreTest = new BackupPolicyStatus.OnDemandRequest(notRun.onDemandToken(), "NotRun", null, started, ended,
              notRun.message());
        }
        meters.restoreTestCouldNotRun();
        draft.workFailure = new UnitProblem(EventReason.RestoreTestFailed, "Restore test" + forRequest(notRun.onDemandToken())
            + " could not run: " + notRun.message());
        events.record(policy, EventRecorder.Type.Warning, EventReason.RestoreTestFailed, draft.workFailure.getMessage());
      }
    }
  }

  private static String forRequest(String onDemandToken) {
    return onDemandToken != null ? " (on-demand request " + onDemandToken + ")" : "";
  }

  private static String keyOf(BackupManifest m) {
    return m.encryption().keyId() + " (fingerprint " + m.encryption().keyFingerprint() + ")";
  }

  private static BackupPolicyStatus.RestoreTestReport report(RestoreTester.Result r, BackupPolicySpec spec) {
    List<BackupPolicySpec.Check> wanted = spec.restoreTest().checks() != null ? spec.restoreTest().checks()
        : List.of(BackupPolicySpec.Check.values());
    return new BackupPolicyStatus.RestoreTestReport(r.backupId(), r.start().toString(), r.end().toString(),
        r.passed() ? "Passed" : "Failed", r.recoveryTime().toMillis() / 1000.0, r.rtoMet(), (double) r.backupAge().toSeconds(),
        r.rpoMet(), r.checks().stream().filter(c -> wanted.contains(c.check()))
            .map(c -> new BackupPolicyStatus.CheckResult(c.check(), c.passed(), c.detail())).toList());
  }

  private void recordMissed(BackupPolicy policy, Draft draft, TierState state, FireSchedule.Decision decision,
      boolean suspended, String what, BackupMetrics meters) {
    if (decision.missed().isEmpty()) {
      return;
    }
    state.lastFireTime = decision.lastMissed().toString();
    if (suspended) {
      return;
    }
    state.missedFires += decision.missed().size();
    meters.missed(decision.missed().size());
    String message = decision.missed().size() + " " + what + " fire(s) missed their window, the last at " + decision.lastMissed();
    draft.onSchedule = new Conditions.Desired(ON_SCHEDULE, false, EventReason.BackupMissed.name(), message);
    events.record(policy, EventRecorder.Type.Warning, EventReason.BackupMissed, message);
  }

  private boolean mayRetry(String key, Instant now) {
    Instant failed = failedAt.get(key);
    return failed == null || !now.isBefore(failed.plus(RETRY_AFTER_FAILURE));
  }

  /** A new policy (no fire handled yet) still takes a fire whose window is open when it is created. */
  private static Instant lastHandled(String lastFireTime, BackupPolicy policy, Instant now, Duration window) {
    if (lastFireTime != null) {
      return Instant.parse(lastFireTime);
    }
    Instant created = policy.getMetadata().getCreationTimestamp() != null
        ? Instant.parse(policy.getMetadata().getCreationTimestamp()) : now;
    return (created.isAfter(now) ? now : created).minus(window);
  }

  private static Duration earliest(Duration current, Instant at, Instant now) {
    if (at == null) {
      return current;
    }
    Duration until = Duration.between(now, at);
    if (until.compareTo(Duration.ofSeconds(1)) < 0) {
      until = Duration.ofSeconds(1);
    }
    return until.compareTo(current) < 0 ? until : current;
  }

  private static List<BackupSchedule> schedules(BackupPolicySpec spec) {
    return spec.schedules() != null ? spec.schedules() : List.of();
  }

  private static String orUtc(String zone) {
    return zone != null ? zone : "UTC";
  }

  private Inputs resolve(BackupPolicy policy, Context<BackupPolicy> context) throws UnitProblem {
    String namespace = policy.getMetadata().getNamespace();
    var spec = policy.getSpec();
    Cache<Secret> secrets = informerCache(context, Secret.class);
    PostgresTargets.SecretLookup lookup = (ns, name) -> secrets.get(new ResourceID(name, ns));
    DatabaseUnit unit = informerCache(context, DatabaseUnit.class).get(new ResourceID(spec.databaseUnit(), namespace))
        .orElseThrow(() -> new UnitProblem(EventReason.BackupUnitNotFound,
            "DatabaseUnit " + namespace + "/" + spec.databaseUnit() + " does not exist"));
    PostgresTarget target = PostgresTargets.resolve(unit, lookup);
    KeyEncryptionKey kek = kek(lookup, namespace, spec.encryption().keyEncryptionKey());
    List<KeyEncryptionKey> previous = new ArrayList<>();
    for (SecretKeyRef ref : spec.encryption().previousKeys() != null ? spec.encryption().previousKeys() : List.<SecretKeyRef>of()) {
      previous.add(kek(lookup, namespace, ref));
    }
    var scratch = spec.restoreTest() != null ? spec.restoreTest().scratchInstance() : null;
    PostgresTarget scratchServer = scratch != null ? PostgresTargets.external(scratch, namespace, lookup) : target;
    return new Inputs(target, scratchServer, kek, List.copyOf(previous), spec.storage(), credentials(lookup, namespace, spec.storage()), spec.secondaryStorage(),
        spec.secondaryStorage() != null ? credentials(lookup, namespace, spec.secondaryStorage()) : null);
  }

  private static KeyEncryptionKey kek(PostgresTargets.SecretLookup lookup, String namespace, SecretKeyRef ref) throws UnitProblem {
    try {
      return KeyEncryptionKey.fromBase64(PostgresTargets.value(lookup, namespace, ref));
    } catch (IllegalArgumentException e) {
      throw new UnitProblem(EventReason.BackupKeyInvalid, "The key-encryption key " + ref.key() + " in Secret " + namespace + "/"
          + ref.name() + " is unusable: " + e.getMessage());
    }
  }

  private static AwsBasicCredentials credentials(PostgresTargets.SecretLookup lookup, String namespace,
      BackupPolicySpec.ObjectStorage storage) throws UnitProblem {
    var ref = storage.credentials();
    if (ref == null) {
      return null;
    }
    return AwsBasicCredentials.create(
        PostgresTargets.value(lookup, namespace, new SecretKeyRef(ref.secretName(),
            ref.accessKeyIdKey() != null ? ref.accessKeyIdKey() : "accessKeyId")),
        PostgresTargets.value(lookup, namespace, new SecretKeyRef(ref.secretName(),
            ref.secretAccessKeyKey() != null ? ref.secretAccessKeyKey() : "secretAccessKey")));
  }

  @SuppressWarnings("unchecked")
  private static <R extends HasMetadata> Cache<R> informerCache(Context<BackupPolicy> context, Class<R> type) {
    return (Cache<R>) context.eventSourceRetriever().getEventSourceFor(type);
  }

  private UpdateControl<BackupPolicy> finish(BackupPolicy policy, BackupPolicyStatus previous, Draft draft, UnitProblem problem,
      Duration sleep) {
    long generation = policy.getMetadata().getGeneration();
    List<Conditions.Desired> desired = new ArrayList<>();
    UnitProblem degraded = problem != null ? problem : draft.workFailure;
    if (degraded != null) {
      desired.add(new Conditions.Desired(Conditions.DEGRADED, true, degraded.reason().name(), degraded.getMessage()));
      desired.add(new Conditions.Desired(Conditions.READY, false, degraded.reason().name(), degraded.getMessage()));
    } else {
      desired.add(new Conditions.Desired(Conditions.DEGRADED, false, "AsExpected", "No problems found"));
      desired.add(new Conditions.Desired(Conditions.READY, true, "Reconciled", "Backups are scheduled"));
    }
    desired.add(draft.inProgress != null
        ? new Conditions.Desired(Conditions.PROGRESSING, true, draft.inProgress.kind(),
            draft.inProgress.kind() + " " + Objects.toString(draft.inProgress.id(), "") + " is " + draft.inProgress.phase())
        : new Conditions.Desired(Conditions.PROGRESSING, false, "Idle", "Nothing in progress"));
    if (draft.onSchedule != null) {
      desired.add(draft.onSchedule);
    }
    var conditions = Conditions.merge(previous.conditions(), desired, generation, clock.instant());
    recordTransition(policy, previous, conditions, problem);
    var next = draft.build(generation, conditions);
    UpdateControl<BackupPolicy> control;
    if (next.equals(previous)) {
      control = UpdateControl.noUpdate();
    } else {
      policy.setStatus(next);
      control = UpdateControl.patchStatus(policy);
    }
    return control.rescheduleAfter(sleep.truncatedTo(ChronoUnit.MILLIS).toMillis());
  }

  /** Input problems (missing unit, Secret, bad key) are Events when they appear, not on every retry. */
  private void recordTransition(BackupPolicy policy, BackupPolicyStatus previous, List<io.fabric8.kubernetes.api.model.Condition> now,
      UnitProblem problem) {
    var before = Conditions.find(previous.conditions(), Conditions.DEGRADED);
    var after = Conditions.find(now, Conditions.DEGRADED);
    if (problem != null && (before == null || !Objects.equals(before.getReason(), after.getReason()))) {
      events.record(policy, EventRecorder.Type.Warning, problem.reason(), problem.getMessage());
    }
  }

  @Override
  public DeleteControl cleanup(BackupPolicy policy, Context<BackupPolicy> context) {
    String policyKey = key(policy.getMetadata().getNamespace(), policy.getMetadata().getName());
    Job job = jobs.remove(policyKey);
    if (job != null) {
      // The interrupted backup aborts its upload; stored backups are kept (deleting a policy never deletes data).
      job.future().cancel(true);
    }
    BackupMetrics m = metrics.remove(policyKey);
    if (m != null) {
      m.remove();
    }
    failedAt.keySet().removeIf(k -> k.startsWith(policyKey + "/"));
    return DeleteControl.defaultDelete();
  }

  /** Mutable copy of the status while one reconcile works on it. */
  private static final class Draft {
    final Map<Tier, TierState> tiers = new EnumMap<>(Tier.class);
    final TierState restoreSchedule;
    Operation inProgress;
    BackupPolicyStatus.BackupRecord lastBackup;
    Integer retained;
    BackupPolicyStatus.RestoreTestReport lastRestoreTest;
    BackupPolicyStatus.OnDemandRequest lastOnDemandBackup;
    BackupPolicyStatus.OnDemandRequest lastOnDemandRestoreTest;
    UnitProblem workFailure;
    Conditions.Desired onSchedule;

    Draft(BackupPolicyStatus status) {
      if (status.tiers() != null) {
        status.tiers().forEach(t -> tiers.put(t.tier(), new TierState(t)));
      }
      restoreSchedule = new TierState(status.restoreTestSchedule());
      inProgress = status.inProgress();
      lastBackup = status.lastBackup();
      retained = status.retainedBackups();
      lastRestoreTest = status.lastRestoreTest();
      lastOnDemandBackup = status.lastOnDemandBackup();
      lastOnDemandRestoreTest = status.lastOnDemandRestoreTest();
      var degraded = Conditions.find(status.conditions(), Conditions.DEGRADED);
      // A failed backup or restore test stays reported until the next one succeeds.
      if (degraded != null && "True".equals(degraded.getStatus())
          && Set.of(EventReason.BackupFailed.name(), EventReason.RestoreTestFailed.name(), EventReason.BackupKeyStillNeeded.name())
              .contains(degraded.getReason())) {
        workFailure = new UnitProblem(EventReason.valueOf(degraded.getReason()), degraded.getMessage());
      }
    }

    TierState tier(Tier tier) {
      return tiers.computeIfAbsent(tier, t -> new TierState(new TierStatus(t, null, null, null, 0)));
    }

    BackupPolicyStatus build(long generation, List<io.fabric8.kubernetes.api.model.Condition> conditions) {
      return new BackupPolicyStatus(generation, conditions, tiers.values().stream().map(TierState::build).toList(),
          restoreSchedule.build(), inProgress, lastBackup, retained, lastRestoreTest, lastOnDemandBackup, lastOnDemandRestoreTest);
    }
  }

  private static final class TierState {
    final Tier tier;
    String lastFireTime;
    String lastSuccessTime;
    String nextFireTime;
    int missedFires;

    TierState(TierStatus status) {
      tier = status != null ? status.tier() : null;
      if (status != null) {
        lastFireTime = status.lastFireTime();
        lastSuccessTime = status.lastSuccessTime();
        nextFireTime = status.nextFireTime();
        missedFires = status.missedFires() != null ? status.missedFires() : 0;
      }
    }

    TierStatus build() {
      return new TierStatus(tier, lastFireTime, lastSuccessTime, nextFireTime, missedFires);
    }
  }
}
