package dev.databaseunit.operator.backup;

import dev.databaseunit.operator.common.IndexedInformers;
import dev.databaseunit.operator.storage.ObjectStores;

import dev.databaseunit.operator.api.v1alpha1.ApiDurations;
import dev.databaseunit.operator.api.v1alpha1.BackupPolicy;
import dev.databaseunit.operator.api.v1alpha1.BackupPolicyStatus;
import dev.databaseunit.operator.api.v1alpha1.BackupPolicyStatus.Operation;
import dev.databaseunit.operator.api.v1alpha1.BackupPolicyStatus.OperationKind;
import dev.databaseunit.operator.api.v1alpha1.BackupPolicyStatus.OperationPhase;
import dev.databaseunit.operator.api.v1alpha1.DatabaseUnit;
import dev.databaseunit.operator.backup.BackupPlanner.Action;
import dev.databaseunit.operator.backup.BackupPlanner.Notice;
import dev.databaseunit.operator.common.EgressPolicy;
import dev.databaseunit.operator.common.Jobs;
import dev.databaseunit.operator.common.UnitProblem;
import dev.databaseunit.operator.events.EventReason;
import dev.databaseunit.operator.events.EventRecorder;
import dev.databaseunit.operator.postgres.PostgresTargets;
import dev.databaseunit.operator.status.Conditions;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Secret;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
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
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reconciles a BackupPolicy: {@link BackupPlanner} decides from spec, annotations and status what is due, {@link BackupWork}
 * runs one backup or restore test at a time per policy as a job ({@link Jobs}, never on the reconcile thread), and
 * {@link BackupReducer} folds the outcome into the status. Because the work underway is in status, a restarted operator
 * finds it: it adopts the backup when its manifest was written and otherwise removes the partial object and lets the
 * fire run again, inside its window. On-demand work ({@link OnDemand} annotations) runs the same way and is recorded as
 * handled, by its token, only once it has ended.
 */
// Annotations carry on-demand requests and do not change the generation: the filter lets their changes through.
@ControllerConfiguration(name = BackupPolicyReconciler.NAME, generationAwareEventProcessing = false,
    informer = @Informer(onUpdateFilter = SpecOrAnnotationsChanged.class))
public class BackupPolicyReconciler implements Reconciler<BackupPolicy>, Cleaner<BackupPolicy> {
  public static final String NAME = "backuppolicy";
  public static final String ON_SCHEDULE = "OnSchedule";
  static final Duration POLL_WHILE_RUNNING = Duration.ofSeconds(2);
  private static final String BY_UNIT = "byDatabaseUnit";
  private static final String BY_SECRET = "bySecret";
  private static final Logger log = LoggerFactory.getLogger(BackupPolicyReconciler.class);

  private final EventRecorder events;
  private final Clock clock;
  private final BackupWork work;
  private final MeterRegistry registry;
  private final Jobs jobs;
  private final EgressPolicy egress;
  private final Map<String, Running> running = new ConcurrentHashMap<>();
  private final Map<String, BackupMetrics> metrics = new ConcurrentHashMap<>();
  /** Per policy and retry key: when a failed attempt may run again (in memory: a restart retries at once). */
  private final Map<String, Instant> retryAt = new ConcurrentHashMap<>();

  /**
   * @param inUse backups being read, shared with the bootstrap: retention keeps them
   * @param egress where the policy's scratch instance and storage may be (the chart's allow-lists)
   */
  public BackupPolicyReconciler(EventRecorder events, Clock clock, BackupService backups, RestoreTester restoreTester,
      ObjectStores stores, MeterRegistry registry, Jobs jobs, BackupsInUse inUse, EgressPolicy egress) {
    this.egress = egress;
    this.events = events;
    this.clock = clock;
    this.work = new BackupWork(backups, restoreTester, stores, clock, inUse);
    this.registry = registry;
    this.jobs = jobs;
  }

  /** The job of one policy (keyed by the policy), the operation it runs and the phase it last reported. */
  private record Running(Operation operation, Jobs.Job<BackupOutcome> job, AtomicReference<OperationPhase> phase) {}

