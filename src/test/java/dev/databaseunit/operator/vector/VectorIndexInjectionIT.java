package dev.databaseunit.operator.vector;

import dev.databaseunit.operator.common.DesiredObjects;
import static org.assertj.core.api.Assertions.assertThat;

import dev.databaseunit.operator.api.v1alpha1.DatabaseUnit;
import dev.databaseunit.operator.api.v1alpha1.DatabaseUnitSpec;
import dev.databaseunit.operator.api.v1alpha1.DatabaseUnitStatus;
import dev.databaseunit.operator.api.v1alpha1.VectorIndexSpec;
import dev.databaseunit.operator.databaseunit.UnitContext;
import dev.databaseunit.operator.common.UnitProblem;
import dev.databaseunit.operator.events.EventRecorder;
import dev.databaseunit.operator.testing.KubeCluster;
import dev.databaseunit.operator.testing.TestClock;
import dev.databaseunit.operator.testing.TestDatabase;
import dev.databaseunit.operator.testing.WithLocalServices;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Names crafted to break out of an identifier, given straight to the capability (the CRD pattern already refuses
 * them at the API server; this is the second line of defence): each is a VectorInvalidIdentifier, and the database
 * shows that no statement built from them ran.
 */
@WithLocalServices
class VectorIndexInjectionIT {
  private final TestClock clock = TestClock.startingNow();
  private static final List<String[]> INJECTIONS = List.of(
      // name, table, column
      new String[] {"idx\"; DROP TABLE victim; --", "docs", "embedding"},
      new String[] {"idx", "docs; DROP TABLE victim", "embedding"},
      new String[] {"idx", "public.docs\" USING hnsw (embedding vector_l2_ops); DROP TABLE victim; --", "embedding"},
      new String[] {"idx", "\"public\".\"docs\"", "embedding"},
      new String[] {"idx", "docs", "embedding vector_l2_ops); DROP TABLE victim; --"},
      new String[] {"idx", "docs", "Embedding"},
      new String[] {"idx", "docs", "embedding\u0000"},
      new String[] {"idx'", "docs", "embedding"});

  @Test
  void injectedIdentifiersAreRefusedBeforeAnySqlIsBuilt(TestDatabase db, KubeCluster cluster) throws Exception {
    try (Connection c = db.connect(); Statement s = c.createStatement()) {
      s.execute("CREATE EXTENSION IF NOT EXISTS vector");
      s.execute("CREATE TABLE docs (id int PRIMARY KEY, embedding vector(3))");
      s.execute("CREATE TABLE victim (id int)");
    }
    var dataSource = db.dataSource();
    try (var client = cluster.newClient();
        var capability = new VectorIndexCapability(new EventRecorder(client, clock), new SimpleMeterRegistry(),
            clock, Duration.ofHours(1))) {
      for (String[] injection : INJECTIONS) {
        var spec = new VectorIndexSpec(injection[0], injection[1], injection[2], 3, VectorIndexSpec.Opclass.COSINE, 16, 64, 40, null, null, null, null, null);
        var unit = new DatabaseUnit();
        unit.setMetadata(new ObjectMetaBuilder().withName("injected").withNamespace("default").build());
        unit.setSpec(new DatabaseUnitSpec(null, null, null, List.of(spec), null, null, null, null, null));
        var context = new UnitContext(unit, "default/injected", Optional.empty(), Optional.of(dataSource), (ns, name) -> Optional.empty(),
            (ns, name) -> Optional.empty(), DesiredObjects.Live.NONE, UnitContext.EndpointSliceLookup.NONE);

        var outcome = capability.reconcile(context, new DatabaseUnitStatus(null, List.of(), null, null, null, null, null, null));

        assertThat(outcome.problem()).as(String.join(" | ", injection)).get()
            .extracting(p -> p.reason().name()).isEqualTo("VectorInvalidIdentifier");
        assertThat(outcome.problem().map(UnitProblem::getMessage).orElseThrow()).contains("is not a plain lower-case SQL identifier")
            .doesNotContain("\u0000");
      }
      capability.unitDeleted("default/injected");
    }
    try (Connection c = db.connect()) {
      assertThat(count(c, "SELECT count(*) FROM pg_class WHERE relname = 'victim'")).isEqualTo(1);
      assertThat(count(c, "SELECT count(*) FROM pg_indexes WHERE schemaname = 'public' AND indexname <> 'docs_pkey'")).isZero();
      // Nothing was set for the database either: the capability stopped before its first statement.
      assertThat(count(c, "SELECT count(*) FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase "
          + "WHERE d.datname = current_database()")).isZero();
    }
  }

  private static long count(Connection c, String sql) throws SQLException {
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }
}
