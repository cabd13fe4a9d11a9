package dev.databaseunit.operator.gdpr;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.HexFormat;

/**
 * The pseudonym of a subject id in the audit trail, the erasure ledger and status: hex sha256 of a per-unit
 * random salt, a zero byte and the id's UTF-8. The salt lives in the unit's database (table
 * {@value #SALT_TABLE}), so the same id hashes differently in another unit and PostgreSQL can compute the same
 * hash ({@link #SQL}) when a restored database is matched against the ledger.
 */
public final class SubjectHash {
  static final String SALT_TABLE = "gdpr_subject_salt";
  /** The hash in SQL; parameter 1 is the salt followed by a zero byte, {@code %s} the subject column. */
  static final String SQL = "encode(sha256(?::bytea || convert_to(%s::text, 'UTF8')), 'hex')";

  private SubjectHash() {}

  public static String of(byte[] salt, String subjectId) {
    try {
      var sha = MessageDigest.getInstance("SHA-256");
      sha.update(salt);
      sha.update((byte) 0);
      sha.update(subjectId.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(sha.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Salt and the zero separator, as bound to {@link #SQL}. */
  static byte[] prefix(byte[] salt) {
    byte[] prefix = new byte[salt.length + 1];
    System.arraycopy(salt, 0, prefix, 0, salt.length);
    return prefix;
  }

  /** 64 bits of the hash: the key of the advisory lock that serialises requests for one subject. */
  static long lockKey(String hash) {
    return Long.parseUnsignedLong(hash.substring(0, 16), 16);
  }

  /** The unit's salt, created on first use (concurrent first uses agree on one). */
  public static byte[] salt(Connection connection) throws SQLException {
    try (var s = connection.createStatement()) {
      s.execute("CREATE TABLE IF NOT EXISTS " + SALT_TABLE
          + " (singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton), salt bytea NOT NULL)");
    }
    ProtectedTable.protect(connection, SALT_TABLE);
    byte[] fresh = new byte[32];
    new SecureRandom().nextBytes(fresh);
    try (var ps = connection.prepareStatement("INSERT INTO " + SALT_TABLE + " (salt) VALUES (?) ON CONFLICT DO NOTHING")) {
      ps.setBytes(1, fresh);
      ps.executeUpdate();
    }
    return read(connection);
  }

  /** The salt of a database that has one, or null. */
  static byte[] read(Connection connection) throws SQLException {
    if (!tableExists(connection, SALT_TABLE)) {
      return null;
    }
    try (var s = connection.createStatement(); var rs = s.executeQuery("SELECT salt FROM " + SALT_TABLE)) {
      return rs.next() ? rs.getBytes(1) : null;
    }
  }

  static boolean tableExists(Connection connection, String table) throws SQLException {
    try (var ps = connection.prepareStatement("SELECT to_regclass(?) IS NOT NULL")) {
      ps.setString(1, table);
      try (var rs = ps.executeQuery()) {
        rs.next();
        return rs.getBoolean(1);
      }
    }
  }
}
