package dev.databaseunit.operator.backup;

import dev.databaseunit.operator.storage.KeyEncryptionKey;

import dev.databaseunit.operator.bootstrap.BootstrapWork;
import dev.databaseunit.operator.storage.S3ObjectStore;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.databaseunit.operator.api.v1alpha1.BackupPolicy;
import dev.databaseunit.operator.api.v1alpha1.BackupPolicySpec;
import dev.databaseunit.operator.api.v1alpha1.BackupPolicySpec.Tier;
import dev.databaseunit.operator.api.v1alpha1.DatabaseUnit;
import dev.databaseunit.operator.api.v1alpha1.DatabaseUnitStatus;
import dev.databaseunit.operator.api.v1alpha1.DatabaseUnitStatus.BootstrapStatus;
import dev.databaseunit.operator.api.v1alpha1.GdprRequest;
import dev.databaseunit.operator.api.v1alpha1.PostgresTls;
import dev.databaseunit.operator.gdpr.GdprService;
import dev.databaseunit.operator.gdpr.RecipeFixture;
import dev.databaseunit.operator.gdpr.SubjectEraser;
import dev.databaseunit.operator.gdpr.SubjectPlan;
import dev.databaseunit.operator.postgres.CaCertificates;
import dev.databaseunit.operator.postgres.PostgresTarget;
import dev.databaseunit.operator.runtime.DatabaseUnitOperator;
import dev.databaseunit.operator.runtime.OperatorSettings;
import dev.databaseunit.operator.status.Conditions;
import dev.databaseunit.operator.testing.CapturedLogs;
import dev.databaseunit.operator.testing.TestClock;
import dev.databaseunit.operator.testing.KubeCluster;
import dev.databaseunit.operator.testing.TestBucket;
import dev.databaseunit.operator.testing.TestDatabase;
import dev.databaseunit.operator.testing.UnitFixtures;
import dev.databaseunit.operator.testing.WithLocalServices;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;

/**
 * Bootstrapping a DatabaseUnit from a backup, with the real API server, PostgreSQL and S3-compatible server: the
 * backup comes back, erasures made after it are applied again before the unit is Ready, a database with data is
 * never overwritten, a bad backup leaves the database empty, and an operator restart resumes.
 */
@WithLocalServices
class BootstrapIT {
  private final TestClock clock = TestClock.startingNow();
  private static final Duration TIMEOUT = Duration.ofSeconds(120);
  private static final String POLICY = "recipes-backups";

  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final String kekBase64 = BackupPipelineIT.randomKey();
  private final KeyEncryptionKey kek = KeyEncryptionKey.fromBase64(kekBase64);
  private final PostgresTools tools = new PostgresTools(CaCertificates.inTempDirectory(), null, dev.databaseunit.operator.common.EgressPolicy.DEFAULT,
      dev.databaseunit.operator.postgres.DatabaseTimeouts.DEFAULT);
  private final GdprService gdpr = new GdprService(clock, SubjectEraser.DeletionListener.NONE);
  private KubernetesClient client;
  private String namespace;
  private OperatorSettings settings;
  private DatabaseUnitOperator operator;
  private TestDatabase source;
  private TestBucket bucket;
  private UnitFixtures fixtures;
  private long alice;
  private long bob;
  private long carol;

  @BeforeEach
  void start(KubeCluster cluster, TestDatabase source, TestBucket bucket) throws Exception {
    this.source = source;
    this.bucket = bucket;
    try (var c = source.connect()) {
      RecipeFixture.createSchema(c);
      alice = RecipeFixture.addUser(c, "alice@example.com", 4, 3, true);
      bob = RecipeFixture.addUser(c, "bob@example.com", 3, 2, true);
      carol = RecipeFixture.addUser(c, "carol@example.com", 5, 2, true);
    }
    client = cluster.newClient();
    namespace = cluster.createNamespace(client, "du-bootstrap");
    settings = new OperatorSettings(Set.of(namespace), false, namespace, 0, false);
    fixtures = new UnitFixtures(client, namespace, TIMEOUT);
    client.resource(fixtures.secret("recipes-db", Map.of("username", source.user(), "password", source.password()))).create();
    client.resource(fixtures.secret("recipes-s3", Map.of("accessKeyId", bucket.accessKey(), "secretAccessKey", bucket.secretKey()))).create();
    client.resource(fixtures.secret("recipes-kek", Map.of("kek", kekBase64))).create();
    client.resource(unit("recipes", source, null)).create();
    client.resource(policy()).create();
    startOperator();
  }

  private void startOperator() {
    operator = DatabaseUnitOperator.create(client, registry, settings, clock);
    operator.start();
  }

