package dev.databaseunit.operator.databaseunit;

import dev.databaseunit.operator.common.UnitProblem;
import dev.databaseunit.operator.common.Backoff;
import dev.databaseunit.operator.common.DesiredObjects;
import dev.databaseunit.operator.api.v1alpha1.DatabaseUnit;
import dev.databaseunit.operator.api.v1alpha1.DatabaseUnitStatus;
import dev.databaseunit.operator.databaseunit.ReferenceCheck.Problem;
import dev.databaseunit.operator.events.EventReason;
import dev.databaseunit.operator.events.EventRecorder;
import dev.databaseunit.operator.status.Conditions;
import dev.databaseunit.operator.postgres.DatabaseFailures;
import dev.databaseunit.operator.postgres.DatabaseInventory;
import dev.databaseunit.operator.postgres.PostgresTarget;
import dev.databaseunit.operator.postgres.PostgresTargets;
import dev.databaseunit.operator.postgres.UnitDataSources;
import io.javaoperatorsdk.operator.api.reconciler.Cleaner;
import io.javaoperatorsdk.operator.api.reconciler.DeleteControl;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Secret;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.Cache;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import java.time.Clock;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Reconciles a DatabaseUnit: resolves its references (credentials Secrets, migration ConfigMaps), connects to
 * its database through a per-unit pool, ensures the listed extensions, then runs each capability (in the order
 * DatabaseUnitOperator registers them: managed PostgreSQL, bootstrap, migrations, vector indexes, pooler, cache,
 * connection Secret, database metrics) and reports Ready/Progressing/Degraded with observedGeneration. Problems are
 * retried with exponential backoff. Secrets and ConfigMaps are watched, so creating a missing one makes the
 * unit Ready without waiting for a retry.
 */
@ControllerConfiguration(name = DatabaseUnitReconciler.NAME)
public class DatabaseUnitReconciler implements Reconciler<DatabaseUnit>, Cleaner<DatabaseUnit> {
  public static final String NAME = "databaseunit";

  /** Without anything scheduled, a unit is looked at again this often (drift in the database, lost events). */
  static final Duration RESYNC = Duration.ofMinutes(5);
  private static final Logger log = LoggerFactory.getLogger(DatabaseUnitReconciler.class);

  private final EventRecorder events;
  private final Clock clock;
  private final UnitDataSources dataSources;
  private final List<UnitCapability> capabilities;
  private final UnitWakeups wakeups;
  private final Backoff.PerKey backoff = Backoff.exponential(Duration.ofSeconds(5), Duration.ofMinutes(5)).perKey();

  /** @param capabilities run in this order on every reconcile, after the database connection is checked */
  public DatabaseUnitReconciler(EventRecorder events, Clock clock, UnitDataSources dataSources, List<UnitCapability> capabilities,
      UnitWakeups wakeups) {
    this.events = events;
    this.wakeups = wakeups;
    this.clock = clock;
    this.dataSources = dataSources;
    this.capabilities = List.copyOf(capabilities);
  }

  @Override
  public List<EventSource<?, DatabaseUnit>> prepareEventSources(EventSourceContext<DatabaseUnit> context) {
    return UnitEventSources.prepare(context, wakeups);
  }

  @Override
  public UpdateControl<DatabaseUnit> reconcile(DatabaseUnit unit, Context<DatabaseUnit> context) {
    String namespace = unit.getMetadata().getNamespace();
    String unitKey = UnitContext.keyOf(unit);
    Cache<Secret> secrets = UnitEventSources.cache(context, Secret.class);
    Cache<ConfigMap> configMaps = UnitEventSources.cache(context, ConfigMap.class);
    DesiredObjects.Live live = UnitEventSources.live(context);
    UnitContext.EndpointSliceLookup endpointSlices = UnitEventSources.endpointSlices(context);
    PostgresTargets.SecretLookup secretLookup = (ns, name) -> secrets.get(new ResourceID(name, ns));
    UnitContext.ConfigMapLookup configMapLookup = (ns, name) -> configMaps.get(new ResourceID(name, ns));
    DatabaseUnitStatus previous = unit.getStatus() != null ? unit.getStatus() : emptyStatus();

    var progress = new Progress(previous);
    Optional<Problem> referenceProblem = ReferenceCheck.firstProblem(
        ReferenceCheck.referencesOf(unit.getSpec()),
        name -> secrets.get(new ResourceID(name, namespace)).map(DatabaseUnitReconciler::keysOf),
        name -> configMaps.get(new ResourceID(name, namespace)).isPresent());
    referenceProblem.ifPresent(p -> progress.problems.add(new UnitProblem(p.reason(), p.message())));

    boolean databaseProvided = referenceProblem.isEmpty();
    if (databaseProvided) {
      var beforeDatabase = new UnitContext(unit, unitKey, Optional.empty(), Optional.empty(), secretLookup, configMapLookup,
          live, endpointSlices);
      for (UnitCapability capability : capabilities) {
        // A provider waits for the ones before it (a bootstrap needs the managed instance up).
        if (capability.providesDatabase() && databaseProvided) {
          var outcome = runCapability(capability, beforeDatabase, progress.status);
          progress.add(outcome);
          databaseProvided &= outcome.problem().isEmpty() && outcome.progressing().isEmpty();
        }
      }
    }

    Optional<PostgresTarget> target = Optional.empty();
    Optional<DataSource> dataSource = Optional.empty();
    if (databaseProvided) {
      try {
        target = Optional.of(PostgresTargets.resolve(unit, secretLookup));
        DataSource ds = dataSources.dataSource(unitKey, target.get());
        var found = inspectDatabase(ds, target.get(), extensionsOf(unit));
        progress.status = progress.status.withDatabase(databaseStatus(found, progress.status.database()));
        progress.leastPrivilege = UnitConditions.leastPrivilege(found);
        dataSource = Optional.of(ds);
      } catch (UnitProblem p) {
        progress.problems.add(p);
      }
    }

    var unitContext = new UnitContext(unit, unitKey, target, dataSource, secretLookup, configMapLookup, live, endpointSlices);
    for (UnitCapability capability : capabilities) {
      if (capability.providesDatabase() || (capability.needsDatabase() && dataSource.isEmpty())) {
        continue;
      }
      progress.add(runCapability(capability, unitContext, progress.status));
    }
    return finish(unit, previous, progress);
  }

