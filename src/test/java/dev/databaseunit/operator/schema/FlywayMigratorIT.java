package dev.databaseunit.operator.schema;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.databaseunit.operator.testing.TestDatabase;
import dev.databaseunit.operator.testing.WithLocalServices;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Flyway from in-memory ConfigMap scripts against the real PostgreSQL: apply, fail, fix, re-run, concurrency. */
@WithLocalServices
class FlywayMigratorIT {
  private static final String V1 = "CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL);";
  private static final String V2 = "CREATE TABLE recipes (id bigint PRIMARY KEY, user_id bigint REFERENCES users (id));";
  private final FlywayMigrator migrator = new FlywayMigrator();

  @Test
  void appliesInVersionOrderAndARerunAppliesNothing(TestDatabase db) throws Exception {
    var ds = db.dataSource();
    var first = migrator.migrate(ds, "app", scripts(Map.of("V2__recipes.sql", V2, "V1__users.sql", V1)), SchemaMigrator.Transactions.EACH);
    assertThat(first).isEqualTo(new SchemaMigrator.SchemaState("2", 0, List.of("V1__users.sql", "V2__recipes.sql")));
    assertThat(tables(db, "app")).contains("users", "recipes", "flyway_schema_history");

    var again = migrator.migrate(ds, "app", scripts(Map.of("V2__recipes.sql", V2, "V1__users.sql", V1)), SchemaMigrator.Transactions.EACH);
    assertThat(again).isEqualTo(new SchemaMigrator.SchemaState("2", 0, List.of()));
    assertThat(historyRows(db, "app")).containsExactly("1:true", "2:true");
  }

  @Test
  void aFailingMigrationLeavesTheLastGoodVersionAndRunsAgainOnceFixed(TestDatabase db) throws Exception {
    var ds = db.dataSource();
    migrator.migrate(ds, "public", scripts(Map.of("V1__users.sql", V1)), SchemaMigrator.Transactions.EACH);
    String broken = "ALTER TABLE users ADD COLUMN name text;\nINSERT INTO no_such_table VALUES (1);";

    assertThatThrownBy(() -> migrator.migrate(ds, "public", scripts(Map.of("V1__users.sql", V1, "V2__broken.sql", broken)), SchemaMigrator.Transactions.EACH))
        .isInstanceOfSatisfying(SchemaMigrator.MigrationFailure.class, f -> {
          assertThat(f.kind()).isEqualTo(SchemaMigrator.MigrationFailure.Kind.FAILED);
          assertThat(f.getMessage()).startsWith("Migration V2__broken.sql failed at line 2: ERROR: relation \"no_such_table\" does not exist")
              .endsWith("(SQL state 42P01)");
          assertThat(f.state()).isEqualTo(new SchemaMigrator.SchemaState("1", 1, List.of()));
        });
    // Transactional DDL: the first statement of V2 was rolled back with the second, and no failed row is left.
    assertThat(columns(db, "users")).containsExactly("id", "email");
    assertThat(historyRows(db, "public")).containsExactly("1:true");

    String fixed = "ALTER TABLE users ADD COLUMN name text;";
    var state = migrator.migrate(ds, "public", scripts(Map.of("V1__users.sql", V1, "V2__broken.sql", fixed)), SchemaMigrator.Transactions.EACH);
    assertThat(state).isEqualTo(new SchemaMigrator.SchemaState("2", 0, List.of("V2__broken.sql")));
    assertThat(columns(db, "users")).containsExactly("id", "email", "name");
  }

  @Test
  void anEditedAppliedMigrationIsReportedAndNotReapplied(TestDatabase db) throws Exception {
    var ds = db.dataSource();
    migrator.migrate(ds, "public", scripts(Map.of("V1__users.sql", V1)), SchemaMigrator.Transactions.EACH);
    assertThatThrownBy(() -> migrator.migrate(ds, "public", scripts(Map.of("V1__users.sql", V1 + "\n-- edited")), SchemaMigrator.Transactions.EACH))
        .isInstanceOfSatisfying(SchemaMigrator.MigrationFailure.class, f -> {
          assertThat(f.kind()).isEqualTo(SchemaMigrator.MigrationFailure.Kind.INVALID);
          assertThat(f.getMessage()).containsIgnoringCase("checksum");
          assertThat(f.state().version()).isEqualTo("1");
        });
    assertThat(historyRows(db, "public")).containsExactly("1:true");
  }

