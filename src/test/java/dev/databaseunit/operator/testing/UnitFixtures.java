package dev.databaseunit.operator.testing;

import static org.awaitility.Awaitility.await;

import dev.databaseunit.operator.api.v1alpha1.DatabaseUnit;
import dev.databaseunit.operator.status.Conditions;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * What the DatabaseUnit ITs write and read in their namespace: a unit on an external PostgreSQL, a Secret, the
 * unit's conditions (and waiting for one, at most {@code timeout}), the Events of an object.
 */
public record UnitFixtures(KubernetesClient client, String namespace, Duration timeout) {
  /** The key-encryption key of {@link #backupSecretsYaml}: 32 bytes, base64. */
  public static final String TEST_KEK_BASE64 = "3q2+7wAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";

  /** The Secrets of a unit "on the test database with backups": db (credentials), s3 (the bucket's keys) and kek. */
  public static String backupSecretsYaml(TestDatabase db, TestBucket bucket) {
    return """
        apiVersion: v1
        kind: Secret
        metadata: {name: db}
        stringData: {username: %s, password: %s}
        ---
        apiVersion: v1
        kind: Secret
        metadata: {name: s3}
        stringData: {accessKeyId: %s, secretAccessKey: %s}
        ---
        apiVersion: v1
        kind: Secret
        metadata: {name: kek}
        stringData: {kek: %s}
        """.formatted(db.user(), db.password(), bucket.accessKey(), bucket.secretKey(), TEST_KEK_BASE64);
  }

  /**
   * The YAML of a DatabaseUnit on an external PostgreSQL, ending with the {@code spec.postgres} block: a test
   * appends its own spec blocks (cache, pooler...) indented by two spaces.
   *
   * @param tls the flow map under {@code tls:}, e.g. {@code mode: disable}
   */
  public String unitYaml(String name, String credentialsSecret, String host, int port, String database, String tls) {
    return """
        apiVersion: databaseunit.dev/v1alpha1
        kind: DatabaseUnit
        metadata: {name: %s, namespace: %s}
        spec:
          postgres:
            external:
              host: %s
              port: %d
              database: %s
              credentials: {secretName: %s}
              tls: {%s}
        """.formatted(name, namespace, host, port, database, credentialsSecret, tls);
  }

  /** {@link #unitYaml(String, String, String, int, String, String)} on the test database, without TLS. */
  public String unitYaml(String name, String credentialsSecret, TestDatabase db) {
    return unitYaml(name, credentialsSecret, db.host(), db.port(), db.name(), "mode: disable");
  }

  public DatabaseUnit unit(String yaml) {
    return client.getKubernetesSerialization().unmarshal(yaml, DatabaseUnit.class);
  }

  public Secret secret(String name, Map<String, String> data) {
    return new SecretBuilder().withNewMetadata().withName(name).withNamespace(namespace).endMetadata()
        .withStringData(data).build();
  }

  /** A Secret with the test database's username and password, as a unit's {@code credentials} reference it. */
  public Secret credentialsSecret(String name, TestDatabase db) {
    return secret(name, Map.of("username", db.user(), "password", db.password()));
  }

  public DatabaseUnit get(String name) {
    return client.resources(DatabaseUnit.class).inNamespace(namespace).withName(name).get();
  }

  /** The unit's condition of that type; null while the unit, its status or the condition is absent. */
  public static Condition condition(DatabaseUnit unit, String type) {
    return unit == null || unit.getStatus() == null ? null : Conditions.find(unit.getStatus().conditions(), type);
  }

  public Condition condition(String name, String type) {
    return condition(get(name), type);
  }

  /** Waits until the unit's condition has the status (and, when given, the reason), and returns it. */
  public Condition awaitCondition(String name, String type, String status, String reason) {
    return await().atMost(timeout).until(() -> condition(name, type),
        c -> c != null && status.equals(c.getStatus()) && (reason == null || reason.equals(c.getReason())));
  }

  public Condition awaitCondition(String name, String type, String status) {
    return awaitCondition(name, type, status, null);
  }

  public List<Event> events(String involvedName) {
    return client.v1().events().inNamespace(namespace).list().getItems().stream()
        .filter(e -> involvedName.equals(e.getInvolvedObject().getName())).toList();
  }

  public List<String> eventReasons(String involvedName) {
    return events(involvedName).stream().map(Event::getReason).toList();
  }

  /** Waits for Events: the operator writes them after the status they report, so they may trail what a test saw. */
  public List<String> awaitEventReasons(String involvedName, String... reasons) {
    return await().atMost(timeout).until(() -> eventReasons(involvedName), r -> r.containsAll(List.of(reasons)));
  }
}