  @AfterEach
  void stop() {
    operator.stop();
    client.namespaces().withName(namespace).delete();
    client.close();
  }

  @Test
  void aBootstrapRestoresTheBackupAndForgetsEverySubjectErasedAfterItBeforeTheUnitIsReady(TestDatabase target)
      throws Exception {
    try (var logs = new CapturedLogs()) {
      BackupManifest restored = backup();
      // Erased after the restored backup; a newer backup's ledger knows of it.
      eraseDirectly(alice);
      backup();
      // Erased after every backup: only the completed GdprRequest knows of it.
      createErasure("erase-bob", bob);
      await().atMost(TIMEOUT).until(() -> "Completed".equals(requestPhase("erase-bob")));
      String bobRequestUid = client.resources(GdprRequest.class).inNamespace(namespace).withName("erase-bob").get()
          .getMetadata().getUid();
      Map<String, String> expected;
      Map<String, Long> carolBefore;
      try (var c = source.connect()) {
        expected = contents(c);
        carolBefore = RecipeFixture.userCounts(c, carol);
      }

      client.resource(unit("restored", target, restored.backupId())).create();

      var status = await().atMost(TIMEOUT).until(() -> unitStatus("restored"),
          s -> s != null && s.bootstrap() != null && "Completed".equals(s.bootstrap().phase()) && isReady(s));
      BootstrapStatus bootstrap = status.bootstrap();
      assertThat(bootstrap.backupId()).isEqualTo(restored.backupId());
      assertThat(bootstrap.erasuresReapplied()).isEqualTo(2);
      assertThat(bootstrap.startTime()).isNotNull();
      assertThat(bootstrap.completionTime()).isNotNull();
      try (var c = target.connect()) {
        assertThat(contents(c)).as("every subject table equals the source after both erasures").isEqualTo(expected);
        assertThat(RecipeFixture.userCounts(c, alice).values()).allMatch(n -> n == 0);
        assertThat(RecipeFixture.userCounts(c, bob).values()).allMatch(n -> n == 0);
        assertThat(RecipeFixture.userCounts(c, carol)).isEqualTo(carolBefore);
        assertThat(query(c, "SELECT count(*) FROM gdpr_erasure_ledger")).isEqualTo(2);
        assertThat(query(c, "SELECT count(*) FROM gdpr_audit_log WHERE action = 'data_deletion_completed' AND request_uid = '"
            + bobRequestUid + "' AND outcome = 'erased'")).as("the re-applied erasure is audited").isEqualTo(1);
      }
      assertThat(scratchDatabases()).isZero();
      assertThat(registry.get("databaseunit.bootstrap.duration").tag("unit", "restored").timer().count()).isEqualTo(1);
      assertThat(fixtures.eventReasons("restored")).contains("BootstrapStarted", "BootstrapRestored", "BootstrapCompleted")
          .doesNotContain("BootstrapRefused");

      String everything = client.getKubernetesSerialization().asJson(status) + client.getKubernetesSerialization()
          .asJson(fixtures.events("restored")) + String.join("\n", logs.lines());
      assertThat(everything).doesNotContain(source.password(), kekBase64, bucket.secretKey());
    }
  }

  @Test
  void aDatabaseThatAlreadyHoldsTablesIsNeverRestoredInto(TestDatabase target) throws Exception {
    backup();
    try (var c = target.connect(); var st = c.createStatement()) {
      st.execute("CREATE TABLE keep_me (id int PRIMARY KEY, note text)");
      st.execute("INSERT INTO keep_me VALUES (1, 'precious')");
    }

    client.resource(unit("occupied", target, null)).create();

    var degraded = fixtures.awaitCondition("occupied", Conditions.DEGRADED, "True");
    assertThat(degraded.getReason()).isEqualTo("BootstrapRefused");
    assertThat(degraded.getMessage()).contains("public.keep_me");
    assertThat(unitStatus("occupied").bootstrap().phase()).isEqualTo("Failed");
    assertThat(Conditions.isTrue(unitStatus("occupied").conditions(), Conditions.READY)).isFalse();
    try (var c = target.connect()) {
      assertThat(userTables(c)).containsExactly("keep_me");
      assertThat(query(c, "SELECT count(*) FROM keep_me WHERE note = 'precious'")).isEqualTo(1);
    }
    assertThat(fixtures.awaitEventReasons("occupied", "BootstrapRefused")).doesNotContain("BootstrapStarted");
  }