  @Override
  public List<EventSource<?, BackupPolicy>> prepareEventSources(EventSourceContext<BackupPolicy> context) {
    context.getPrimaryCache().addIndexer(BY_UNIT, p -> List.of(key(p.getMetadata().getNamespace(), p.getSpec().databaseUnit())));
    context.getPrimaryCache().addIndexer(BY_SECRET, p -> PolicyInputs.secretNames(p.getSpec()).stream()
        .map(name -> key(p.getMetadata().getNamespace(), name)).toList());
    return List.of(IndexedInformers.watch(context, DatabaseUnit.class, BY_UNIT),
        IndexedInformers.watch(context, Secret.class, BY_SECRET));
  }

  private static String key(String namespace, String name) {
    return IndexedInformers.key(namespace, name);
  }

  @Override
  public UpdateControl<BackupPolicy> reconcile(BackupPolicy policy, Context<BackupPolicy> context) {
    String policyKey = key(policy.getMetadata().getNamespace(), policy.getMetadata().getName());
    Instant now = clock.instant();
    BackupPolicyStatus previous = policy.getStatus() != null ? policy.getStatus() : PolicyDraft.empty();
    var draft = PolicyDraft.of(previous);
    BackupMetrics meters = meters(policyKey, policy);

    PolicyInputs inputs = null;
    UnitProblem problem = null;
    try {
      inputs = resolve(policy, context);
    } catch (UnitProblem p) {
      problem = p;
    }

    Running job = running.get(policyKey);
    if (job != null && job.job().running()) {
      draft.inProgress = withPhase(job.operation(), job.phase().get());
      return finish(policy, previous, draft, problem, POLL_WHILE_RUNNING);
    }
    if (job != null) {
      running.remove(policyKey);
      BackupOutcome outcome = outcomeOf(job, jobs.<BackupOutcome>collect(policyKey).orElseThrow());
      meters.record(outcome);
      var reduction = BackupReducer.reduce(draft, outcome, policy.getSpec(), clock.instant());
      reduction.retryAt().forEach((k, at) -> retryAt.put(policyKey + "/" + k, at));
      reduction.retryCleared().forEach(k -> retryAt.remove(policyKey + "/" + k));
      record(policy, reduction.notices());
    } else if (draft.inProgress != null && inputs != null) {
      // Status says work is underway but this process runs none: the operator restarted in the middle of it.
      var interrupted = draft.inProgress;
      PolicyInputs resolved = inputs;
      start(policyKey, draft, interrupted, phase -> work.recoverInterrupted(policy, resolved, interrupted, phase));
      return finish(policy, previous, draft, problem, POLL_WHILE_RUNNING);
    }
    if (draft.inProgress != null) {
      return finish(policy, previous, draft, problem, BackupReducer.RETRY.initial());
    }

    Map<String, String> annotations = policy.getMetadata().getAnnotations() != null ? policy.getMetadata().getAnnotations() : Map.of();
    var plan = BackupPlanner.plan(policy.getSpec(), annotations, policy.getMetadata().getCreationTimestamp(), draft, now, k -> retryAt.get(policyKey + "/" + k));
    meters.missed(plan.missedFires());
    record(policy, plan.notices());
    Duration sleep = plan.sleep();
    if (inputs != null && !(plan.action() instanceof Action.Idle)) {
      Operation operation = BackupPlanner.operation(plan.action(), now);
      PolicyInputs resolved = inputs;
      switch (plan.action()) {
        case Action.RunBackup backup -> start(policyKey, draft, operation,
            phase -> work.backup(policy, resolved, backup.schedule(), operation, phase));
        case Action.RunRestoreTest test -> start(policyKey, draft, operation,
            phase -> work.restoreTest(policy, resolved, operation, test.source()));
        case Action.RunHousekeeping housekeeping -> start(policyKey, draft, operation, phase -> work.housekeeping(policy, resolved));
        case Action.Idle idle -> throw new IllegalStateException("unreachable");
      }
      if (operation.onDemandToken() != null) {
        events.record(policy, EventRecorder.Type.Normal, operation.kind() == OperationKind.Backup
            ? EventReason.BackupOnDemandStarted : EventReason.RestoreTestOnDemandStarted, operation.kind() == OperationKind.Backup
            ? "On-demand backup " + operation.id() + " (tier " + BackupPlanner.name(operation.tier()) + ") started for request "
                + operation.onDemandToken()
            : "On-demand restore test started for request " + operation.onDemandToken());
      }
      sleep = POLL_WHILE_RUNNING;
    }
    return finish(policy, previous, draft, problem, sleep);
  }

