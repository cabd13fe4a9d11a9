package dev.databaseunit.operator.gdpr;

import dev.databaseunit.operator.common.IndexedInformers;
import dev.databaseunit.operator.api.v1alpha1.BackupPolicySpec;
import dev.databaseunit.operator.api.v1alpha1.DatabaseUnit;
import dev.databaseunit.operator.api.v1alpha1.GdprRequest;
import dev.databaseunit.operator.api.v1alpha1.GdprRequestSpec;
import dev.databaseunit.operator.api.v1alpha1.GdprRequestStatus;
import dev.databaseunit.operator.cache.RedisEndpoint;
import dev.databaseunit.operator.common.Backoff;
import dev.databaseunit.operator.common.Jobs;
import dev.databaseunit.operator.common.UnitProblem;
import dev.databaseunit.operator.events.EventReason;
import dev.databaseunit.operator.events.EventRecorder;
import dev.databaseunit.operator.postgres.PostgresTargets;
import dev.databaseunit.operator.postgres.UnitDataSources;
import io.javaoperatorsdk.operator.api.reconciler.Cleaner;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.DeleteControl;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * Reconciles a GdprRequest: Pending → Running → Completed. {@link GdprInputs} resolves what the work needs; the work
 * ({@link GdprJob}: checking the subject plan, the erasure transaction or the streamed export) runs as a job
 * ({@link Jobs}, two at a time), because an export of a large subject
 * takes as long as the data takes to stream and must not hold one of the framework's reconcile threads; the
 * reconcile only starts the job and, polling every second, turns its {@link GdprOutcome} into status, conditions and
 * Events with the pure {@link GdprReducer}.
 * The phase is in status, and the "completed" audit row is written in the same transaction as the erasure, so
 * a restarted operator that finds a request Running runs it again and is told it already completed: a
 * completed request is never re-run, an interrupted one was rolled back and runs again. Problems (unit
 * missing, database unreachable, invalid subject plan, storage failure) are a Degraded reason, retried with
 * backoff; fixing the DatabaseUnit triggers the retry at once through a watch on units.
 */
@ControllerConfiguration(name = GdprRequestReconciler.NAME)
public class GdprRequestReconciler implements Reconciler<GdprRequest>, Cleaner<GdprRequest> {
  public static final String NAME = "gdprrequest";
  private static final String BY_UNIT = "byDatabaseUnit";
  private static final Duration POLL = Duration.ofSeconds(1);

  /** Opens the store an export goes to (S3 in production). */
  @FunctionalInterface
  public interface ExportStores {
    /** @param kek the key-encryption key the export is sealed with */
    ExportStore open(BackupPolicySpec.ObjectStorage storage, String accessKeyId, String secretAccessKey,
        dev.databaseunit.operator.storage.KeyEncryptionKey kek);
  }

  /** Opens the unit's Redis. */
  @FunctionalInterface
  public interface SubjectCaches {
    SubjectCache open(RedisEndpoint endpoint);
  }

  private final EventRecorder events;
  private final Clock clock;
  private final UnitDataSources dataSources;
  private final PostgresTargets.SecretLookup secrets;
  private final Jobs jobs;
  private final GdprJob job;
  private final ExportStores stores;
  private final MeterRegistry registry;
  private final Backoff.PerKey backoff = Backoff.exponential(Duration.ofSeconds(2), Duration.ofMinutes(5)).perKey();

  /** @param secrets the Secrets of the requests' units (the operator's {@link dev.databaseunit.operator.postgres.SecretCache}) */
  public GdprRequestReconciler(EventRecorder events, Clock clock, UnitDataSources dataSources,
      PostgresTargets.SecretLookup secrets, GdprService service, Jobs jobs, ExportStores stores, SubjectCaches caches,
      MeterRegistry registry) {
    this.secrets = secrets;
    this.events = events;
    this.clock = clock;
    this.dataSources = dataSources;
    this.jobs = jobs;
    this.job = new GdprJob(service, stores, caches, registry);
    this.stores = stores;
    this.registry = registry;
  }

