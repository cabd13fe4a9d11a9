package dev.databaseunit.operator.bootstrap;

import dev.databaseunit.operator.backup.PolicyInputs;
import dev.databaseunit.operator.backup.BackupManifest;
import dev.databaseunit.operator.backup.PostgresTools;
import dev.databaseunit.operator.common.Jobs;
import dev.databaseunit.operator.api.v1alpha1.BackupPolicy;
import dev.databaseunit.operator.api.v1alpha1.BootstrapSpec;
import dev.databaseunit.operator.api.v1alpha1.DatabaseUnit;
import dev.databaseunit.operator.api.v1alpha1.DatabaseUnitStatus;
import dev.databaseunit.operator.api.v1alpha1.DatabaseUnitStatus.BootstrapStatus;
import dev.databaseunit.operator.api.v1alpha1.GdprRequest;
import dev.databaseunit.operator.databaseunit.UnitCapability;
import dev.databaseunit.operator.databaseunit.UnitContext;
import dev.databaseunit.operator.common.UnitProblem;
import dev.databaseunit.operator.events.EventReason;
import dev.databaseunit.operator.events.EventRecorder;
import dev.databaseunit.operator.gdpr.SubjectPlan;
import dev.databaseunit.operator.postgres.DatabaseFailures;
import dev.databaseunit.operator.postgres.PostgresTarget;
import dev.databaseunit.operator.postgres.PostgresTargets;
import dev.databaseunit.operator.postgres.UnitDataSources;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.MeterRegistry;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Bootstraps a unit from a backup (spec.bootstrap) before anything else touches its database: it runs among
 * the capabilities that provide the database, so migrations, vector indexes, the pooler, the cache and the
 * connection Secret all wait until the backup is restored and the erasures made after it are applied again.
 * The phase is recorded in status before each step starts, and every step can be run again, so an operator
 * restart resumes where it stopped; Completed is never redone. A database that already holds tables is never
 * restored into.
 */
public final class BootstrapCapability implements UnitCapability {
  private static final Duration POLL = Duration.ofSeconds(2);


  private final KubernetesClient client;
  private final EventRecorder events;
  private final Clock clock;
  private final UnitDataSources dataSources;
  private final PostgresTools tools;
  private final BootstrapWork work;
  /** The long steps, one per unit (keyed by the unit); a step's outcome is applied by the next reconcile. */
  private final Jobs jobs;
  private final MeterRegistry registry;

  public BootstrapCapability(KubernetesClient client, EventRecorder events, Clock clock, UnitDataSources dataSources,
      PostgresTools tools, BootstrapWork work, Jobs jobs, MeterRegistry registry) {
    this.client = client;
    this.events = events;
    this.clock = clock;
    this.dataSources = dataSources;
    this.tools = tools;
    this.work = work;
    this.jobs = jobs;
    this.registry = registry;
  }

  @Override
  public String name() {
    return "bootstrap";
  }

  @Override
  public boolean providesDatabase() {
    return true;
  }

  @Override
  public void unitDeleted(String unitKey) {
    jobs.cancel(unitKey);
  }

  @Override
  public Outcome reconcile(UnitContext context, DatabaseUnitStatus status) {
    BootstrapSpec spec = context.unit().getSpec().bootstrap();
    BootstrapStatus current = status.bootstrap();
    if (spec == null || (current != null && BootstrapSteps.COMPLETED.equals(current.phase()))) {
      return Outcome.done(status);
    }
    var job = jobs.<Object>find(context.unitKey());
    if (job.isPresent()) {
      if (job.get().running()) {
        return progressing(status, current);
      }
      String step = job.get().phase();
      return finished(context, status, current, step, jobs.<Object>collect(context.unitKey()).orElseThrow());
    }
    PostgresTarget target = null;
    try {
      target = PostgresTargets.resolve(context.unit(), context.secrets());
      List<String> tables = userTables(target);
      return switch (BootstrapSteps.next(current, tables.isEmpty())) {
        case NOTHING -> Outcome.done(status);
        case REFUSE -> refuse(context, status, current, tables);
        case CHOOSE_BACKUP -> choose(context, status, spec);
        case RESTORE -> start(context, status, current, BootstrapSteps.RESTORING, restoreJob(context, current, target));
        case REAPPLY_ERASURES -> start(context, status, current, BootstrapSteps.REAPPLYING, reapplyJob(context, current, target));
      };
    } catch (UnitProblem p) {
      return Outcome.degraded(status, p);
    } catch (SQLException e) {
      return Outcome.degraded(status, DatabaseFailures.classify(target, e));
    }
  }

