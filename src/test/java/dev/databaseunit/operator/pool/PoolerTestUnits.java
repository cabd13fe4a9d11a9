package dev.databaseunit.operator.pool;

import static org.awaitility.Awaitility.await;

import dev.databaseunit.operator.api.v1alpha1.DatabaseUnit;
import dev.databaseunit.operator.status.Conditions;
import dev.databaseunit.operator.testing.TestDatabase;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.Map;

/** The unit "orders" on a test database with a pooler block, and reading its conditions, for the pooler ITs. */
record PoolerTestUnits(KubernetesClient client, String namespace) {
  static final String NAME = "orders";

  /** @param pooler the lines under {@code spec.pooler}, indented by four spaces after the first */
  DatabaseUnit unit(TestDatabase db, String pooler) {
    String yaml = """
        apiVersion: databaseunit.dev/v1alpha1
        kind: DatabaseUnit
        metadata:
          name: %s
          namespace: %s
        spec:
          postgres:
            external:
              host: %s
              port: %d
              database: %s
              credentials:
                secretName: db
              tls:
                mode: disable
          pooler:
            %s
        """.formatted(NAME, namespace, db.host(), db.port(), db.name(), pooler);
    return client.getKubernetesSerialization().unmarshal(yaml, DatabaseUnit.class);
  }

  Secret secret(String name, Map<String, String> data) {
    return new SecretBuilder().withNewMetadata().withName(name).withNamespace(namespace).endMetadata()
        .withStringData(data).build();
  }

  /** The unit's database credentials Secret ("db"). */
  void createDatabaseSecret(TestDatabase db) {
    client.resource(secret("db", Map.of("username", db.user(), "password", db.password()))).create();
  }

  DatabaseUnit get() {
    return client.resources(DatabaseUnit.class).inNamespace(namespace).withName(NAME).get();
  }

  Condition condition(String type) {
    var unit = get();
    return unit == null || unit.getStatus() == null ? null : Conditions.find(unit.getStatus().conditions(), type);
  }

  Condition awaitCondition(String type, String status, Duration timeout) {
    return await().atMost(timeout).until(() -> condition(type), c -> c != null && status.equals(c.getStatus()));
  }
}