  @Override
  public List<EventSource<?, GdprRequest>> prepareEventSources(EventSourceContext<GdprRequest> context) {
    context.getPrimaryCache().addIndexer(BY_UNIT,
        r -> List.of(IndexedInformers.key(r.getMetadata().getNamespace(), r.getSpec().databaseUnit())));
    return List.of(IndexedInformers.watch(context, DatabaseUnit.class, BY_UNIT));
  }

  @Override
  public UpdateControl<GdprRequest> reconcile(GdprRequest request, Context<GdprRequest> context) {
    GdprRequestStatus status = request.getStatus() != null ? request.getStatus() : GdprReducer.initial();
    if (GdprPhase.of(status.phase()) == GdprPhase.Completed) {
      return expireExport(request, status, context);
    }
    String uid = request.getMetadata().getUid();
    var running = jobs.<GdprOutcome>find(uid);
    if (running.isPresent() && running.get().running()) {
      return UpdateControl.<GdprRequest>noUpdate().rescheduleAfter(POLL);
    }
    if (running.isPresent()) {
      GdprOutcome outcome = GdprOutcome.of(jobs.<GdprOutcome>collect(uid).orElseThrow());
      return outcome instanceof GdprOutcome.Failed failed ? degraded(request, status, failed.problem())
          : completed(request, status, outcome);
    }
    try {
      GdprInputs inputs = GdprInputs.resolve(request, unitOf(request, context), context.getClient(), secrets, dataSources);
      jobs.submit(uid, progress -> job.run(inputs));
      return patch(request, status, GdprReducer.running(request.getSpec(), status, generation(request), clock.instant()))
          .rescheduleAfter(POLL);
    } catch (UnitProblem p) {
      return degraded(request, status, p);
    }
  }

  private static DatabaseUnit unitOf(GdprRequest request, Context<GdprRequest> context) throws UnitProblem {
    String namespace = request.getMetadata().getNamespace();
    String unitName = request.getSpec().databaseUnit();
    @SuppressWarnings("unchecked")
    var units = (InformerEventSource<DatabaseUnit, GdprRequest>) context.eventSourceRetriever().getEventSourceFor(DatabaseUnit.class);
    return units.get(new ResourceID(unitName, namespace)).orElseThrow(() -> new UnitProblem(
        EventReason.DatabaseUnitNotFound, "DatabaseUnit " + namespace + "/" + unitName + " does not exist"));
  }

  private UpdateControl<GdprRequest> completed(GdprRequest request, GdprRequestStatus status, GdprOutcome outcome) {
    String uid = request.getMetadata().getUid();
    backoff.reset(uid);
    var spec = request.getSpec();
    var reduction = GdprReducer.completed(spec, uid, status, outcome, generation(request), clock.instant());
    String namespace = request.getMetadata().getNamespace();
    if (reduction.erasedRows() > 0) {
      registry.counter("databaseunit.gdpr.erased.rows", "namespace", namespace, "unit", spec.databaseUnit())
          .increment(reduction.erasedRows());
    }
    registry.counter("databaseunit.gdpr.requests", "namespace", namespace, "unit", spec.databaseUnit(),
        "type", spec.type().name(), "outcome", reduction.reason().name()).increment();
    record(request, reduction);
    var control = patch(request, status, reduction.status());
    return reduction.recheck().map(control::rescheduleAfter).orElse(control);
  }

  private UpdateControl<GdprRequest> degraded(GdprRequest request, GdprRequestStatus status, UnitProblem problem) {
    var reduction = GdprReducer.degraded(status, problem, generation(request), clock.instant());
    record(request, reduction);
    return patch(request, status, reduction.status()).rescheduleAfter(backoff.next(request.getMetadata().getUid()));
  }

  private void record(GdprRequest request, GdprReducer.Reduction reduction) {
    reduction.event().ifPresent(e -> events.record(request, e.type(), e.reason(), e.message()));
  }

