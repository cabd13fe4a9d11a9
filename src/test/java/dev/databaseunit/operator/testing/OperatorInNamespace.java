package dev.databaseunit.operator.testing;

import static org.awaitility.Awaitility.await;

import dev.databaseunit.operator.api.v1alpha1.DatabaseUnit;
import dev.databaseunit.operator.runtime.DatabaseUnitOperator;
import dev.databaseunit.operator.runtime.OperatorSettings;
import dev.databaseunit.operator.status.Conditions;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The operator running in this JVM against the test API server, watching one fresh namespace, with the small
 * vocabulary DatabaseUnit tests share: apply YAML, create a Secret, read a unit, wait for a condition, list
 * the Events of an object. Closing it stops the operator and deletes the namespace.
 */
public final class OperatorInNamespace implements AutoCloseable {
  public static final Duration TIMEOUT = Duration.ofSeconds(60);

  private final KubernetesClient client;
  private final String namespace;
  private final DatabaseUnitOperator operator;
  private boolean closed;

  private OperatorInNamespace(KubernetesClient client, String namespace, DatabaseUnitOperator operator) {
    this.client = client;
    this.namespace = namespace;
    this.operator = operator;
  }

  public static OperatorInNamespace start(KubeCluster cluster, String namespacePrefix) {
    var client = cluster.newClient();
    String namespace = cluster.createNamespace(client, namespacePrefix);
    var operator = DatabaseUnitOperator.create(client, new SimpleMeterRegistry(),
        new OperatorSettings(Set.of(namespace), false, namespace, 0, false), Clock.systemUTC());
    operator.start();
    return new OperatorInNamespace(client, namespace, operator);
  }

  public KubernetesClient client() {
    return client;
  }

  public String namespace() {
    return namespace;
  }

  /** Creates or replaces every object in the YAML (one or more documents) in the test namespace. */
  public List<HasMetadata> apply(String yaml) {
    var objects = client.load(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8))).items();
    for (HasMetadata object : objects) {
      object.getMetadata().setNamespace(namespace);
      client.resource(object).inNamespace(namespace).forceConflicts().serverSideApply();
    }
    return objects;
  }

  public Secret secret(String name, Map<String, String> data) {
    return client.resource(new SecretBuilder().withNewMetadata().withName(name).withNamespace(namespace).endMetadata()
        .withStringData(data).build()).serverSideApply();
  }

  public DatabaseUnit unit(String name) {
    return client.resources(DatabaseUnit.class).inNamespace(namespace).withName(name).get();
  }

  public static Condition condition(DatabaseUnit unit, String type) {
    return unit == null || unit.getStatus() == null ? null : Conditions.find(unit.getStatus().conditions(), type);
  }

  /** Waits until the unit's condition has the status (and, when given, the reason), and returns it. */
  public Condition awaitCondition(String unit, String type, String status, String reason) {
    return await().atMost(TIMEOUT).until(() -> condition(unit(unit), type),
        c -> c != null && status.equals(c.getStatus()) && (reason == null || reason.equals(c.getReason())));
  }

  public List<Event> events(String involvedName) {
    return client.v1().events().inNamespace(namespace).list().getItems().stream()
        .filter(e -> involvedName.equals(e.getInvolvedObject().getName())).toList();
  }

  public List<String> eventReasons(String involvedName) {
    return events(involvedName).stream().map(Event::getReason).toList();
  }

  /** Idempotent, so a test may stop the operator early (to release its connections) and the fixture again. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    operator.stop();
    client.namespaces().withName(namespace).delete();
    client.close();
  }
}
