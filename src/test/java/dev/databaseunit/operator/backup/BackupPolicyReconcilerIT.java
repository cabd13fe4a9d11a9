package dev.databaseunit.operator.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.databaseunit.operator.api.v1alpha1.BackupPolicy;
import dev.databaseunit.operator.api.v1alpha1.BackupPolicyStatus;
import dev.databaseunit.operator.api.v1alpha1.DatabaseUnit;
import dev.databaseunit.operator.status.Conditions;
import dev.databaseunit.operator.testing.CapturedLogs;
import dev.databaseunit.operator.testing.Conflicts;
import dev.databaseunit.operator.testing.KubeCluster;
import dev.databaseunit.operator.testing.MutableClock;
import dev.databaseunit.operator.testing.OperatorInNamespace;
import dev.databaseunit.operator.testing.TcpRelay;
import dev.databaseunit.operator.testing.TestBucket;
import dev.databaseunit.operator.testing.TestDatabase;
import dev.databaseunit.operator.testing.UnitFixtures;
import dev.databaseunit.operator.testing.WithLocalServices;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The BackupPolicy reconciler with the real API server, PostgreSQL and S3-compatible server; time is a test clock. */
@WithLocalServices
class BackupPolicyReconcilerIT {
  private static final Duration TIMEOUT = Duration.ofSeconds(90);
  /** The daily fire the tests take; the policy is created a minute before it on the test clock (see {@link #createBeforeFire}). */
  private static final Instant FIRE = Instant.parse("2026-11-02T03:00:00Z");

  private final MutableClock clock = new MutableClock(FIRE.minusSeconds(60));
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final String kek = BackupPipelineIT.randomKey();
  private OperatorInNamespace running;
  private KubernetesClient client;
  private String namespace;
  private UnitFixtures units;
  private TestDatabase db;
  private TestBucket bucket;

  @BeforeEach
  void start(KubeCluster cluster, TestDatabase db, TestBucket bucket) throws Exception {
    this.db = db;
    this.bucket = bucket;
    try (var c = db.connect()) {
      RecipeData.load(c, 20, 5);
    }
    running = OperatorInNamespace.prepare(cluster, "du-backup", clock, false);
    client = running.client();
    namespace = running.namespace();
    units = running.units(TIMEOUT);
    client.resource(units.credentialsSecret("recipes-db", db)).create();
    client.resource(units.secret("recipes-s3", Map.of("accessKeyId", bucket.accessKey(), "secretAccessKey", bucket.secretKey()))).create();
    client.resource(units.secret("recipes-kek", Map.of("kek", kek))).create();
    client.resource(unit()).create();
    running.startOperator(registry);
  }

  private void startOperator() {
    running.startOperator(registry);
  }

  @AfterEach
  void stop() {
    running.close();
  }

  @Test
  void aDueBackupThenTheRestoreTestPassAndAreReportedWithoutSecrets() throws Exception {
    try (var logs = new CapturedLogs()) {
      createBeforeFire(policy("recipes-backups", bucket.endpoint(), "enabled: true, cron: \"0 0 3 * * ?\""));

      var status = await().atMost(TIMEOUT).until(() -> status("recipes-backups"),
          s -> s != null && s.lastRestoreTest() != null && s.inProgress() == null);

      assertThat(status.lastBackup().tier()).isEqualTo(dev.databaseunit.operator.api.v1alpha1.BackupPolicySpec.Tier.DAILY);
      var daily = status.tiers().getFirst();
      assertThat(daily.lastFireTime()).isEqualTo(FIRE.toString());
      assertThat(daily.lastSuccessTime()).isNotNull();
      assertThat(daily.nextFireTime()).isEqualTo(FIRE.plus(Duration.ofDays(1)).toString());
      assertThat(status.retainedBackups()).isEqualTo(1);
      var report = status.lastRestoreTest();
      assertThat(report.outcome()).as(report.toString()).isEqualTo("Passed");
      assertThat(report.backupId()).isEqualTo(status.lastBackup().id());
      assertThat(report.rtoMet()).isTrue();
      assertThat(report.rpoMet()).isTrue();
      assertThat(report.checks()).hasSize(3).allMatch(BackupPolicyStatus.CheckResult::passed);
      assertThat(status.restoreTestSchedule().lastFireTime()).isEqualTo(FIRE.toString());
      assertThat(condition(status, "Ready").getStatus()).isEqualTo("True");
      units.awaitEventReasons("recipes-backups", "BackupSucceeded", "RestoreTestPassed");
      assertThat(registry.get("databaseunit.restore.test.passed").tag("policy", "recipes-backups").gauge().value()).isEqualTo(1.0);
      assertThat(registry.get("databaseunit.backup.duration").tag("tier", "daily").timer().count()).isEqualTo(1);

      var catalog = new BackupCatalog(BackupPipelineIT.store(bucket.endpoint(), bucket), "recipes/");
      var manifests = catalog.list();
      assertThat(manifests).extracting(BackupManifest::backupId).containsExactly(status.lastBackup().id());
      assertThat(manifests.getFirst().tables()).anyMatch(t -> t.name().equals("recipe_embeddings") && t.rows() == 100);

      String everything = client.getKubernetesSerialization().asJson(status) + client.getKubernetesSerialization().asJson(units.events("recipes-backups"))
          + new String(manifests.getFirst().toJson(), java.nio.charset.StandardCharsets.UTF_8) + String.join("\n", logs.lines());
      assertThat(everything).doesNotContain(db.password(), kek, bucket.secretKey());

      // The same fire is never taken twice, whatever reconciles happen; the next day's fire is.
      touch("recipes-backups");
      await().pollDelay(Duration.ofSeconds(3)).atMost(TIMEOUT).until(() -> status("recipes-backups").inProgress() == null);
      assertThat(catalog.list()).hasSize(1);
      clock.set(FIRE.plus(Duration.ofDays(1)).plusSeconds(5));
      touch("recipes-backups");
      await().atMost(TIMEOUT).until(() -> catalog.list().size() == 2 && status("recipes-backups").inProgress() == null);
    }
  }

