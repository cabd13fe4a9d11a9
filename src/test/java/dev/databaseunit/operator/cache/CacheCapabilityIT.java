package dev.databaseunit.operator.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.databaseunit.operator.api.v1alpha1.DatabaseUnit;
import dev.databaseunit.operator.api.v1alpha1.DatabaseUnitStatus.CacheStatus;
import dev.databaseunit.operator.api.v1alpha1.DatabaseUnitStatus.InactiveCachePolicy;
import dev.databaseunit.operator.api.v1alpha1.DatabaseUnitStatus.InactiveReason;
import dev.databaseunit.operator.testing.CapturedLogs;
import dev.databaseunit.operator.testing.Conflicts;
import dev.databaseunit.operator.testing.KubeCluster;
import dev.databaseunit.operator.testing.OperatorInNamespace;
import dev.databaseunit.operator.testing.PrivateRedis;
import dev.databaseunit.operator.testing.RestrictedPods;
import dev.databaseunit.operator.testing.TestDatabase;
import dev.databaseunit.operator.testing.UnitFixtures;
import dev.databaseunit.operator.testing.WithLocalServices;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The cache capability in the operator against the real API server, the local PostgreSQL (seed recipe schema)
 * and a private redis-server of each test's own (restarted or stopped by some tests).
 */
@WithLocalServices
class CacheCapabilityIT {
  private static final Duration TIMEOUT = Duration.ofSeconds(45);
  /** Bound on row change → key gone that the tests hold the listener to (measured values are printed). */
  private static final Duration INVALIDATION_BOUND = Duration.ofSeconds(1);

  private OperatorInNamespace running;
  private KubernetesClient client;
  private String namespace;
  private UnitFixtures units;
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

  @BeforeEach
  void startOperator(KubeCluster cluster) {
    running = OperatorInNamespace.start(cluster, "du-cache", registry);
    client = running.client();
    namespace = running.namespace();
    units = running.units(TIMEOUT);
  }

  @AfterEach
  void stopOperator() {
    running.close();
  }

