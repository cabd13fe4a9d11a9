package dev.databaseunit.operator.maintenance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.databaseunit.operator.api.v1alpha1.BackupPolicy;
import dev.databaseunit.operator.api.v1alpha1.BackupPolicyStatus;
import dev.databaseunit.operator.api.v1alpha1.DatabaseUnit;
import dev.databaseunit.operator.api.v1alpha1.MaintenanceWindow;
import dev.databaseunit.operator.api.v1alpha1.MaintenanceWindowStatus;
import dev.databaseunit.operator.api.v1alpha1.MaintenanceWindowStatus.TaskResult;
import dev.databaseunit.operator.backup.OnDemand;
import dev.databaseunit.operator.pool.PgBouncerAdmin;
import dev.databaseunit.operator.pool.PgBouncerAdminClient;
import dev.databaseunit.operator.schema.FlywayMigrator;
import dev.databaseunit.operator.schema.MigrationScripts;
import dev.databaseunit.operator.status.Conditions;
import dev.databaseunit.operator.testing.CapturedLogs;
import dev.databaseunit.operator.testing.Conflicts;
import dev.databaseunit.operator.testing.KubeCluster;
import dev.databaseunit.operator.testing.OperatorInNamespace;
import dev.databaseunit.operator.testing.TestClock;
import dev.databaseunit.operator.testing.PrivatePgBouncer;
import dev.databaseunit.operator.testing.TcpRelay;
import dev.databaseunit.operator.testing.TestBucket;
import dev.databaseunit.operator.testing.TestDatabase;
import dev.databaseunit.operator.testing.UnitFixtures;
import dev.databaseunit.operator.testing.WithLocalServices;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Maintenance windows end to end: the operator on a real API server drains a private PgBouncer in front of the shared
 * PostgreSQL (PAUSE affects everyone on a PgBouncer database, so never the shared one) while clients keep writing
 * through it, runs the tasks on the database directly, and resumes.
 */
@WithLocalServices
class MaintenanceWindowIT {
  static final Duration TIMEOUT = Duration.ofSeconds(90);
  static final String UNIT = "recipes";

  private OperatorInNamespace running;
  private KubernetesClient client;
  private String namespace;
  private UnitFixtures units;
  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private PrivatePgBouncer bouncer;

  @BeforeEach
  void start(KubeCluster cluster) {
    running = OperatorInNamespace.start(cluster, "du-maintenance", registry);
    bouncer = running.closeAfterOperator(PrivatePgBouncer.start(10, 300));
    client = running.client();
    namespace = running.namespace();
    units = running.units(TIMEOUT);
  }

  @AfterEach
  void stop() {
    running.close();
  }

