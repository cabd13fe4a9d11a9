package dev.databaseunit.operator.gdpr;

import dev.databaseunit.operator.postgres.SqlIdentifier;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Which subjects were erased, as salted hashes and times (no personal data), so that a database restored from
 * a backup taken before an erasure can be made to forget them again before it is handed back. The ledger
 * is read from the live database ({@link #read}) before the restore replaces it, then re-applied to the
 * restored one ({@link #reapply}): entries and salt are copied in and the subjects found by hash are erased
 * in one transaction.
 */
public final class ErasureLedger {
  static final String TABLE = "gdpr_erasure_ledger";

  public record Entry(String subjectHash, String requestUid, Instant erasedAt) {}

  /** What a re-application did: subjects found again by hash, and the rows deleted per table. */
  public record Reapplied(int subjects, Map<String, Long> deletedRows) {}

  private final SubjectPlan plan;
  private final byte[] salt;
  private final List<Entry> entries;

  private ErasureLedger(SubjectPlan plan, byte[] salt, List<Entry> entries) {
    this.plan = plan;
    this.salt = salt;
    this.entries = List.copyOf(entries);
  }

  public List<Entry> entries() {
    return entries;
  }

  static void ensure(Connection connection) throws SQLException {
    try (var s = connection.createStatement()) {
      s.execute("CREATE TABLE IF NOT EXISTS " + TABLE + " (request_uid text PRIMARY KEY, subject_hash text NOT NULL, "
          + "erased_at timestamptz NOT NULL)");
    }
  }

  /** Records an erasure inside its transaction, so the entry exists exactly when the deletes committed. */
  static void record(Connection tx, Entry entry) throws SQLException {
    try (var ps = tx.prepareStatement("INSERT INTO " + TABLE + " (request_uid, subject_hash, erased_at) VALUES (?, ?, ?) "
        + "ON CONFLICT (request_uid) DO NOTHING")) {
      ps.setString(1, entry.requestUid());
      ps.setString(2, entry.subjectHash());
      ps.setTimestamp(3, Timestamp.from(entry.erasedAt()));
      ps.executeUpdate();
    }
  }

  /** The ledger of a live database (empty when nothing was ever erased there). */
  public static ErasureLedger read(Connection source, SubjectPlan plan) throws SQLException {
    byte[] salt = SubjectHash.read(source);
    List<Entry> entries = new ArrayList<>();
    if (salt != null && SubjectHash.tableExists(source, TABLE)) {
      try (var s = source.createStatement();
          var rs = s.executeQuery("SELECT subject_hash, request_uid, erased_at FROM " + TABLE + " ORDER BY erased_at")) {
        while (rs.next()) {
          entries.add(new Entry(rs.getString(1), rs.getString(2), rs.getTimestamp(3).toInstant()));
        }
      }
    }
    return new ErasureLedger(plan, salt, entries);
  }

  /** Re-applies every entry to {@code target} in one transaction; a no-op for an empty ledger. */
  public Reapplied reapply(Connection target) throws SQLException {
    if (entries.isEmpty()) {
      return new Reapplied(0, Map.of());
    }
    boolean autoCommit = target.getAutoCommit();
    target.setAutoCommit(false);
    try {
      byte[] targetSalt = SubjectHash.read(target);
      if (targetSalt == null) {
        SubjectHash.salt(target);
        try (var ps = target.prepareStatement("UPDATE " + SubjectHash.SALT_TABLE + " SET salt = ?")) {
          ps.setBytes(1, salt);
          ps.executeUpdate();
        }
      } else if (!Arrays.equals(targetSalt, salt)) {
        throw new SQLException("the target database has another subject salt: it is not a restore of this unit's database");
      }
      ensure(target);
      for (Entry entry : entries) {
        record(target, entry);
      }
      Map<String, Long> deleted = new LinkedHashMap<>();
      Set<String> subjects = subjectsByHash(target);
      for (String subjectId : subjects) {
        SubjectEraser.delete(target, plan, subjectId, Map.of(), SubjectEraser.DeletionListener.NONE)
            .counts().forEach((table, rows) -> deleted.merge(table, rows, Long::sum));
      }
      target.commit();
      return new Reapplied(subjects.size(), deleted);
    } catch (SQLException | RuntimeException e) {
      target.rollback();
      throw e;
    } finally {
      target.setAutoCommit(autoCommit);
    }
  }

  /** Subject ids in any subject column whose salted hash is in the ledger (a scan: restores are rare). */
  private Set<String> subjectsByHash(Connection target) throws SQLException {
    String[] hashes = entries.stream().map(Entry::subjectHash).distinct().toArray(String[]::new);
    Set<String> found = new LinkedHashSet<>();
    Set<String> scanned = new LinkedHashSet<>();
    for (var table : plan.tables()) {
      String relation = SubjectSql.subjectTableOf(table);
      String column = SubjectSql.subjectColumnOf(table);
      if (!scanned.add(relation + "." + column)) {
        continue;
      }
      String quoted = SqlIdentifier.quote(column);
      try (var ps = target.prepareStatement("SELECT DISTINCT " + quoted + "::text FROM "
          + SqlIdentifier.quoteQualified(relation)
          + " WHERE " + SubjectHash.SQL.formatted(quoted) + " = ANY (?)")) {
        ps.setBytes(1, SubjectHash.prefix(salt));
        ps.setArray(2, target.createArrayOf("text", hashes));
        try (var rs = ps.executeQuery()) {
          while (rs.next()) {
            found.add(rs.getString(1));
          }
        }
      }
    }
    return found;
  }
}
