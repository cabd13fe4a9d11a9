package dev.databaseunit.operator.gdpr;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * Keeps a GDPR table (the audit log, the erasure ledger, the salt) to the operator's role alone. Its owner must be the
 * role the operator logs in as: a table of that name made by anyone else (an application with CREATE on the schema,
 * say) could be read, rewritten or dropped by them, so it is refused rather than written to. Every grant on it and its
 * sequences but the owner's is revoked, including what default privileges gave the application when it was created.
 */
final class ProtectedTable {
  private ProtectedTable() {}

  /** @param table the table's name as SQL (quoted or not), as the statements that made it wrote it */
  static void protect(Connection connection, String table) throws SQLException {
    List<String> revokes = new ArrayList<>();
    try (var ps = connection.prepareStatement("SELECT c.oid::regclass::text, pg_get_userbyid(c.relowner), current_user, "
        + "CASE c.relkind WHEN 'S' THEN 'SEQUENCE' ELSE 'TABLE' END, "
        + "CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(a.grantee)) END "
        + "FROM pg_class c LEFT JOIN LATERAL aclexplode(c.relacl) a ON a.grantee <> c.relowner "
        + "WHERE c.oid = ?::regclass OR c.oid IN (SELECT d.objid FROM pg_depend d WHERE d.classid = 'pg_class'::regclass "
        + "AND d.refobjid = ?::regclass AND d.deptype IN ('a', 'i'))")) {
      ps.setString(1, table);
      ps.setString(2, table);
      try (var rs = ps.executeQuery()) {
        while (rs.next()) {
          if (!rs.getString(2).equals(rs.getString(3))) {
            throw new SQLException(rs.getString(1) + " is owned by " + rs.getString(2) + ", not by the operator's role "
                + rs.getString(3) + ": a GDPR table that another role owns is not written to (that role could rewrite or "
                + "drop it); if it is the operator's own, ALTER TABLE " + rs.getString(1) + " OWNER TO " + rs.getString(3));
          }
          if (rs.getString(5) != null) {
            revokes.add("REVOKE ALL ON " + rs.getString(4) + " " + rs.getString(1) + " FROM " + rs.getString(5) + " CASCADE");
          }
        }
      }
    }
    try (var s = connection.createStatement()) {
      for (String revoke : revokes.stream().distinct().toList()) {
        s.execute(revoke);
      }
    }
  }
}