  @Test
  void aWindowMigratesRebuildsAnalyzesAndValidatesWithoutAClientError(TestDatabase db) throws Exception {
    try (var logs = new CapturedLogs()) {
      migrateTo(db, "V1__recipe_app.sql", "V2__consents.sql");
      long bloatedBefore = createBloatedIndex(db);
      createUnit(db, List.of("recipes-schema", "recipes-schema-v3"));
      client.resource(configMap("recipes-schema-v3", Map.of("V3__servings.sql",
          "ALTER TABLE recipes ADD COLUMN servings smallint;\nCREATE INDEX recipes_title_idx ON recipes (title);\n"))).create();
      awaitUnitReady();
      // applyIn: MaintenanceWindow — the unit reports V3 as pending and leaves it to the window.
      var database = client.resources(DatabaseUnit.class).inNamespace(namespace).withName(UNIT).get().getStatus().database();
      assertThat(database.schemaVersion()).isEqualTo("2");
      assertThat(database.pendingMigrations()).isEqualTo(1);
      assertThat(schemaVersion(db)).isEqualTo("2");

      MaintenanceWindowStatus.Run run;
      double p99;
      try (var load = new ClientLoad(bouncer.jdbcUrl(db.name()), db.user(), db.password(), 4)) {
        await().atMost(TIMEOUT).until(() -> load.transactions() > 50);
        long before = load.transactions();
        createWindow("""
            runNow: true
            duration: 30m
            drainTimeout: 20s
            tasks: [ValidateIntegrity, UpdateStatistics, OptimizeIndexes, SchemaUpdate]
            prechecks: {requireBackup: false}
            """);
        run = awaitLastRun();
        // Clients kept committing after the run, through the same PgBouncer.
        await().atMost(TIMEOUT).until(() -> load.transactions() > before + 200);
        load.close();
        assertThat(load.errors()).as("errors seen by clients").isEmpty();
        p99 = load.p99Millis();
        System.out.printf("maintenance IT: %d transactions, p99 %.1f ms, max %.1f ms, drain %.3f s%n",
            load.transactions(), p99, load.maxMillis(), run.drainSeconds());
      }

      assertThat(run.outcome()).as("%s", run).isEqualTo("Succeeded");
      assertThat(run.tasks()).extracting(TaskResult::task).map(Enum::name)
          .containsExactly("SchemaUpdate", "OptimizeIndexes", "UpdateStatistics", "ValidateIntegrity");
      assertThat(run.tasks()).allSatisfy(t -> {
        assertThat(t.state()).isEqualTo("Succeeded");
        assertThat(t.startTime()).isNotNull();
        assertThat(t.endTime()).isNotNull();
        assertThat(t.durationSeconds()).isNotNull().isNotNegative();
      });
      assertThat(run.tasks().get(0).message()).isEqualTo("applied V3__servings.sql; schema public now at version 3");
      assertThat(run.tasks().get(1).message()).contains("bloated_pkey");
      assertThat(run.tasks().get(3).message()).contains("B-trees pass amcheck");
      assertThat(run.drainSeconds()).isNotNull().isLessThan(20.0);
      assertThat(run.connectionsForceClosed()).isZero();

      assertThat(schemaVersion(db)).isEqualTo("3");
      assertThat(relfilenode(db, "bloated_pkey")).isNotEqualTo(bloatedBefore);
      assertThat(paused(db)).isFalse();
      var window = window();
      assertThat(window.getStatus().phase()).isEqualTo("Succeeded");
      assertThat(window.getStatus().currentRun()).isNull();
      assertThat(condition("Degraded").getStatus()).isEqualTo("False");
      assertThat(condition("Ready").getReason()).isEqualTo("RunSucceeded");
      assertThat(eventReasons()).contains("MaintenanceStarted", "MaintenanceDrained", "MaintenanceResumed", "MaintenanceSucceeded");
      assertThat(registry.scrape())
          .contains("databaseunit_maintenance_runs_total{namespace=\"" + namespace + "\",outcome=\"Succeeded\",unit=\"recipes\"} 1.0")
          .contains("databaseunit_maintenance_drain_seconds_count{namespace=\"" + namespace + "\",unit=\"recipes\"} 1")
          .contains("databaseunit_maintenance_duration_seconds_count{namespace=\"" + namespace + "\",unit=\"recipes\"} 1")
          .contains("databaseunit_maintenance_killed_connections_total{namespace=\"" + namespace + "\",unit=\"recipes\"} 0.0");
      String everything = client.getKubernetesSerialization().asJson(window) + client.getKubernetesSerialization().asJson(events())
          + logs.lines();
      assertThat(everything).doesNotContain(bouncer.adminPassword()).doesNotContain(db.password());
    }
  }

  @Test
  void aFailingMigrationRollsBackResumesAndLeavesTheSchemaAtItsVersion(TestDatabase db) throws Exception {
    migrateTo(db, "V1__recipe_app.sql", "V2__consents.sql");
    createUnit(db, List.of("recipes-schema", "recipes-schema-next"));
    // V3 alone is fine; V4 fails. Both run in one transaction, so neither may stay.
    client.resource(configMap("recipes-schema-next", Map.of(
        "V3__servings.sql", "ALTER TABLE recipes ADD COLUMN servings smallint;\n",
        "V4__broken.sql", "INSERT INTO no_such_table VALUES (1);\n"))).create();
    awaitUnitReady();

    MaintenanceWindowStatus.Run run;
    try (var load = new ClientLoad(bouncer.jdbcUrl(db.name()), db.user(), db.password(), 4)) {
      await().atMost(TIMEOUT).until(() -> load.transactions() > 50);
      createWindow("""
          runNow: true
          duration: 30m
          drainTimeout: 20s
          tasks: [SchemaUpdate, UpdateStatistics]
          prechecks: {requireBackup: false}
          """);
      run = awaitLastRun();
      long after = load.transactions();
      await().atMost(TIMEOUT).until(() -> load.transactions() > after + 100);
      load.close();
      assertThat(load.errors()).as("errors seen by clients").isEmpty();
    }

    assertThat(run.outcome()).isEqualTo("RolledBack");
    assertThat(run.reason()).startsWith("task SchemaUpdate failed: ").contains("no_such_table");
    assertThat(run.tasks().get(0).state()).isEqualTo("Failed");
    assertThat(run.tasks().get(0).message()).contains("rollback: the migration transaction was rolled back");
    assertThat(run.tasks().get(1).state()).isEqualTo("Skipped");
    assertThat(schemaVersion(db)).isEqualTo("2");
    assertThat(columnExists(db, "recipes", "servings")).isFalse();
    assertThat(paused(db)).isFalse();
    Condition degraded = condition("Degraded");
    assertThat(degraded.getStatus()).isEqualTo("True");
    assertThat(degraded.getReason()).isEqualTo("MaintenanceTaskFailed");
    assertThat(degraded.getMessage()).contains("SchemaUpdate").contains("no_such_table");
    awaitEventReasons("MaintenanceTaskFailed", "MaintenanceResumed", "MaintenanceFailed");
    assertThat(registry.scrape()).contains("databaseunit_maintenance_runs_total{namespace=\"" + namespace + "\",outcome=\"RolledBack\"");
  }

