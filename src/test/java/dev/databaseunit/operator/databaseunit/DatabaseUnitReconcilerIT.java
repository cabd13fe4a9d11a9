package dev.databaseunit.operator.databaseunit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.databaseunit.operator.api.v1alpha1.DatabaseUnit;
import dev.databaseunit.operator.testing.CapturedLogs;
import dev.databaseunit.operator.testing.Conflicts;
import dev.databaseunit.operator.testing.TestClock;
import dev.databaseunit.operator.testing.KubeCluster;
import dev.databaseunit.operator.testing.OperatorInNamespace;
import dev.databaseunit.operator.testing.TestDatabase;
import dev.databaseunit.operator.testing.UnitFixtures;
import dev.databaseunit.operator.testing.WithLocalServices;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The DatabaseUnit reconciler against a real API server: references, conditions, Events, no secret leaks. */
@WithLocalServices
class DatabaseUnitReconcilerIT {
  private static final String PASSWORD = "s3cr3t-Never-Logged-7f1c";
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private OperatorInNamespace running;
  private KubernetesClient client;
  private String namespace;
  private UnitFixtures units;

  @BeforeEach
  void startOperator(KubeCluster cluster) {
    // Leader election on, with the Lease in the test namespace: the path a real deployment takes.
    running = OperatorInNamespace.prepare(cluster, "du-reconciler", TestClock.startingNow(), true);
    running.startOperator(registry);
    client = running.client();
    namespace = running.namespace();
    units = running.units(TIMEOUT);
  }

  @AfterEach
  void stopOperator() {
    running.close();
  }

  /**
   * The external database's role is checked: a superuser (the test server's postgres) is a LeastPrivilege warning and the
   * unit still works; a role with only the documented grants is not.
   */
  @Test
  void aSuperuserRoleIsAWarningAndALimitedRoleIsNot(TestDatabase db) throws Exception {
    String role = "du_limited_" + db.name().substring(db.name().length() - 8);
    String password = "limited-" + role;
    try (var c = db.connect(); var st = c.createStatement()) {
      st.execute("CREATE EXTENSION IF NOT EXISTS vector");
      st.execute("CREATE ROLE " + role + " LOGIN PASSWORD '" + password + "'");
      st.execute("GRANT CONNECT, CREATE, TEMPORARY ON DATABASE " + db.name() + " TO " + role);
    }
    try {
      client.resource(units.credentialsSecret("super-db", db)).create();
      client.resource(unit("as-super", "super-db", db)).create();
      client.resource(units.secret("limited-db", java.util.Map.of("username", role, "password", password))).create();
      client.resource(unit("as-limited", "limited-db", db)).create();

      units.awaitCondition("as-super", "Ready", "True");
      var broad = units.awaitCondition("as-super", "LeastPrivilege", "False", "OperatorRoleTooBroad");
      assertThat(broad.getMessage()).contains("SUPERUSER", "docs/security.md");
      units.awaitCondition("as-limited", "Ready", "True");
      units.awaitCondition("as-limited", "LeastPrivilege", "True", "OperatorRoleLimited");
    } finally {
      client.resources(dev.databaseunit.operator.api.v1alpha1.DatabaseUnit.class).inNamespace(namespace).delete();
      org.awaitility.Awaitility.await().atMost(TIMEOUT).until(() ->
          client.resources(dev.databaseunit.operator.api.v1alpha1.DatabaseUnit.class).inNamespace(namespace).list().getItems().isEmpty());
      try (var c = db.connect(); var st = c.createStatement()) {
        st.execute("DROP OWNED BY " + role);
        st.execute("DROP ROLE " + role);
      }
    }
  }

