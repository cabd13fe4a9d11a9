package dev.databaseunit.operator.postgres;

import dev.databaseunit.operator.api.v1alpha1.PostgresTls;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;

/**
 * Where and as whom the operator reaches a unit's database. The password is held only here and handed to the
 * driver, pg_dump or pg_restore; {@link #toString()} leaves it out so it cannot reach a log line by accident.
 *
 * @param caCertificatePem the CA bundle that signed the server certificate, or null for the JVM's trust store
 */
public record PostgresTarget(
    String host, int port, String database, String username, String password, PostgresTls.Mode sslMode,
    String caCertificatePem) {

  public PostgresTarget {
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(database, "database");
    Objects.requireNonNull(username, "username");
    Objects.requireNonNull(password, "password");
    Objects.requireNonNull(sslMode, "sslMode");
  }

  /** The same server and credentials, another database (a scratch restore target, the maintenance db). */
  public PostgresTarget withDatabase(String otherDatabase) {
    return new PostgresTarget(host, port, otherDatabase, username, password, sslMode, caCertificatePem);
  }

  /** A JDBC URL without credentials; TLS settings travel in {@link #jdbcProperties(CaCertificates)}. */
  public String jdbcUrl() {
    return "jdbc:postgresql://" + hostForUrl() + ":" + port + "/" + database;
  }

  /**
   * Driver properties: credentials, sslmode and, for a CA from a Secret, the file it was written to; the reconcile's
   * default timeouts. Good for any server, PgBouncer too (no startup options).
   */
  public Properties jdbcProperties(CaCertificates caFiles) {
    return jdbcProperties(caFiles, DatabaseTimeouts.DEFAULT.connect(), DatabaseTimeouts.DEFAULT.of(DatabaseTimeouts.Purpose.RECONCILE));
  }

  /** With these connect and socket timeouts (the session's statement and lock timeouts are SET by whoever connects). */
  public Properties jdbcProperties(CaCertificates caFiles, java.time.Duration connect, DatabaseTimeouts.SessionTimeouts session) {
    var props = new Properties();
    props.setProperty("user", username);
    props.setProperty("password", password);
    props.setProperty("sslmode", sslMode.libpqName());
    props.setProperty("ApplicationName", "databaseunit-operator");
    props.setProperty("connectTimeout", Long.toString(Math.max(1, connect.toSeconds())));
    props.setProperty("socketTimeout", Long.toString(Math.max(1, session.socket().toSeconds())));
    if (sslMode != PostgresTls.Mode.DISABLE) {
      // The JDK disables TLS below 1.2 by default, which is the floor the seed's encryption pattern asks for.
      if (caCertificatePem != null) {
        props.setProperty("sslrootcert", caFiles.fileFor(caCertificatePem).toString());
      }
    }
    return props;
  }

  /** The libpq environment for pg_dump/pg_restore/psql, so the password never appears on a command line. */
  public Map<String, String> libpqEnvironment(CaCertificates caFiles) {
    var env = new LinkedHashMap<String, String>();
    env.put("PGHOST", host);
    env.put("PGPORT", Integer.toString(port));
    env.put("PGDATABASE", database);
    env.put("PGUSER", username);
    env.put("PGPASSWORD", password);
    env.put("PGSSLMODE", sslMode.libpqName());
    env.put("PGAPPNAME", "databaseunit-operator");
    env.put("PGCONNECT_TIMEOUT", Long.toString(Math.max(2, DatabaseTimeouts.DEFAULT.connect().toSeconds())));
    if (sslMode != PostgresTls.Mode.DISABLE) {
      env.put("PGSSLMINPROTOCOLVERSION", "TLSv1.2");
      if (caCertificatePem != null) {
        env.put("PGSSLROOTCERT", caFiles.fileFor(caCertificatePem).toString());
      }
    }
    return env;
  }

  private String hostForUrl() {
    return host.contains(":") ? "[" + host + "]" : host;
  }

  @Override
  public String toString() {
    return "PostgresTarget[" + username + "@" + host + ":" + port + "/" + database + ", sslmode=" + sslMode.libpqName() + "]";
  }
}
