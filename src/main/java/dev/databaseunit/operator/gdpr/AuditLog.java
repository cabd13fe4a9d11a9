package dev.databaseunit.operator.gdpr;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.databaseunit.operator.postgres.SqlIdentifier;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The append-only audit trail in the unit's own database: one row per stage (requested, started, completed,
 * failed) of every request, with the subject's hash, never its id. A trigger rejects UPDATE, DELETE and
 * TRUNCATE, whoever runs them (REVOKE would not stop the table's owner, the operator's own role); only its owner can
 * drop or disable that, and no other role has any grant on it ({@link ProtectedTable}). The table is not a subject
 * table, so the erasure it records leaves it intact.
 */
public final class AuditLog {
  private static final ObjectMapper JSON = new ObjectMapper();

  public enum Stage { requested, started, completed, failed }

  /** One audit row; counts are rows per table, detail anything else worth keeping (the export object, a dry run). */
  public record Entry(String action, String requestUid, String subjectHash, String actor, String reason, String outcome,
      Map<String, Long> counts, Map<String, Object> detail) {}

  private final String table;

  public AuditLog(String table) {
    this.table = SqlIdentifier.quote(table);
  }

  /** seed names: data_export_requested, data_deletion_completed, ... */
  public static String action(boolean erase, Stage stage) {
    return (erase ? "data_deletion_" : "data_export_") + stage.name();
  }

  public void ensure(Connection connection) throws SQLException {
    String function = SqlIdentifier.quote(table.replace("\"", "") + "_append_only");
    try (var s = connection.createStatement()) {
      s.execute("CREATE TABLE IF NOT EXISTS " + table + " ("
          + "id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, action text NOT NULL, request_uid text NOT NULL, "
          + "subject_hash text NOT NULL, actor text NOT NULL, reason text, outcome text NOT NULL, counts jsonb, detail jsonb, "
          + "occurred_at timestamptz NOT NULL DEFAULT clock_timestamp())");
      ProtectedTable.protect(connection, table);
      s.execute("CREATE INDEX IF NOT EXISTS " + SqlIdentifier.quote(table.replace("\"", "") + "_request_idx")
          + " ON " + table + " (request_uid, action)");
      s.execute("CREATE OR REPLACE FUNCTION " + function + "() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
          + "RAISE EXCEPTION 'the GDPR audit log is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege'; END $$");
      s.execute("CREATE OR REPLACE TRIGGER append_only BEFORE UPDATE OR DELETE ON " + table
          + " FOR EACH ROW EXECUTE FUNCTION " + function + "()");
      s.execute("CREATE OR REPLACE TRIGGER append_only_truncate BEFORE TRUNCATE ON " + table
          + " FOR EACH STATEMENT EXECUTE FUNCTION " + function + "()");
    }
  }

  public void append(Connection connection, Entry entry) throws SQLException {
    insert(connection, entry, "");
  }

  /** Appends unless a row with the same request and action exists (a re-run reconcile writes "requested" once). */
  public void appendOnce(Connection connection, Entry entry) throws SQLException {
    insert(connection, entry, " WHERE NOT EXISTS (SELECT 1 FROM " + table + " WHERE request_uid = ? AND action = ?)");
  }

  private void insert(Connection connection, Entry entry, String condition) throws SQLException {
    try (var ps = connection.prepareStatement("INSERT INTO " + table
        + " (action, request_uid, subject_hash, actor, reason, outcome, counts, detail) SELECT ?, ?, ?, ?, ?, ?, ?::jsonb, ?::jsonb"
        + condition)) {
      ps.setString(1, entry.action());
      ps.setString(2, entry.requestUid());
      ps.setString(3, entry.subjectHash());
      ps.setString(4, entry.actor());
      ps.setString(5, entry.reason());
      ps.setString(6, entry.outcome());
      ps.setString(7, json(entry.counts()));
      ps.setString(8, json(entry.detail()));
      if (!condition.isEmpty()) {
        ps.setString(9, entry.requestUid());
        ps.setString(10, entry.action());
      }
      ps.executeUpdate();
    }
  }

  /** The completed row of a request, if one was committed: what a restarted operator reports instead of re-running. */
  public Optional<Entry> completed(Connection connection, String requestUid, boolean erase) throws SQLException {
    try (var ps = connection.prepareStatement("SELECT action, request_uid, subject_hash, actor, reason, outcome, counts::text, "
        + "detail::text FROM " + table + " WHERE request_uid = ? AND action = ? ORDER BY id LIMIT 1")) {
      ps.setString(1, requestUid);
      ps.setString(2, action(erase, Stage.completed));
      try (var rs = ps.executeQuery()) {
        if (!rs.next()) {
          return Optional.empty();
        }
        return Optional.of(new Entry(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5),
            rs.getString(6), parse(rs.getString(7), new TypeReference<LinkedHashMap<String, Long>>() {}),
            parse(rs.getString(8), new TypeReference<LinkedHashMap<String, Object>>() {})));
      }
    }
  }

  private static String json(Object value) {
    try {
      return value == null ? null : JSON.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException(e);
    }
  }

  private static <T> T parse(String json, TypeReference<T> type) {
    try {
      return json == null ? null : JSON.readValue(json, type);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("unreadable audit row: " + e.getOriginalMessage());
    }
  }
}
