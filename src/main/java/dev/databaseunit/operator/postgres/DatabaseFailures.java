package dev.databaseunit.operator.postgres;

import dev.databaseunit.operator.common.UnitProblem;
import dev.databaseunit.operator.events.EventReason;
import java.sql.SQLException;

/** Turns a failure to reach a unit's database into a Degraded reason a person can act on. */
public final class DatabaseFailures {
  private DatabaseFailures() {}

  public static UnitProblem classify(PostgresTarget target, SQLException failure) {
    SQLException root = innermostSqlException(failure);
    String state = root.getSQLState() != null ? root.getSQLState() : "";
    String where = target.host() + ":" + target.port() + "/" + target.database();
    String detail = redact(root.getMessage(), target.password());
    if (state.startsWith("28")) {
      return new UnitProblem(EventReason.DatabaseAuthenticationFailed,
          "PostgreSQL at " + where + " refused user " + target.username() + ": " + detail, failure);
    }
    if (state.equals("3D000")) {
      return new UnitProblem(EventReason.DatabaseNotFound, "Database " + target.database() + " does not exist on "
          + target.host() + ":" + target.port(), failure);
    }
    if (isTlsFailure(root)) {
      return new UnitProblem(EventReason.DatabaseTlsFailed,
          "TLS to PostgreSQL at " + where + " failed with sslmode=" + target.sslMode().libpqName() + ": " + detail, failure);
    }
    return new UnitProblem(EventReason.DatabaseUnreachable, "Cannot reach PostgreSQL at " + where + ": " + detail, failure);
  }

  /** Error text from the server or driver with the password cut out, in case a driver ever echoes it. */
  public static String redact(String message, String password) {
    if (message == null) {
      return "(no message)";
    }
    return password == null || password.isEmpty() ? message : message.replace(password, "****");
  }

  private static boolean isTlsFailure(SQLException e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof javax.net.ssl.SSLException) {
        return true;
      }
      String m = t.getMessage();
      if (m != null && (m.contains("does not support SSL") || m.contains("SSL"))) {
        return true;
      }
    }
    return false;
  }

  private static SQLException innermostSqlException(SQLException e) {
    SQLException inner = e;
    for (Throwable t = e.getCause(); t != null; t = t.getCause()) {
      if (t instanceof SQLException s) {
        inner = s;
      }
    }
    return inner;
  }
}
