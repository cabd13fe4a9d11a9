package dev.databaseunit.operator.cache;

import dev.databaseunit.operator.cache.EffectiveCachePolicy.TypePolicy;
import dev.databaseunit.operator.databaseunit.UnitProblem;
import dev.databaseunit.operator.events.EventReason;
import dev.databaseunit.operator.postgres.SqlIdentifier;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The database side of event-driven invalidation. A row trigger on each source table appends the changed key
 * (the old key on UPDATE and DELETE, the new one too when an UPDATE changed the key column) to a queue table and
 * NOTIFYs the listener. The queue, not the notification, carries the keys: a notification is lost while the
 * listener is disconnected, a committed queue row is not, and the listener deletes rows only after their keys
 * were unlinked. Installed idempotently with direct DDL (check, then act).
 */
final class InvalidationTriggers {
  static final String SCHEMA = "databaseunit_cache";
  static final String QUEUE = SCHEMA + ".pending_invalidations";
  static final String FUNCTION = SCHEMA + ".enqueue_invalidation";
  /** NOTIFY channel; the payload is the data type, only a wake-up signal. */
  static final String CHANNEL = "databaseunit_cache_invalidation";
  private static final String TRIGGER_PREFIX = "du_cache_";

  /** Bumped when the function below changes, so an older operator's function is replaced. */
  private static final String FUNCTION_VERSION = "databaseunit-cache-invalidation v1";

  private static final String INSTALL = """
      CREATE SCHEMA IF NOT EXISTS databaseunit_cache;
      CREATE TABLE IF NOT EXISTS databaseunit_cache.pending_invalidations (
        id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        data_type  text NOT NULL,
        key        text NOT NULL,
        changed_at timestamptz NOT NULL DEFAULT clock_timestamp()
      );
      -- SECURITY DEFINER: the application's role needs no rights on the queue to write its own tables.
      CREATE OR REPLACE FUNCTION databaseunit_cache.enqueue_invalidation() RETURNS trigger
      LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
      DECLARE
        old_key text := to_jsonb(OLD) ->> TG_ARGV[1];
        new_key text;
      BEGIN
        IF TG_OP = 'UPDATE' THEN
          new_key := to_jsonb(NEW) ->> TG_ARGV[1];
        END IF;
        IF old_key IS NOT NULL THEN
          INSERT INTO databaseunit_cache.pending_invalidations (data_type, key) VALUES (TG_ARGV[0], old_key);
        END IF;
        IF new_key IS DISTINCT FROM old_key AND new_key IS NOT NULL THEN
          INSERT INTO databaseunit_cache.pending_invalidations (data_type, key) VALUES (TG_ARGV[0], new_key);
        END IF;
        PERFORM pg_notify('databaseunit_cache_invalidation', TG_ARGV[0]);
        RETURN NULL;
      END
      $$;
      """;

  private InvalidationTriggers() {}

  /**
   * Ensures the queue, the function and one trigger per event-driven type, and drops triggers of ours that
   * no policy asks for any more.
   */
  static void ensure(Connection connection, List<TypePolicy> eventDriven) throws SQLException, UnitProblem {
    if (!eventDriven.isEmpty() && !installedVersion(connection).equals(FUNCTION_VERSION)) {
      inTransaction(connection, () -> {
        try (var s = connection.createStatement()) {
          s.execute(INSTALL);
          s.execute("COMMENT ON FUNCTION " + FUNCTION + "() IS '" + FUNCTION_VERSION + "'");
        }
      });
    }
    List<Installed> wanted = new ArrayList<>();
    for (TypePolicy type : eventDriven) {
      wanted.add(new Installed(tableOid(connection, type), triggerName(type.dataType()), List.of(type.dataType(), type.keyColumn())));
    }
    Map<Installed, String> present = installed(connection);
    dropAllBut(connection, present, wanted);
    for (int i = 0; i < wanted.size(); i++) {
      Installed trigger = wanted.get(i);
      TypePolicy type = eventDriven.get(i);
      if (!present.containsKey(trigger)) {
        String table = SqlIdentifier.quoteQualified(type.sourceTable());
        inTransaction(connection, () -> {
          execute(connection, "DROP TRIGGER IF EXISTS " + SqlIdentifier.quote(trigger.name()) + " ON " + table);
          execute(connection, "CREATE TRIGGER " + SqlIdentifier.quote(trigger.name()) + " AFTER UPDATE OR DELETE ON " + table
              + " FOR EACH ROW EXECUTE FUNCTION " + FUNCTION + "(" + literal(type.dataType()) + ", " + literal(type.keyColumn()) + ")");
        });
      }
    }
  }

