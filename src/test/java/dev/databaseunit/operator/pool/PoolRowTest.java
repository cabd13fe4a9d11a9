package dev.databaseunit.operator.pool;

import static org.assertj.core.api.Assertions.assertThat;

import dev.databaseunit.operator.pool.PgBouncerAdmin.PoolRow;
import java.util.List;
import org.junit.jupiter.api.Test;

class PoolRowTest {

  @Test
  void sumsTheDatabasesPoolsOverItsUsersOnly() {
    var rows = List.of(
        new PoolRow("shop", "app", 3, 1, 2, 4, 1, 0.5, "transaction"),
        new PoolRow("other", "app", 100, 100, 100, 100, 100, 9.0, "session"),
        new PoolRow("shop", "reports", 2, 5, 1, 0, 2, 1.5, "session"));
    assertThat(PoolRow.sum("shop", rows)).isEqualTo(new PoolRow("shop", null, 5, 6, 3, 4, 3, 1.5, "transaction"));
    assertThat(PoolRow.sum("none", rows)).isEqualTo(new PoolRow("none", null, 0, 0, 0, 0, 0, 0, null));
  }
}