  private BackupMetrics meters(String policyKey, BackupPolicy policy) {
    BackupMetrics meters = metrics.computeIfAbsent(policyKey, k ->
        new BackupMetrics(registry, policy.getMetadata().getNamespace(), policy.getSpec().databaseUnit(), policy.getMetadata().getName()));
    var objectives = policy.getSpec().restoreTest();
    meters.targets(ApiDurations.parse(objectives != null && objectives.rpo() != null ? objectives.rpo() : "24h"),
        ApiDurations.parse(objectives != null && objectives.rto() != null ? objectives.rto() : "4h"));
    return meters;
  }

  private void start(String policyKey, PolicyDraft draft, Operation operation,
      java.util.function.Function<Consumer<OperationPhase>, Callable<BackupOutcome>> body) {
    var phase = new AtomicReference<>(operation.phase());
    Callable<BackupOutcome> call = body.apply(phase::set);
    running.put(policyKey, new Running(operation, jobs.submit(policyKey, progress -> call.call()), phase));
    draft.inProgress = operation;
  }

  private static Operation withPhase(Operation o, OperationPhase phase) {
    return new Operation(o.kind(), o.id(), phase, o.startTime(), o.tier(), o.scheduledFor(), o.onDemandToken());
  }

  private static BackupOutcome outcomeOf(Running job, Jobs.Result<BackupOutcome> ended) {
    var o = job.operation();
    return switch (ended) {
      case Jobs.Result.Done<BackupOutcome> done -> done.value();
      case Jobs.Result.Cancelled<BackupOutcome> cancelled -> new BackupOutcome.Interrupted(o.id());
      case Jobs.Result.Failed<BackupOutcome> failed -> {
        // Work turns its failures into outcomes; this is a bug in the work itself.
        log.error("Backup work {} failed unexpectedly", o.id(), failed.error());
        String why = "internal error: " + failed.error();
        yield switch (o.kind()) {
          case Backup -> new BackupOutcome.BackupFailed(o.tier(), why, o.scheduledFor(), o.onDemandToken());
          case RestoreTest -> new BackupOutcome.RestoreTestNotRun(why, o.scheduledFor(), o.onDemandToken());
          case Housekeeping -> new BackupOutcome.Housekept(BackupOutcome.Housekeeping.failed(why));
        };
      }
    };
  }

  private void record(BackupPolicy policy, List<Notice> notices) {
    notices.forEach(n -> events.record(policy, n.type(), n.reason(), n.message()));
  }

  private PolicyInputs resolve(BackupPolicy policy, Context<BackupPolicy> context) throws UnitProblem {
    String namespace = policy.getMetadata().getNamespace();
    Cache<Secret> secrets = informerCache(context, Secret.class);
    PostgresTargets.SecretLookup lookup = (ns, name) -> secrets.get(new ResourceID(name, ns));
    var unit = informerCache(context, DatabaseUnit.class).get(new ResourceID(policy.getSpec().databaseUnit(), namespace));
    return PolicyInputs.resolve(policy, unit, lookup, egress);
  }

  @SuppressWarnings("unchecked")
  private static <R extends HasMetadata> Cache<R> informerCache(Context<BackupPolicy> context, Class<R> type) {
    return (Cache<R>) context.eventSourceRetriever().getEventSourceFor(type);
  }

  private UpdateControl<BackupPolicy> finish(BackupPolicy policy, BackupPolicyStatus previous, PolicyDraft draft, UnitProblem problem,
      Duration sleep) {
    long generation = policy.getMetadata().getGeneration();
    var conditions = Conditions.merge(previous.conditions(), BackupReducer.conditions(draft, problem, policy.getSpec()), generation,
        clock.instant());
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
    // The interrupted backup aborts its upload; stored backups are kept (deleting a policy never deletes data).
    running.remove(policyKey);
    jobs.cancel(policyKey);
    BackupMetrics m = metrics.remove(policyKey);
    if (m != null) {
      m.remove();
    }
    retryAt.keySet().removeIf(k -> k.startsWith(policyKey + "/"));
    return DeleteControl.defaultDelete();
  }
}