  /** A completed export: deleted from the store once its expiry has passed; the reconcile is scheduled for that moment. */
  private UpdateControl<GdprRequest> expireExport(GdprRequest request, GdprRequestStatus status, Context<GdprRequest> context) {
    var wait = GdprReducer.untilExpiry(status, clock.instant());
    if (wait.isEmpty()) {
      return UpdateControl.noUpdate();
    }
    if (wait.get().isPositive()) {
      return UpdateControl.<GdprRequest>noUpdate().rescheduleAfter(wait.get());
    }
    try {
      deleteExport(request, context);
    } catch (UnitProblem p) {
      return degraded(request, status, p);
    } catch (IOException | RuntimeException e) {
      return degraded(request, status, new UnitProblem(EventReason.ExportStorageFailed,
          "Expired export " + status.export().location() + " not deleted: " + e.getMessage(), e));
    }
    backoff.reset(request.getMetadata().getUid());
    var reduction = GdprReducer.expired(status, generation(request), clock.instant());
    record(request, reduction);
    return patch(request, status, reduction.status());
  }

  private void deleteExport(GdprRequest request, Context<GdprRequest> context) throws UnitProblem, IOException {
    var target = GdprInputs.exportTarget(request, unitOf(request, context), secrets, dataSources);
    try (var store = target.open(stores)) {
      store.delete(objectKey(request));
    }
  }

  /**
   * A deleted request takes its export with it (the request's finalizer): a person's data must not outlive the record of
   * why it was exported. A storage failure keeps the request until the delete succeeds; without the unit (and so without
   * the storage's credentials) the export cannot be reached, which a Warning Event says, and the request goes.
   */
  @Override
  public DeleteControl cleanup(GdprRequest request, Context<GdprRequest> context) {
    String uid = request.getMetadata().getUid();
    jobs.cancel(uid);
    var export = request.getStatus() != null ? request.getStatus().export() : null;
    if (export == null || Boolean.TRUE.equals(export.expired())) {
      backoff.reset(uid);
      return DeleteControl.defaultDelete();
    }
    try {
      deleteExport(request, context);
      events.record(request, EventRecorder.Type.Normal, EventReason.ExportDeleted, "Export " + export.location()
          + " deleted with its GdprRequest");
    } catch (UnitProblem p) {
      events.record(request, EventRecorder.Type.Warning, EventReason.ExportStorageFailed, "Export " + export.location()
          + " could not be deleted with its GdprRequest (" + p.getMessage() + "); delete it by hand");
    } catch (IOException | RuntimeException e) {
      events.record(request, EventRecorder.Type.Warning, EventReason.ExportStorageFailed, "Export " + export.location()
          + " not deleted yet, retried: " + e.getMessage());
      return DeleteControl.noFinalizerRemoval().rescheduleAfter(backoff.next(uid));
    }
    backoff.reset(uid);
    return DeleteControl.defaultDelete();
  }

  /** The export's object key: fixed per request, so a re-run after a crash overwrites instead of adding. */
  static String objectKey(GdprRequest request) {
    return request.getMetadata().getNamespace() + "/" + request.getMetadata().getName() + "-" + request.getMetadata().getUid()
        + (format(request.getSpec()) == GdprRequestSpec.Format.CSV ? ".zip" : ".json");
  }

  static GdprRequestSpec.Format format(GdprRequestSpec spec) {
    return spec.format() != null ? spec.format() : GdprRequestSpec.Format.JSON;
  }

  private UpdateControl<GdprRequest> patch(GdprRequest request, GdprRequestStatus before, GdprRequestStatus after) {
    if (Objects.equals(before, after)) {
      return UpdateControl.noUpdate();
    }
    GdprPhase from = GdprPhase.of(before.phase());
    if (!from.canMoveTo(GdprPhase.of(after.phase()))) {
      throw new IllegalStateException("GdprRequest " + request.getMetadata().getName() + " cannot move from " + from + " to " + after.phase());
    }
    request.setStatus(after);
    return UpdateControl.patchStatus(request);
  }

  private static long generation(GdprRequest request) {
    return request.getMetadata().getGeneration() != null ? request.getMetadata().getGeneration() : 1L;
  }

}
