package dev.databaseunit.operator.testing;

import dev.databaseunit.operator.api.v1alpha1.DatabaseUnit;
import dev.databaseunit.operator.runtime.DatabaseUnitOperator;
import dev.databaseunit.operator.runtime.OperatorSettings;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Secret;
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

  /** The unit YAML, Secrets, conditions and Events of this namespace. */
  public UnitFixtures units() {
    return new UnitFixtures(client, namespace, TIMEOUT);
  }

  public Secret secret(String name, Map<String, String> data) {
    return client.resource(units().secret(name, data)).serverSideApply();
  }

  public DatabaseUnit unit(String name) {
    return units().get(name);
  }

  public Condition awaitCondition(String unit, String type, String status, String reason) {
    return units().awaitCondition(unit, type, status, reason);
  }

  public List<Event> events(String involvedName) {
    return units().events(involvedName);
  }

  public List<String> eventReasons(String involvedName) {
    return units().eventReasons(involvedName);
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