  /**
   * Removes everything {@link #ensure} installed: a trigger without its listener would fill the queue forever.
   * Keys still queued are dropped with it (the unit no longer manages a cache).
   */
  static void uninstall(Connection connection) throws SQLException {
    dropAllBut(connection, installed(connection), List.of());
    inTransaction(connection, () -> execute(connection, "DROP SCHEMA IF EXISTS " + SCHEMA + " CASCADE"));
  }

  private static void dropAllBut(Connection connection, Map<Installed, String> present, List<Installed> wanted) throws SQLException {
    for (var trigger : present.entrySet()) {
      if (!wanted.contains(trigger.getKey())) {
        inTransaction(connection, () -> execute(connection, "DROP TRIGGER IF EXISTS " + SqlIdentifier.quote(trigger.getKey().name())
            + " ON " + trigger.getValue()));
      }
    }
  }

  /** A trigger of ours: the table's oid, its name and its arguments (data type, key column). */
  private record Installed(long table, String name, List<String> args) {}

  /** Our triggers, each with its table as SQL (regclass output, quoted where needed). */
  private static Map<Installed, String> installed(Connection connection) throws SQLException {
    Map<Installed, String> found = new HashMap<>();
    try (var s = connection.prepareStatement("""
        SELECT t.tgrelid::bigint, t.tgname, t.tgargs, t.tgrelid::regclass::text FROM pg_trigger t
        WHERE t.tgfoid = to_regprocedure('databaseunit_cache.enqueue_invalidation()') AND NOT t.tgisinternal""");
        var rs = s.executeQuery()) {
      while (rs.next()) {
        found.put(new Installed(rs.getLong(1), rs.getString(2), arguments(rs.getBytes(3))), rs.getString(4));
      }
    }
    return found;
  }

  /** tgargs is the arguments as NUL-terminated strings. */
  private static List<String> arguments(byte[] tgargs) {
    String all = new String(tgargs, StandardCharsets.UTF_8);
    return all.isEmpty() ? List.of() : List.of(all.substring(0, all.length() - 1).split("\0", -1));
  }

  private static long tableOid(Connection connection, TypePolicy type) throws SQLException, UnitProblem {
    try (var s = connection.prepareStatement("""
        SELECT c.oid::bigint, a.attname IS NOT NULL FROM pg_class c
        LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = ? AND a.attnum > 0 AND NOT a.attisdropped
        WHERE c.oid = to_regclass(?)""")) {
      s.setString(1, type.keyColumn());
      s.setString(2, SqlIdentifier.quoteQualified(type.sourceTable()));
      try (var rs = s.executeQuery()) {
        if (!rs.next()) {
          throw new UnitProblem(EventReason.CacheSourceMissing, "Cache type " + type.dataType() + ": source table "
              + SqlIdentifier.describe(type.sourceTable()) + " does not exist");
        }
        if (!rs.getBoolean(2)) {
          throw new UnitProblem(EventReason.CacheSourceMissing, "Cache type " + type.dataType() + ": table "
              + SqlIdentifier.describe(type.sourceTable()) + " has no column " + SqlIdentifier.describe(type.keyColumn()));
        }
        return rs.getLong(1);
      }
    }
  }

  private static String installedVersion(Connection connection) throws SQLException {
    try (var s = connection.createStatement(); var rs = s.executeQuery(
        "SELECT obj_description(to_regprocedure('databaseunit_cache.enqueue_invalidation()'), 'pg_proc')")) {
      rs.next();
      return Objects.requireNonNullElse(rs.getString(1), "");
    }
  }

  /** Trigger names are per table; two types on one table get two triggers. Long types keep a hash to stay unique. */
  static String triggerName(String dataType) {
    String name = TRIGGER_PREFIX + dataType;
    if (name.length() <= 63) {
      return name;
    }
    return name.substring(0, 54) + "_" + String.format("%08x", dataType.hashCode());
  }

  /** dataType and keyColumn match ^[a-z_][a-z0-9_]*$ (CRD pattern), so quoting them as literals is safe. */
  private static String literal(String value) {
    if (!SqlIdentifier.isValid(value)) {
      throw new IllegalArgumentException("Not an identifier: " + SqlIdentifier.describe(value));
    }
    return "'" + value + "'";
  }

  private static void execute(Connection connection, String sql) throws SQLException {
    try (var s = connection.createStatement()) {
      s.execute(sql);
    }
  }

  @FunctionalInterface
  private interface Work {
    void run() throws SQLException;
  }

  private static void inTransaction(Connection connection, Work work) throws SQLException {
    boolean autoCommit = connection.getAutoCommit();
    connection.setAutoCommit(false);
    try {
      work.run();
      connection.commit();
    } catch (SQLException | RuntimeException e) {
      connection.rollback();
      throw e;
    } finally {
      connection.setAutoCommit(autoCommit);
    }
  }
}
