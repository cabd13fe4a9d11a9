package dev.databaseunit.operator.pool;

import java.time.Duration;

/** Where a unit's PgBouncer admin console is and how to log in; the password never appears in toString. */
public record AdminEndpoint(String host, int port, String user, String password) {

  public PgBouncerAdminClient connect(Duration timeout) {
    return new PgBouncerAdminClient(host, port, user, password, timeout);
  }

  @Override
  public String toString() {
    return "AdminEndpoint[" + user + "@" + host + ":" + port + "]";
  }
}