  @Test
  void appliesThePolicyPublishesItInvalidatesOnUpdateAndReappliesAfterARestart(TestDatabase db) throws Exception {
    try (var logs = new CapturedLogs(); var redis = PrivateRedis.start(false)) {
      long userId = seedSchemaWithUser(db);
      createUnit("recipes", db, redis, false);
      awaitReady("recipes");
      var commands = commands(redis);

      // Policies applied on the server.
      assertThat(commands.configGet("maxmemory", "maxmemory-policy"))
          .containsEntry("maxmemory", Long.toString(64L << 20)).containsEntry("maxmemory-policy", "allkeys-lfu");

      // The policy ConfigMap, owned by the unit, with the seed's defaults.
      ConfigMap published = client.configMaps().inNamespace(namespace).withName("recipes-cache-policy").get();
      assertThat(published.getMetadata().getOwnerReferences()).singleElement()
          .satisfies(o -> assertThat(o.getName()).isEqualTo("recipes"));
      var policy = EffectiveCachePolicy.fromJson(published.getData().get(EffectiveCachePolicy.CONFIG_MAP_KEY));
      assertThat(policy.type("user_profiles")).get().extracting(EffectiveCachePolicy.TypePolicy::ttlSeconds).isEqualTo(3600L);
      String resourceVersion = published.getMetadata().getResourceVersion();

      // An UPDATE of a users row removes its key, within the bound; an unrelated key stays.
      String key = "recipes:user_profiles:" + userId;
      commands.setex(key, 3600, "{\"name\":\"old\"}");
      commands.setex("recipes:user_profiles:999999", 3600, "other");
      long lagMillis = measureInvalidation(db, commands, key, "UPDATE users SET display_name = 'new' WHERE id = " + userId);
      System.out.printf("invalidation of a users UPDATE observed by the test after %d ms%n", lagMillis);
      assertThat(lagMillis).isLessThan(INVALIDATION_BOUND.toMillis());
      assertThat(commands.exists("recipes:user_profiles:999999")).isEqualTo(1L);
      long[] lags = new long[50];
      for (int i = 0; i < lags.length; i++) {
        commands.setex(key, 3600, "v" + i);
        lags[i] = measureInvalidation(db, commands, key, "UPDATE users SET display_name = 'n" + i + "' WHERE id = " + userId);
      }
      java.util.Arrays.sort(lags);
      System.out.printf("invalidation commit -> key gone over %d UPDATEs: p50 %d ms, p99 %d ms, max %d ms%n",
          lags.length, lags[lags.length / 2], lags[(int) Math.ceil(lags.length * 0.99) - 1], lags[lags.length - 1]);
      assertThat(lags[lags.length - 1]).isLessThan(INVALIDATION_BOUND.toMillis());

      // An UPDATE of the key column removes both the old and the new key; a DELETE removes its key.
      long otherUser = db.queryLong("INSERT INTO users (email) VALUES ('second@example.com') RETURNING id");
      commands.setex("recipes:taste_profiles:" + userId, 3600, "t");
      commands.setex("recipes:taste_profiles:" + otherUser, 3600, "t");
      execute(db, "UPDATE user_taste_profiles SET user_id = " + otherUser + " WHERE user_id = " + userId);
      await().atMost(INVALIDATION_BOUND.multipliedBy(5)).until(() -> commands.exists("recipes:taste_profiles:" + userId,
          "recipes:taste_profiles:" + otherUser) == 0);
      commands.setex(key, 3600, "again");
      execute(db, "DELETE FROM users WHERE id = " + userId);
      await().atMost(INVALIDATION_BOUND.multipliedBy(5)).until(() -> commands.exists(key) == 0);

      // Lag and statistics in status and metrics.
      await().atMost(TIMEOUT).untilAsserted(() -> {
        CacheStatus cache = units.get("recipes").getStatus().cache();
        assertThat(cache.invalidationLagMillis()).isNotNull().isBetween(0.0, (double) INVALIDATION_BOUND.toMillis());
        assertThat(cache.maxMemoryBytes()).isEqualTo(64L << 20);
        assertThat(cache.usedMemoryBytes()).isPositive();
        assertThat(cache.hits() + cache.misses()).isGreaterThanOrEqualTo(1);
      });
      commands.get("recipes:user_profiles:999999");
      commands.get("recipes:user_profiles:nope");
      await().atMost(TIMEOUT).untilAsserted(() -> {
        assertThat(gauge("databaseunit.cache.hit.ratio")).isBetween(0.0, 1.0);
        assertThat(gauge("databaseunit.cache.memory.max.bytes")).isEqualTo(64.0 * (1 << 20));
        assertThat(gauge("databaseunit.cache.invalidation.lag.seconds")).isBetween(0.0, 1.0);
      });
      System.out.printf("status.cache after the updates: %s%n", units.get("recipes").getStatus().cache());

      // Redis restarts with its defaults: the operator notices the new run_id and applies the policy again.
      String runIdBefore = RedisInfo.parse(commands.info("server")).runId();
      redis.restart();
      var restarted = commands(redis);
      assertThat(RedisInfo.parse(restarted.info("server")).runId()).isNotEqualTo(runIdBefore);
      assertThat(restarted.configGet("maxmemory")).containsEntry("maxmemory", "0");
      await().atMost(TIMEOUT).untilAsserted(() -> assertThat(restarted.configGet("maxmemory", "maxmemory-policy"))
          .containsEntry("maxmemory", Long.toString(64L << 20)).containsEntry("maxmemory-policy", "allkeys-lfu"));
      await().atMost(TIMEOUT).untilAsserted(() -> assertThat(units.eventReasons("recipes")).contains("CacheConfigReapplied"));

      // TRUNCATE (no row triggers fire) flushes the whole type, here both event-driven types through CASCADE.
      restarted.setex("recipes:user_profiles:1", 3600, "a");
      restarted.setex("recipes:user_profiles:2", 3600, "b");
      restarted.setex("recipes:taste_profiles:1", 3600, "c");
      restarted.setex("recipes:search_results:q", 3600, "kept");
      execute(db, "TRUNCATE users CASCADE");
      await().atMost(TIMEOUT).until(() -> restarted.exists("recipes:user_profiles:1", "recipes:user_profiles:2",
          "recipes:taste_profiles:1") == 0);
      assertThat(restarted.exists("recipes:search_results:q")).isEqualTo(1L);

      // The ConfigMap was not rewritten by the reconciles in between.
      assertThat(client.configMaps().inNamespace(namespace).withName("recipes-cache-policy").get().getMetadata().getResourceVersion())
          .isEqualTo(resourceVersion);
      assertNoSecret(logs, "recipes", redis.password());
    }
  }

