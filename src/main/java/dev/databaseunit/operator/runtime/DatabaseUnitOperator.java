package dev.databaseunit.operator.runtime;

import dev.databaseunit.operator.cache.CacheCapability;
import dev.databaseunit.operator.databaseunit.DatabaseUnitReconciler;
import dev.databaseunit.operator.databaseunit.UnitCapability;
import dev.databaseunit.operator.gdpr.GdprRequestReconciler;
import dev.databaseunit.operator.gdpr.GdprService;
import dev.databaseunit.operator.gdpr.RedisSubjectCache;
import dev.databaseunit.operator.gdpr.S3ExportStore;
import dev.databaseunit.operator.gdpr.SubjectEraser;
import dev.databaseunit.operator.maintenance.MaintenanceSettings;
import dev.databaseunit.operator.maintenance.MaintenanceWindowReconciler;
import dev.databaseunit.operator.postgres.CaCertificates;
import dev.databaseunit.operator.connection.ConnectionSecretCapability;
import dev.databaseunit.operator.postgres.UnitDataSources;
import dev.databaseunit.operator.schema.FlywayMigrator;
import dev.databaseunit.operator.schema.SchemaMigrations;
import dev.databaseunit.operator.vector.VectorIndexCapability;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.Executors;
import io.lettuce.core.resource.DefaultClientResources;
import dev.databaseunit.operator.events.EventRecorder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import io.javaoperatorsdk.operator.monitoring.micrometer.MicrometerMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.util.concurrent.atomic.AtomicBoolean;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;

/**
 * The operator: the JOSDK Operator with every reconciler of this project and the resources they share (the
 * per-unit database pools, schedulers). Used by Main, the local stack and tests; {@link #stop()} releases all.
 */
public final class DatabaseUnitOperator {
  /** Recall probes of each ready vector index run this often, and after each build. */
  private static final java.time.Duration VECTOR_PROBE_INTERVAL = java.time.Duration.ofHours(1);
  private final Operator operator;
  private final AtomicBoolean stopping;
  private final Deque<AutoCloseable> resources = new ArrayDeque<>();
  private final List<Runnable> onStart = new ArrayList<>();

  private DatabaseUnitOperator(Operator operator, AtomicBoolean stopping) {
    this.operator = operator;
    this.stopping = stopping;
  }