  @Test
  void unreachableStorageDegradesThePolicyAndListsNoBackup() throws Exception {
    createBeforeFire(policy("unreachable", "http://127.0.0.1:1", "enabled: false"));

    var degraded = await().atMost(TIMEOUT).until(() -> condition(status("unreachable"), Conditions.DEGRADED),
        c -> c != null && "True".equals(c.getStatus()));
    assertThat(degraded.getReason()).isEqualTo("BackupFailed");
    assertThat(degraded.getMessage()).contains("127.0.0.1:1");
    assertThat(status("unreachable").lastBackup()).isNull();
    assertThat(status("unreachable").tiers().getFirst().lastFireTime()).as("the fire stays due for a retry").isNull();
    await().atMost(TIMEOUT).untilAsserted(() -> assertThat(units.eventReasons("unreachable")).contains("BackupFailed"));
    assertThat(new BackupCatalog(BackupPipelineIT.store(bucket.endpoint(), bucket), "recipes/").list()).isEmpty();

    // Once the window has passed, the fire is recorded as missed rather than retried for ever.
    clock.set(FIRE.plus(Duration.ofHours(2)));
    touch("unreachable");
    var missed = await().atMost(TIMEOUT).until(() -> condition(status("unreachable"), BackupPolicyReconciler.ON_SCHEDULE),
        c -> c != null && "False".equals(c.getStatus()));
    assertThat(missed.getReason()).isEqualTo("BackupMissed");
    assertThat(status("unreachable").tiers().getFirst().missedFires()).isEqualTo(1);
  }

  @Test
  void anOperatorStoppedMidBackupLeavesNoPartialBackupAndTheFireRunsAfterTheRestart() throws Exception {
    URI s3 = URI.create(bucket.endpoint());
    try (var relay = new TcpRelay(s3.getHost(), s3.getPort(), 128 * 1024)) {
      createBeforeFire(policy("interrupted", "http://127.0.0.1:" + relay.port(), "enabled: false"));
      await().atMost(TIMEOUT).until(() -> relay.relayedUpstream() > 64 * 1024);
      var underway = status("interrupted").inProgress();
      assertThat(underway).isNotNull();
      assertThat(underway.kind()).isEqualTo(BackupPolicyStatus.OperationKind.Backup);

      running.stopOperator();
      var catalog = new BackupCatalog(BackupPipelineIT.store(bucket.endpoint(), bucket), "recipes/");
      assertThat(catalog.list()).isEmpty();
      assertThat(status("interrupted").inProgress().id()).isEqualTo(underway.id());

      relay.setBytesPerSecond(0);
      running.startOperator(registry);
      var status = await().atMost(TIMEOUT).until(() -> status("interrupted"), s -> s.lastBackup() != null && s.inProgress() == null);
      assertThat(status.lastBackup().id()).isNotEqualTo(underway.id());
      assertThat(status.tiers().getFirst().lastFireTime()).isEqualTo(FIRE.toString());
      assertThat(catalog.list()).extracting(BackupManifest::backupId).containsExactly(status.lastBackup().id());
      assertThat(catalog.store().list("recipes/" + underway.id())).isEmpty();
      assertThat(units.eventReasons("interrupted")).contains("BackupInterrupted", "BackupSucceeded");
    }
  }

