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

  /** How the hashes of entries written before keyed hashes were made: salted SHA-256, the salt in the database. */
  static final String LEGACY_SCHEME = "sha256-salt-v1";

  /** @param scheme how {@code subjectHash} was made: {@link #LEGACY_SCHEME}, or a {@link SubjectKey}'s scheme */
  public record Entry(String subjectHash, String requestUid, Instant erasedAt, String scheme) {}

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
      ProtectedTable.protect(connection, TABLE);
      // Entries from before keyed hashes keep the legacy scheme.
      s.execute("ALTER TABLE " + TABLE + " ADD COLUMN IF NOT EXISTS scheme text NOT NULL DEFAULT '" + LEGACY_SCHEME + "'");
    }
  }

  /** Records an erasure inside its transaction, so the entry exists exactly when the deletes committed. */
  static void record(Connection tx, Entry entry) throws SQLException {
    try (var ps = tx.prepareStatement("INSERT INTO " + TABLE + " (request_uid, subject_hash, erased_at, scheme) VALUES (?, ?, ?, ?) "
        + "ON CONFLICT (request_uid) DO NOTHING")) {
      ps.setString(1, entry.requestUid());
      ps.setString(2, entry.subjectHash());
      ps.setTimestamp(3, Timestamp.from(entry.erasedAt()));
      ps.setString(4, entry.scheme());
      ps.executeUpdate();
    }
  }

  /** The ledger of a live database (empty when nothing was ever erased there). */
  public static ErasureLedger read(Connection source, SubjectPlan plan) throws SQLException {
    byte[] salt = SubjectHash.read(source);
    List<Entry> entries = new ArrayList<>();
    if (SubjectHash.tableExists(source, TABLE)) {
      // A ledger restored from an old backup has no scheme column: all its entries are legacy ones.
      String scheme = hasSchemeColumn(source) ? "scheme" : "'" + LEGACY_SCHEME + "'";
      try (var s = source.createStatement();
          var rs = s.executeQuery("SELECT subject_hash, request_uid, erased_at, " + scheme + " FROM " + TABLE + " ORDER BY erased_at")) {
        while (rs.next()) {
          entries.add(new Entry(rs.getString(1), rs.getString(2), rs.getTimestamp(3).toInstant(), rs.getString(4)));
        }
      }
    }
    return new ErasureLedger(plan, salt, entries);
  }

  /** Salted entries are matched with the source's salt, which the target must have (or get, when it has none). */
  private void adoptSalt(Connection target) throws SQLException {
    if (salt == null) {
      throw new SQLException("the erasure ledger has salted entries but no salt");
    }
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
  }

  private static boolean hasSchemeColumn(Connection source) throws SQLException {
    try (var ps = source.prepareStatement("SELECT 1 FROM information_schema.columns WHERE table_name = ? AND column_name = 'scheme'")) {
      ps.setString(1, TABLE);
      try (var rs = ps.executeQuery()) {
        return rs.next();
      }
    }
  }

  /**
   * Re-applies every entry to {@code target} in one transaction; a no-op for an empty ledger. Keyed entries match only
   * with the key they were made with: the target unit must name the source unit's key (spec.gdpr.subjectHashKey).
   */
  public Reapplied reapply(Connection target, SubjectKey key) throws SQLException {
    if (entries.isEmpty()) {
      return new Reapplied(0, Map.of());
    }
    var otherKeys = entries.stream().map(Entry::scheme).filter(s -> !s.equals(LEGACY_SCHEME) && !s.equals(key.scheme()))
        .distinct().toList();
    if (!otherKeys.isEmpty()) {
      throw new SQLException("the erasure ledger's hashes are keyed with " + String.join(", ", otherKeys) + ", not with this "
          + "unit's subject hash key (" + key.scheme() + "): set spec.gdpr.subjectHashKey to the Secret of the unit the backup "
          + "was taken of");
    }
    boolean legacy = entries.stream().anyMatch(e -> e.scheme().equals(LEGACY_SCHEME));
    boolean autoCommit = target.getAutoCommit();
    target.setAutoCommit(false);
    try {
      if (legacy) {
        adoptSalt(target);
      }
      ensure(target);
      for (Entry entry : entries) {
        record(target, entry);
      }
      Map<String, Long> deleted = new LinkedHashMap<>();
      Set<String> subjects = subjectsByHash(target, key);
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

  /** Subject ids in any subject column whose hash (salted or keyed) is in the ledger (a scan: restores are rare). */
  private Set<String> subjectsByHash(Connection target, SubjectKey key) throws SQLException {
    Set<String> found = new LinkedHashSet<>();
    String[] salted = hashes(LEGACY_SCHEME);
    if (salted.length > 0) {
      found.addAll(subjectsByHash(target, SubjectHash.SQL, List.of(SubjectHash.prefix(salt)), salted));
    }
    String[] keyed = hashes(key.scheme());
    if (keyed.length > 0) {
      found.addAll(subjectsByHash(target, SubjectKey.SQL, List.of(key.outerPad(), key.innerPad()), keyed));
    }
    return found;
  }

  private String[] hashes(String scheme) {
    return entries.stream().filter(e -> e.scheme().equals(scheme)).map(Entry::subjectHash).distinct().toArray(String[]::new);
  }

  /** @param hashSql the hash of {@code %s} in SQL; its byte parameters come first, then the array of hashes */
  private Set<String> subjectsByHash(Connection target, String hashSql, List<byte[]> parameters, String[] hashes) throws SQLException {
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
          + " WHERE " + hashSql.formatted(quoted) + " = ANY (?)")) {
        for (int i = 0; i < parameters.size(); i++) {
          ps.setBytes(i + 1, parameters.get(i));
        }
        ps.setArray(parameters.size() + 1, target.createArrayOf("text", hashes));
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
