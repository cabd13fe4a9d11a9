package dev.databaseunit.operator.gdpr;

import dev.databaseunit.operator.postgres.SqlIdentifier;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Types;

/**
 * The SQL that finds a subject's rows in one table. Identifiers come from a verified {@link SubjectPlan} and are
 * quoted; the subject id is always the single bind parameter, sent untyped so PostgreSQL reads it as the
 * column's own type (an index on the subject column stays usable).
 */
final class SubjectSql {
  private SubjectSql() {}

  /** {@code WHERE ...} with one parameter, the subject id. */
  static String where(SubjectPlan.SubjectTable table) {
    if (table.direct()) {
      return " WHERE " + SqlIdentifier.quote(table.subjectColumn()) + " = ?";
    }
    var via = table.via();
    return " WHERE " + SqlIdentifier.quote(via.column()) + " IN (SELECT " + SqlIdentifier.quote(via.parentKey())
        + " FROM " + SqlIdentifier.quoteQualified(via.parentTable()) + " WHERE " + SqlIdentifier.quote(via.subjectColumn()) + " = ?)";
  }

  static String count(SubjectPlan.SubjectTable table) {
    return "SELECT count(*) FROM " + SqlIdentifier.quoteQualified(table.table()) + where(table);
  }

  static String select(SubjectPlan.SubjectTable table) {
    return "SELECT * FROM " + SqlIdentifier.quoteQualified(table.table()) + where(table);
  }

  /** The delete, returning the values of {@code returningColumn} (cache keys of deleted rows) when it is not null. */
  static String delete(SubjectPlan.SubjectTable table, String returningColumn) {
    return "DELETE FROM " + SqlIdentifier.quoteQualified(table.table()) + where(table)
        + (returningColumn != null ? " RETURNING " + SqlIdentifier.quote(returningColumn) + "::text" : "");
  }

  /** The subject columns a ledger entry is matched against (direct columns and join-path parents). */
  static String subjectColumnOf(SubjectPlan.SubjectTable table) {
    return table.direct() ? table.subjectColumn() : table.via().subjectColumn();
  }

  static String subjectTableOf(SubjectPlan.SubjectTable table) {
    return table.direct() ? table.table() : table.via().parentTable();
  }

  static void bindSubject(PreparedStatement statement, String subjectId) throws SQLException {
    statement.setObject(1, subjectId, Types.OTHER);
  }
}
