package dev.databaseunit.operator.gdpr;

import static dev.databaseunit.operator.gdpr.GdprServiceIT.auditActions;
import static dev.databaseunit.operator.gdpr.GdprServiceIT.query;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.databaseunit.operator.common.Jobs;
import dev.databaseunit.operator.api.v1alpha1.DatabaseUnit;
import dev.databaseunit.operator.api.v1alpha1.GdprRequest;
import dev.databaseunit.operator.api.v1alpha1.GdprRequestStatus;
import dev.databaseunit.operator.events.EventRecorder;
import dev.databaseunit.operator.postgres.CaCertificates;
import dev.databaseunit.operator.postgres.UnitDataSources;
import dev.databaseunit.operator.status.Conditions;
import dev.databaseunit.operator.testing.CapturedLogs;
import dev.databaseunit.operator.testing.Conflicts;
import dev.databaseunit.operator.testing.KubeCluster;
import dev.databaseunit.operator.testing.MutableClock;
import dev.databaseunit.operator.testing.OperatorInNamespace;
import dev.databaseunit.operator.testing.PrivateRedis;
import dev.databaseunit.operator.testing.TestBucket;
import dev.databaseunit.operator.testing.TestDatabase;
import dev.databaseunit.operator.testing.UnitFixtures;
import dev.databaseunit.operator.testing.WithLocalServices;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.Operator;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** GdprRequests end to end: the real API server, PostgreSQL with the seed schema, Redis and the S3-compatible store. */
@WithLocalServices
class GdprRequestReconcilerIT {
  private static final Duration TIMEOUT = Duration.ofSeconds(60);
  /** Lettuce's event loops, shared by the reconcilers this class starts (they live as long as the test JVM). */
  private static final ClientResources REDIS = DefaultClientResources.builder().ioThreadPoolSize(1).computationThreadPoolSize(1).build();

  private OperatorInNamespace running;
  private KubernetesClient client;
  private String namespace;
  private UnitFixtures units;
  private TestDatabase db;
  private long alice;
  private long bob;
  private final MutableClock clock = new MutableClock(Instant.parse("2026-11-25T12:00:00Z"));
  private Operator customOperator;
  private UnitDataSources customDataSources;

  @BeforeEach
  void setUp(KubeCluster cluster, TestDatabase database) throws Exception {
    running = OperatorInNamespace.prepare(cluster, "gdpr", clock, false);
    client = running.client();
    namespace = running.namespace();
    units = running.units(TIMEOUT);
    db = database;
    try (Connection c = db.connect()) {
      RecipeFixture.createSchema(c);
      alice = RecipeFixture.addUser(c, "alice@example.com", 4, 3, true);
      bob = RecipeFixture.addUser(c, "bob@example.com", 2, 2, true);
    }
    client.resource(units.credentialsSecret("db", db)).create();
  }

  @AfterEach
  void tearDown() {
    running.stopOperator();
    if (customOperator != null) {
      customOperator.stop();
      customDataSources.close();
    }
    running.close();
  }

  private void startOperator() {
    running.startOperator(new SimpleMeterRegistry());
  }

  /** Only the GDPR reconciler, with a service of the test's choosing (fault injection). */
  private void startGdprOnly(GdprService service) {
    customDataSources = new UnitDataSources(CaCertificates.inTempDirectory(), dev.databaseunit.operator.common.EgressPolicy.DEFAULT,
        dev.databaseunit.operator.postgres.DatabaseTimeouts.DEFAULT);
    customOperator = new Operator(o -> o.withKubernetesClient(client).withCloseClientOnStop(false));
    customOperator.register(new GdprRequestReconciler(new EventRecorder(client, clock), clock, customDataSources,
        new dev.databaseunit.operator.postgres.SecretCache(client, Set.of(namespace)), service,
        new Jobs("gdpr", clock, 1), S3ExportStore::new, endpoint -> RedisSubjectCache.connect(REDIS, endpoint),
        new SimpleMeterRegistry()),
        c -> c.settingNamespaces(Set.of(namespace)));
    customOperator.start();
  }

  private void stopGdprOnly() {
    customOperator.stop();
    customDataSources.close();
    customOperator = null;
  }