  /** Tables (not belonging to an extension) in the unit's database, the first few by name. */
  private List<String> userTables(PostgresTarget target) throws SQLException {
    try (Connection c = tools.connect(target); var st = c.createStatement(); var rs = st.executeQuery("""
        SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
          AND n.nspname NOT LIKE 'pg\\_%'
          AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                          AND d.deptype = 'e')
        ORDER BY 1 LIMIT 5""")) {
      List<String> tables = new ArrayList<>();
      while (rs.next()) {
        tables.add(rs.getString(1));
      }
      return tables;
    }
  }

  private Outcome refuse(UnitContext context, DatabaseUnitStatus status, BootstrapStatus current, List<String> tables) {
    var problem = new UnitProblem(EventReason.BootstrapRefused, "spec.bootstrap: the database already holds tables ("
        + String.join(", ", tables) + (tables.size() == 5 ? ", ..." : "") + "); a bootstrap restores only into a database "
        + "without tables and nothing was touched. Point the unit at an empty database, or remove spec.bootstrap.");
    var failed = new BootstrapStatus(current != null ? current.backupId() : null, BootstrapSteps.FAILED,
        current != null ? current.startTime() : null, null, null, problem.getMessage());
    return transition(context, current, failed, EventRecorder.Type.Warning, problem.reason(), Outcome.degraded(
        status.withBootstrap(failed), problem));
  }

  /** Picks the backup and records Restoring; the restore starts on the next reconcile, once that is in status. */
  private Outcome choose(UnitContext context, DatabaseUnitStatus status, BootstrapSpec spec) throws UnitProblem {
    var from = spec.fromBackup();
    BackupManifest manifest;
    try {
      manifest = work.choose(source(context, from.backupPolicy()), from.backupId());
    } catch (UnitProblem p) {
      var failed = new BootstrapStatus(from.backupId(), BootstrapSteps.FAILED, null, null, null, p.getMessage());
      return transition(context, status.bootstrap(), failed, EventRecorder.Type.Warning, p.reason(),
          Outcome.degraded(status.withBootstrap(failed), p));
    }
    var restoring = new BootstrapStatus(manifest.backupId(), BootstrapSteps.RESTORING, clock.instant().toString(), null, null,
        "Restoring backup " + manifest.backupId() + " of " + manifest.databaseUnit() + " taken " + manifest.endTime()
            + " (" + manifest.storedBytes() + " bytes) in one transaction");
    events.record(context.unit(), EventRecorder.Type.Normal, EventReason.BootstrapStarted, restoring.message());
    return Outcome.progressing(status.withBootstrap(restoring), progressMessage(restoring), Duration.ofMillis(500));
  }

  private BootstrapWork.Source source(UnitContext context, String policyName) throws UnitProblem {
    String namespace = context.unit().getMetadata().getNamespace();
    BackupPolicy policy = client.resources(BackupPolicy.class).inNamespace(namespace).withName(policyName).get();
    if (policy == null || policy.getSpec() == null) {
      throw new UnitProblem(EventReason.BootstrapPolicyInvalid, "spec.bootstrap.fromBackup.backupPolicy: BackupPolicy "
          + namespace + "/" + policyName + " does not exist");
    }
    var spec = policy.getSpec();
    try {
      return new BootstrapWork.Source(PolicyInputs.storage(policy, spec.storage()),
          PolicyInputs.credentials(context.secrets(), namespace, spec.storage(), "BackupPolicy " + policyName + " spec.storage",
              dataSources.egress()),
          PolicyInputs.keys(context.secrets(), namespace, spec.encryption()), PostgresTools.RestoreSession.of(spec.logicalDump()),
          dev.databaseunit.operator.api.v1alpha1.ApiDurations.parse(spec.restoreTest() != null && spec.restoreTest().rto() != null
              ? spec.restoreTest().rto() : "4h"));
    } catch (UnitProblem p) {
      throw new UnitProblem(EventReason.BootstrapPolicyInvalid, "BackupPolicy " + policyName + ": " + p.getMessage(), p);
    }
  }

  private Work restoreJob(UnitContext context, BootstrapStatus current, PostgresTarget target) throws UnitProblem {
    var source = source(context, context.unit().getSpec().bootstrap().fromBackup().backupPolicy());
    return () -> work.restore(source, current.backupId(), target);
  }