  @Test
  void aTransactionOutlastingTheDrainTimeoutIsTerminatedInKillMode(TestDatabase db) throws Exception {
    createUnit(db, List.of());
    awaitUnitReady();
    try (var load = new ClientLoad(bouncer.jdbcUrl(db.name()), db.user(), db.password(), 2)) {
      await().atMost(TIMEOUT).until(() -> load.transactions() > 20);
      var holder = holdTransaction(db, 60);
      createWindow("""
          runNow: true
          duration: 30m
          drainTimeout: 2s
          onDrainTimeout: kill
          tasks: [UpdateStatistics]
          prechecks: {requireBackup: false}
          """);
      var run = awaitLastRun();
      assertThat(run.outcome()).isEqualTo("Succeeded");
      assertThat(run.connectionsForceClosed()).isEqualTo(1);
      assertThat(run.drainSeconds()).isGreaterThanOrEqualTo(2.0).isLessThan(20.0);
      // Only the transaction that outlasted the drain failed; the clients queued behind PAUSE did not.
      assertThat(holder.get(30, TimeUnit.SECONDS)).contains("terminating connection due to administrator command");
      long after = load.transactions();
      await().atMost(TIMEOUT).until(() -> load.transactions() > after + 50);
      load.close();
      assertThat(load.errors()).isEmpty();
    }
    awaitEventReasons("MaintenanceConnectionsKilled");
    assertThat(paused(db)).isFalse();
  }

  @Test
  void aTransactionOutlastingTheDrainTimeoutAbortsTheRunInAbortMode(TestDatabase db) throws Exception {
    createUnit(db, List.of());
    awaitUnitReady();
    var holder = holdTransaction(db, 15);
    createWindow("""
        runNow: true
        duration: 30m
        drainTimeout: 2s
        onDrainTimeout: abort
        tasks: [UpdateStatistics]
        prechecks: {requireBackup: false}
        """);
    var run = awaitLastRun();
    assertThat(run.outcome()).isEqualTo("Failed");
    assertThat(run.reason()).contains("drain timeout of 2s (onDrainTimeout: abort)");
    assertThat(run.tasks()).isNullOrEmpty();
    assertThat(run.connectionsForceClosed()).isZero();
    assertThat(paused(db)).isFalse();
    // The long transaction was left alone and commits.
    assertThat(holder.get(40, TimeUnit.SECONDS)).isEqualTo("committed");
    assertThat(condition("Degraded").getReason()).isEqualTo("MaintenanceDrainTimedOut");
    awaitEventReasons("MaintenanceDrainTimedOut", "MaintenanceResumed");
  }