  public static DatabaseUnitOperator create(KubernetesClient client, MeterRegistry registry, OperatorSettings settings, Clock clock) {
    var stopping = new AtomicBoolean();
    var operator = new Operator(o -> {
      o.withKubernetesClient(client)
          .withCloseClientOnStop(false)
          .withMetrics(MicrometerMetrics.newPerResourceCollectingMicrometerMetricsBuilder(registry).build())
          .withStopOnInformerErrorDuringStartup(true);
      if (settings.leaderElection()) {
        o.withLeaderElectionConfiguration(new LeaderElectionConfiguration(OperatorSettings.LEASE_NAME,
            settings.leaseNamespace(), LeaderElectionConfiguration.LEASE_DURATION_DEFAULT_VALUE,
            LeaderElectionConfiguration.RENEW_DEADLINE_DEFAULT_VALUE, LeaderElectionConfiguration.RETRY_PERIOD_DEFAULT_VALUE,
            settings.leaderIdentity(), exitOnLostLeadership(settings, stopping), false));
      }
    });
    var result = new DatabaseUnitOperator(operator, stopping);
    var events = new EventRecorder(client, clock);
    // Secrets for the work that runs outside a DatabaseUnit reconcile (GDPR requests, maintenance runs): one informer.
    var secrets = result.closeOnStop(new dev.databaseunit.operator.postgres.SecretCache(client, settings.watchNamespaces()));
    result.onStart.add(secrets::start);
    var dataSources = result.closeOnStop(new UnitDataSources(CaCertificates.inTempDirectory(), settings.egress(),
        settings.databaseTimeouts()));
    // One pg_dump/pg_restore launcher and one GDPR service for backups, restore tests, bootstraps and requests.
    var postgresTools = new dev.databaseunit.operator.backup.PostgresTools(dataSources.caFiles(), null,
        settings.egress(), settings.databaseTimeouts());
    var gdpr = new GdprService(clock, SubjectEraser.DeletionListener.NONE);

    // DatabaseUnit capabilities, run in this order on each reconcile of a unit.
    List<UnitCapability> capabilities = new ArrayList<>();
    // Every object the operator owns for a unit is written through one applier; the loops wake units through one source.
    var objects = new dev.databaseunit.operator.common.DesiredObjects(client);
    var wakeups = new dev.databaseunit.operator.databaseunit.UnitWakeups();

    // ----- managed PostgreSQL (runs before the operator connects) -----
    capabilities.add(new dev.databaseunit.operator.managed.ManagedPostgresCapability(client, clock, objects));

    // ----- bootstrap from a backup (after the instance is up, before anything else touches the database) -----
    var bootstrapJobs = result.closeOnStop(new dev.databaseunit.operator.common.Jobs("bootstrap", clock, 1));
    // A backup a bootstrap reads is kept by the backup reconciler's retention until the bootstrap is done with it.
    var backupsInUse = new dev.databaseunit.operator.backup.BackupsInUse();
    // Closed before the executor: it kills running pg_restore processes, which ends their threads.
    var bootstrapWork = result.closeOnStop(new dev.databaseunit.operator.bootstrap.BootstrapWork(postgresTools,
        dev.databaseunit.operator.storage.S3ObjectStore::connect, gdpr, backupsInUse));
    capabilities.add(new dev.databaseunit.operator.bootstrap.BootstrapCapability(client, events, clock, dataSources,
        postgresTools, bootstrapWork, bootstrapJobs, registry));

    // ----- schema migrations -----
    capabilities.add(new SchemaMigrations(new FlywayMigrator(), events, clock));

    // ----- vector indexes -----
    capabilities.add(result.closeOnStop(new VectorIndexCapability(events, registry, clock, VECTOR_PROBE_INTERVAL)));

    // ----- pooler -----
    // One small scheduler starts every unit's pool-loop and cache-sampler ticks (each runs on a thread of its own).
    var unitLoops = Executors.newScheduledThreadPool(2,
        Thread.ofPlatform().name("unit-loop-", 0).daemon().factory());
    result.closeOnStop(() -> unitLoops.shutdownNow());
    capabilities.add(new dev.databaseunit.operator.pool.PoolerCapability(client, events, registry, unitLoops, clock, objects,
        wakeups));

    // ----- cache -----
    capabilities.add(result.closeOnStop(new CacheCapability(client, events, clock, registry, dataSources.caFiles(),
        settings.egress(), unitLoops, objects, wakeups)));

    // ----- connection secret (after the pooler: it points applications at it) -----
    capabilities.add(new ConnectionSecretCapability(objects));

    // ----- database metrics -----
    var metricsScheduler = Executors.newSingleThreadScheduledExecutor(
        Thread.ofPlatform().name("database-metrics").daemon().factory());
    result.closeOnStop(() -> metricsScheduler.shutdownNow());
    capabilities.add(new dev.databaseunit.operator.monitoring.DatabaseMetricsCapability(registry, metricsScheduler,
        java.time.Duration.ofSeconds(30)));

    // ----- end of capabilities -----
    result.register(new DatabaseUnitReconciler(events, clock, dataSources, capabilities, wakeups), settings);

    // ----- backups -----
    // Backups and restore tests run here, never on a reconcile thread; stopping the operator interrupts them,
    // which aborts their uploads (a restarted operator removes whatever is left and runs the fire again). A thread
    // stuck in a slow part upload notices the interrupt only after it; the stop does not wait for that beyond
    // 5 s, well inside a pod's default 30 s grace: an interrupted backup never writes its manifest anyway.
    var backupJobs = result.closeOnStop(new dev.databaseunit.operator.common.Jobs("backup", clock, 2));
    result.register(new dev.databaseunit.operator.backup.BackupPolicyReconciler(events, clock,
        new dev.databaseunit.operator.backup.BackupService(postgresTools, clock),
        new dev.databaseunit.operator.backup.RestoreTester(postgresTools, clock),
        dev.databaseunit.operator.storage.S3ObjectStore::connect, registry, backupJobs, backupsInUse, settings.egress()), settings);

    // ----- maintenance -----
    result.register(result.closeOnStop(new MaintenanceWindowReconciler(client, events, clock, dataSources, secrets, registry,
        MaintenanceSettings.defaults())), settings);

    // ----- gdpr -----
    // Exports stream for as long as the data takes: they run as jobs, two at a time, not on reconcile threads.
    var gdprJobs = result.closeOnStop(new dev.databaseunit.operator.common.Jobs("gdpr", clock, 2));
    var gdprRedis = DefaultClientResources.builder().ioThreadPoolSize(1).computationThreadPoolSize(1).build();
    result.closeOnStop(gdprRedis::shutdown);
    result.register(new GdprRequestReconciler(events, clock, dataSources, secrets, gdpr, gdprJobs, S3ExportStore::new,
        endpoint -> RedisSubjectCache.connect(gdprRedis, endpoint),
        registry), settings);

    // ----- end of reconcilers -----

    // Ready/Degraded of every kind as gauges, whichever controller wrote them (every replica exports them).
    result.onStart.add(() -> result.closeOnStop(dev.databaseunit.operator.monitoring.ResourceHealthExporter.start(
        client, settings.watchNamespaces(), new dev.databaseunit.operator.monitoring.ResourceHealthGauges(registry))));
    return result;
  }

