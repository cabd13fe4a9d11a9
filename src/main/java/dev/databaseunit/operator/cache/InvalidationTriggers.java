package dev.databaseunit.operator.cache;

import dev.databaseunit.operator.api.v1alpha1.DatabaseUnitStatus.InactiveCachePolicy;
import dev.databaseunit.operator.api.v1alpha1.DatabaseUnitStatus.InactiveReason;
import dev.databaseunit.operator.cache.EffectiveCachePolicy.TypePolicy;
import dev.databaseunit.operator.common.UnitProblem;
import dev.databaseunit.operator.events.EventReason;
import dev.databaseunit.operator.postgres.SqlIdentifier;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The database side of event-driven invalidation. A row trigger on each source table appends the changed key
 * (the old key on UPDATE and DELETE, the new one too when an UPDATE changed the key column) to a queue table,
 * and a statement trigger NOTIFYs the listener once per statement; a TRUNCATE queues a flush of the whole type. The queue, not the notification, carries the
 * keys: a notification is lost while the listener is disconnected, a committed queue row is not, and the listener
 * deletes rows only after their keys were unlinked. Installed idempotently with direct DDL (check, then act).
 */
final class InvalidationTriggers {
  static final String SCHEMA = "databaseunit_cache";
  /** NOTIFY channel; the payload is the data type, only a wake-up signal. */
  static final String CHANNEL = "databaseunit_cache_invalidation";
  private static final String PREFIX = "du_cache_";
  private static final String NOTIFY_FUNCTION = SCHEMA + ".notify_invalidation";
  private static final String FLUSH_FUNCTION = SCHEMA + ".queue_flush";

  private static final String INSTALL = """
      CREATE SCHEMA IF NOT EXISTS databaseunit_cache;
      CREATE TABLE IF NOT EXISTS databaseunit_cache.pending_invalidations (
        id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        data_type  text NOT NULL,
        key        text NOT NULL,
        changed_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        flush      boolean NOT NULL DEFAULT false
      );
      CREATE OR REPLACE FUNCTION databaseunit_cache.notify_invalidation() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('databaseunit_cache_invalidation', TG_ARGV[0]);
        RETURN NULL;
      END
      $$;
      -- TRUNCATE changes every row without row triggers: the whole type is flushed.
      CREATE OR REPLACE FUNCTION databaseunit_cache.queue_flush() RETURNS trigger
      LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
      BEGIN
        INSERT INTO databaseunit_cache.pending_invalidations (data_type, key, flush) VALUES (TG_ARGV[0], '', true);
        PERFORM pg_notify('databaseunit_cache_invalidation', TG_ARGV[0]);
        RETURN NULL;
      END
      $$;
      """;

  private InvalidationTriggers() {}

  /**
   * Ensures the queue and, per event-driven type, its row function and the row and statement triggers; drops
   * the triggers and functions of ours that no policy asks for any more.
   */
  static void ensure(Connection connection, List<TypePolicy> eventDriven) throws SQLException, UnitProblem {
    Map<Installed, String> present = installed(connection);
    List<Installed> wanted = new ArrayList<>();
    for (TypePolicy type : eventDriven) {
      long table = tableOid(connection, type);
      wanted.add(new Installed(table, name(type.dataType()), SCHEMA + "." + name(type.dataType())));
      wanted.add(new Installed(table, name(type.dataType()) + "_n", NOTIFY_FUNCTION));
      wanted.add(new Installed(table, name(type.dataType()) + "_t", FLUSH_FUNCTION));
    }
    dropAllBut(connection, present, wanted);
    dropFunctionsBut(connection, eventDriven.stream().map(t -> name(t.dataType())).toList());
    if (eventDriven.isEmpty()) {
      return;
    }
    if (!exists(connection, "SELECT to_regprocedure('databaseunit_cache.queue_flush()') IS NOT NULL")) {
      inTransaction(connection, () -> execute(connection, INSTALL));
    }
    for (TypePolicy type : eventDriven) {
      String function = SCHEMA + "." + SqlIdentifier.quote(name(type.dataType()));
      String body = rowFunctionBody(type);
      if (!body.equals(functionSource(connection, name(type.dataType())))) {
        inTransaction(connection, () -> execute(connection, "CREATE OR REPLACE FUNCTION " + function + "() RETURNS trigger "
            // SECURITY DEFINER: the application's role needs no rights on the queue to write its own tables.
            + "LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$" + body + "$fn$"));
      }
      String table = SqlIdentifier.quoteQualified(type.sourceTable());
      String rowTrigger = SqlIdentifier.quote(name(type.dataType()));
      if (!containsTrigger(present, wanted, name(type.dataType()))) {
        inTransaction(connection, () -> {
          execute(connection, "DROP TRIGGER IF EXISTS " + rowTrigger + " ON " + table);
          execute(connection, "CREATE TRIGGER " + rowTrigger + " AFTER UPDATE OR DELETE ON " + table
              + " FOR EACH ROW EXECUTE FUNCTION " + function + "()");
        });
      }
      createStatementTrigger(connection, present, wanted, table, name(type.dataType()) + "_n", "UPDATE OR DELETE",
          NOTIFY_FUNCTION + "(" + literal(type.dataType()) + ")");
      createStatementTrigger(connection, present, wanted, table, name(type.dataType()) + "_t", "TRUNCATE",
          FLUSH_FUNCTION + "(" + literal(type.dataType()) + ")");
    }
  }