  /**
   * On-demand work by annotation token on a suspended policy (no scheduled work runs): each token runs once, whatever
   * reconciles, annotation edits and operator restarts follow; a new token runs again; a tier without schedule is rejected.
   */
  @Test
  void onDemandBackupsAndRestoreTestsRunOncePerToken() throws Exception {
    client.resource(policy("on-demand", bucket.endpoint(), "enabled: false", "suspend: true")).create();
    await().atMost(TIMEOUT).until(() -> status("on-demand"), s -> s != null && s.tiers() != null && !s.tiers().isEmpty());
    var catalog = new BackupCatalog(BackupPipelineIT.store(bucket.endpoint(), bucket), "recipes/");
    assertThat(catalog.list()).as("suspended: the due fire is not run").isEmpty();

    annotate("on-demand", Map.of(OnDemand.BACKUP_NOW, "req-1", OnDemand.BACKUP_TIER, "daily"));
    var backup = await().atMost(TIMEOUT).until(() -> status("on-demand"), s -> s.lastOnDemandBackup() != null && s.inProgress() == null)
        .lastOnDemandBackup();
    assertThat(backup.token()).isEqualTo("req-1");
    assertThat(backup.outcome()).as(backup.toString()).isEqualTo("Succeeded");
    assertThat(backup.backupId()).isEqualTo(status("on-demand").lastBackup().id()).startsWith("daily-");
    assertThat(catalog.list()).extracting(BackupManifest::backupId).containsExactly(backup.backupId());
    assertThat(status("on-demand").tiers().getFirst().lastSuccessTime()).isNotNull();

    annotate("on-demand", Map.of(OnDemand.RESTORE_TEST_NOW, "check-1"));
    var tested = await().atMost(TIMEOUT).until(() -> status("on-demand"), s -> s.lastOnDemandRestoreTest() != null && s.inProgress() == null);
    assertThat(tested.lastOnDemandRestoreTest().token()).isEqualTo("check-1");
    assertThat(tested.lastOnDemandRestoreTest().outcome()).as(tested.lastRestoreTest().toString()).isEqualTo("Passed");
    assertThat(tested.lastRestoreTest().backupId()).isEqualTo(backup.backupId());
    assertThat(tested.restoreTestSchedule().lastFireTime()).as("an on-demand test is not a scheduled fire").isNull();
    units.awaitEventReasons("on-demand", "BackupOnDemandStarted", "BackupSucceeded", "RestoreTestOnDemandStarted",
        "RestoreTestPassed");

    // Unchanged tokens are never run again: not on a spec change, another annotation, nor an operator restart.
    touch("on-demand");
    annotate("on-demand", Map.of("example.com/note", "unrelated"));
    running.stopOperator();
    running.startOperator(registry);
    await().pollDelay(Duration.ofSeconds(4)).atMost(TIMEOUT).until(() -> status("on-demand").inProgress() == null);
    assertThat(catalog.list()).hasSize(1);
    assertThat(status("on-demand").lastOnDemandBackup()).isEqualTo(backup);
    assertThat(status("on-demand").lastOnDemandRestoreTest()).isEqualTo(tested.lastOnDemandRestoreTest());

    annotate("on-demand", Map.of(OnDemand.BACKUP_NOW, "req-2", OnDemand.BACKUP_TIER, ""));
    await().atMost(TIMEOUT).until(() -> status("on-demand"), s -> s.lastOnDemandBackup().token().equals("req-2") && s.inProgress() == null);
    assertThat(catalog.list()).hasSize(2);

    annotate("on-demand", Map.of(OnDemand.BACKUP_NOW, "req-3", OnDemand.BACKUP_TIER, "monthly"));
    var rejected = await().atMost(TIMEOUT).until(() -> status("on-demand").lastOnDemandBackup(), r -> r.token().equals("req-3"));
    assertThat(rejected.outcome()).isEqualTo("Rejected");
    assertThat(rejected.message()).contains("'monthly'");
    await().atMost(TIMEOUT).untilAsserted(() -> assertThat(units.eventReasons("on-demand")).contains("OnDemandRequestRejected"));
    assertThat(catalog.list()).hasSize(2);
  }

