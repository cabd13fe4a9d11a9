package dev.databaseunit.operator.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import dev.databaseunit.operator.api.v1alpha1.PostgresTls;
import dev.databaseunit.operator.testing.TestDatabase;
import dev.databaseunit.operator.testing.WithLocalServices;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Pool sharing between units with the same target, against the real PostgreSQL. */
@WithLocalServices
class UnitDataSourcesIT {

  @Test
  void unitsWithTheSameTargetShareOnePoolThatClosesWithTheLastUnit(TestDatabase db, @TempDir Path dir) throws Exception {
    try (var pools = new UnitDataSources(new CaCertificates(dir), dev.databaseunit.operator.common.EgressPolicy.DEFAULT)) {
      var target = target(db, db.name());
      var a = pools.dataSource("ns/a", target);
      var b = pools.dataSource("ns/b", target);
      assertThat(a).isSameAs(b);
      try (var c = a.getConnection(); var rs = c.createStatement().executeQuery("SELECT current_database()")) {
        rs.next();
        assertThat(rs.getString(1)).isEqualTo(db.name());
      }

      pools.close("ns/a");
      assertThat(((HikariDataSource) a).isClosed()).isFalse();
      pools.close("ns/b");
      assertThat(((HikariDataSource) a).isClosed()).isTrue();
    }
  }

  @Test
  void aUnitWhoseTargetChangesMovesToAnotherPool(TestDatabase db, @TempDir Path dir) throws Exception {
    try (var pools = new UnitDataSources(new CaCertificates(dir), dev.databaseunit.operator.common.EgressPolicy.DEFAULT)) {
      var first = pools.dataSource("ns/a", target(db, db.name()));
      var second = pools.dataSource("ns/a", target(db, "postgres"));
      assertThat(second).isNotSameAs(first);
      assertThat(((HikariDataSource) first).isClosed()).isTrue();
    }
  }

  private static PostgresTarget target(TestDatabase db, String database) {
    return new PostgresTarget(db.host(), db.port(), database, db.user(), db.password(), PostgresTls.Mode.DISABLE, null);
  }
}