  @Test
  void exportsAsJsonAndCsvRecordTheirDigestAndAreDeletedAtExpiry(TestBucket bucket) throws Exception {
    client.resource(units.secret("s3", Map.of("accessKeyId", bucket.accessKey(), "secretAccessKey", bucket.secretKey()))).create();
    client.resource(units.secret("export-kek", Map.of("kek", GdprServiceIT.EXPORT_KEK_BASE64))).create();
    try (var logs = new CapturedLogs()) {
      createUnit(unitYaml("recipes", db.port(), """
            exportStorage: {bucket: %s, prefix: gdpr/, endpoint: %s, credentials: {secretName: s3}}
            exportEncryption: {keyEncryptionKey: {name: export-kek, key: kek}}
          """.formatted(bucket.name(), bucket.endpoint()), null));
      startOperator();
      createRequest("export-alice", "Export", Long.toString(alice), "json", null);
      createRequest("export-bob", "Export", Long.toString(bob), "csv", "exportTtl: 30d");

      var json = awaitPhase("export-alice", GdprPhase.Completed.name());
      var export = json.getStatus().export();
      String key = "gdpr/" + namespace + "/export-alice-" + json.getMetadata().getUid() + ".json";
      byte[] object = GdprServiceIT.readExport(bucket, key);
      assertThat(export.location()).isEqualTo("s3://" + bucket.name() + "/" + key + ".enc");
      assertThat(export.sha256()).isEqualTo(GdprServiceIT.sha256(object));
      assertThat(export.sizeBytes()).isEqualTo(object.length);
      assertThat(export.expiresAt()).isEqualTo("2026-12-02T12:00:00Z");
      assertThat(export.expired()).isFalse();
      assertThat(condition(json, "Ready")).extracting(Condition::getStatus, Condition::getReason).containsExactly("True", "ExportCompleted");
      assertThat(json.getStatus().subjectHash()).hasSize(64);
      try (Connection c = db.connect()) {
        assertThat(export.rowCounts()).isEqualTo(RecipeFixture.userCounts(c, alice));
        assertThat(auditActions(c, json.getMetadata().getUid()))
            .containsExactly("data_export_requested", "data_export_started", "data_export_completed");
      }
      var csv = awaitPhase("export-bob", GdprPhase.Completed.name());
      String csvKey = "gdpr/" + namespace + "/export-bob-" + csv.getMetadata().getUid() + ".zip";
      var files = GdprServiceIT.unzip(GdprServiceIT.readExport(bucket, csvKey));
      assertThat(files).containsKeys("users.csv", "recipes.csv", "consents.csv", "recipe_embeddings.csv");
      assertThat(units.eventReasons("export-alice")).contains("ExportCompleted");

      // Eight days later the export is gone. The reconcile scheduled for the expiry is 7 real days away, so a
      // restarted operator (which reconciles every request on start) stands in for it.
      clock.advance(Duration.ofDays(8));
      running.restartOperator(new SimpleMeterRegistry());
      await().atMost(TIMEOUT).until(() -> Boolean.TRUE.equals(get("export-alice").getStatus().export().expired()));
      assertThatThrownBy(() -> bucket.client().headObject(b -> b.bucket(bucket.name()).key(key + ".enc")))
          .isInstanceOf(software.amazon.awssdk.services.s3.model.S3Exception.class);
      assertThat(units.eventReasons("export-alice")).contains("ExportExpired");
      assertThat(GdprServiceIT.readExport(bucket, csvKey)).as("an export with a longer TTL stays").isNotEmpty();
      assertThat(get("export-bob").getStatus().export().expired()).isFalse();

      // Deleting a request deletes its export (its finalizer), long before the expiry.
      client.resources(GdprRequest.class).inNamespace(namespace).withName("export-bob").delete();
      await().atMost(TIMEOUT).until(() -> get("export-bob") == null);
      assertThatThrownBy(() -> bucket.client().headObject(b -> b.bucket(bucket.name()).key(csvKey + ".enc")))
          .as("the export went with its request").isInstanceOf(software.amazon.awssdk.services.s3.model.S3Exception.class);

      String everything = client.getKubernetesSerialization().asJson(get("export-alice").getStatus())
          + client.getKubernetesSerialization().asJson(units.events("export-alice"));
      assertThat(everything).doesNotContain(db.password()).doesNotContain(bucket.secretKey()).doesNotContain("alice@example.com");
      assertThat(logs.lines()).noneMatch(l -> l.contains(db.password()) || l.contains(bucket.secretKey()));
    }
  }

