package dev.databaseunit.operator.gdpr;

import dev.databaseunit.operator.common.Jobs;
import dev.databaseunit.operator.api.v1alpha1.ApiDurations;
import dev.databaseunit.operator.api.v1alpha1.BackupPolicySpec;
import dev.databaseunit.operator.api.v1alpha1.DatabaseUnit;
import dev.databaseunit.operator.api.v1alpha1.GdprRequest;
import dev.databaseunit.operator.api.v1alpha1.GdprRequestSpec;
import dev.databaseunit.operator.api.v1alpha1.GdprRequestStatus;
import dev.databaseunit.operator.cache.RedisEndpoint;
import dev.databaseunit.operator.common.Backoff;
import dev.databaseunit.operator.databaseunit.UnitContext;
import dev.databaseunit.operator.common.UnitProblem;
import dev.databaseunit.operator.events.EventReason;
import dev.databaseunit.operator.events.EventRecorder;
import dev.databaseunit.operator.postgres.DatabaseFailures;
import dev.databaseunit.operator.postgres.PostgresTarget;
import dev.databaseunit.operator.postgres.PostgresTargets;
import dev.databaseunit.operator.postgres.UnitDataSources;
import dev.databaseunit.operator.status.Conditions;
import io.fabric8.kubernetes.api.model.Condition;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Cleaner;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.DeleteControl;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Collectors;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reconciles a GdprRequest: Pending → Running → Completed. The work (checking the subject plan, the erasure
 * transaction or the streamed export) runs as a job ({@link Jobs}, two at a time), because an export of a large subject
 * takes as long as the data takes to stream and must not hold one of the framework's reconcile threads; the
 * reconcile only starts the job and, polling every second, turns its result into status, conditions and Events.
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
  private static final Logger log = LoggerFactory.getLogger(GdprRequestReconciler.class);

  /** Opens the store an export goes to (S3 in production). */
  @FunctionalInterface
  public interface ExportStores {
    /** @param kek the key-encryption key the export is sealed with */
    ExportStore open(BackupPolicySpec.ObjectStorage storage, String accessKeyId, String secretAccessKey,
        dev.databaseunit.operator.backup.KeyEncryptionKey kek);
  }

  /** Opens the unit's Redis. */
  @FunctionalInterface
  public interface SubjectCaches {
    SubjectCache open(RedisEndpoint endpoint);
  }

  /** What a job needs, resolved on the reconcile thread from the request, its unit and their Secrets. */
  private record Work(GdprRequest request, DatabaseUnit unit, PostgresTarget target, DataSource dataSource, SubjectPlan plan,
      SubjectKey key, Optional<RedisEndpoint> cache, Optional<ExportTarget> exportTarget) {}

  private record ExportTarget(BackupPolicySpec.ObjectStorage storage, String accessKeyId, String secretAccessKey,
      dev.databaseunit.operator.backup.KeyEncryptionKey kek) {
    ExportStore open(ExportStores stores) {
      return stores.open(storage, accessKeyId, secretAccessKey, kek);
    }
  }

  /** A job's result: exactly one of erasure, export or problem. */
  private record Result(GdprService.Erasure erasure, long cacheKeysInvalidated, GdprService.Export export, UnitProblem problem) {}

  private final EventRecorder events;
  private final Clock clock;
  private final UnitDataSources dataSources;
  private final GdprService service;
  private final Jobs jobs;
  private final ExportStores stores;
  private final SubjectCaches caches;
  private final MeterRegistry registry;
  private final Backoff.PerKey backoff = Backoff.exponential(Duration.ofSeconds(2), Duration.ofMinutes(5)).perKey();

  public GdprRequestReconciler(EventRecorder events, Clock clock, UnitDataSources dataSources, GdprService service,
      Jobs jobs, ExportStores stores, SubjectCaches caches, MeterRegistry registry) {
    this.events = events;
    this.clock = clock;
    this.dataSources = dataSources;
    this.service = service;
    this.jobs = jobs;
    this.stores = stores;
    this.caches = caches;
    this.registry = registry;
  }

  @Override
  public List<EventSource<?, GdprRequest>> prepareEventSources(EventSourceContext<GdprRequest> context) {
    context.getPrimaryCache().addIndexer(BY_UNIT, r -> List.of(r.getMetadata().getNamespace() + "/" + r.getSpec().databaseUnit()));
    var config = InformerEventSourceConfiguration.from(DatabaseUnit.class, GdprRequest.class)
        .withNamespacesInheritedFromController()
        .withSecondaryToPrimaryMapper(unit -> context.getPrimaryCache().byIndex(BY_UNIT, UnitContext.keyOf(unit)).stream()
            .map(ResourceID::fromResource).collect(Collectors.toSet()))
        .build();
    return List.of(new InformerEventSource<>(config, context));
  }

  @Override
  public UpdateControl<GdprRequest> reconcile(GdprRequest request, Context<GdprRequest> context) {
    GdprRequestStatus status = request.getStatus() != null ? request.getStatus()
        : new GdprRequestStatus(null, List.of(), GdprPhase.Pending.name(), null, null, null, null, null);
    if (GdprPhase.of(status.phase()) == GdprPhase.Completed) {
      return expireExport(request, status, context);
    }
    String uid = request.getMetadata().getUid();
    var job = jobs.<Result>find(uid);
    if (job.isPresent() && job.get().running()) {
      return UpdateControl.<GdprRequest>noUpdate().rescheduleAfter(POLL);
    }
    if (job.isPresent()) {
      Result result = resultOf(jobs.<Result>collect(uid).orElseThrow());
      return result.problem() != null ? degraded(request, status, result.problem()) : completed(request, status, result);
    }
    try {
      Work work = resolve(request, context, true);
      jobs.submit(uid, progress -> run(work));
      var conditions = Conditions.merge(status.conditions(), List.of(
          new Conditions.Desired(Conditions.PROGRESSING, true, "Running", request.getSpec().type() + " in progress")),
          generation(request), clock.instant());
      return patch(request, status, new GdprRequestStatus(generation(request), conditions, GdprPhase.Running.name(),
          status.startTime() != null ? status.startTime() : now(), null, status.subjectHash(), null, null))
          .rescheduleAfter(POLL);
    } catch (UnitProblem p) {
      return degraded(request, status, p);
    }
  }

  private Work resolve(GdprRequest request, Context<GdprRequest> context, boolean needsDatabase) throws UnitProblem {
    String namespace = request.getMetadata().getNamespace();
    String unitName = request.getSpec().databaseUnit();
    @SuppressWarnings("unchecked")
    var units = (InformerEventSource<DatabaseUnit, GdprRequest>) context.eventSourceRetriever().getEventSourceFor(DatabaseUnit.class);
    DatabaseUnit unit = units.get(new ResourceID(unitName, namespace)).orElseThrow(() -> new UnitProblem(
        EventReason.DatabaseUnitNotFound, "DatabaseUnit " + namespace + "/" + unitName + " does not exist"));
    PostgresTargets.SecretLookup secrets = (ns, name) -> Optional.ofNullable(context.getClient().secrets().inNamespace(ns).withName(name).get());
    var gdpr = unit.getSpec().gdpr();
    Optional<ExportTarget> exportTarget = Optional.empty();
    if (request.getSpec().type() == GdprRequestSpec.Type.Export) {
      var storage = gdpr != null ? gdpr.exportStorage() : null;
      if (storage == null) {
        throw new UnitProblem(EventReason.ExportStorageInvalid,
            "DatabaseUnit " + unitName + " has no spec.gdpr.exportStorage: an Export needs a bucket to write to");
      }
      var credentials = dev.databaseunit.operator.backup.PolicyInputs.credentials(secrets, namespace, storage,
          "DatabaseUnit " + unitName + " spec.gdpr.exportStorage", dataSources.egress());
      String accessKey = credentials != null ? credentials.accessKeyId() : null;
      String secretKey = credentials != null ? credentials.secretAccessKey() : null;
      if (gdpr.exportEncryption() == null) {
        throw new UnitProblem(EventReason.ExportStorageInvalid, "DatabaseUnit " + unitName + " has no "
            + "spec.gdpr.exportEncryption: exports are encrypted at rest with a key-encryption key from a Secret");
      }
      var kek = dev.databaseunit.operator.backup.PolicyInputs.kek(secrets, namespace, gdpr.exportEncryption().keyEncryptionKey());
      exportTarget = Optional.of(new ExportTarget(storage, accessKey, secretKey, kek));
    }
    if (!needsDatabase) {
      return new Work(request, unit, null, null, null, null, Optional.empty(), exportTarget);
    }
    SubjectPlan plan = SubjectPlan.of(gdpr);
    PostgresTarget target = PostgresTargets.resolve(unit, secrets);
    DataSource dataSource = dev.databaseunit.operator.postgres.TimedDataSource.forPurpose(
        dataSources.dataSource(UnitContext.keyOf(unit), target), dev.databaseunit.operator.postgres.DatabaseTimeouts.Purpose.GDPR);
    return new Work(request, unit, target, dataSource, plan, SubjectKeys.resolve(context.getClient(), unit), redisOf(unit, secrets),
        exportTarget);
  }

  private Optional<RedisEndpoint> redisOf(DatabaseUnit unit, PostgresTargets.SecretLookup secrets) throws UnitProblem {
    return unit.getSpec().cache() == null ? Optional.empty()
        : Optional.of(RedisEndpoint.forUnit(unit, secrets, dataSources.egress()));
  }

  /** The job, on the executor: never throws, every failure becomes a problem with a reason. */
  private Result run(Work work) {
    var spec = work.request().getSpec();
    var request = new GdprService.Request(work.request().getMetadata().getUid(), spec.subjectId(), spec.requestedBy(), spec.reason());
    boolean erase = spec.type() == GdprRequestSpec.Type.Erase;
    var timer = registry.timer("databaseunit.gdpr.duration", "namespace", work.unit().getMetadata().getNamespace(),
        "unit", work.unit().getMetadata().getName(), "type", spec.type().name());
    long started = System.nanoTime();
    try {
      var prepared = service.prepare(work.dataSource(), work.plan(), work.key());
      service.requested(work.dataSource(), prepared, request, erase);
      if (erase) {
        boolean dryRun = Boolean.TRUE.equals(spec.dryRun());
        var cacheSpec = work.unit().getSpec().cache();
        var erasure = service.erase(work.dataSource(), prepared, request, dryRun, SubjectCacheKeys.rowKeyColumns(cacheSpec, work.plan()));
        long invalidated = dryRun ? 0 : invalidate(work, erasure);
        return new Result(erasure, invalidated, null, null);
      }
      var target = work.exportTarget().orElseThrow();
      try (var store = target.open(stores)) {
        var export = service.export(work.dataSource(), prepared, request, format(spec), store, objectKey(work.request()));
        return new Result(null, 0, export, null);
      }
    } catch (UnitProblem p) {
      return new Result(null, 0, null, p);
    } catch (SQLException e) {
      return new Result(null, 0, null, isConnectionFailure(e) ? DatabaseFailures.classify(work.target(), e)
          : new UnitProblem(EventReason.GdprRequestRetrying, spec.type() + " rolled back, nothing changed: "
              + DatabaseFailures.redact(e.getMessage(), work.target().password()), e));
    } catch (IOException e) {
      return new Result(null, 0, null, new UnitProblem(EventReason.ExportStorageFailed, "Export not written: " + e.getMessage(), e));
    } catch (CacheFailure e) {
      return new Result(null, 0, null, new UnitProblem(EventReason.CacheInvalidationFailed,
          "The erasure committed, but the subject's cache keys could not be removed: " + e.getMessage(), e));
    } catch (RuntimeException e) {
      log.warn("GdprRequest {} failed", work.request().getMetadata().getName(), e);
      return new Result(null, 0, null, new UnitProblem(EventReason.GdprRequestRetrying,
          spec.type() + " rolled back, nothing changed: " + e.getClass().getSimpleName() + ": " + e.getMessage(), e));
    } finally {
      timer.record(Duration.ofNanos(System.nanoTime() - started));
    }
  }

  private static final class CacheFailure extends RuntimeException {
    CacheFailure(RuntimeException cause) {
      super(cause.getMessage(), cause);
    }
  }

  private long invalidate(Work work, GdprService.Erasure erasure) {
    if (work.cache().isEmpty()) {
      return 0;
    }
    var keys = SubjectCacheKeys.of(work.unit().getSpec().cache(), work.unit().getMetadata().getName(), work.plan(),
        work.request().getSpec().subjectId(), erasure.deletedKeys());
    try (var cache = caches.open(work.cache().get())) {
      return cache.invalidate(keys);
    } catch (RuntimeException e) {
      throw new CacheFailure(e);
    }
  }

  private static boolean isConnectionFailure(SQLException e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SQLTransientConnectionException) {
        return true;
      }
      if (t instanceof SQLException s && s.getSQLState() != null
          && (s.getSQLState().startsWith("08") || s.getSQLState().startsWith("28") || s.getSQLState().equals("3D000")
              || s.getSQLState().startsWith("57P"))) {
        return true;
      }
    }
    return false;
  }

  private UpdateControl<GdprRequest> completed(GdprRequest request, GdprRequestStatus status, Result result) {
    String uid = request.getMetadata().getUid();
    backoff.reset(uid);
    var spec = request.getSpec();
    EventReason reason;
    String message;
    GdprRequestStatus.ExportResult export = null;
    GdprRequestStatus.ErasureResult erasure = null;
    String hash;
    Duration recheck = null;
    if (result.erasure() != null) {
      var e = result.erasure();
      hash = e.subjectHash();
      long rows = SubjectEraser.total(e.counts());
      erasure = new GdprRequestStatus.ErasureResult(e.counts(), e.dryRun(), result.cacheKeysInvalidated(),
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
            + result.cacheKeysInvalidated() + " cache keys removed";
        registry.counter("databaseunit.gdpr.erased.rows", "namespace", request.getMetadata().getNamespace(),
            "unit", spec.databaseUnit()).increment(rows);
      }
    } else {
      var x = result.export();
      hash = x.subjectHash();
      Instant expiresAt = clock.instant().plus(ApiDurations.parse(spec.exportTtl() != null ? spec.exportTtl() : "7d")).truncatedTo(ChronoUnit.SECONDS);
      export = new GdprRequestStatus.ExportResult(x.location(), x.sha256(), x.sizeBytes(), x.rowCounts(), expiresAt.toString(), false);
      recheck = Duration.between(clock.instant(), expiresAt);
      long rows = SubjectEraser.total(x.rowCounts());
      reason = rows == 0 ? EventReason.SubjectNotFound : EventReason.ExportCompleted;
      message = rows == 0 ? "No subject table holds a row of this subject; the export is empty"
          : "Exported " + rows + " rows (" + x.sizeBytes() + " bytes, sha256 " + x.sha256() + ") to " + x.location()
              + "; deleted at " + expiresAt;
    }
    registry.counter("databaseunit.gdpr.requests", "namespace", request.getMetadata().getNamespace(), "unit", spec.databaseUnit(),
        "type", spec.type().name(), "outcome", reason.name()).increment();
    var conditions = Conditions.merge(status.conditions(), List.of(
        new Conditions.Desired(Conditions.READY, true, reason.name(), message),
        new Conditions.Desired(Conditions.PROGRESSING, false, GdprPhase.Completed.name(), "Nothing in progress"),
        new Conditions.Desired(Conditions.DEGRADED, false, "AsExpected", "No problems found")), generation(request), clock.instant());
    events.record(request, EventRecorder.Type.Normal, reason, message);
    var control = patch(request, status, new GdprRequestStatus(generation(request), conditions, GdprPhase.Completed.name(),
        status.startTime() != null ? status.startTime() : now(), now(), hash, export, erasure));
    return recheck != null ? control.rescheduleAfter(recheck) : control;
  }

  private static long nonZero(Map<String, Long> counts) {
    return counts.values().stream().filter(n -> n > 0).count();
  }

  private UpdateControl<GdprRequest> degraded(GdprRequest request, GdprRequestStatus status, UnitProblem problem) {
    Condition before = Conditions.find(status.conditions(), Conditions.DEGRADED);
    if (before == null || !"True".equals(before.getStatus()) || !problem.reason().name().equals(before.getReason())) {
      events.record(request, EventRecorder.Type.Warning, problem.reason(), problem.getMessage());
    }
    List<Conditions.Desired> desired = new ArrayList<>();
    desired.add(new Conditions.Desired(Conditions.DEGRADED, true, problem.reason().name(), problem.getMessage()));
    if (GdprPhase.of(status.phase()) != GdprPhase.Completed) {
      desired.add(new Conditions.Desired(Conditions.READY, false, problem.reason().name(), problem.getMessage()));
      desired.add(new Conditions.Desired(Conditions.PROGRESSING, false, "Retrying", "Retried with backoff"));
    }
    var conditions = Conditions.merge(status.conditions(), desired, generation(request), clock.instant());
    var next = new GdprRequestStatus(generation(request), conditions, GdprPhase.of(status.phase()).name(),
        status.startTime(), status.completionTime(), status.subjectHash(), status.export(), status.erasure());
    return patch(request, status, next).rescheduleAfter(backoff.next(request.getMetadata().getUid()));
  }

  /** A completed export: deleted from the store once its expiry has passed; the reconcile is scheduled for that moment. */
  private UpdateControl<GdprRequest> expireExport(GdprRequest request, GdprRequestStatus status, Context<GdprRequest> context) {
    var export = status.export();
    if (export == null || Boolean.TRUE.equals(export.expired()) || export.expiresAt() == null) {
      return UpdateControl.noUpdate();
    }
    Instant expiresAt = Instant.parse(export.expiresAt());
    if (clock.instant().isBefore(expiresAt)) {
      return UpdateControl.<GdprRequest>noUpdate().rescheduleAfter(Duration.between(clock.instant(), expiresAt));
    }
    try {
      var target = resolve(request, context, false).exportTarget().orElseThrow();
      try (var store = target.open(stores)) {
        store.delete(objectKey(request));
      }
    } catch (UnitProblem p) {
      return degraded(request, status, p);
    } catch (IOException | RuntimeException e) {
      return degraded(request, status, new UnitProblem(EventReason.ExportStorageFailed,
          "Expired export " + export.location() + " not deleted: " + e.getMessage(), e));
    }
    backoff.reset(request.getMetadata().getUid());
    String message = "Export " + export.location() + " deleted at its expiry " + export.expiresAt();
    events.record(request, EventRecorder.Type.Normal, EventReason.ExportExpired, message);
    var conditions = Conditions.merge(status.conditions(), List.of(
        new Conditions.Desired(Conditions.DEGRADED, false, "AsExpected", "No problems found")), generation(request), clock.instant());
    var expired = new GdprRequestStatus.ExportResult(export.location(), export.sha256(), export.sizeBytes(), export.rowCounts(),
        export.expiresAt(), true);
    return patch(request, status, new GdprRequestStatus(generation(request), conditions, status.phase(), status.startTime(),
        status.completionTime(), status.subjectHash(), expired, status.erasure()));
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
      var target = resolve(request, context, false).exportTarget().orElseThrow();
      try (var store = target.open(stores)) {
        store.delete(objectKey(request));
      }
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

  private static GdprRequestSpec.Format format(GdprRequestSpec spec) {
    return spec.format() != null ? spec.format() : GdprRequestSpec.Format.JSON;
  }

  private static Result resultOf(Jobs.Result<Result> ended) {
    return switch (ended) {
      case Jobs.Result.Done<Result> done -> done.value();
      case Jobs.Result.Failed<Result> failed -> new Result(null, 0, null,
          new UnitProblem(EventReason.InternalError, "GdprRequest job failed: " + failed.error(), failed.error()));
      case Jobs.Result.Cancelled<Result> cancelled -> new Result(null, 0, null, new UnitProblem(EventReason.GdprRequestRetrying, "interrupted"));
    };
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

  private String now() {
    return clock.instant().truncatedTo(ChronoUnit.SECONDS).toString();
  }
}
