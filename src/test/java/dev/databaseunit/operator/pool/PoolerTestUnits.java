package dev.databaseunit.operator.pool;

import dev.databaseunit.operator.api.v1alpha1.DatabaseUnit;
import dev.databaseunit.operator.testing.TestDatabase;
import dev.databaseunit.operator.testing.UnitFixtures;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Secret;
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
}
