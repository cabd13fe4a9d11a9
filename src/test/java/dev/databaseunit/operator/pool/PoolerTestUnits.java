package dev.databaseunit.operator.pool;

import dev.databaseunit.operator.api.v1alpha1.DatabaseUnit;
import dev.databaseunit.operator.testing.TestDatabase;
import dev.databaseunit.operator.testing.UnitFixtures;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Secret;
import dev.databaseunit.operator.common.OwnedObjects;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import java.util.Map;

/** The unit "orders" on a test database with a pooler block, and reading its conditions, for the pooler ITs. */
record PoolerTestUnits(UnitFixtures units) {
  static final String NAME = "orders";

  /** @param pooler the lines under {@code spec.pooler}, indented by four spaces after the first */
  DatabaseUnit unit(TestDatabase db, String pooler) {
    return units.unit(units.unitYaml(NAME, "db", db) + "  pooler:\n    " + pooler + "\n");
  }

  Secret secret(String name, Map<String, String> data) {
    return units.secret(name, data);
  }

  /** The unit's database credentials Secret ("db"). */
  void createDatabaseSecret(TestDatabase db) {
    units.client().resource(units.credentialsSecret("db", db)).create();
  }

  DatabaseUnit get() {
    return units.get(NAME);
  }

  Condition condition(String type) {
    return units.condition(NAME, type);
  }

  Condition awaitCondition(String type, String status) {
    return units.awaitCondition(NAME, type, status);
  }

  /**
   * An EndpointSlice as Kubernetes writes it for the pooler Service (its labels copied from the Service), with one
   * ready endpoint: nothing runs pods on the IT's API server, so the tests write the slices themselves.
   */
  EndpointSlice readyPod(String pod, String address, int port) {
    String namespace = units.namespace();
    return new EndpointSliceBuilder().withNewMetadata().withName(pod).withNamespace(namespace)
          .addToLabels(PoolerPods.SERVICE_NAME_LABEL, NAME + "-pooler")
          .addToLabels("endpointslice.kubernetes.io/managed-by", "test")
          .addToLabels("app.kubernetes.io/managed-by", OwnedObjects.MANAGED_BY)
          .addToLabels("app.kubernetes.io/component", "pgbouncer")
          .addToLabels(OwnedObjects.UNIT_LABEL, NAME)
        .endMetadata()
        .withAddressType("IPv4")
        .addNewEndpoint().withAddresses(address).withNewConditions().withReady(true).endConditions()
          .withNewTargetRef().withKind("Pod").withName(pod).withNamespace(namespace).endTargetRef().endEndpoint()
        .addNewPort().withName("pgbouncer").withPort(port).withProtocol("TCP").endPort()
        .build();
  }
}