  @Test
  void missingSecretDegradesTheUnitAndCreatingItMakesItReady(TestDatabase db) {
    try (var logs = new CapturedLogs()) {
      client.resource(unit("recipes", "recipes-db", db)).create();

      var degraded = units.awaitCondition("recipes", "Ready", "False");
      assertThat(degraded.getReason()).isEqualTo("SecretNotFound");
      assertThat(degraded.getMessage()).isEqualTo("Secret recipes-db referenced by spec.postgres.external.credentials does not exist");
      assertThat(units.condition("recipes", "Degraded")).extracting(Condition::getStatus, Condition::getReason)
          .containsExactly("True", "SecretNotFound");
      assertThat(units.get("recipes").getStatus().observedGeneration()).isEqualTo(1L);

      client.resource(units.credentialsSecret("recipes-db", db)).create();

      var ready = units.awaitCondition("recipes", "Ready", "True");
      assertThat(ready.getReason()).isEqualTo("Reconciled");
      assertThat(ready.getObservedGeneration()).isEqualTo(1L);
      assertThat(units.condition("recipes", "Degraded").getStatus()).isEqualTo("False");
      units.awaitEventReasons("recipes", "SecretNotFound", "Ready");

      var database = units.get("recipes").getStatus().database();
      assertThat(database.serverVersion()).startsWith("15");
      assertThat(database.extensions()).containsKey("vector");

      String status = client.getKubernetesSerialization().asJson(units.get("recipes").getStatus());
      String events = client.getKubernetesSerialization().asJson(units.events("recipes"));
      assertThat(status).doesNotContain(db.password());
      assertThat(events).doesNotContain(db.password());
      assertThat(logs.lines()).isNotEmpty().noneMatch(line -> line.contains(db.password()));
    }
  }

  @Test
  void wrongPasswordIsDegradedWithoutTheWrongPasswordAnywhere(TestDatabase db) {
    try (var logs = new CapturedLogs()) {
      client.resource(units.secret("wrong", Map.of("username", db.user(), "password", PASSWORD))).create();
      client.resource(unit("wrong-password", "wrong", db)).create();

      var degraded = units.awaitCondition("wrong-password", "Degraded", "True");
      assertThat(degraded.getReason()).isEqualTo("DatabaseAuthenticationFailed");
      assertThat(degraded.getMessage()).contains("refused user " + db.user());
      await().atMost(TIMEOUT).untilAsserted(() -> assertThat(units.eventReasons("wrong-password")).contains("DatabaseAuthenticationFailed"));

      String status = client.getKubernetesSerialization().asJson(units.get("wrong-password").getStatus());
      String events = client.getKubernetesSerialization().asJson(units.events("wrong-password"));
      assertThat(status).doesNotContain(PASSWORD);
      assertThat(events).doesNotContain(PASSWORD);
      assertThat(logs.lines()).noneMatch(line -> line.contains(PASSWORD));
      await().atMost(TIMEOUT).untilAsserted(() -> {
        assertThat(health("databaseunit.resource.degraded", "wrong-password")).isEqualTo(1.0);
        assertThat(health("databaseunit.resource.ready", "wrong-password")).isZero();
      });

      // Fixing the Secret is picked up through the Secret watch, not only by the backoff retry.
      client.resource(units.credentialsSecret("wrong", db)).update();
      assertThat(units.awaitCondition("wrong-password", "Ready", "True").getReason()).isEqualTo("Reconciled");
      await().atMost(TIMEOUT).untilAsserted(() -> {
        assertThat(health("databaseunit.resource.ready", "wrong-password")).isEqualTo(1.0);
        assertThat(health("databaseunit.resource.degraded", "wrong-password")).isZero();
      });
    }
  }

  private double health(String gauge, String name) {
    return registry.get(gauge).tags("kind", "DatabaseUnit", "namespace", namespace, "name", name).gauge().value();
  }