  private Work reapplyJob(UnitContext context, BootstrapStatus current, PostgresTarget target) throws UnitProblem {
    DatabaseUnit unit = context.unit();
    var source = source(context, unit.getSpec().bootstrap().fromBackup().backupPolicy());
    SubjectPlan plan = SubjectPlan.of(unit.getSpec().gdpr());
    var key = dev.databaseunit.operator.gdpr.SubjectKeys.resolve(client, context.secrets(), unit);
    String namespace = unit.getMetadata().getNamespace();
    var dataSource = dev.databaseunit.operator.postgres.TimedDataSource.forPurpose(dataSources.dataSource(context.unitKey(), target),
        dev.databaseunit.operator.postgres.DatabaseTimeouts.Purpose.BACKUP);
    List<GdprRequest> all = client.resources(GdprRequest.class).inNamespace(namespace).list().getItems();
    String note = "re-applied after " + unit.getMetadata().getName() + " was bootstrapped from backup " + current.backupId();
    return () -> {
      BackupManifest restored = work.choose(source, current.backupId());
      var requests = BootstrapSteps.erasuresToReapply(all, BootstrapSteps.unitsOf(namespace, unit.getMetadata().getName(), restored));
      return work.reapplyErasures(source, current.backupId(), target, dataSource, plan, key, requests, note);
    };
  }

  @FunctionalInterface
  private interface Work {
    Object run() throws UnitProblem;
  }

  private Outcome start(UnitContext context, DatabaseUnitStatus status, BootstrapStatus current, String phase, Work step) {
    BootstrapStatus next = new BootstrapStatus(current.backupId(), phase, current.startTime(), null, null, current.message());
    jobs.submit(context.unitKey(), progress -> {
      progress.phase(phase);
      try {
        return step.run();
      } catch (UnitProblem p) {
        return p;
      }
    });
    return progressing(status.withBootstrap(next), next);
  }

  private Outcome finished(UnitContext context, DatabaseUnitStatus status, BootstrapStatus current, String step,
      Jobs.Result<Object> ended) {
    Object result = switch (ended) {
      case Jobs.Result.Done<Object> done -> done.value();
      case Jobs.Result.Failed<Object> failed ->
          new UnitProblem(EventReason.InternalError, "bootstrap step " + step + " failed: " + failed.error(), failed.error());
      // Cancelled by a stop: the next operator finds the phase in status and runs the step again.
      case Jobs.Result.Cancelled<Object> cancelled -> null;
    };
    if (result == null) {
      return progressing(status, current);
    }
    return switch (result) {
      case BootstrapWork.Restored restored -> {
        var next = new BootstrapStatus(current.backupId(), BootstrapSteps.REAPPLYING, current.startTime(), null, null,
            "Backup " + current.backupId() + " restored; re-applying erasures made after " + restored.manifest().endTime());
        yield transition(context, current, next, EventRecorder.Type.Normal, EventReason.BootstrapRestored,
            Outcome.progressing(status.withBootstrap(next), progressMessage(next), Duration.ofMillis(500)));
      }
      case BootstrapWork.Reapplied reapplied -> {
        Instant now = clock.instant();
        // Recovery time as an operator sees it: from choosing the backup to a unit that may be handed back.
        registry.timer("databaseunit.bootstrap.duration", "namespace", context.unit().getMetadata().getNamespace(),
            "unit", context.unit().getMetadata().getName()).record(Duration.between(Instant.parse(current.startTime()), now));
        var next = new BootstrapStatus(current.backupId(), BootstrapSteps.COMPLETED, current.startTime(),
            now.toString(), reapplied.subjects(), "Backup " + current.backupId() + " restored; "
                + reapplied.ledgerEntries() + " erasure ledger entries of a newer backup and " + reapplied.requests()
                + " completed Erase requests re-applied, " + reapplied.subjects() + " subjects erased again");
        yield transition(context, current, next, EventRecorder.Type.Normal, EventReason.BootstrapCompleted,
            Outcome.done(status.withBootstrap(next)));
      }
      case UnitProblem p -> {
        // A failed restore rolled back (Failed: start over); a failed re-application keeps its phase and is retried.
        String phase = BootstrapSteps.RESTORING.equals(step) ? BootstrapSteps.FAILED : step;
        var next = new BootstrapStatus(current.backupId(), phase, current.startTime(), null, null, p.getMessage());
        yield transition(context, current, next, EventRecorder.Type.Warning, p.reason(),
            Outcome.degraded(status.withBootstrap(next), p));
      }
      default -> throw new IllegalStateException("unexpected bootstrap result " + result);
    };
  }

  /** An Event for each change of phase or message, so a retry of the same failure does not repeat it. */
  private Outcome transition(UnitContext context, BootstrapStatus current, BootstrapStatus next, EventRecorder.Type type,
      EventReason reason, Outcome outcome) {
    if (current == null || !next.phase().equals(current.phase()) || !next.message().equals(current.message())) {
      events.record(context.unit(), type, reason, next.message());
    }
    return outcome;
  }

  private Outcome progressing(DatabaseUnitStatus status, BootstrapStatus current) {
    return Outcome.progressing(status, progressMessage(current), POLL);
  }

  private static String progressMessage(BootstrapStatus s) {
    return "Bootstrapping from backup " + s.backupId() + ": " + s.phase();
  }
}