  /**
   * A unit without the seed's schema on the default policy table: the event-driven defaults whose tables are missing
   * do not apply (status says which and why) and the unit is Ready; a table created later makes its type apply.
   */
  @Test
  void defaultPoliciesWithoutTheirTablesAreInactiveAndApplyOnceTheTableExists(TestDatabase db) throws Exception {
    try (var redis = PrivateRedis.start(false)) {
      createUnit("plain", db, redis, false);
      awaitReady("plain");
      assertThat(units.get("plain").getStatus().cache().inactivePolicies()).containsExactly(
          new InactiveCachePolicy("user_profiles", InactiveReason.SourceTableMissing, "source table 'users' does not exist"),
          new InactiveCachePolicy("taste_profiles", InactiveReason.SourceTableMissing,
              "source table 'user_taste_profiles' does not exist"));
      assertThat(publishedTypes("plain")).containsExactly("recipes", "search_results");
      assertThat(units.eventReasons("plain")).doesNotContain("CacheSourceMissing");

      // users appears (as a migration would create it); user_taste_profiles without its key column
      execute(db, "CREATE TABLE users (id bigint PRIMARY KEY, email text)");
      execute(db, "CREATE TABLE user_taste_profiles (profile_id bigint PRIMARY KEY)");
      await().atMost(TIMEOUT).untilAsserted(() -> assertThat(units.get("plain").getStatus().cache().inactivePolicies())
          .containsExactly(new InactiveCachePolicy("taste_profiles", InactiveReason.KeyColumnMissing,
              "table 'user_taste_profiles' has no column 'user_id'")));
      assertThat(publishedTypes("plain")).containsExactly("user_profiles", "recipes", "search_results");
      assertThat(units.condition("plain", "Ready").getStatus()).isEqualTo("True");

      // and its invalidation works
      execute(db, "INSERT INTO users VALUES (7, 'grace@example.com')");
      var commands = commands(redis);
      commands.setex("plain:user_profiles:7", 3600, "Grace");
      execute(db, "UPDATE users SET email = 'g@example.com' WHERE id = 7");
      await().atMost(INVALIDATION_BOUND.multipliedBy(5)).until(() -> commands.exists("plain:user_profiles:7") == 0);
    }
  }

  /** A declared policy is what the user asked for: its missing source table is a problem, not an inactive default. */
  @Test
  void aDeclaredPolicyWhoseTableIsMissingIsDegraded(TestDatabase db) throws Exception {
    try (var redis = PrivateRedis.start(false)) {
      var unit = units.unit(unitYaml("carts", db, redis) + """
              policies:
                - {dataType: carts, ttl: 10m, strategy: write-through, invalidation: event-driven, sourceTable: carts, keyColumn: id}
          """);
      client.resource(unit).create();
      var degraded = units.awaitCondition("carts", "Degraded", "True");
      assertThat(degraded.getReason()).isEqualTo("CacheSourceMissing");
      assertThat(degraded.getMessage()).contains("Cache type carts: source table 'carts' does not exist");
    }
  }