  /** A private Redis with a password (the cache capability configures the unit's Redis; the shared one stays untouched). */
  @Test
  void erasureDryRunAndUnknownSubject() throws Exception {
    try (var redis = PrivateRedis.start(false)) {
      erasureDryRunAndUnknownSubject(redis);
    }
  }

  private void erasureDryRunAndUnknownSubject(PrivateRedis redis) throws Exception {
    String prefix = "shop";
    client.resource(units.secret("redis", Map.of("username", "default", "password", redis.password()))).create();
    createUnit(unitYaml("recipes", db.port(), "", """
          cache:
            external: {host: %s, port: %d, credentials: {secretName: redis}}
            keyPrefix: %s
            # time-based: the cache capability's own row triggers leave these keys alone, so only the erasure removes them
            policies:
              - {dataType: user_profiles, ttl: 1h, strategy: write-through, invalidation: time-based, sourceTable: users, keyColumn: id}
              - {dataType: recipes, ttl: 30m, strategy: write-behind, invalidation: time-based, sourceTable: recipes, keyColumn: id}
        """.formatted(redis.host(), redis.port(), prefix)));
    var redisClient = RedisClient.create(RedisURI.builder().withHost(redis.host()).withPort(redis.port())
        .withAuthentication("default", redis.password().toCharArray()).build());
    var commands = redisClient.connect().sync();
    commands.set(prefix + ":user_profiles:" + alice, "alice");
    commands.set(prefix + ":user_profiles:" + alice + ":avatar", "alice");
    commands.set(prefix + ":user_profiles:" + bob, "bob");
    List<String> aliceRecipes;
    try (Connection c = db.connect()) {
      aliceRecipes = query(c, "SELECT id FROM recipes WHERE user_id = " + alice);
    }
    aliceRecipes.forEach(id -> commands.set(prefix + ":recipes:" + id, "alice"));
    Map<String, Long> aliceBefore;
    Map<String, Long> bobBefore;
    try (Connection c = db.connect()) {
      aliceBefore = RecipeFixture.userCounts(c, alice);
      bobBefore = RecipeFixture.userCounts(c, bob);
    }
    startOperator();
    createRequest("dry-run-bob", "Erase", Long.toString(bob), null, "dryRun: true");
    var dryRun = awaitPhase("dry-run-bob", GdprPhase.Completed.name());
    assertThat(dryRun.getStatus().erasure().deletedRows()).isEqualTo(bobBefore);
    assertThat(dryRun.getStatus().erasure().dryRun()).isTrue();
    assertThat(condition(dryRun, "Ready").getReason()).isEqualTo("ErasureDryRunCompleted");

    createRequest("erase-alice", "Erase", Long.toString(alice), null, null);
    var erased = awaitPhase("erase-alice", GdprPhase.Completed.name());
    var erasure = erased.getStatus().erasure();
    assertThat(erasure.deletedRows()).isEqualTo(aliceBefore);
    assertThat(erasure.cacheKeysInvalidated()).isEqualTo(2L + aliceRecipes.size());
    assertThat(erasure.ledgerEntry()).isEqualTo(erased.getMetadata().getUid());
    assertThat(condition(erased, "Ready").getReason()).isEqualTo("ErasureCompleted");
    assertThat(commands.keys(prefix + ":*")).containsExactly(prefix + ":user_profiles:" + bob);
    redisClient.shutdown();
    try (Connection c = db.connect()) {
      assertThat(RecipeFixture.userCounts(c, alice).values()).allMatch(n -> n == 0);
      assertThat(RecipeFixture.userCounts(c, bob)).isEqualTo(bobBefore);
      assertThat(auditActions(c, erased.getMetadata().getUid()))
          .containsExactly("data_deletion_requested", "data_deletion_started", "data_deletion_completed");
    }
    units.awaitEventReasons("erase-alice", "ErasureCompleted");

    createRequest("erase-nobody", "Erase", "424242", null, null);
    var nobody = awaitPhase("erase-nobody", GdprPhase.Completed.name());
    assertThat(nobody.getStatus().erasure().deletedRows().values()).allMatch(n -> n == 0);
    assertThat(condition(nobody, "Ready")).extracting(Condition::getReason, Condition::getMessage)
        .containsExactly("SubjectNotFound", "No subject table holds a row of this subject; nothing was erased");
  }

