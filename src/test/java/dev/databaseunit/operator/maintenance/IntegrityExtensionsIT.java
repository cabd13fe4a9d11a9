package dev.databaseunit.operator.maintenance;

import static org.assertj.core.api.Assertions.assertThat;

import dev.databaseunit.operator.testing.TestDatabase;
import dev.databaseunit.operator.testing.WithLocalServices;
import java.util.List;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * ValidateIntegrity and OptimizeIndexes really check: on a database without amcheck and pgstattuple (the local stack's
 * case, where ValidateIntegrity used to succeed with "page checks skipped") they create them and use them.
 */
@WithLocalServices
class IntegrityExtensionsIT {

  @Test
  void validateIntegrityCreatesAmcheckAndChecksEveryBTree(TestDatabase db) throws Exception {
    prepare(db);
    String summary = new ValidateIntegrityTask().run(target(db));

    assertThat(summary).contains("B-trees pass amcheck").doesNotContain("NOT run");
    assertThat(db.queryColumn("SELECT extname FROM pg_extension")).contains("amcheck");
  }

  @Test
  void optimizeIndexesCreatesPgstattupleAndMeasuresBloat(TestDatabase db) throws Exception {
    prepare(db);
    String summary = new OptimizeIndexesTask().run(target(db));

    assertThat(summary).doesNotContain("NOT measured");
    assertThat(db.queryColumn("SELECT extname FROM pg_extension")).contains("pgstattuple");
  }

  private static void prepare(TestDatabase db) throws Exception {
    try (var c = db.connect(); var st = c.createStatement()) {
      st.execute("DROP EXTENSION IF EXISTS amcheck");
      st.execute("DROP EXTENSION IF EXISTS pgstattuple");
      st.execute("CREATE TABLE items (id bigint PRIMARY KEY, name text)");
      st.execute("CREATE INDEX items_name ON items (name)");
      st.execute("INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 1000) g");
    }
  }

  private static MaintenanceTask.Target target(TestDatabase db) {
    return new MaintenanceTask.Target("ns/unit", db.dataSource(), "public", new TreeMap<>(), List.of());
  }
}