  /** An on-demand backup cut off by an operator stop is cleaned up and runs again for the same, still unhandled, token. */
  @Test
  void anOnDemandBackupInterruptedByARestartRunsAgain() throws Exception {
    URI s3 = URI.create(bucket.endpoint());
    try (var relay = new TcpRelay(s3.getHost(), s3.getPort(), 128 * 1024)) {
      client.resource(policy("interrupted-on-demand", "http://127.0.0.1:" + relay.port(), "enabled: false", "suspend: true")).create();
      await().atMost(TIMEOUT).until(() -> status("interrupted-on-demand"), s -> s != null && s.tiers() != null && !s.tiers().isEmpty());
      annotate("interrupted-on-demand", Map.of(OnDemand.BACKUP_NOW, "before-upgrade"));
      await().atMost(TIMEOUT).until(() -> relay.relayedUpstream() > 64 * 1024);
      running.stopOperator();
      var underway = status("interrupted-on-demand").inProgress();
      assertThat(underway.onDemandToken()).isEqualTo("before-upgrade");
      assertThat(status("interrupted-on-demand").lastOnDemandBackup()).isNull();

      relay.setBytesPerSecond(0);
      running.startOperator(registry);
      var done = await().atMost(TIMEOUT).until(() -> status("interrupted-on-demand"),
          s -> s.lastOnDemandBackup() != null && s.inProgress() == null).lastOnDemandBackup();
      assertThat(done.token()).isEqualTo("before-upgrade");
      assertThat(done.outcome()).isEqualTo("Succeeded");
      assertThat(done.backupId()).isNotEqualTo(underway.id());
      var catalog = new BackupCatalog(BackupPipelineIT.store(bucket.endpoint(), bucket), "recipes/");
      assertThat(catalog.list()).extracting(BackupManifest::backupId).containsExactly(done.backupId());
      assertThat(units.eventReasons("interrupted-on-demand")).contains("BackupInterrupted", "BackupSucceeded");
    }
  }

  /**
   * Restore tests into a scratch instance: another role reached under another host name (localhost, verify-full TLS
   * with the CA from a Secret) on the local server. The scratch database is created, checked and dropped there, and
   * dropped too when the restore fails (a role without the right to create the dump's extensions).
   */
  @Test
  void restoreTestsRunOnTheScratchInstanceAndLeaveNoScratchDatabase() throws Exception {
    String role = "du_scratch_" + java.util.HexFormat.of().formatHex(java.security.SecureRandom.getSeed(4));
    String password = BackupPipelineIT.randomKey();
    try (var c = db.connect(); var st = c.createStatement()) {
      st.execute("CREATE ROLE " + role + " LOGIN SUPERUSER PASSWORD '" + password + "'");
    }
    try (var logs = new CapturedLogs()) {
      client.resource(units.secret("scratch-pg", Map.of("username", role, "password", password))).create();
      client.resource(units.secret("scratch-ca", Map.of("ca.crt", java.nio.file.Files.readString(db.caFile())))).create();
      client.resource(policy("scratch", bucket.endpoint(), "enabled: false, scratchInstance: {host: localhost, port: " + db.port()
          + ", database: postgres, credentials: {secretName: scratch-pg}, tls: {mode: verify-full, caSecret: {name: scratch-ca, key: ca.crt}}}",
          "suspend: true")).create();
      annotate("scratch", Map.of(OnDemand.BACKUP_NOW, "b1", OnDemand.RESTORE_TEST_NOW, "t1"));
      var passed = await().atMost(TIMEOUT).until(() -> status("scratch"),
          s -> s.lastOnDemandRestoreTest() != null && s.inProgress() == null);
      assertThat(passed.lastOnDemandBackup().outcome()).as("the backup goes first").isEqualTo("Succeeded");
      assertThat(passed.lastRestoreTest().outcome()).as(passed.lastRestoreTest().toString()).isEqualTo("Passed");
      assertThat(passed.lastRestoreTest().checks().getFirst().detail()).contains(role + "@localhost:" + db.port() + "/du_restore_test_")
          .contains("sslmode=verify-full");
      assertThat(databasesOwnedBy(role)).isZero();

      try (var c = db.connect(); var st = c.createStatement()) {
        st.execute("ALTER ROLE " + role + " NOSUPERUSER CREATEDB");
      }
      annotate("scratch", Map.of(OnDemand.RESTORE_TEST_NOW, "t2"));
      var failed = await().atMost(TIMEOUT).until(() -> status("scratch"),
          s -> "t2".equals(s.lastOnDemandRestoreTest().token()) && s.inProgress() == null);
      assertThat(failed.lastOnDemandRestoreTest().outcome()).isEqualTo("Failed");
      var validation = failed.lastRestoreTest().checks().getFirst();
      assertThat(validation.passed()).isFalse();
      assertThat(validation.detail()).contains("permission denied to create extension");
      assertThat(condition(failed, Conditions.DEGRADED).getReason()).isEqualTo("RestoreTestFailed");
      assertThat(databasesOwnedBy(role)).as("the scratch copy is dropped after a failed restore").isZero();
      assertThat(String.join("\n", logs.lines()) + client.getKubernetesSerialization().asJson(failed)).doesNotContain(password);
    } finally {
      try (var c = db.connect(); var st = c.createStatement()) {
        st.execute("DROP ROLE IF EXISTS " + role);
      }
    }
  }