  @Test
  void strangeSubjectIdsAreCompletedWithZeroCountsAndTouchNothing() throws Exception {
    createUnit(unitYaml("recipes", db.port(), "", null));
    Map<String, Long> before;
    try (Connection c = db.connect()) {
      before = RecipeFixture.tableCounts(c);
    }
    startOperator();
    List<String> ids = List.of("1'OR'1'='1", "%", "ü🙂", "1;DELETE/**/FROM/**/users;--", alice + "\"", "_%_");
    for (int i = 0; i < ids.size(); i++) {
      createRequest("strange-" + i, "Erase", ids.get(i), null, null);
    }
    for (int i = 0; i < ids.size(); i++) {
      var done = awaitPhase("strange-" + i, GdprPhase.Completed.name());
      assertThat(condition(done, "Ready").getReason()).as(ids.get(i)).isEqualTo("SubjectNotFound");
      assertThat(done.getStatus().erasure().deletedRows().values()).allMatch(n -> n == 0);
    }
    try (Connection c = db.connect()) {
      assertThat(RecipeFixture.tableCounts(c)).isEqualTo(before);
    }
  }

  @Test
  void aPlanThatBreaksAForeignKeyOrNamesAMissingColumnIsDegradedAndDeletesNothing() throws Exception {
    createUnit(unitYaml("wrong-order", db.port(), "", null).replace("""
              - {table: users, subjectColumn: id}
        """, "").replace("""
              - {table: user_sessions, subjectColumn: user_id}
        """, """
              - {table: users, subjectColumn: id}
              - {table: user_sessions, subjectColumn: user_id}
        """));
    createUnit(unitYaml("missing-column", db.port(), "", null).replace("{table: consents, subjectColumn: user_id}",
        "{table: consents, subjectColumn: subject}"));
    Map<String, Long> before;
    try (Connection c = db.connect()) {
      before = RecipeFixture.tableCounts(c);
    }
    startOperator();
    createRequest("erase-wrong-order", "Erase", Long.toString(alice), null, null, "wrong-order");
    createRequest("erase-missing-column", "Erase", Long.toString(alice), null, null, "missing-column");
    var wrongOrder = awaitCondition("erase-wrong-order", "Degraded", "True");
    assertThat(wrongOrder.getReason()).isEqualTo("SubjectPlanInvalid");
    assertThat(wrongOrder.getMessage()).contains("users is deleted before user_sessions, but user_sessions.user_id references users "
        + "(user_sessions_user_id_fkey): list user_sessions before users");
    var missingColumn = awaitCondition("erase-missing-column", "Degraded", "True");
    assertThat(missingColumn.getMessage()).isEqualTo("column consents.subject does not exist");
    units.awaitEventReasons("erase-missing-column", "SubjectPlanInvalid");
    try (Connection c = db.connect()) {
      assertThat(RecipeFixture.tableCounts(c)).isEqualTo(before);
    }
  }

  @Test
  void aFailureAfterTheThirdDeleteRollsBackAndTheRequestCompletesOnRetry() throws Exception {
    createUnit(unitYaml("recipes", db.port(), "", null));
    var failing = new AtomicBoolean(true);
    int[] deletes = {0};
    startGdprOnly(new GdprService(clock, (table, rows) -> {
      if (failing.get() && ++deletes[0] % 3 == 0) {
        throw new IllegalStateException("injected: operator killed after deleting from " + table);
      }
    }));
    Map<String, Long> before;
    try (Connection c = db.connect()) {
      before = RecipeFixture.tableCounts(c);
    }
    createRequest("erase-alice", "Erase", Long.toString(alice), null, null);
    var degraded = awaitCondition("erase-alice", "Degraded", "True");
    assertThat(degraded.getReason()).isEqualTo("GdprRequestRetrying");
    assertThat(degraded.getMessage()).contains("rolled back, nothing changed").contains("parsed_ingredients");
    assertThat(get("erase-alice").getStatus().phase()).isEqualTo(GdprPhase.Running.name());
    try (Connection c = db.connect()) {
      assertThat(RecipeFixture.tableCounts(c)).as("no partial erasure is visible").isEqualTo(before);
    }
    failing.set(false);
    var done = awaitPhase("erase-alice", GdprPhase.Completed.name());
    assertThat(done.getStatus().erasure().deletedRows().get("recipes")).isEqualTo(4L);
    assertThat(condition(done, "Degraded").getStatus()).isEqualTo("False");
    try (Connection c = db.connect()) {
      assertThat(RecipeFixture.userCounts(c, alice).values()).allMatch(n -> n == 0);
      assertThat(auditActions(c, done.getMetadata().getUid())).contains("data_deletion_failed").endsWith("data_deletion_completed");
    }
  }