  @Test
  void aTamperedOrMissingBackupDegradesTheUnitAndLeavesItsDatabaseEmpty(TestDatabase tamperedTarget,
      TestDatabase missingTarget) throws Exception {
    BackupManifest manifest = backup();
    try (var store = BackupPipelineIT.store(bucket.endpoint(), bucket)) {
      byte[] stored = store.get(manifest.objectKey());
      stored[stored.length * 3 / 4] ^= 0x01;
      store.put(manifest.objectKey(), stored);
    }

    client.resource(unit("tampered", tamperedTarget, manifest.backupId())).create();
    client.resource(unit("missing", missingTarget, "daily-19990101T000000Z-0000")).create();

    var tampered = fixtures.awaitCondition("tampered", Conditions.DEGRADED, "True");
    assertThat(tampered.getReason()).isEqualTo("BootstrapBackupInvalid");
    assertThat(tampered.getMessage()).contains("AES-GCM");
    var missing = fixtures.awaitCondition("missing", Conditions.DEGRADED, "True");
    assertThat(missing.getReason()).isEqualTo("BootstrapBackupNotFound");
    assertThat(missing.getMessage()).contains("daily-19990101T000000Z-0000");
    try (var c = tamperedTarget.connect()) {
      assertThat(userTables(c)).as("the single transaction rolled back").isEmpty();
    }
    try (var c = missingTarget.connect()) {
      assertThat(userTables(c)).isEmpty();
    }
    assertThat(Conditions.isTrue(unitStatus("tampered").conditions(), Conditions.READY)).isFalse();
    fixtures.awaitEventReasons("tampered", "BootstrapStarted", "BootstrapBackupInvalid");
  }

  @Test
  void anOperatorStoppedMidBootstrapResumesFromTheRecordedPhase(TestDatabase target, TestDatabase interruptedTarget)
      throws Exception {
    BackupManifest restored = backup();
    eraseDirectly(alice);
    backup();
    Map<String, String> expected;
    try (var c = source.connect()) {
      expected = contents(c);
    }

    // "restored": the operator committed the restore, then stopped before it could record it (status says Restoring).
    // "interrupted": it stopped mid-restore, so the single transaction rolled back and the database is empty.
    operator.stop();
    for (var unit : List.of(unit("restored", target, restored.backupId()), unit("interrupted", interruptedTarget, null))) {
      client.resource(unit).create();
      client.resources(DatabaseUnit.class).inNamespace(namespace).withName(unit.getMetadata().getName()).editStatus(u -> {
        u.setStatus(new DatabaseUnitStatus(null, List.of(), null, null, null, null, null,
            new BootstrapStatus(restored.backupId(), "Restoring", clock.instant().toString(), null, null, "Restoring")));
        return u;
      });
    }
    var work = new BootstrapWork(tools, S3ObjectStore::connect, gdpr, new BackupsInUse());
    var storage = client.resources(BackupPolicy.class).inNamespace(namespace).withName(POLICY).get().getSpec().storage();
    work.restore(new BootstrapWork.Source(storage, AwsBasicCredentials.create(bucket.accessKey(), bucket.secretKey()),
        List.of(kek), PostgresTools.RestoreSession.of(null), java.time.Duration.ofHours(4)), restored.backupId(), targetOf(target));
    try (var c = target.connect()) {
      assertThat(RecipeFixture.userCounts(c, alice).get("recipes")).as("the backup predates alice's erasure").isEqualTo(4);
    }

    startOperator();

    var status = await().atMost(TIMEOUT).until(() -> unitStatus("restored"),
        s -> s != null && s.bootstrap() != null && "Completed".equals(s.bootstrap().phase()) && isReady(s));
    assertThat(status.bootstrap().erasuresReapplied()).isEqualTo(1);
    try (var c = target.connect()) {
      assertThat(contents(c)).isEqualTo(expected);
      assertThat(RecipeFixture.userCounts(c, alice).values()).allMatch(n -> n == 0);
    }
    assertThat(fixtures.awaitEventReasons("restored", "BootstrapCompleted")).doesNotContain("BootstrapRefused", "BootstrapStarted");

    var interrupted = await().atMost(TIMEOUT).until(() -> unitStatus("interrupted"),
        s -> s != null && s.bootstrap() != null && "Completed".equals(s.bootstrap().phase()) && isReady(s));
    assertThat(interrupted.bootstrap().backupId()).as("the recorded backup, not the newest").isEqualTo(restored.backupId());
    assertThat(interrupted.bootstrap().erasuresReapplied()).as("alice, erased after the recorded backup").isEqualTo(1);
    try (var c = interruptedTarget.connect()) {
      assertThat(contents(c)).isEqualTo(expected);
    }
    assertThat(fixtures.awaitEventReasons("interrupted", "BootstrapRestored", "BootstrapCompleted"))
        .doesNotContain("BootstrapRefused", "BootstrapStarted");
  }