  private static void createStatementTrigger(Connection connection, Map<Installed, String> present, List<Installed> wanted,
      String table, String name, String events, String call) throws SQLException {
    if (!containsTrigger(present, wanted, name)) {
      inTransaction(connection, () -> {
        execute(connection, "DROP TRIGGER IF EXISTS " + SqlIdentifier.quote(name) + " ON " + table);
        execute(connection, "CREATE TRIGGER " + SqlIdentifier.quote(name) + " AFTER " + events + " ON " + table
            + " FOR EACH STATEMENT EXECUTE FUNCTION " + call);
      });
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

  /**
   * The row function of a type: the key column is read as a column (not through to_jsonb of the whole row,
   * which would render a 1536-dimension vector on every change); a NULL key queues nothing.
   */
  static String rowFunctionBody(TypePolicy type) {
    String column = SqlIdentifier.quote(type.keyColumn());
    String dataType = literal(type.dataType());
    return """

        BEGIN
          IF OLD.%1$s IS NOT NULL THEN
            INSERT INTO databaseunit_cache.pending_invalidations (data_type, key) VALUES (%2$s, OLD.%1$s::text);
          END IF;
          IF TG_OP = 'UPDATE' AND NEW.%1$s IS DISTINCT FROM OLD.%1$s AND NEW.%1$s IS NOT NULL THEN
            INSERT INTO databaseunit_cache.pending_invalidations (data_type, key) VALUES (%2$s, NEW.%1$s::text);
          END IF;
          RETURN NULL;
        END
        """.formatted(column, dataType);
  }

  /** A trigger of ours: its table's oid, its name and its function. */
  private record Installed(long table, String name, String function) {}

  private static boolean containsTrigger(Map<Installed, String> present, List<Installed> wanted, String name) {
    return wanted.stream().filter(w -> w.name().equals(name)).allMatch(present::containsKey);
  }

  /** Our triggers (those calling a function in our schema), each with its table as SQL (regclass output). */
  private static Map<Installed, String> installed(Connection connection) throws SQLException {
    Map<Installed, String> found = new HashMap<>();
    try (var s = connection.prepareStatement("""
        SELECT t.tgrelid::bigint, t.tgname, n.nspname || '.' || p.proname, t.tgrelid::regclass::text
        FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname = 'databaseunit_cache' AND NOT t.tgisinternal""");
        var rs = s.executeQuery()) {
      while (rs.next()) {
        found.put(new Installed(rs.getLong(1), rs.getString(2), rs.getString(3)), rs.getString(4));
      }
    }
    return found;
  }

  private static void dropAllBut(Connection connection, Map<Installed, String> present, List<Installed> wanted) throws SQLException {
    for (var trigger : present.entrySet()) {
      if (!wanted.contains(trigger.getKey())) {
        inTransaction(connection, () -> execute(connection, "DROP TRIGGER IF EXISTS " + SqlIdentifier.quote(trigger.getKey().name())
            + " ON " + trigger.getValue()));
      }
    }
  }

  private static void dropFunctionsBut(Connection connection, List<String> wanted) throws SQLException {
    List<String> stale = new ArrayList<>();
    try (var s = connection.prepareStatement("""
        SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname = 'databaseunit_cache' AND p.proname LIKE 'du\\_cache\\_%'""");
        var rs = s.executeQuery()) {
      while (rs.next()) {
        if (!wanted.contains(rs.getString(1))) {
          stale.add(rs.getString(1));
        }
      }
    }
    for (String function : stale) {
      inTransaction(connection, () -> execute(connection, "DROP FUNCTION IF EXISTS " + SCHEMA + "." + SqlIdentifier.quote(function) + "()"));
    }
  }

  private static long tableOid(Connection connection, TypePolicy type) throws SQLException, UnitProblem {
    Optional<Source> source = source(connection, type);
    Optional<InactiveCachePolicy> missing = missing(type, source);
    if (missing.isPresent()) {
      throw new UnitProblem(EventReason.CacheSourceMissing, "Cache type " + type.dataType() + ": " + missing.get().message());
    }
    return source.orElseThrow().oid();
  }

  /** What an event-driven type's triggers would need and the database lacks: its source table or the key column. */
  static Optional<InactiveCachePolicy> missingSource(Connection connection, TypePolicy type) throws SQLException {
    return missing(type, source(connection, type));
  }

  private static Optional<InactiveCachePolicy> missing(TypePolicy type, Optional<Source> source) {
    if (source.isEmpty()) {
      return Optional.of(new InactiveCachePolicy(type.dataType(), InactiveReason.SourceTableMissing,
          "source table " + SqlIdentifier.describe(type.sourceTable()) + " does not exist"));
    }
    if (!source.get().hasKeyColumn()) {
      return Optional.of(new InactiveCachePolicy(type.dataType(), InactiveReason.KeyColumnMissing,
          "table " + SqlIdentifier.describe(type.sourceTable()) + " has no column " + SqlIdentifier.describe(type.keyColumn())));
    }
    return Optional.empty();
  }

  /** A source table as the catalog has it: its oid and whether the key column is one of its live columns. */
  private record Source(long oid, boolean hasKeyColumn) {}

  private static Optional<Source> source(Connection connection, TypePolicy type) throws SQLException {
    try (var s = connection.prepareStatement("""
        SELECT c.oid::bigint, a.attname IS NOT NULL FROM pg_class c
        LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = ? AND a.attnum > 0 AND NOT a.attisdropped
        WHERE c.oid = to_regclass(?)""")) {
      s.setString(1, type.keyColumn());
      s.setString(2, SqlIdentifier.quoteQualified(type.sourceTable()));
      try (var rs = s.executeQuery()) {
        return rs.next() ? Optional.of(new Source(rs.getLong(1), rs.getBoolean(2))) : Optional.empty();
      }
    }
  }

  private static String functionSource(Connection connection, String name) throws SQLException {
    try (var s = connection.prepareStatement("""
        SELECT p.prosrc FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname = 'databaseunit_cache' AND p.proname = ?""")) {
      s.setString(1, name);
      try (var rs = s.executeQuery()) {
        return rs.next() ? rs.getString(1) : null;
      }
    }
  }

  private static boolean exists(Connection connection, String query) throws SQLException {
    try (var s = connection.createStatement(); var rs = s.executeQuery(query)) {
      rs.next();
      return rs.getBoolean(1);
    }
  }

  /**
   * Trigger and function name of a type (the statement triggers add "_n" and "_t"); names are per table, so two types
   * on one table get their own. Long types are cut and keep a hash, to stay unique within 63 bytes.
   */
  static String name(String dataType) {
    String name = PREFIX + dataType;
    if (name.length() <= 61) {
      return name;
    }
    return name.substring(0, 52) + "_" + String.format("%08x", dataType.hashCode());
  }

  /** dataType matches ^[a-z_][a-z0-9_]*$ (CRD pattern, checked again here), so quoting it as a literal is safe. */
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
