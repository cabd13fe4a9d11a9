package dev.databaseunit.operator.gdpr;

import dev.databaseunit.operator.api.v1alpha1.GdprRequestSpec;
import dev.databaseunit.operator.common.UnitProblem;
import dev.databaseunit.operator.events.EventReason;
import dev.databaseunit.operator.postgres.DatabaseFailures;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The work of one GdprRequest, run as a job off the reconcile thread: the subject plan is checked, the request is
 * recorded in the audit log, then the erasure transaction (and the removal of the subject's cache keys) or the streamed
 * export runs. Never throws: every failure becomes a {@link GdprOutcome.Failed} with a typed reason.
 */
final class GdprJob {
  private static final Logger log = LoggerFactory.getLogger(GdprJob.class);

  private final GdprService service;
  private final GdprRequestReconciler.ExportStores stores;
  private final GdprRequestReconciler.SubjectCaches caches;
  private final MeterRegistry registry;

  GdprJob(GdprService service, GdprRequestReconciler.ExportStores stores, GdprRequestReconciler.SubjectCaches caches,
      MeterRegistry registry) {
    this.service = service;
    this.stores = stores;
    this.caches = caches;
    this.registry = registry;
  }

  GdprOutcome run(GdprInputs work) {
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
        return new GdprOutcome.Erased(erasure, invalidated);
      }
      try (var store = work.exportTarget().orElseThrow().open(stores)) {
        return new GdprOutcome.Exported(service.export(work.dataSource(), prepared, request, GdprRequestReconciler.format(spec), store,
            GdprRequestReconciler.objectKey(work.request())));
      }
    } catch (UnitProblem p) {
      return new GdprOutcome.Failed(p);
    } catch (SQLException e) {
      return new GdprOutcome.Failed(isConnectionFailure(e) ? DatabaseFailures.classify(work.target(), e)
          : new UnitProblem(EventReason.GdprRequestRetrying, spec.type() + " rolled back, nothing changed: "
              + DatabaseFailures.redact(e.getMessage(), work.target().password()), e));
    } catch (IOException e) {
      return new GdprOutcome.Failed(new UnitProblem(EventReason.ExportStorageFailed, "Export not written: " + e.getMessage(), e));
    } catch (CacheFailure e) {
      return new GdprOutcome.Failed(new UnitProblem(EventReason.CacheInvalidationFailed,
          "The erasure committed, but the subject's cache keys could not be removed: " + e.getMessage(), e));
    } catch (RuntimeException e) {
      log.warn("GdprRequest {} failed", work.request().getMetadata().getName(), e);
      return new GdprOutcome.Failed(new UnitProblem(EventReason.GdprRequestRetrying,
          spec.type() + " rolled back, nothing changed: " + e.getClass().getSimpleName() + ": " + e.getMessage(), e));
    } finally {
      timer.record(Duration.ofNanos(System.nanoTime() - started));
    }
  }

  /** The erasure committed but Redis did not answer: told apart from a failure that rolled the erasure back. */
  private static final class CacheFailure extends RuntimeException {
    CacheFailure(RuntimeException cause) {
      super(cause.getMessage(), cause);
    }
  }

  private long invalidate(GdprInputs work, GdprService.Erasure erasure) {
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
}
