package dev.databaseunit.operator.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.databaseunit.operator.testing.CapturedLogs;
import dev.databaseunit.operator.testing.TestClock;
import dev.databaseunit.operator.testing.KubeCluster;
import dev.databaseunit.operator.testing.OperatorInNamespace;
import dev.databaseunit.operator.testing.PrivatePgBouncer;
import dev.databaseunit.operator.testing.TestDatabase;
import dev.databaseunit.operator.testing.WithLocalServices;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The adaptive pool end to end: the operator on a real API server drives a private PgBouncer in front of the
 * shared PostgreSQL while a load generator runs transactions through it. Short sample interval, window and
 * cooldown (300ms / 900ms / 1s) keep the steps quick.
 */
@WithLocalServices
class PoolerIT {
  private static final Duration TIMEOUT = Duration.ofSeconds(60);

  private OperatorInNamespace running;
  private KubernetesClient client;
  private String namespace;
  private PrometheusMeterRegistry registry;
  private PrivatePgBouncer bouncer;
  private PoolerTestUnits units;

  @BeforeEach
  void start(KubeCluster cluster) {
    running = OperatorInNamespace.prepare(cluster, "du-pooler", TestClock.startingNow(), false);
    client = running.client();
    namespace = running.namespace();
    units = new PoolerTestUnits(running.units(TIMEOUT));
    bouncer = running.closeAfterOperator(PrivatePgBouncer.start(10, 300));
    startOperator();
  }

  private void startOperator() {
    registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    running.startOperator(registry);
  }

  @AfterEach
  void stop() {
    running.close();
  }

  @Test
  void growsInStepsToTheCapUnderLoadAndShrinksToTheFloorAfterAnOperatorRestart(TestDatabase db) {
    try (var logs = new CapturedLogs()) {
      createUnit(db, bouncer.port(), bouncer.adminPassword(), 25);
      assertThat(awaitCondition("Ready", "True").getReason()).isEqualTo("Reconciled");

      try (var load = new LoadGenerator(bouncer.jdbcUrl(db.name()), db.user(), db.password(), 40)) {
        await().atMost(TIMEOUT).until(() -> pooler().currentSize() >= 15);
        // Kill the operator mid-run; a new one must read the size back from PgBouncer, not start over at 10.
        running.stopOperator();
        int sizeAtRestart = bouncerPoolSize(db);
        assertThat(sizeAtRestart).isGreaterThanOrEqualTo(15);
        startOperator();
        await().atMost(TIMEOUT).until(() -> pooler().currentSize() == 25);
        assertThat(bouncerPoolSize(db)).isEqualTo(25);
        assertThat(load.transactions()).isPositive();
        assertThat(upSteps()).containsExactly("10→15", "15→20", "20→25");
        assertThat(eventReasons()).doesNotContain("PoolSizeReapplied");
        var status = pooler();
        assertThat(status.lastScaleReason()).startsWith("utilisation ");
        assertThat(messages("PoolScaledUp")).contains("20→25: " + status.lastScaleReason());
        assertThat(registry.scrape()).contains("databaseunit_pool_size{namespace=\"" + namespace + "\",unit=\"orders\"} 25.0")
            .contains("databaseunit_pool_scale_events_total{direction=\"up\"")
            .contains("databaseunit_pool_connection_establishment_seconds_count");
      }

      // the server connections the load opened close after serverIdleTimeout (1s), not PgBouncer's default 600s:
      // shrinking the pool alone would leave 5 open
      assertThat(bouncerConfig("server_idle_timeout")).isEqualTo("1");
      await().atMost(Duration.ofSeconds(15)).until(() -> serverConnections(db) == 0);
      await().atMost(TIMEOUT).until(() -> pooler().currentSize() == 5);
      assertThat(bouncerPoolSize(db)).isEqualTo(5);
      assertThat(downSteps()).containsExactly("25→23", "23→21", "21→19", "19→17", "17→15", "15→13", "13→11", "11→9",
          "9→7", "7→5");
      assertThat(pooler().lastScaleReason()).startsWith("utilisation 0.");
      assertThat(condition("Degraded").getStatus()).isEqualTo("False");
      assertThat(logs.lines()).noneMatch(l -> l.contains(bouncer.adminPassword()));
    }
  }