  @Test
  void anUnreachableDatabaseIsDegradedAndTheRequestCompletesOnceTheUnitIsFixed() throws Exception {
    createUnit(unitYaml("recipes", 1, "", null));
    startGdprOnly(new GdprService(clock, SubjectEraser.DeletionListener.NONE));
    createRequest("erase-bob", "Erase", Long.toString(bob), null, null);
    var degraded = awaitCondition("erase-bob", "Degraded", "True");
    assertThat(degraded.getReason()).isEqualTo("DatabaseUnreachable");
    assertThat(degraded.getMessage()).contains(":1/" + db.name()).doesNotContain(db.password());

    Conflicts.retry(() -> client.resources(DatabaseUnit.class).inNamespace(namespace).withName("recipes").edit(u -> {
      var fixed = client.getKubernetesSerialization().unmarshal(unitYaml("recipes", db.port(), "", null), DatabaseUnit.class);
      fixed.setMetadata(u.getMetadata());
      return fixed;
    }));
    var done = awaitPhase("erase-bob", GdprPhase.Completed.name());
    assertThat(done.getStatus().erasure().deletedRows().get("users")).isEqualTo(1L);
  }

  /** A crash after the commit but before the status patch: the restarted operator reports, never re-runs. */
  @Test
  void aCompletedErasureIsNeverRunAgainAfterARestart() throws Exception {
    createUnit(unitYaml("recipes", db.port(), "", null));
    startGdprOnly(new GdprService(clock, SubjectEraser.DeletionListener.NONE));
    createRequest("erase-alice", "Erase", Long.toString(alice), null, null);
    var first = awaitPhase("erase-alice", GdprPhase.Completed.name());
    stopGdprOnly();

    // Re-insert a row for the same subject id: a re-run would delete it, a replay must not.
    try (Connection c = db.connect(); var s = c.createStatement()) {
      s.execute("INSERT INTO consents (user_id, purpose, version, granted) SELECT " + bob + ", 'probe', 'v1', true");
    }
    var lost = first.getStatus();
    var running = new GdprRequestStatus(lost.observedGeneration(), lost.conditions(), GdprPhase.Running.name(),
        lost.startTime(), null, null, null, null);
    var edited = get("erase-alice");
    edited.setStatus(running);
    client.resource(edited).patchStatus();
    assertThat(get("erase-alice").getStatus().phase()).isEqualTo(GdprPhase.Running.name());

    startGdprOnly(new GdprService(clock, SubjectEraser.DeletionListener.NONE));
    var replayed = awaitPhase("erase-alice", GdprPhase.Completed.name());
    assertThat(replayed.getStatus().erasure().deletedRows()).isEqualTo(first.getStatus().erasure().deletedRows());
    try (Connection c = db.connect()) {
      assertThat(auditActions(c, first.getMetadata().getUid()))
          .containsExactly("data_deletion_requested", "data_deletion_started", "data_deletion_completed");
      assertThat(query(c, "SELECT count(*) FROM consents WHERE purpose = 'probe'")).containsExactly("1");
    }
  }