  private int databasesOwnedBy(String role) throws Exception {
    try (var c = db.connect();
        var st = c.prepareStatement("SELECT count(*) FROM pg_database d JOIN pg_roles r ON r.oid = d.datdba WHERE r.rolname = ?")) {
      st.setString(1, role);
      try (var rs = st.executeQuery()) {
        rs.next();
        return rs.getInt(1);
      }
    }
  }

  /** As kubectl annotate does: a merge patch, no conflict with the operator's own writes. */
  private void annotate(String name, Map<String, String> annotations) {
    client.resources(BackupPolicy.class).inNamespace(namespace).withName(name)
        .patch(io.fabric8.kubernetes.client.dsl.base.PatchContext.of(io.fabric8.kubernetes.client.dsl.base.PatchType.JSON_MERGE),
            client.getKubernetesSerialization().asJson(Map.of("metadata", Map.of("annotations", annotations))));
  }

  /**
   * Creates the policy while the test clock reads a minute before {@link #FIRE}, waits until the operator has recorded
   * where its schedule starts, then moves the clock 30 s past the fire: the fire is due, as it is for a policy that
   * existed before it. (A fire before the policy's creation never runs.)
   */
  private void createBeforeFire(BackupPolicy policy) {
    clock.set(FIRE.minusSeconds(60));
    client.resource(policy).create();
    String name = policy.getMetadata().getName();
    await().atMost(TIMEOUT).until(() -> status(name) != null && status(name).scheduledSince() != null);
    assertThat(Instant.parse(status(name).scheduledSince())).isBefore(FIRE);
    clock.set(FIRE.plusSeconds(30));
    touch(name);
  }

  private DatabaseUnit unit() {
    return units.unit(units.unitYaml("recipes", "recipes-db", db));
  }

  private BackupPolicy policy(String name, String endpoint, String restoreTest) {
    return policy(name, endpoint, restoreTest, "");
  }

  private BackupPolicy policy(String name, String endpoint, String restoreTest, String moreSpec) {
    return TestPolicies.policy(client, namespace, name, bucket, endpoint, restoreTest, moreSpec);
  }

  private BackupPolicyStatus status(String name) {
    var policy = client.resources(BackupPolicy.class).inNamespace(namespace).withName(name).get();
    return policy == null ? null : policy.getStatus();
  }

  /**
   * A spec change with the same meaning (window 1h and 60m), so the reconciler looks again right after the test
   * clock jumped (it sleeps until the next fire otherwise, which is real time, and metadata changes are filtered).
   */
  private void touch(String name) {
    Conflicts.retry(() -> touchOnce(name));
  }

  private BackupPolicy touchOnce(String name) {
    return client.resources(BackupPolicy.class).inNamespace(namespace).withName(name).edit(p -> {
      var s = p.getSpec().schedules().getFirst();
      var flipped = new dev.databaseunit.operator.api.v1alpha1.BackupPolicySpec.BackupSchedule(s.tier(), s.cron(), s.timeZone(),
          "1h".equals(s.window()) ? "60m" : "1h", s.retention(), s.copyToSecondary());
      var spec = p.getSpec();
      p.setSpec(new dev.databaseunit.operator.api.v1alpha1.BackupPolicySpec(spec.databaseUnit(), List.of(flipped), spec.storage(),
          spec.secondaryStorage(), spec.encryption(), spec.pointInTimeRecovery(), spec.restoreTest(), spec.logicalDump(), spec.suspend()));
      return p;
    });
  }

  private static Condition condition(BackupPolicyStatus status, String type) {
    return status == null ? null : Conditions.find(status.conditions(), type);
  }
}