  /**
   * Two "replicas" migrate the same database at the same moment, each through its own connections. Flyway's
   * advisory lock serialises them: every migration runs exactly once, neither fails, and while the first
   * holds the lock the second waits (seen as a waiting advisory lock in pg_locks).
   */
  @Test
  void twoConcurrentMigrationsApplyEachScriptExactlyOnce(TestDatabase db) throws Exception {
    // The log of runs lives outside the migrated schema (Flyway refuses a non-empty schema without history).
    try (var c = db.connect(); var s = c.createStatement()) {
      s.execute("CREATE SCHEMA audit; CREATE TABLE audit.runs (script text NOT NULL)");
    }
    SortedMap<String, MigrationScripts.Script> slow = scripts(Map.of(
        "V1__first.sql", "INSERT INTO audit.runs VALUES ('V1'); SELECT pg_sleep(2);",
        "V2__second.sql", "INSERT INTO audit.runs VALUES ('V2'); SELECT pg_sleep(1);"));
    var start = new CountDownLatch(1);
    List<CompletableFuture<SchemaMigrator.SchemaState>> replicas = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      var ds = db.dataSource();
      replicas.add(CompletableFuture.supplyAsync(() -> {
        try {
          start.await();
          return migrator.migrate(ds, "public", slow, SchemaMigrator.Transactions.EACH);
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      }));
    }
    start.countDown();
    boolean sawWaiter = false;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (!replicas.stream().allMatch(CompletableFuture::isDone) && System.nanoTime() < deadline) {
      sawWaiter |= waitingAdvisoryLocks(db) > 0 || heldAdvisoryLocks(db) > 0;
      Thread.sleep(50);
    }
    var states = replicas.stream().map(CompletableFuture::join).toList();
    assertThat(states).allSatisfy(s -> assertThat(s.version()).isEqualTo("2"));
    assertThat(states.stream().mapToInt(s -> s.appliedNow().size()).sum()).isEqualTo(2);
    assertThat(sawWaiter).as("an advisory lock was held during the migration").isTrue();
    try (var c = db.connect(); var s = c.createStatement(); var rs = s.executeQuery("SELECT script FROM audit.runs ORDER BY script")) {
      List<String> runs = new ArrayList<>();
      while (rs.next()) {
        runs.add(rs.getString(1));
      }
      assertThat(runs).containsExactly("V1", "V2");
    }
    assertThat(historyRows(db, "public")).containsExactly("1:true", "2:true");
  }

  /**
   * CREATE INDEX CONCURRENTLY cannot run inside a transaction: the script's companion
   * {@code V2__index.sql.conf} (a key of the same ConfigMap) says {@code executeInTransaction=false}. Such a
   * script cannot be rolled back and Flyway records its failure; the record stays while the script is
   * unchanged and is cleared once it changes, so the fixed script runs.
   */
  @Test
  void aNonTransactionalScriptRunsAndAFixedOneReplacesItsFailedRecord(TestDatabase db) throws Exception {
    var ds = db.dataSource();
    String conf = "executeInTransaction=false";
    String wrongColumn = "CREATE INDEX CONCURRENTLY users_name_idx ON users (name);";
    var broken = scripts(Map.of("V1__users.sql", V1, "V2__index.sql", wrongColumn, "V2__index.sql.conf", conf));
    assertThatThrownBy(() -> migrator.migrate(ds, "public", broken, SchemaMigrator.Transactions.EACH))
        .isInstanceOfSatisfying(SchemaMigrator.MigrationFailure.class, f -> {
          assertThat(f.getMessage()).contains("V2__index.sql").contains("column \"name\" does not exist");
          assertThat(f.state().version()).isEqualTo("1");
        });
    assertThat(historyRows(db, "public")).containsExactly("1:true", "2:false");

    // The same broken script again: reported by validation, not run again, the record kept.
    assertThatThrownBy(() -> migrator.migrate(ds, "public", broken, SchemaMigrator.Transactions.EACH))
        .isInstanceOfSatisfying(SchemaMigrator.MigrationFailure.class, f -> {
          assertThat(f.kind()).isEqualTo(SchemaMigrator.MigrationFailure.Kind.INVALID);
          assertThat(f.getMessage()).contains("failed migration to version 2");
          assertThat(f.state().version()).isEqualTo("1");
        });
    assertThat(historyRows(db, "public")).containsExactly("1:true", "2:false");

    String fixed = "CREATE INDEX CONCURRENTLY users_email_idx ON users (email);";
    var state = migrator.migrate(ds, "public", scripts(Map.of("V1__users.sql", V1, "V2__index.sql", fixed, "V2__index.sql.conf", conf)), SchemaMigrator.Transactions.EACH);
    assertThat(state).isEqualTo(new SchemaMigrator.SchemaState("2", 0, List.of("V2__index.sql")));
    assertThat(historyRows(db, "public")).containsExactly("1:true", "2:true");
    try (var c = db.connect(); var s = c.createStatement(); var rs = s.executeQuery(
        "SELECT indisvalid FROM pg_index WHERE indexrelid = 'users_email_idx'::regclass")) {
      assertThat(rs.next()).isTrue();
      assertThat(rs.getBoolean(1)).isTrue();
    }
  }