  @Test
  void unreachableServerAndMissingDatabaseHaveTheirOwnReasons(TestDatabase db) {
    client.resource(units.credentialsSecret("creds", db)).create();
    client.resource(unit("closed-port", "creds", db.host(), 1, db.name())).create();
    client.resource(unit("no-such-db", "creds", db.host(), db.port(), "does_not_exist")).create();

    var unreachable = units.awaitCondition("closed-port", "Degraded", "True");
    assertThat(unreachable.getReason()).isEqualTo("DatabaseUnreachable");
    assertThat(unreachable.getMessage()).contains(db.host() + ":1/" + db.name());
    var missing = units.awaitCondition("no-such-db", "Degraded", "True");
    assertThat(missing.getReason()).isEqualTo("DatabaseNotFound");
    assertThat(missing.getMessage()).contains("does_not_exist");
  }

  @Test
  void deletingTheUnitClosesItsConnections(TestDatabase db) throws Exception {
    client.resource(units.credentialsSecret("creds", db)).create();
    client.resource(unit("short-lived", "creds", db)).create();
    units.awaitCondition("short-lived", "Ready", "True");
    assertThat(operatorConnections(db)).isPositive();

    client.resources(DatabaseUnit.class).inNamespace(namespace).withName("short-lived").delete();
    await().atMost(TIMEOUT).untilAsserted(() -> {
      assertThat(units.get("short-lived")).isNull();
      assertThat(operatorConnections(db)).isZero();
    });
  }

  private static int operatorConnections(TestDatabase db) throws Exception {
    try (var c = db.connect(); var ps = c.prepareStatement(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = ? AND application_name = 'databaseunit-operator'")) {
      ps.setString(1, db.name());
      try (var rs = ps.executeQuery()) {
        rs.next();
        return rs.getInt(1);
      }
    }
  }

  @Test
  void secretWithoutThePasswordKeyIsReportedAndASpecChangeIsObserved(TestDatabase db) {
    client.resource(units.secret("only-user", Map.of("username", "app"))).create();
    client.resource(unit("inventory", "only-user", db)).create();
    assertThat(units.awaitCondition("inventory", "Ready", "False").getReason()).isEqualTo("SecretKeyMissing");

    client.resource(units.credentialsSecret("complete", db)).create();
    Conflicts.retry(() -> client.resources(DatabaseUnit.class).inNamespace(namespace).withName("inventory")
        .edit(u -> {
          var edited = unit("inventory", "complete", db);
          edited.setMetadata(u.getMetadata());
          return edited;
        }));

    await().atMost(TIMEOUT).untilAsserted(() -> {
      var unit = units.get("inventory");
      assertThat(unit.getMetadata().getGeneration()).isEqualTo(2L);
      assertThat(unit.getStatus().observedGeneration()).isEqualTo(2L);
      assertThat(UnitFixtures.condition(unit, "Ready")).extracting(Condition::getStatus, Condition::getObservedGeneration)
          .containsExactly("True", 2L);
    });
  }

  @Test
  void aRetriedProblemIsOneAggregatedEvent(TestDatabase db) {
    client.resource(unit("orders", "orders-db", db)).create();
    units.awaitCondition("orders", "Ready", "False");
    // A label change triggers reconciles without changing the problem: no new Event object may appear.
    for (int i = 0; i < 3; i++) {
      int n = i;
      Conflicts.retry(() -> client.resources(DatabaseUnit.class).inNamespace(namespace).withName("orders")
          .edit(u -> {
            u.getMetadata().setLabels(Map.of("touch", "t" + n));
            return u;
          }));
    }
    await().pollDelay(Duration.ofSeconds(2)).atMost(TIMEOUT).untilAsserted(() ->
        assertThat(units.eventReasons("orders")).containsExactly("SecretNotFound"));
  }

  private DatabaseUnit unit(String name, String secretName, TestDatabase db) {
    return unit(name, secretName, db.host(), db.port(), db.name());
  }

  private DatabaseUnit unit(String name, String secretName, String host, int port, String database) {
    return units.unit(units.unitYaml(name, secretName, host, port, database, "mode: disable"));
  }
}