  @Test
  void adminFailuresDegradeTheUnitAndTheSizeIsReappliedAfterAPgBouncerRestart(TestDatabase db) {
    try (var logs = new CapturedLogs()) {
      // wrong credentials: Degraded with its own reason, never the password
      createUnit(db, bouncer.port(), "wrong-admin-password", 15);
      var auth = awaitCondition("Degraded", "True");
      assertThat(auth.getReason()).isEqualTo("PoolerAuthenticationFailed");
      assertThat(auth.getMessage()).doesNotContain("wrong-admin-password");

      // fixed Secret → the loop resumes
      client.resource(adminSecret(bouncer.adminPassword())).update();
      awaitCondition("Degraded", "False");

      try (var load = new LoadGenerator(bouncer.jdbcUrl(db.name()), db.user(), db.password(), 30)) {
        await().atMost(TIMEOUT).until(() -> pooler().currentSize() == 15);

        // PgBouncer goes away: Degraded, unreachable
        bouncer.stop();
        var down = awaitCondition("Degraded", "True");
        assertThat(down.getReason()).isEqualTo("PoolerUnreachable");
        assertThat(down.getMessage()).contains("127.0.0.1:" + bouncer.port());

        // back with its ini's size 10: the loop applies 15 again and the unit recovers
        bouncer.restart();
        awaitCondition("Degraded", "False");
        await().atMost(TIMEOUT).untilAsserted(() -> assertThat(eventReasons()).contains("PoolSizeReapplied"));
        assertThat(messages("PoolSizeReapplied")).anyMatch(m -> m.equals("PgBouncer had pool size 10, applied 15 again"));
        assertThat(bouncerPoolSize(db)).isEqualTo(15);
        // the restarted PgBouncer came back with the default 600s; the loop applied the unit's value again
        await().atMost(TIMEOUT).until(() -> "1".equals(bouncerConfig("server_idle_timeout")));
      }
      assertThat(eventReasons()).contains("PoolerAuthenticationFailed", "PoolerUnreachable");
      String everything = client.getKubernetesSerialization().asJson(events()) + logs.lines();
      assertThat(everything).doesNotContain("wrong-admin-password").doesNotContain(bouncer.adminPassword());
    }
  }

  @Test
  void anUnreachableEndpointIsDegraded(TestDatabase db) {
    createUnit(db, 1, bouncer.adminPassword(), 25);
    var c = awaitCondition("Degraded", "True");
    assertThat(c.getReason()).isEqualTo("PoolerUnreachable");
    assertThat(c.getMessage()).contains("127.0.0.1:1");
  }

  /**
   * A pooler that refuses the first looks (on a cluster: the Service's endpoints not yet programmed by kube-proxy
   * right after the pod became ready) and listens only after the unit has been Degraded for a while: the unit is
   * Ready within a few samples of PgBouncer listening, not after the retry backoff its earlier failures built up
   * (5 s, 10 s, 20 s, ... up to 5 minutes), and without an operator restart.
   */
  @Test
  void aPoolerThatListensLateClearsPoolerUnreachableWithinAFewSamples(TestDatabase db) {
    bouncer.stop();
    createUnit(db, bouncer.port(), bouncer.adminPassword(), 25);
    assertThat(awaitCondition("Degraded", "True").getReason()).isEqualTo("PoolerUnreachable");
    // Reconciles at about 0, 5, 15 and 35 s: the next one after this is due some 20 s later.
    await().during(Duration.ofSeconds(16)).atMost(Duration.ofSeconds(20))
        .until(() -> "PoolerUnreachable".equals(condition("Degraded").getReason()));

    bouncer.restart();
    await().atMost(Duration.ofSeconds(8)).untilAsserted(() -> {
      assertThat(condition("Ready").getStatus()).isEqualTo("True");
      assertThat(condition("Degraded").getReason()).isEqualTo("AsExpected");
    });
    assertThat(pooler().currentSize()).isBetween(5, 10);
  }

