package dev.databaseunit.operator.databaseunit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.databaseunit.operator.api.v1alpha1.DatabaseUnit;
import dev.databaseunit.operator.runtime.DatabaseUnitOperator;
import dev.databaseunit.operator.runtime.OperatorSettings;
import dev.databaseunit.operator.status.Conditions;
import dev.databaseunit.operator.testing.CapturedLogs;
import dev.databaseunit.operator.testing.KubeCluster;
import dev.databaseunit.operator.testing.WithLocalServices;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.Operator;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The DatabaseUnit reconciler against a real API server: references, conditions, Events, no secret leaks. */
@WithLocalServices
class DatabaseUnitReconcilerIT {
  private static final String PASSWORD = "s3cr3t-Never-Logged-7f1c";
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  private KubernetesClient client;
  private String namespace;
  private Operator operator;

  @BeforeEach
  void startOperator(KubeCluster cluster) {
    client = cluster.newClient();
    namespace = cluster.createNamespace(client, "du-reconciler");
    // Leader election on, with the Lease in the test namespace: the path a real deployment takes.
    var settings = new OperatorSettings(Set.of(namespace), true, namespace, 0, false);
    operator = DatabaseUnitOperator.create(client, new SimpleMeterRegistry(), settings, Clock.systemUTC());
    operator.start();
  }

  @AfterEach
  void stopOperator() {
    operator.stop();
    client.namespaces().withName(namespace).delete();
    client.close();
  }

  @Test
  void missingSecretDegradesTheUnitAndCreatingItMakesItReady() {
    try (var logs = new CapturedLogs()) {
      client.resource(unit("recipes", "recipes-db")).create();

      var degraded = awaitCondition("recipes", "Ready", "False");
      assertThat(degraded.getReason()).isEqualTo("SecretNotFound");
      assertThat(degraded.getMessage()).isEqualTo("Secret recipes-db referenced by spec.postgres.external.credentials does not exist");
      assertThat(condition(get("recipes"), "Degraded")).extracting(Condition::getStatus, Condition::getReason)
          .containsExactly("True", "SecretNotFound");
      assertThat(get("recipes").getStatus().observedGeneration()).isEqualTo(1L);

      client.resource(secret("recipes-db", Map.of("username", "app", "password", PASSWORD))).create();

      var ready = awaitCondition("recipes", "Ready", "True");
      assertThat(ready.getReason()).isEqualTo("Reconciled");
      assertThat(ready.getObservedGeneration()).isEqualTo(1L);
      assertThat(condition(get("recipes"), "Degraded").getStatus()).isEqualTo("False");
      assertThat(eventReasons("recipes")).contains("SecretNotFound", "Ready");

      String status = client.getKubernetesSerialization().asJson(get("recipes").getStatus());
      String events = client.getKubernetesSerialization().asJson(events("recipes"));
      assertThat(status).doesNotContain(PASSWORD);
      assertThat(events).doesNotContain(PASSWORD);
      assertThat(logs.lines()).isNotEmpty().noneMatch(line -> line.contains(PASSWORD));
    }
  }

  @Test
  void secretWithoutThePasswordKeyIsReportedAndASpecChangeIsObserved() {
    client.resource(secret("only-user", Map.of("username", "app"))).create();
    client.resource(unit("inventory", "only-user")).create();
    assertThat(awaitCondition("inventory", "Ready", "False").getReason()).isEqualTo("SecretKeyMissing");

    client.resource(secret("complete", Map.of("username", "app", "password", PASSWORD))).create();
    client.resources(DatabaseUnit.class).inNamespace(namespace).withName("inventory")
        .edit(u -> {
          var edited = unit("inventory", "complete");
          edited.setMetadata(u.getMetadata());
          return edited;
        });

    await().atMost(TIMEOUT).untilAsserted(() -> {
      var unit = get("inventory");
      assertThat(unit.getMetadata().getGeneration()).isEqualTo(2L);
      assertThat(unit.getStatus().observedGeneration()).isEqualTo(2L);
      assertThat(condition(unit, "Ready")).extracting(Condition::getStatus, Condition::getObservedGeneration)
          .containsExactly("True", 2L);
    });
  }

  @Test
  void aRetriedProblemIsOneAggregatedEvent() {
    client.resource(unit("orders", "orders-db")).create();
    awaitCondition("orders", "Ready", "False");
    // A label change triggers reconciles without changing the problem: no new Event object may appear.
    for (int i = 0; i < 3; i++) {
      int n = i;
      client.resources(DatabaseUnit.class).inNamespace(namespace).withName("orders")
          .edit(u -> {
            u.getMetadata().setLabels(Map.of("touch", "t" + n));
            return u;
          });
    }
    await().pollDelay(Duration.ofSeconds(2)).atMost(TIMEOUT).untilAsserted(() ->
        assertThat(eventReasons("orders")).containsExactly("SecretNotFound"));
  }

  private DatabaseUnit unit(String name, String secretName) {
    String yaml = """
        apiVersion: databaseunit.dev/v1alpha1
        kind: DatabaseUnit
        metadata:
          name: %s
          namespace: %s
        spec:
          postgres:
            external:
              host: db.internal
              database: app
              credentials:
                secretName: %s
              tls:
                mode: disable
        """.formatted(name, namespace, secretName);
    return client.getKubernetesSerialization().unmarshal(yaml, DatabaseUnit.class);
  }

  private io.fabric8.kubernetes.api.model.Secret secret(String name, Map<String, String> data) {
    return new SecretBuilder().withNewMetadata().withName(name).withNamespace(namespace).endMetadata()
        .withStringData(data).build();
  }

  private DatabaseUnit get(String name) {
    return client.resources(DatabaseUnit.class).inNamespace(namespace).withName(name).get();
  }

  private static Condition condition(DatabaseUnit unit, String type) {
    return unit.getStatus() == null ? null : Conditions.find(unit.getStatus().conditions(), type);
  }

  private Condition awaitCondition(String name, String type, String status) {
    return await().atMost(TIMEOUT).until(() -> condition(get(name), type), c -> c != null && status.equals(c.getStatus()));
  }

  private List<Event> events(String name) {
    return client.v1().events().inNamespace(namespace).list().getItems().stream()
        .filter(e -> name.equals(e.getInvolvedObject().getName())).toList();
  }

  private List<String> eventReasons(String name) {
    return events(name).stream().map(Event::getReason).toList();
  }
}