  @Test
  void anOperatorKilledWhileTheDatabaseIsPausedIsResumedByTheNextOne(TestDatabase db, KubeCluster cluster) throws Exception {
    running.stopOperator(); // the crashing operator runs in its own JVM
    migrateTo(db, "V1__recipe_app.sql", "V2__consents.sql");
    createUnit(db, List.of("recipes-schema", "recipes-schema-slow"));
    // A migration slow enough to kill the operator while it runs, i.e. while PgBouncer holds the clients.
    client.resource(configMap("recipes-schema-slow", Map.of("V3__slow.sql",
        "ALTER TABLE recipes ADD COLUMN servings smallint;\nSELECT pg_sleep(20);\n"))).create();
    Path log = Files.createTempFile("operator-process", ".log");
    Process crashing = OperatorProcess.start(cluster.kubeconfigYaml(), namespace, (TestClock) running.clock(), 5, log);
    try (var load = new ClientLoad(bouncer.jdbcUrl(db.name()), db.user(), db.password(), 2)) {
      awaitUnitReady();
      await().atMost(TIMEOUT).until(() -> load.transactions() > 20);
      createWindow("""
          runNow: true
          duration: 30m
          drainTimeout: 20s
          tasks: [SchemaUpdate, UpdateStatistics]
          prechecks: {requireBackup: false}
          """);
      await().atMost(TIMEOUT).until(() -> window().getStatus() != null && "Running".equals(window().getStatus().phase()));
      await().atMost(TIMEOUT).until(() -> paused(db));
      crashing.destroyForcibly().waitFor();

      // Still paused: nobody resumed it.
      assertThat(paused(db)).isTrue();
      assertThat(window().getStatus().currentRun()).isNotNull();
      long killedAt = System.nanoTime();
      running.startOperator(registry);
      // The dead holder's lease (5 s) expires, then one reconcile resumes PgBouncer.
      await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).until(() -> !paused(db));
      double resumedAfter = (System.nanoTime() - killedAt) / 1e9;
      var run = awaitLastRun();
      System.out.printf("maintenance IT: resumed %.1f s after the operator was killed%n", resumedAfter);
      assertThat(resumedAfter).isLessThan(15);
      assertThat(run.outcome()).isEqualTo("Failed");
      assertThat(run.reason()).isEqualTo("interrupted by an operator restart in phase Running");
      assertThat(run.tasks().get(0).state()).isEqualTo("Failed");
      assertThat(run.tasks().get(0).message()).startsWith("interrupted by an operator restart");
      assertThat(condition("Degraded").getReason()).isEqualTo("MaintenanceFailed");
      awaitEventReasons("MaintenanceRecovered", "MaintenanceResumed");
      long after = load.transactions();
      await().atMost(TIMEOUT).until(() -> load.transactions() > after + 50);
      load.close();
      assertThat(load.errors()).as("errors seen by clients").isEmpty();
    } finally {
      crashing.destroyForcibly();
    }
    // The killed operator's migration transaction dies with its connection: the schema stays at version 2.
    await().atMost(Duration.ofSeconds(40)).untilAsserted(() -> {
      assertThat(schemaVersion(db)).isEqualTo("2");
      assertThat(columnExists(db, "recipes", "servings")).isFalse();
      assertThat(sleepingBackends(db)).isZero();
    });
  }

  private static int sleepingBackends(TestDatabase db) throws SQLException {
    try (Connection c = db.connect(); var ps = c.prepareStatement(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = ? AND query LIKE '%pg_sleep(20)%' AND pid <> pg_backend_pid()")) {
      ps.setString(1, db.name());
      try (var rs = ps.executeQuery()) {
        rs.next();
        return rs.getInt(1);
      }
    }
  }

  @Test
  void aSelectorWindowMaintainsEachMatchingUnitInTurn(TestDatabase first, TestDatabase second) {
    createUnit("alpha", first, List.of());
    createUnit("beta", second, List.of());
    awaitUnitReady("alpha");
    awaitUnitReady("beta");
    client.resource(client.getKubernetesSerialization().unmarshal("""
        apiVersion: databaseunit.dev/v1alpha1
        kind: MaintenanceWindow
        metadata: {name: weekly, namespace: %s}
        spec:
          selector: {matchLabels: {tier: gold}}
          runNow: true
          duration: 30m
          tasks: [UpdateStatistics]
          prechecks: {requireBackup: false}
        """.formatted(namespace), MaintenanceWindow.class)).create();
    await().atMost(TIMEOUT).untilAsserted(() -> {
      var status = window().getStatus();
      assertThat(status).isNotNull();
      assertThat(status.windowUnitsDone()).containsExactly("alpha", "beta");
      assertThat(status.currentRun()).isNull();
    });
    var status = window().getStatus();
    assertThat(status.lastRun().unit()).isEqualTo("beta");
    assertThat(status.lastRun().outcome()).isEqualTo("Succeeded");
    // The Event is written after the status patch that ends the run, so the last unit's may still be on its way.
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(
        events().stream().filter(e -> "MaintenanceSucceeded".equals(e.getReason())).map(Event::getMessage))
        .anyMatch(m -> m.contains("of unit alpha Succeeded")).anyMatch(m -> m.contains("of unit beta Succeeded")));
    assertThat(paused(first)).isFalse();
    assertThat(paused(second)).isFalse();
  }

  @Test
  void withoutABackupThePrecheckFailsAndNothingIsPaused(TestDatabase db) {
    createUnit(db, List.of());
    awaitUnitReady();
    createWindow("""
        runNow: true
        duration: 30m
        tasks: [UpdateStatistics]
        prechecks: {requireBackupWithin: 6h}
        """);
    var run = awaitLastRun();
    assertThat(run.outcome()).isEqualTo("Failed");
    assertThat(run.reason()).isEqualTo("no BackupPolicy of unit recipes reports a successful backup; maintenance needs one younger than"
        + " 6h (set spec.prechecks.requireBackup: false to run without)");
    assertThat(run.drainSeconds()).isNull();
    assertThat(condition("Degraded").getReason()).isEqualTo("MaintenancePrecheckFailed");
    assertThat(eventReasons()).doesNotContain("MaintenanceDrained", "MaintenanceResumed");
    assertThat(paused(db)).isFalse();

    // A BackupPolicy of the unit reporting a backup an hour old satisfies the precheck; a spec change runs again.
    client.resource(client.getKubernetesSerialization().unmarshal("""
        apiVersion: databaseunit.dev/v1alpha1
        kind: BackupPolicy
        metadata: {name: nightly, namespace: %s}
        spec:
          databaseUnit: recipes
          schedules: [{tier: daily, cron: "0 0 3 * * ?", retention: 30d}]
          storage: {bucket: backups, credentials: {secretName: backups-s3}}
          encryption: {keyEncryptionKey: {name: kek, key: key}}
        """.formatted(namespace), BackupPolicy.class)).create();
    String anHourAgo = running.clock().instant().minus(Duration.ofHours(1)).truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString();
    // The BackupPolicy reconciler writes this status too: retry the edit until it wins a write without a conflict.
    await().atMost(TIMEOUT).untilAsserted(() -> {
      try {
        client.resources(BackupPolicy.class).inNamespace(namespace).withName("nightly").editStatus(p -> {
          var s = p.getStatus();
          p.setStatus(new BackupPolicyStatus(1L, null, s != null ? s.conditions() : List.of(), null, null, null, null,
              new BackupPolicyStatus.BackupRecord("b1", null, anHourAgo, anHourAgo, 1L, null, null, null), 1, null, null, null));
          return p;
        });
      } catch (io.fabric8.kubernetes.client.KubernetesClientException e) {
        assertThat(e.getCode()).as("only a write conflict is retried").isEqualTo(409);
      }
      assertThat(client.resources(BackupPolicy.class).inNamespace(namespace).withName("nightly").get().getStatus().lastBackup())
          .isNotNull();
    });
    Conflicts.retry(() -> client.resources(MaintenanceWindow.class).inNamespace(namespace).withName("weekly").edit(w -> {
      var spec = w.getSpec();
      w.setSpec(new dev.databaseunit.operator.api.v1alpha1.MaintenanceWindowSpec(spec.databaseUnit(), spec.selector(), spec.schedule(),
          spec.timeZone(), "31m", spec.runNow(), spec.drainTimeout(), spec.onDrainTimeout(), spec.tasks(), spec.prechecks(),
          spec.rollbackPolicy(), spec.suspend()));
      return w;
    }));
    await().atMost(TIMEOUT).untilAsserted(() -> {
      var last = window().getStatus().lastRun();
      assertThat(last.generation()).isEqualTo(2L);
      assertThat(last.outcome()).isEqualTo("Succeeded");
    });
  }

  /**
   * prechecks.takeBackupIfMissing: with no recent backup the run asks the unit's BackupPolicy for one (annotation token =
   * run id, kept in the run) and waits in Prechecks, nothing paused. An operator restart while it waits neither asks
   * again nor loses the run: the next operator waits for the same request (the interrupted backup itself runs again).
   */
  @Test
  void aMissingBackupIsTakenThroughTheBackupPolicyBeforeTheDrainAcrossARestart(TestDatabase db, TestBucket bucket) throws Exception {
    try (var c = db.connect()) {
      dev.databaseunit.operator.backup.RecipeData.load(c, 40, 5);
    }
    createUnit(db, List.of());
    awaitUnitReady();
    URI s3 = URI.create(bucket.endpoint());
    try (var relay = new TcpRelay(s3.getHost(), s3.getPort(), 32 * 1024)) {
      createBackupPolicy(bucket, "http://127.0.0.1:" + relay.port(), true);
      createWindow("""
          runNow: true
          duration: 30m
          tasks: [UpdateStatistics]
          prechecks: {requireBackupWithin: 1h}
          """);
      var waiting = await().atMost(TIMEOUT).until(this::currentRun, r -> r != null && r.backupRequest() != null);
      String token = waiting.backupRequest().token();
      assertThat(token).isEqualTo(waiting.id());
      assertThat(waiting.backupRequest().policy()).isEqualTo("nightly");
      // The request is stored in the run before the annotation is written (so a restart never asks twice).
      await().atMost(TIMEOUT).untilAsserted(() -> assertThat(policy().getMetadata().getAnnotations()).containsEntry(OnDemand.BACKUP_NOW, token));
      await().atMost(TIMEOUT).until(() -> relay.relayedUpstream() > 16 * 1024);
      assertThat(window().getStatus().phase()).isEqualTo("Prechecks");
      assertThat(paused(db)).isFalse();

      running.stopOperator();
      assertThat(window().getStatus().currentRun().backupRequest()).isEqualTo(waiting.backupRequest());
      assertThat(window().getStatus().phase()).isEqualTo("Prechecks");
      relay.setBytesPerSecond(0);
      running.startOperator(registry);

      var run = awaitLastRun();
      assertThat(run.outcome()).as(run.toString()).isEqualTo("Succeeded");
      assertThat(run.id()).isEqualTo(waiting.id());
      assertThat(run.backupRequest().token()).isEqualTo(token);
      var handled = policy().getStatus().lastOnDemandBackup();
      assertThat(handled.token()).isEqualTo(token);
      assertThat(handled.outcome()).isEqualTo("Succeeded");
      assertThat(Instant.parse(handled.endTime())).isAfter(Instant.parse(waiting.backupRequest().requestedAt()));
      assertThat(policy().getMetadata().getAnnotations()).containsEntry(OnDemand.BACKUP_NOW, token);
      assertThat(policy().getStatus().retainedBackups()).as("one good backup: asked once").isEqualTo(1);
      awaitEventReasons("MaintenanceBackupRequested", "MaintenanceRecovered", "MaintenanceDrained",
          "MaintenanceSucceeded");
    }
  }

  /** The requested backup fails (storage unreachable): the precheck fails with the policy's reason, nothing paused. */
  @Test
  void aRequestedBackupThatFailsFailsThePrecheck(TestDatabase db, TestBucket bucket) {
    createUnit(db, List.of());
    awaitUnitReady();
    createBackupPolicy(bucket, "http://127.0.0.1:1", true);
    createWindow("""
        runNow: true
        duration: 30m
        tasks: [UpdateStatistics]
        """);
    var run = awaitLastRun();
    assertThat(run.outcome()).isEqualTo("Failed");
    assertThat(run.reason()).startsWith("the backup requested from BackupPolicy nightly at " + run.backupRequest().requestedAt()
        + " failed: ").contains("127.0.0.1:1");
    assertThat(run.drainSeconds()).isNull();
    assertThat(condition("Degraded").getReason()).isEqualTo("MaintenancePrecheckFailed");
    assertThat(eventReasons()).contains("MaintenanceBackupRequested").doesNotContain("MaintenanceDrained");
    assertThat(paused(db)).isFalse();
  }

  /** A backup that cannot finish while the drain still fits the window (here: the policy cannot run it at all) fails the precheck. */
  @Test
  void aRequestedBackupThatDoesNotFinishInTimeFailsThePrecheck(TestDatabase db, TestBucket bucket) {
    createUnit(db, List.of());
    awaitUnitReady();
    createBackupPolicy(bucket, bucket.endpoint(), false);
    createWindow("""
        runNow: true
        duration: 70s
        drainTimeout: 60s
        tasks: [UpdateStatistics]
        """);
    var run = awaitLastRun();
    assertThat(run.outcome()).isEqualTo("Failed");
    assertThat(run.reason()).startsWith("the backup requested from BackupPolicy nightly at ")
        .contains("had not finished by " + Instant.parse(run.windowEnd()).minusSeconds(60))
        .contains("the last moment the drain (drainTimeout 60s) still fits the window; the policy is Degraded: Secret ")
        .contains("nightly-kek");
    assertThat(run.drainSeconds()).isNull();
    assertThat(paused(db)).isFalse();
  }

  /** A suspended BackupPolicy of the unit (on-demand backups still run); {@code withKey} false leaves its key Secret missing. */
  private void createBackupPolicy(TestBucket bucket, String endpoint, boolean withKey) {
    client.resource(units.secret("nightly-s3", Map.of("accessKeyId", bucket.accessKey(), "secretAccessKey", bucket.secretKey()))).create();
    if (withKey) {
      byte[] key = new byte[32];
      new java.security.SecureRandom().nextBytes(key);
      client.resource(units.secret("nightly-kek", Map.of("kek", java.util.Base64.getEncoder().encodeToString(key)))).create();
    }
    client.resource(client.getKubernetesSerialization().unmarshal("""
        apiVersion: databaseunit.dev/v1alpha1
        kind: BackupPolicy
        metadata: {name: nightly, namespace: %s}
        spec:
          databaseUnit: %s
          suspend: true
          schedules: [{tier: daily, cron: "0 0 3 * * ?", retention: 30d}]
          storage: {bucket: %s, prefix: recipes/, endpoint: "%s", credentials: {secretName: nightly-s3}}
          encryption: {keyEncryptionKey: {name: nightly-kek, key: kek}}
          restoreTest: {enabled: false}
        """.formatted(namespace, UNIT, bucket.name(), endpoint), BackupPolicy.class)).create();
  }

  private BackupPolicy policy() {
    return client.resources(BackupPolicy.class).inNamespace(namespace).withName("nightly").get();
  }

  @Test
  void aTaskThatWouldNotFinishInsideTheWindowIsNotStarted(TestDatabase db) {
    createUnit(db, List.of());
    awaitUnitReady();
    // Two minutes: SchemaUpdate (estimated 30 s) fits with the 30 s kept for RESUME; OptimizeIndexes (2 min) does not.
    createWindow("""
        runNow: true
        duration: 2m
        drainTimeout: 10s
        tasks: [SchemaUpdate, OptimizeIndexes, UpdateStatistics]
        prechecks: {requireBackup: false}
        """);
    var run = awaitLastRun();
    assertThat(run.outcome()).isEqualTo("Incomplete");
    assertThat(run.tasks()).extracting(TaskResult::state).containsExactly("Succeeded", "Skipped", "Skipped");
    assertThat(run.tasks().get(1).message()).startsWith("not started: estimated 120 s would not finish before the window ends at ");
    assertThat(condition("Degraded").getStatus()).isEqualTo("False");
    awaitEventReasons("MaintenanceTasksSkipped", "MaintenanceResumed");
    assertThat(paused(db)).isFalse();
  }

  @Test
  void badInputIsDegradedWithItsReason(TestDatabase db) {
    createWindow("weekly", "no-such-unit", """
        schedule: "0 0 2 ? * SUN"
        """);
    createUnit(db, List.of());
    // 30 February: valid Quartz syntax, never fires.
    createWindow("never", UNIT, """
        schedule: "0 0 0 30 2 ?"
        """);
    Condition missing = awaitCondition("weekly", "Degraded", "True");
    assertThat(missing.getReason()).isEqualTo("MaintenanceUnitNotFound");
    assertThat(missing.getMessage()).isEqualTo("DatabaseUnit no-such-unit does not exist in namespace " + namespace);
    Condition never = awaitCondition("never", "Degraded", "True");
    assertThat(never.getReason()).isEqualTo("MaintenanceInvalidSchedule");
    assertThat(never.getMessage()).startsWith("schedule '0 0 0 30 2 ?' never fires after ");
    assertThat(window("never").getStatus().currentRun()).isNull();
    assertThat(window("never").getStatus().nextWindowStart()).isNull();
  }

  @Test
  void aScheduledWindowReportsItsNextStartAndDoesNotRunOutsideIt(TestDatabase db) {
    createUnit(db, List.of());
    awaitUnitReady();
    createWindow("""
        schedule: "0 0 3 1 1 ?"
        timeZone: Europe/Berlin
        duration: 1h
        """);
    await().atMost(TIMEOUT).untilAsserted(() -> {
      var status = window().getStatus();
      assertThat(status).isNotNull();
      assertThat(status.nextWindowStart()).endsWith("-01-01T02:00:00Z");
      assertThat(condition("Ready").getReason()).isEqualTo("Scheduled");
    });
    assertThat(window().getStatus().lastRun()).isNull();
    assertThat(window().getStatus().currentRun()).isNull();
  }

  // ----- helpers shared with the restart test -----

  /** Applies the named files of the sample recipe schema with the same task the window runs. */
  static void migrateTo(TestDatabase db, String... files) throws Exception {
    Map<String, String> all = recipeSchema().getData();
    Map<String, String> chosen = new java.util.TreeMap<>();
    for (String f : files) {
      chosen.put(f, all.get(f));
    }
    try (Connection c = db.connect(); var s = c.createStatement()) {
      s.execute("CREATE EXTENSION IF NOT EXISTS vector"); // the operator does this for a unit; here it runs first
    }
    var scripts = MigrationScripts.collect(Map.of("recipes-schema", chosen)).scripts();
    new SchemaUpdateTask(new FlywayMigrator()).run(new MaintenanceTask.Target("test", db.dataSource(), "public", scripts, List.of()));
  }

  static ConfigMap recipeSchema() throws Exception {
    var yaml = Files.readString(Path.of("samples", "recipe-schema.yaml"));
    return io.fabric8.kubernetes.client.utils.Serialization.unmarshal(yaml, ConfigMap.class);
  }

  private static long createBloatedIndex(TestDatabase db) throws SQLException {
    try (Connection c = db.connect(); var s = c.createStatement()) {
      s.execute("CREATE TABLE bloated (id int PRIMARY KEY, payload text)");
      s.execute("INSERT INTO bloated SELECT g, repeat('x', 20) FROM generate_series(1, 20000) g");
      s.execute("DELETE FROM bloated WHERE id % 10 <> 0");
      s.execute("VACUUM bloated");
    }
    return relfilenode(db, "bloated_pkey");
  }

  private static long relfilenode(TestDatabase db, String relation) throws SQLException {
    try (Connection c = db.connect(); var ps = c.prepareStatement("SELECT relfilenode FROM pg_class WHERE relname = ?")) {
      ps.setString(1, relation);
      try (var rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  static String schemaVersion(TestDatabase db) throws SQLException {
    try (Connection c = db.connect(); var s = c.createStatement();
        var rs = s.executeQuery("SELECT max(version::int)::text FROM flyway_schema_history WHERE success")) {
      rs.next();
      return rs.getString(1);
    }
  }

  private static boolean columnExists(TestDatabase db, String table, String column) throws SQLException {
    try (Connection c = db.connect(); var ps = c.prepareStatement(
        "SELECT 1 FROM information_schema.columns WHERE table_name = ? AND column_name = ?")) {
      ps.setString(1, table);
      ps.setString(2, column);
      try (var rs = ps.executeQuery()) {
        return rs.next();
      }
    }
  }

  boolean paused(TestDatabase db) {
    try (var admin = new PgBouncerAdminClient(bouncer.host(), bouncer.port(), bouncer.adminUser(), bouncer.adminPassword(),
        Duration.ofSeconds(5))) {
      return admin.showDatabases().stream().filter(d -> d.name().equals(db.name())).anyMatch(PgBouncerAdmin.DatabaseRow::paused);
    }
  }

  /** A client that opens a transaction through PgBouncer and keeps it busy; completes with "committed" or its error. */
  private CompletableFuture<String> holdTransaction(TestDatabase db, int seconds) throws Exception {
    Connection c = DriverManager.getConnection(bouncer.jdbcUrl(db.name()), db.user(), db.password());
    c.setAutoCommit(false);
    try (var s = c.createStatement()) {
      s.execute("SELECT 1");
    }
    var started = new CompletableFuture<Void>();
    var result = CompletableFuture.supplyAsync(() -> {
      try (c; var s = c.createStatement()) {
        started.complete(null);
        s.execute("SELECT pg_sleep(" + seconds + ")");
        c.commit();
        return "committed";
      } catch (SQLException e) {
        return e.getMessage();
      }
      // Its own thread: the common pool has one thread on two cores, and the Kubernetes client completes on it.
    }, runnable -> Thread.ofPlatform().name("long-transaction").daemon().start(runnable));
    started.get(10, TimeUnit.SECONDS);
    return result;
  }

  void createUnit(TestDatabase db, List<String> migrationConfigMaps) {
    createUnit(UNIT, db, migrationConfigMaps);
  }

  private void createUnit(String name, TestDatabase db, List<String> migrationConfigMaps) {
    if (client.secrets().inNamespace(namespace).withName("db").get() == null) {
      client.resource(units.credentialsSecret("db", db)).create();
      client.resource(units.secret("pooler-admin", Map.of("username", PrivatePgBouncer.ADMIN_USER, "password", bouncer.adminPassword())))
          .create();
    }
    try {
      if (migrationConfigMaps.contains("recipes-schema")) {
        client.resource(configMap("recipes-schema", recipeSchema().getData())).create();
      }
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
    String migrations = migrationConfigMaps.isEmpty() ? "" : """
          migrations:
            configMaps: [%s]
            applyIn: MaintenanceWindow
        """.formatted(String.join(", ", migrationConfigMaps));
    String yaml = units.unitYaml(name, "db", db) + """
          extensions: [vector, amcheck, pgstattuple]
        %s  pooler:
            external:
              host: 127.0.0.1
              port: %d
              adminCredentials:
                secretName: pooler-admin
        """.formatted(migrations, bouncer.port());
    DatabaseUnit unit = units.unit(yaml);
    unit.getMetadata().setLabels(Map.of("tier", "gold"));
    client.resource(unit).create();
  }

  private ConfigMap configMap(String name, Map<String, String> data) {
    return new ConfigMapBuilder().withNewMetadata().withName(name).withNamespace(namespace).endMetadata().withData(data).build();
  }

  private void awaitUnitReady() {
    awaitUnitReady(UNIT);
  }

  private void awaitUnitReady(String name) {
    units.awaitCondition(name, Conditions.READY, "True");
  }

  void createWindow(String specBody) {
    createWindow("weekly", UNIT, specBody);
  }

  private void createWindow(String name, String unit, String specBody) {
    String yaml = """
        apiVersion: databaseunit.dev/v1alpha1
        kind: MaintenanceWindow
        metadata:
          name: %s
          namespace: %s
        spec:
          databaseUnit: %s
        %s""".formatted(name, namespace, unit, specBody.indent(2));
    client.resource(client.getKubernetesSerialization().unmarshal(yaml, MaintenanceWindow.class)).create();
  }

  MaintenanceWindow window() {
    return window("weekly");
  }

  private MaintenanceWindow window(String name) {
    return client.resources(MaintenanceWindow.class).inNamespace(namespace).withName(name).get();
  }

  /** The window's current run, null also while the operator has not written a status yet. */
  MaintenanceWindowStatus.Run currentRun() {
    var w = window();
    return w.getStatus() == null ? null : w.getStatus().currentRun();
  }

  MaintenanceWindowStatus.Run awaitLastRun() {
    return await().atMost(TIMEOUT).until(() -> {
      var w = window();
      return w.getStatus() == null ? null : w.getStatus().lastRun();
    }, java.util.Objects::nonNull);
  }

  Condition condition(String type) {
    return condition("weekly", type);
  }

  private Condition condition(String window, String type) {
    var w = window(window);
    return w == null || w.getStatus() == null ? null : Conditions.find(w.getStatus().conditions(), type);
  }

  private Condition awaitCondition(String window, String type, String status) {
    return await().atMost(TIMEOUT).until(() -> condition(window, type), c -> c != null && status.equals(c.getStatus()));
  }

  List<Event> events() {
    return units.events("weekly");
  }

  List<String> eventReasons() {
    return units.eventReasons("weekly");
  }

  /** Events are written after the status they report, so a test that saw the status waits for them. */
  void awaitEventReasons(String... reasons) {
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(eventReasons()).contains(reasons));
  }
}