  /**
   * Ends the process when leadership is lost, so Kubernetes restarts it as a follower; not when {@link #stop()} gives it up.
   * JOSDK's own exit-on-stop-leading also fires on stop: inside a SIGTERM shutdown hook its System.exit waits forever for
   * the shutdown already running, and the pod hangs until it is killed. The exit runs on a thread of its own so the leader
   * elector's lock is not held while the shutdown hooks stop the operator.
   */
  private static LeaderCallbacks exitOnLostLeadership(OperatorSettings settings, AtomicBoolean stopping) {
    return new LeaderCallbacks(() -> {}, () -> {
      if (settings.exitOnLostLeadership() && !stopping.get()) {
        org.slf4j.LoggerFactory.getLogger(DatabaseUnitOperator.class).error("Lost the leadership of {}: exiting",
            OperatorSettings.LEASE_NAME);
        Thread.ofPlatform().name("exit-on-lost-leadership").start(() -> System.exit(1));
      }
    }, leader -> {});
  }

  private <R extends io.fabric8.kubernetes.api.model.HasMetadata> void register(Reconciler<R> reconciler, OperatorSettings settings) {
    operator.register(reconciler, c -> {
      if (!settings.watchNamespaces().isEmpty()) {
        c.settingNamespaces(settings.watchNamespaces());
      }
    });
  }

  /** Registers something the reconcilers share, closed (in reverse order) when the operator stops. */
  private <T extends AutoCloseable> T closeOnStop(T resource) {
    resources.push(resource);
    return resource;
  }

  public Operator operator() {
    return operator;
  }

  /** Starts the shared caches first, so the first reconciles already read from them. */
  public void start() {
    onStart.forEach(Runnable::run);
    operator.start();
  }

  /** Stops the reconcilers, then closes what they shared; a second call does nothing. */
  public void stop() {
    if (stopping.getAndSet(true)) {
      return;
    }
    // The stop interrupts fabric8's leader elector; a Lease renewal it cuts off would be logged as a warning with a
    // stack trace, for an interruption that is the point of the stop.
    org.apache.logging.log4j.core.config.Configurator.setLevel(
        io.fabric8.kubernetes.client.extended.leaderelection.LeaderElector.class.getName(), org.apache.logging.log4j.Level.ERROR);
    operator.stop();
    while (!resources.isEmpty()) {
      try {
        resources.pop().close();
      } catch (Exception e) {
        org.slf4j.LoggerFactory.getLogger(DatabaseUnitOperator.class).warn("Could not close {}: {}", e.getClass(), e.getMessage());
      }
    }
  }
}