  /** Collects what the capabilities report in one reconcile. */
  private static final class Progress {
    DatabaseUnitStatus status;
    final List<UnitProblem> problems = new ArrayList<>();
    final List<String> progressing = new ArrayList<>();
    Duration recheckAfter;
    /** Set once the database was inspected in this reconcile. */
    Conditions.Desired leastPrivilege;

    Progress(DatabaseUnitStatus status) {
      this.status = status;
    }

    void add(UnitCapability.Outcome outcome) {
      status = outcome.status();
      outcome.problem().ifPresent(problems::add);
      outcome.progressing().ifPresent(progressing::add);
      outcome.recheckAfter().ifPresent(after ->
          recheckAfter = recheckAfter == null || after.compareTo(recheckAfter) < 0 ? after : recheckAfter);
    }
  }

  private static UnitCapability.Outcome runCapability(UnitCapability capability, UnitContext context, DatabaseUnitStatus status) {
    try {
      return capability.reconcile(context, status);
    } catch (RuntimeException e) {
      // A bug in one capability must not stop the others or leave the unit without a reason.
      log.error("Capability {} failed on {}", capability.name(), context.unitKey(), e);
      return UnitCapability.Outcome.degraded(status, new UnitProblem(EventReason.InternalError,
          capability.name() + " failed: " + e.getClass().getSimpleName() + ": " + e.getMessage(), e));
    }
  }

  private static List<String> extensionsOf(DatabaseUnit unit) {
    return unit.getSpec().extensions() != null ? unit.getSpec().extensions() : List.of("vector");
  }

  private static DatabaseInventory.Found inspectDatabase(DataSource ds, PostgresTarget target, List<String> extensions)
      throws UnitProblem {
    try (Connection connection = ds.getConnection()) {
      return DatabaseInventory.ensure(connection, extensions);
    } catch (SQLException e) {
      throw DatabaseFailures.classify(target, e);
    }
  }

  private static DatabaseUnitStatus.DatabaseStatus databaseStatus(DatabaseInventory.Found found, DatabaseUnitStatus.DatabaseStatus previous) {
    return new DatabaseUnitStatus.DatabaseStatus(found.serverVersion(), found.extensions(),
        previous != null ? previous.schemaVersion() : null, previous != null ? previous.pendingMigrations() : null,
        found.clientConnections());
  }

  private UpdateControl<DatabaseUnit> finish(DatabaseUnit unit, DatabaseUnitStatus previous, Progress progress) {
    String unitKey = UnitContext.keyOf(unit);
    List<Conditions.Desired> desired = UnitConditions.desired(progress.problems, progress.progressing, progress.leastPrivilege);
    long generation = unit.getMetadata().getGeneration();
    var conditions = Conditions.merge(progress.status.conditions(), desired, generation, clock.instant());
    DatabaseUnitStatus next = progress.status.withConditions(generation, conditions);
    UnitConditions.recordTransition(events, unit, previous, next, progress.problems);

    Duration after;
    if (!progress.problems.isEmpty()) {
      // The backoff paces retries of what the reconcile itself does; a capability whose state changes on its own
      // is looked at when it asked (a build to poll) or when its loop wakes the unit (the pool loop finding PgBouncer
      // reachable again), or its problem would stay for as long as the backoff built up (up to 5 minutes).
      after = backoff.next(unitKey);
      if (progress.recheckAfter != null && progress.recheckAfter.compareTo(after) < 0) {
        after = progress.recheckAfter;
      }
    } else {
      backoff.reset(unitKey);
      after = progress.recheckAfter != null ? progress.recheckAfter : RESYNC;
    }
    UpdateControl<DatabaseUnit> control;
    if (next.equals(previous)) {
      control = UpdateControl.noUpdate();
    } else {
      unit.setStatus(next);
      control = UpdateControl.patchStatus(unit);
    }
    return control.rescheduleAfter(after);
  }

  @Override
  public DeleteControl cleanup(DatabaseUnit unit, Context<DatabaseUnit> context) {
    String unitKey = UnitContext.keyOf(unit);
    for (UnitCapability capability : capabilities) {
      try {
        capability.unitDeleted(unitKey);
      } catch (RuntimeException e) {
        log.warn("Capability {} could not release {}: {}", capability.name(), unitKey, e.toString());
      }
    }
    dataSources.close(unitKey);
    backoff.reset(unitKey);
    return DeleteControl.defaultDelete();
  }

  /** Only the key names of a Secret are ever looked at; its values are not read. */
  private static Set<String> keysOf(Secret secret) {
    Set<String> keys = new HashSet<>();
    if (secret.getData() != null) {
      keys.addAll(secret.getData().keySet());
    }
    if (secret.getStringData() != null) {
      keys.addAll(secret.getStringData().keySet());
    }
    return keys;
  }

  private static DatabaseUnitStatus emptyStatus() {
    return new DatabaseUnitStatus(null, List.of(), null, null, null, null, null, null);
  }
}