  private BackupManifest backup() throws Exception {
    try (var store = BackupPipelineIT.store(bucket.endpoint(), bucket)) {
      var request = new BackupService.Request(BackupCatalog.newBackupId(Tier.DAILY, clock.instant()), Tier.DAILY,
          namespace + "/recipes", targetOf(source), null, BackupPolicySpec.Compression.ZSTD, java.time.Duration.ofHours(1));
      return new BackupService(tools, clock).backup(request, new BackupCatalog(store, "recipes/"), kek, phase -> {});
    }
  }

  private void eraseDirectly(long userId) throws Exception {
    var prepared = gdpr.prepare(source.dataSource(), SubjectPlan.seedDefault(), dev.databaseunit.operator.gdpr.GdprServiceIT.TEST_KEY);
    var erasure = gdpr.erase(source.dataSource(), prepared,
        new GdprService.Request("direct-" + userId, Long.toString(userId), "dpo@example.com", "test"), false, Map.of());
    assertThat(erasure.subjectFound()).isTrue();
  }

  private void createErasure(String name, long userId) {
    client.resource(client.getKubernetesSerialization().unmarshal("""
        apiVersion: databaseunit.dev/v1alpha1
        kind: GdprRequest
        metadata: {name: %s, namespace: %s}
        spec: {databaseUnit: recipes, type: Erase, subjectId: "%d", requestedBy: dpo@example.com, reason: "Art. 17"}
        """.formatted(name, namespace, userId), GdprRequest.class)).create();
  }

  private String requestPhase(String name) {
    var request = client.resources(GdprRequest.class).inNamespace(namespace).withName(name).get();
    return request == null || request.getStatus() == null ? null : request.getStatus().phase();
  }

  /** Every row of every subject table, as an order-independent digest per table (written independently of the code). */
  private static Map<String, String> contents(Connection c) throws SQLException {
    Map<String, String> digests = new LinkedHashMap<>();
    for (String table : SubjectPlan.seedDefault().tableNames()) {
      try (var st = c.createStatement(); var rs = st.executeQuery(
          "SELECT count(*) || ':' || coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '') FROM " + table + " t")) {
        rs.next();
        digests.put(table, rs.getString(1));
      }
    }
    return digests;
  }

  private static List<String> userTables(Connection c) throws SQLException {
    List<String> tables = new ArrayList<>();
    try (var st = c.createStatement(); var rs = st.executeQuery(
        "SELECT tablename FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1")) {
      while (rs.next()) {
        tables.add(rs.getString(1));
      }
    }
    return tables;
  }

  private static long query(Connection c, String sql) throws SQLException {
    try (var st = c.createStatement(); var rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private long scratchDatabases() throws SQLException {
    try (var c = source.connect()) {
      return query(c, "SELECT count(*) FROM pg_database WHERE datname LIKE 'du_bootstrap_ledger_%'");
    }
  }

  private static PostgresTarget targetOf(TestDatabase db) {
    return new PostgresTarget(db.host(), db.port(), db.name(), db.user(), db.password(), PostgresTls.Mode.DISABLE, null);
  }

  /**
   * The erasures the tests make on the source use the test key; a bootstrapped unit re-applies them only with the same
   * key, which it finds in the Secret the operator would otherwise make for it.
   */
  private DatabaseUnit unit(String name, TestDatabase db, String backupId) {
    if (client.secrets().inNamespace(namespace).withName(dev.databaseunit.operator.gdpr.SubjectKeys.generatedSecretName(name)).get() == null) {
      client.resource(fixtures.secret(dev.databaseunit.operator.gdpr.SubjectKeys.generatedSecretName(name),
          Map.of("key", dev.databaseunit.operator.gdpr.GdprServiceIT.TEST_KEY_BASE64))).create();
    }
    String bootstrap = name.equals("recipes") ? "" : """
          bootstrap:
            fromBackup: {backupPolicy: %s%s}
        """.formatted(POLICY, backupId != null ? ", backupId: " + backupId : "");
    return fixtures.unit(fixtures.unitYaml(name, "recipes-db", db) + bootstrap);
  }

  private BackupPolicy policy() {
    return TestPolicies.policy(client, namespace, POLICY, bucket, bucket.endpoint(), "enabled: false", "");
  }

  private DatabaseUnitStatus unitStatus(String name) {
    var unit = client.resources(DatabaseUnit.class).inNamespace(namespace).withName(name).get();
    return unit == null ? null : unit.getStatus();
  }

  private static boolean isReady(DatabaseUnitStatus status) {
    return status != null && Conditions.isTrue(status.conditions(), Conditions.READY);
  }

}