  @Test
  void changesMadeWhileTheListenerIsDisconnectedAreSweptUpOnReconnect(TestDatabase db) throws Exception {
    try (var redis = PrivateRedis.start(false)) {
      long userId = seedSchemaWithUser(db);
      createUnit("sweep", db, redis, false);
      awaitReady("sweep");
      var commands = commands(redis);
      String key = "sweep:user_profiles:" + userId;
      commands.setex(key, 3600, "cached");

      try (Connection app = db.connect(); var s = app.createStatement();
          Connection admin = DriverManager.getConnection(db.jdbcUrl().replace("/" + db.name(), "/postgres"), db.user(), db.password());
          var adminStatement = admin.createStatement()) {
        await().atMost(TIMEOUT).until(() -> listenerPids(app).size() == 1);
        // Keep the listener out while the row changes, so only the catch-up sweep can find the change.
        adminStatement.execute("ALTER DATABASE " + db.name() + " WITH ALLOW_CONNECTIONS false");
        adminStatement.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '"
            + InvalidationListener.APPLICATION_NAME + "' AND datname = '" + db.name() + "'");
        await().atMost(TIMEOUT).until(() -> listenerPids(app).isEmpty());
        s.execute("UPDATE users SET display_name = 'changed while away' WHERE id = " + userId);
        Thread.sleep(1000);
        assertThat(commands.exists(key)).as("nobody listens, so the key is still there").isEqualTo(1L);

        adminStatement.execute("ALTER DATABASE " + db.name() + " WITH ALLOW_CONNECTIONS true");
        long start = System.nanoTime();
        await().atMost(TIMEOUT).pollInterval(Duration.ofMillis(20)).until(() -> commands.exists(key) == 0);
        System.out.printf("catch-up sweep removed the key %d ms after connections were allowed again%n",
            (System.nanoTime() - start) / 1_000_000);
        assertThat(listenerPids(app)).hasSize(1);
      }
      assertThat(registry.get("databaseunit.cache.listener.reconnects").counter().count()).isGreaterThanOrEqualTo(1.0);
      // The listener unlinks the keys before it commits the DELETE of their rows (a Redis failure rolls it back).
      await().atMost(TIMEOUT).untilAsserted(() -> {
        try (Connection c = db.connect(); var s = c.createStatement();
            var rs = s.executeQuery("SELECT count(*) FROM databaseunit_cache.pending_invalidations")) {
          rs.next();
          assertThat(rs.getLong(1)).as("queue drained").isZero();
        }
      });
    }
  }

  @Test
  void manualInvalidationFlushesATypeOncePerGenerationAndKeysWithoutTtlGetOne(TestDatabase db) throws Exception {
    try (var redis = PrivateRedis.start(false)) {
      seedSchemaWithUser(db);
      var commands = commands(redis);
      for (int i = 0; i < 1200; i++) {
        commands.setex("manual:search_results:q" + i, 900, "r");
      }
      commands.set("manual:recipes:1", "no ttl");
      commands.setex("manual:recipes:2", 60, "has ttl");
      commands.set("other-unit:recipes:1", "not ours");
      createUnit("manual", db, redis, false);
      awaitReady("manual");

      // TTL enforcement: the key without a TTL got the type's (30 min), the others were left alone.
      await().atMost(TIMEOUT).untilAsserted(() -> assertThat(commands.ttl("manual:recipes:1")).isBetween(1700L, 1800L));
      assertThat(commands.ttl("manual:recipes:2")).isLessThanOrEqualTo(60L);
      assertThat(commands.ttl("other-unit:recipes:1")).isEqualTo(-1L);
      await().atMost(TIMEOUT).untilAsserted(() -> assertThat(units.eventReasons("manual")).contains("CacheKeysWithoutTtl"));

      Conflicts.retry(() -> client.resources(DatabaseUnit.class).inNamespace(namespace).withName("manual").edit(u -> withInvalidate(u, "search_results", 1)));
      await().atMost(TIMEOUT).untilAsserted(() -> {
        var last = units.get("manual").getStatus().cache().lastInvalidation();
        assertThat(last).isNotNull();
        assertThat(last.dataType()).isEqualTo("search_results");
        assertThat(last.generation()).isEqualTo(1L);
        assertThat(last.keysRemoved()).isEqualTo(1200L);
      });
      String[] flushed = java.util.stream.IntStream.range(0, 1200).mapToObj(i -> "manual:search_results:q" + i).toArray(String[]::new);
      assertThat(commands.exists(flushed)).isZero();
      assertThat(commands.exists("manual:recipes:2")).isEqualTo(1L);

      // The same generation again (a later reconcile) does not flush keys written since.
      commands.setex("manual:search_results:fresh", 900, "r");
      Conflicts.retry(() -> client.resources(DatabaseUnit.class).inNamespace(namespace).withName("manual")
          .edit(u -> {
            u.getMetadata().setLabels(Map.of("touched", "yes"));
            return u;
          }));
      Thread.sleep(2000);
      assertThat(commands.exists("manual:search_results:fresh")).isEqualTo(1L);
      Conflicts.retry(() -> client.resources(DatabaseUnit.class).inNamespace(namespace).withName("manual").edit(u -> withInvalidate(u, "search_results", 2)));
      await().atMost(TIMEOUT).until(() -> commands.exists("manual:search_results:fresh") == 0);
      await().atMost(TIMEOUT).untilAsserted(() -> assertThat(units.get("manual").getStatus().cache().lastInvalidation().generation()).isEqualTo(2L));
    }
  }

  @Test
  void deletingTheUnitRemovesItsTriggersAndQueue(TestDatabase db) throws Exception {
    try (var redis = PrivateRedis.start(false)) {
      seedSchemaWithUser(db);
      createUnit("leaving", db, redis, false);
      awaitReady("leaving");
      String triggers = "SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'du\\_cache\\_%'";
      assertThat(db.queryLong(triggers)).as("row, statement and truncate trigger per event-driven type").isEqualTo(6L);
      await().atMost(TIMEOUT).until(() -> db.queryLong("SELECT count(*) FROM pg_stat_activity WHERE application_name = '"
          + InvalidationListener.APPLICATION_NAME + "'") == 1);

      client.resources(DatabaseUnit.class).inNamespace(namespace).withName("leaving").delete();
      await().atMost(TIMEOUT).untilAsserted(() -> {
        assertThat(db.queryLong(triggers)).isZero();
        assertThat(db.queryLong("SELECT count(*) FROM pg_namespace WHERE nspname = 'databaseunit_cache'")).isZero();
        assertThat(db.queryLong("SELECT count(*) FROM pg_stat_activity WHERE application_name = '"
            + InvalidationListener.APPLICATION_NAME + "'")).isZero();
      });
      // Application writes go on without the triggers.
      execute(db, "UPDATE users SET display_name = 'after' WHERE true");
    }
  }

  @Test
  void talksTlsToRedisWithTheCaFromASecret(TestDatabase db) throws Exception {
    try (var logs = new CapturedLogs(); var redis = PrivateRedis.start(true)) {
      long userId = seedSchemaWithUser(db);
      client.resource(units.secret("redis-ca", Map.of("ca.crt", redis.caCertificatePem()))).create();
      createUnit("secure", db, redis, true);
      awaitReady("secure");

      var ca = Files.createTempFile("redis-ca", ".pem");
      Files.writeString(ca, redis.caCertificatePem());
      running.closeAfterOperator(() -> Files.deleteIfExists(ca));
      var tlsClient = RedisClient.create(RedisURI.builder().withHost(redis.host()).withPort(redis.port()).withSsl(true)
          .withAuthentication("default", redis.password().toCharArray()).build());
      tlsClient.setOptions(io.lettuce.core.ClientOptions.builder()
          .sslOptions(io.lettuce.core.SslOptions.builder().trustManager(ca.toFile()).build()).build());
      running.closeAfterOperator(tlsClient::shutdown);
      var commands = tlsClient.connect().sync();
      assertThat(commands.configGet("maxmemory")).containsEntry("maxmemory", Long.toString(64L << 20));
      String key = "secure:user_profiles:" + userId;
      commands.setex(key, 3600, "x");
      execute(db, "UPDATE users SET display_name = 'tls' WHERE id = " + userId);
      await().atMost(INVALIDATION_BOUND.multipliedBy(5)).until(() -> commands.exists(key) == 0);
      assertNoSecret(logs, "secure", redis.password());
    }
  }

  @Test
  void aWrongRedisPasswordIsDegradedWithoutThePasswordAnywhere(TestDatabase db) throws Exception {
    String wrong = "wrong-Redis-Password-91b2";
    try (var logs = new CapturedLogs(); var redis = PrivateRedis.start(false)) {
      seedSchemaWithUser(db);
      createUnit("badpass", db, redis, false, wrong);
      var degraded = units.awaitCondition("badpass", "Degraded", "True");
      assertThat(degraded.getReason()).isEqualTo("CacheAuthenticationFailed");
      assertThat(degraded.getMessage()).contains("127.0.0.1:" + redis.port());
      // The policy is published even while Redis cannot be used.
      assertThat(client.configMaps().inNamespace(namespace).withName("badpass-cache-policy").get()).isNotNull();
      assertNoSecret(logs, "badpass", wrong);
    }
  }

  @Test
  void aManagedRedisIsAStatefulSetServiceAndSecretOwnedByTheUnit(TestDatabase db, KubeCluster cluster) throws Exception {
    seedSchemaWithUser(db);
    client.resource(units.credentialsSecret("managed-db", db)).create();
    String yaml = units.unitYaml("managed", "managed-db", db) + """
          cache:
            managed: {storageSize: 2Gi}
        """;
    client.resource(units.unit(yaml)).create();

    // The test API server runs no pods, so the Redis never comes up: the unit says so, naming the Service.
    var degraded = units.awaitCondition("managed", "Degraded", "True");
    assertThat(degraded.getReason()).isEqualTo("CacheUnreachable");
    assertThat(degraded.getMessage()).contains("managed-redis." + namespace + ".svc:6379");
    var sts = client.apps().statefulSets().inNamespace(namespace).withName("managed-redis").get();
    assertThat(sts.getMetadata().getOwnerReferences()).singleElement().satisfies(o -> assertThat(o.getName()).isEqualTo("managed"));
    assertThat(sts.getSpec().getVolumeClaimTemplates().getFirst().getSpec().getResources().getRequests().get("storage").toString())
        .isEqualTo("2Gi");
    assertThat(client.services().inNamespace(namespace).withName("managed-redis").get()).isNotNull();
    RestrictedPods.assertRestricted(client, RestrictedPods.restrictedNamespace(cluster, client), "managed-redis", RestrictedPods.podOf(sts));
    var secret = client.secrets().inNamespace(namespace).withName("managed-redis-credentials").get();
    String password = secret.getData().get("password");
    var policy = EffectiveCachePolicy.fromJson(client.configMaps().inNamespace(namespace).withName("managed-cache-policy").get()
        .getData().get(EffectiveCachePolicy.CONFIG_MAP_KEY));
    assertThat(policy.redis().host()).isEqualTo("managed-redis." + namespace + ".svc");
    assertThat(policy.redis().credentialsSecret()).isEqualTo("managed-redis-credentials");

    // Retries do not make a new password.
    await().pollDelay(Duration.ofSeconds(6)).atMost(TIMEOUT).untilAsserted(() ->
        assertThat(client.secrets().inNamespace(namespace).withName("managed-redis-credentials").get().getData().get("password"))
            .isEqualTo(password));
  }

  // ----- helpers -----

  private DatabaseUnit withInvalidate(DatabaseUnit unit, String dataType, long generation) {
    var c = unit.getSpec().cache();
    var spec = unit.getSpec();
    var cache = new dev.databaseunit.operator.api.v1alpha1.CacheSpec(c.external(), c.managed(), c.maxMemory(), c.evictionPolicy(),
        c.keyPrefix(), c.policies(), new dev.databaseunit.operator.api.v1alpha1.CacheSpec.Invalidation(dataType, generation));
    unit.setSpec(new dev.databaseunit.operator.api.v1alpha1.DatabaseUnitSpec(spec.postgres(), spec.extensions(), spec.migrations(),
        spec.vectorIndexes(), spec.pooler(), cache, spec.gdpr(), spec.monitoring(), spec.bootstrap()));
    return unit;
  }

  /** Applies the seed's recipe schema (samples/recipe-schema.yaml) and adds one user with a taste profile. */
  private long seedSchemaWithUser(TestDatabase db) throws Exception {
    ConfigMap schema = client.getKubernetesSerialization()
        .unmarshal(Files.readString(Path.of("samples/recipe-schema.yaml")), ConfigMap.class);
    try (Connection c = db.connect(); var s = c.createStatement()) {
      s.execute("CREATE EXTENSION IF NOT EXISTS vector");
      for (String file : schema.getData().keySet().stream().sorted().toList()) {
        s.execute(schema.getData().get(file));
      }
      try (var rs = s.executeQuery("INSERT INTO users (email, display_name) VALUES ('ada@example.com', 'Ada') RETURNING id")) {
        rs.next();
        long id = rs.getLong(1);
        s.execute("INSERT INTO user_taste_profiles (user_id) VALUES (" + id + ")");
        return id;
      }
    }
  }

  private static void execute(TestDatabase db, String sql) throws SQLException {
    try (Connection c = db.connect(); var s = c.createStatement()) {
      s.execute(sql);
    }
  }

  /** Runs the statement (autocommit) and polls until the key is gone; the time from commit to gone, in ms. */
  private static long measureInvalidation(TestDatabase db, RedisCommands<String, String> commands, String key, String sql)
      throws Exception {
    try (Connection c = db.connect(); var s = c.createStatement()) {
      s.execute(sql);
      long committed = System.nanoTime();
      await().atMost(TIMEOUT).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(2)).until(() -> commands.exists(key) == 0);
      return (System.nanoTime() - committed) / 1_000_000;
    }
  }

  private static List<Integer> listenerPids(Connection admin) throws SQLException {
    List<Integer> pids = new ArrayList<>();
    try (var ps = admin.prepareStatement("SELECT pid FROM pg_stat_activity WHERE application_name = ? AND datname = current_database()")) {
      ps.setString(1, InvalidationListener.APPLICATION_NAME);
      try (var rs = ps.executeQuery()) {
        while (rs.next()) {
          pids.add(rs.getInt(1));
        }
      }
    }
    return pids;
  }

  private RedisCommands<String, String> commands(PrivateRedis redis) {
    var redisClient = RedisClient.create(RedisURI.builder().withHost(redis.host()).withPort(redis.port())
        .withAuthentication("default", redis.password().toCharArray()).build());
    StatefulRedisConnection<String, String> connection = redisClient.connect();
    running.closeAfterOperator(redisClient::shutdown);
    return connection.sync();
  }

  private void createUnit(String name, TestDatabase db, PrivateRedis redis, boolean tls) {
    createUnit(name, db, redis, tls, redis.password());
  }

  private void createUnit(String name, TestDatabase db, PrivateRedis redis, boolean tls, String redisPassword) {
    client.resource(units.unit(unitYaml(name, db, redis, tls, redisPassword))).create();
  }

  /** Creates the unit's Secrets; the unit's YAML ends inside spec.cache. */
  private String unitYaml(String name, TestDatabase db, PrivateRedis redis) {
    return unitYaml(name, db, redis, false, redis.password());
  }

  private String unitYaml(String name, TestDatabase db, PrivateRedis redis, boolean tls, String redisPassword) {
    client.resource(units.credentialsSecret(name + "-db", db)).create();
    client.resource(units.secret(name + "-redis", Map.of("username", "default", "password", redisPassword))).create();
    return units.unitYaml(name, name + "-db", db) + """
          cache:
            external:
              host: %s
              port: %d
              credentials:
                secretName: %s-redis
              tls: %s
        %s
            maxMemory: 64mb
            evictionPolicy: allkeys-lfu
        """.formatted(redis.host(), redis.port(), name, tls,
        tls ? "      caSecret: {name: redis-ca, key: ca.crt}" : "");
  }

  /** The data types of the published policy ConfigMap. */
  private List<String> publishedTypes(String unit) {
    ConfigMap published = client.configMaps().inNamespace(namespace).withName(unit + "-cache-policy").get();
    return EffectiveCachePolicy.fromJson(published.getData().get(EffectiveCachePolicy.CONFIG_MAP_KEY)).types().stream()
        .map(EffectiveCachePolicy.TypePolicy::dataType).toList();
  }

  private void assertNoSecret(CapturedLogs logs, String unit, String secret) {
    String status = client.getKubernetesSerialization().asJson(units.get(unit).getStatus());
    String events = client.getKubernetesSerialization().asJson(units.events(unit));
    assertThat(status).doesNotContain(secret);
    assertThat(events).doesNotContain(secret);
    assertThat(logs.lines()).isNotEmpty().noneMatch(line -> line.contains(secret));
  }

  private double gauge(String name) {
    return registry.get(name).gauge().value();
  }

  private void awaitReady(String name) {
    var ready = units.awaitCondition(name, "Ready", "True");
    assertThat(ready.getReason()).isEqualTo("Reconciled");
  }
}