  /**
   * Fault injection: the whole operator is stopped and started again at random points while six erasures run.
   * Every request ends Completed exactly once (one completed audit row, one ledger entry), every subject's rows
   * are gone and nobody else's are touched: no lost and no doubled work.
   */
  @Test
  void erasuresSurviveOperatorRestartsAtRandomPoints() throws Exception {
    List<Long> subjects = new java.util.ArrayList<>();
    try (Connection c = db.connect()) {
      for (int i = 0; i < 6; i++) {
        subjects.add(RecipeFixture.addUser(c, "subject" + i + "@example.com", 20, 3, true));
      }
    }
    createUnit(unitYaml("recipes", db.port(), "", null));
    for (int i = 0; i < subjects.size(); i++) {
      createRequest("erase-" + i, "Erase", Long.toString(subjects.get(i)), null, null);
    }
    long seed = System.nanoTime();
    var random = new java.util.Random(seed);
    for (int restart = 0; restart < 8; restart++) {
      startOperator();
      Thread.sleep(100 + random.nextInt(900));
      running.stopOperator();
    }
    startOperator();
    for (int i = 0; i < subjects.size(); i++) {
      awaitPhase("erase-" + i, GdprPhase.Completed.name());
    }
    try (Connection c = db.connect()) {
      for (int i = 0; i < subjects.size(); i++) {
        String uid = get("erase-" + i).getMetadata().getUid();
        assertThat(auditActions(c, uid)).as("seed %d, request %d", seed, i)
            .filteredOn("data_deletion_completed"::equals).hasSize(1);
        assertThat(query(c, "SELECT count(*) FROM gdpr_erasure_ledger WHERE request_uid = '" + uid + "'"))
            .as("seed %d", seed).containsExactly("1");
        assertThat(query(c, "SELECT count(*) FROM recipes WHERE user_id = " + subjects.get(i))).containsExactly("0");
        assertThat(query(c, "SELECT count(*) FROM users WHERE id = " + subjects.get(i))).containsExactly("0");
      }
      assertThat(query(c, "SELECT count(*) FROM users WHERE id IN (" + alice + ", " + bob + ")")).containsExactly("2");
      assertThat(query(c, "SELECT count(*) FROM recipes WHERE user_id IN (" + alice + ", " + bob + ")")).containsExactly("6");
    }
  }

  // ----- helpers -----

  private String unitYaml(String name, int port, String gdprExtra, String cache) {
    return units.unitYaml(name, "db", db.host(), port, db.name(), "mode: disable") + "  gdpr:\n"
        + RecipeFixture.SUBJECT_TABLES_YAML.indent(4) + "%s%s".formatted(gdprExtra.isEmpty() ? "" : gdprExtra.stripTrailing().indent(2),
        cache == null ? "" : cache.stripTrailing().indent(0));
  }

  private void createUnit(String yaml) {
    client.resource(units.unit(yaml)).create();
  }

  private void createRequest(String name, String type, String subjectId, String format, String extra) {
    createRequest(name, type, subjectId, format, extra, "recipes");
  }

  private void createRequest(String name, String type, String subjectId, String format, String extra, String unit) {
    String yaml = """
        apiVersion: databaseunit.dev/v1alpha1
        kind: GdprRequest
        metadata:
          name: %s
          namespace: %s
        spec:
          databaseUnit: %s
          type: %s
          subjectId: '%s'
          requestedBy: dpo@example.com
          reason: "Art. 17, ticket PRIV-1"
        """.formatted(name, namespace, unit, type, subjectId.replace("'", "''"))
        + (format != null ? "  format: " + format + "\n" : "") + (extra != null ? "  " + extra + "\n" : "");
    client.resource(client.getKubernetesSerialization().unmarshal(yaml, GdprRequest.class)).create();
  }

  private GdprRequest get(String name) {
    return client.resources(GdprRequest.class).inNamespace(namespace).withName(name).get();
  }

  private GdprRequest awaitPhase(String name, String phase) {
    await().atMost(TIMEOUT).untilAsserted(() -> {
      var status = get(name).getStatus();
      assertThat(status).isNotNull();
      assertThat(status.phase()).as("%s", status).isEqualTo(phase);
    });
    return get(name);
  }

  private static Condition condition(GdprRequest request, String type) {
    return request.getStatus() == null ? null : Conditions.find(request.getStatus().conditions(), type);
  }

  private Condition awaitCondition(String name, String type, String status) {
    return await().atMost(TIMEOUT).until(() -> condition(get(name), type), c -> c != null && status.equals(c.getStatus()));
  }
}