  @Test
  void allPendingInOneTransactionKeepNoneWhenOneFails(TestDatabase db) throws Exception {
    var ds = db.dataSource();
    migrator.migrate(ds, "public", scripts(Map.of("V1__users.sql", V1)), SchemaMigrator.Transactions.EACH);
    var pending = scripts(Map.of("V1__users.sql", V1, "V2__recipes.sql", V2, "V3__broken.sql", "INSERT INTO no_such_table VALUES (1);"));

    assertThatThrownBy(() -> migrator.migrate(ds, "public", pending, SchemaMigrator.Transactions.ALL_PENDING))
        .isInstanceOfSatisfying(SchemaMigrator.MigrationFailure.class, f -> {
          assertThat(f.kind()).isEqualTo(SchemaMigrator.MigrationFailure.Kind.FAILED);
          assertThat(f.getMessage()).contains("V3__broken.sql").contains("no_such_table");
          assertThat(f.state()).isEqualTo(new SchemaMigrator.SchemaState("1", 2, List.of()));
        });
    // V2 was fine on its own but shared V3's transaction: it is gone too.
    assertThat(tables(db, "public")).doesNotContain("recipes");
    assertThat(historyRows(db, "public")).containsExactly("1:true");

    // The same failure one migration per transaction keeps V2.
    assertThatThrownBy(() -> migrator.migrate(ds, "public", pending, SchemaMigrator.Transactions.EACH))
        .isInstanceOf(SchemaMigrator.MigrationFailure.class);
    assertThat(historyRows(db, "public")).containsExactly("1:true", "2:true");
  }

  @Test
  void aSchemaWithTablesButNoHistoryIsBaselinedAtZeroAndEveryMigrationRuns(TestDatabase db) throws Exception {
    try (var c = db.connect(); var s = c.createStatement()) {
      s.execute("CREATE TABLE legacy (id int)");
    }
    var state = migrator.migrate(db.dataSource(), "public", scripts(Map.of("V1__users.sql", V1)), SchemaMigrator.Transactions.ALL_PENDING);
    assertThat(state).isEqualTo(new SchemaMigrator.SchemaState("1", 0, List.of("V1__users.sql")));
    assertThat(historyRows(db, "public")).containsExactly("0:true", "1:true");
  }

  @Test
  void inspectReportsPendingWithoutApplyingAndStillCatchesAnEditedScript(TestDatabase db) throws Exception {
    var ds = db.dataSource();
    assertThat(migrator.inspect(ds, "app", scripts(Map.of("V1__users.sql", V1))))
        .isEqualTo(new SchemaMigrator.SchemaState(null, 1, List.of()));
    assertThat(tables(db, "app")).isEmpty();

    migrator.migrate(ds, "app", scripts(Map.of("V1__users.sql", V1)), SchemaMigrator.Transactions.EACH);
    assertThat(migrator.inspect(ds, "app", scripts(Map.of("V1__users.sql", V1, "V2__recipes.sql", V2))))
        .isEqualTo(new SchemaMigrator.SchemaState("1", 1, List.of()));
    assertThat(tables(db, "app")).doesNotContain("recipes");
    assertThatThrownBy(() -> migrator.inspect(ds, "app", scripts(Map.of("V1__users.sql", V1 + "\n-- edited", "V2__recipes.sql", V2))))
        .isInstanceOfSatisfying(SchemaMigrator.MigrationFailure.class,
            f -> assertThat(f.kind()).isEqualTo(SchemaMigrator.MigrationFailure.Kind.INVALID));
    assertThat(historyRows(db, "app")).containsExactly("1:true");
  }

  private static SortedMap<String, MigrationScripts.Script> scripts(Map<String, String> files) {
    var result = MigrationScripts.collect(Map.of("schema", files));
    assertThat(result.problem()).isEmpty();
    return result.scripts();
  }

  private static List<String> tables(TestDatabase db, String schema) throws SQLException {
    return db.queryColumn("SELECT table_name FROM information_schema.tables WHERE table_schema = '" + schema + "' ORDER BY 1");
  }

  private static List<String> columns(TestDatabase db, String table) throws SQLException {
    return db.queryColumn("SELECT column_name FROM information_schema.columns WHERE table_name = '" + table + "' ORDER BY ordinal_position");
  }

  private static List<String> historyRows(TestDatabase db, String schema) throws SQLException {
    return db.queryColumn("SELECT version || ':' || success FROM " + schema + ".flyway_schema_history WHERE version IS NOT NULL ORDER BY installed_rank");
  }

  private static int waitingAdvisoryLocks(TestDatabase db) throws SQLException {
    return Integer.parseInt(db.queryColumn("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted").getFirst());
  }

  private static int heldAdvisoryLocks(TestDatabase db) throws SQLException {
    return Integer.parseInt(db.queryColumn("SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid) "
        + "WHERE l.locktype = 'advisory' AND l.granted AND a.datname = current_database()").getFirst());
  }
}