  @Test
  void whileClientsQueueThePoolGrowsInQuickStepsDespiteALongCooldown(TestDatabase db) {
    // cooldown 10 minutes: only the scale-up cooldown (150ms, clients waiting in every sample; the loop samples that
    // often while they queue, between its 300ms samples) lets it grow
    createUnit(db, bouncer.port(), bouncer.adminPassword(), 25, "10m", "150ms");
    awaitCondition("Ready", "True");
    try (var load = new LoadGenerator(bouncer.jdbcUrl(db.name()), db.user(), db.password(), 40)) {
      await().atMost(TIMEOUT).until(() -> pooler().currentSize() == 25);
      assertThat(bouncerPoolSize(db)).isEqualTo(25);
      assertThat(upSteps()).containsExactly("10→15", "15→20", "20→25");
      // the first step may come from the regular rule (no step yet, so no cooldown); the others cannot
      assertThat(messages("PoolScaledUp")).filteredOn(m -> !m.startsWith("10→")).hasSize(2).allMatch(m -> m.matches(
          "\\d+→\\d+: utilisation \\d\\.\\d\\d over 150ms, \\d+\\.\\d clients waiting in every sample"));
    }
    // the load is gone, but a scale-down waits out the cooldown
    await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(5)).until(() -> pooler().currentSize() == 25);
    assertThat(eventReasons()).doesNotContain("PoolScaledDown");
  }

  private int bouncerPoolSize(TestDatabase db) {
    try (var admin = bouncerAdmin()) {
      return PoolController.poolSize(admin, db.name());
    }
  }

  private int serverConnections(TestDatabase db) {
    try (var admin = bouncerAdmin()) {
      return admin.showPools().stream().filter(p -> p.database().equals(db.name()))
          .mapToInt(p -> p.serversActive() + p.serversIdle() + p.serversUsed()).sum();
    }
  }

  private String bouncerConfig(String key) {
    try (var admin = bouncerAdmin()) {
      return admin.showConfig().get(key);
    }
  }

  private PgBouncerAdminClient bouncerAdmin() {
    return new PgBouncerAdminClient(bouncer.host(), bouncer.port(), bouncer.adminUser(), bouncer.adminPassword(),
        Duration.ofSeconds(5));
  }

  /** The regular rule with a 1s cooldown; the quick scale-up (5s by default) is slower and does not take part. */
  private void createUnit(TestDatabase db, int pgbouncerPort, String adminPassword, int maxSize) {
    createUnit(db, pgbouncerPort, adminPassword, maxSize, "1s", "5s");
  }

  private void createUnit(TestDatabase db, int pgbouncerPort, String adminPassword, int maxSize, String cooldown,
      String scaleUpCooldown) {
    units.createDatabaseSecret(db);
    client.resource(adminSecret(adminPassword)).create();
    client.resource(units.unit(db, """
        minSize: 5
            initialSize: 10
            maxSize: %d
            sampleInterval: 300ms
            smoothingWindow: 900ms
            cooldown: %s
            scaleUpCooldown: %s
            serverIdleTimeout: 1s
            external:
              host: 127.0.0.1
              port: %d
              adminCredentials:
                secretName: pooler-admin""".formatted(maxSize, cooldown, scaleUpCooldown, pgbouncerPort))).create();
  }

  private io.fabric8.kubernetes.api.model.Secret adminSecret(String password) {
    return units.secret("pooler-admin", Map.of("username", PrivatePgBouncer.ADMIN_USER, "password", password));
  }

  private dev.databaseunit.operator.api.v1alpha1.DatabaseUnitStatus.PoolerStatus pooler() {
    var unit = units.get();
    var empty = new dev.databaseunit.operator.api.v1alpha1.DatabaseUnitStatus.PoolerStatus(0, null, null, null, null, null, null, null);
    return unit.getStatus() == null || unit.getStatus().pooler() == null ? empty : unit.getStatus().pooler();
  }

  private Condition condition(String type) {
    return units.condition(type);
  }

  private Condition awaitCondition(String type, String status) {
    return units.awaitCondition(type, status);
  }

  private List<Event> events() {
    return client.v1().events().inNamespace(namespace).list().getItems().stream()
        .filter(e -> "orders".equals(e.getInvolvedObject().getName()))
        .sorted(Comparator.comparing(e -> e.getFirstTimestamp() + e.getMetadata().getCreationTimestamp()))
        .toList();
  }

  private List<String> eventReasons() {
    return events().stream().map(Event::getReason).toList();
  }

  private List<String> messages(String reason) {
    return events().stream().filter(e -> reason.equals(e.getReason())).map(Event::getMessage).toList();
  }

  /** "10→15" of each step, in the order of the sizes (Event timestamps have only second resolution). */
  private List<String> upSteps() {
    return messages("PoolScaledUp").stream().map(m -> m.substring(0, m.indexOf(':')))
        .sorted(Comparator.comparingInt(s -> Integer.parseInt(s.substring(0, s.indexOf('→'))))).toList();
  }

  private List<String> downSteps() {
    return messages("PoolScaledDown").stream().map(m -> m.substring(0, m.indexOf(':')))
        .sorted(Comparator.comparingInt((String s) -> Integer.parseInt(s.substring(0, s.indexOf('→')))).reversed()).toList();
  }
}
