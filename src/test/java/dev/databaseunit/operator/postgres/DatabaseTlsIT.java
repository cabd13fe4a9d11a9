package dev.databaseunit.operator.postgres;

import static dev.databaseunit.operator.testing.OperatorInNamespace.TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.databaseunit.operator.testing.KubeCluster;
import dev.databaseunit.operator.testing.OperatorInNamespace;
import dev.databaseunit.operator.testing.TestDatabase;
import dev.databaseunit.operator.testing.WithLocalServices;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * TLS from the operator to PostgreSQL (the seed's encryption pattern: TLS 1.2+, certificate verification) on
 * the local server, which serves a certificate for localhost/127.0.0.1 signed by a test CA.
 */
@WithLocalServices
class DatabaseTlsIT {
  private OperatorInNamespace operator;

  @BeforeEach
  void start(KubeCluster cluster) {
    operator = OperatorInNamespace.start(cluster, "du-tls");
  }

  @AfterEach
  void stop() {
    operator.close();
  }

  @Test
  void verifyFullWithTheServersCaIsReadyAndTheOperatorsConnectionsUseTls12OrNewer(TestDatabase db) throws Exception {
    applyVerifyFullUnit("verified", "localhost", db, "pg-ca", Files.readString(db.caFile()));

    operator.awaitCondition("verified", "Ready", "True", "Reconciled");
    await().atMost(TIMEOUT).untilAsserted(() -> assertThat(operatorSessions(db)).isNotEmpty()
        .allSatisfy(session -> assertThat(session).isIn("true TLSv1.2", "true TLSv1.3")));
  }

  @Test
  void theCertificateAlsoCarriesTheLoopbackAddress(TestDatabase db) throws Exception {
    applyVerifyFullUnit("by-address", "127.0.0.1", db, "pg-ca", Files.readString(db.caFile()));
    operator.awaitCondition("by-address", "Ready", "True", "Reconciled");
  }

  @Test
  void verifyFullWithAnotherCaIsATlsFailure(TestDatabase db, @TempDir Path dir) throws Exception {
    applyVerifyFullUnit("wrong-ca", "localhost", db, "other-ca", otherCa(dir));

    var degraded = operator.awaitCondition("wrong-ca", "Degraded", "True", "DatabaseTlsFailed");
    assertThat(degraded.getMessage()).startsWith("TLS to PostgreSQL at localhost:" + db.port() + "/" + db.name()
        + " failed with sslmode=verify-full: ").doesNotContain(db.password());
    assertThat(operatorSessions(db)).isEmpty();
  }

  @Test
  void requireEncryptsWithoutVerifyingTheCertificate(TestDatabase db) throws Exception {
    operator.secret("db", Map.of("username", db.user(), "password", db.password()));
    operator.apply(unit("required", "127.0.0.1", db, "require", null));

    operator.awaitCondition("required", "Ready", "True", "Reconciled");
    await().atMost(TIMEOUT).untilAsserted(() -> assertThat(operatorSessions(db)).isNotEmpty()
        .allSatisfy(session -> assertThat(session).startsWith("true TLSv1.")));
  }

  /** The database credentials, the CA Secret {@code caSecret} holding {@code caPem}, and a verify-full unit trusting it. */
  private void applyVerifyFullUnit(String name, String host, TestDatabase db, String caSecret, String caPem) {
    operator.secret("db", Map.of("username", db.user(), "password", db.password()));
    operator.secret(caSecret, Map.of("ca.crt", caPem));
    operator.apply(unit(name, host, db, "verify-full", caSecret));
  }

  /** "ssl version" of each of the operator's sessions on the test database, e.g. "true TLSv1.3". */
  private static List<String> operatorSessions(TestDatabase db) throws SQLException {
    try (var c = db.connect(); var ps = c.prepareStatement("SELECT s.ssl || ' ' || coalesce(s.version, '') FROM pg_stat_ssl s "
        + "JOIN pg_stat_activity a USING (pid) WHERE a.datname = ? AND a.application_name = 'databaseunit-operator'")) {
      ps.setString(1, db.name());
      try (var rs = ps.executeQuery()) {
        List<String> sessions = new ArrayList<>();
        while (rs.next()) {
          sessions.add(rs.getString(1));
        }
        return sessions;
      }
    }
  }

  /** A CA that did not sign the server's certificate. */
  private static String otherCa(Path dir) throws IOException, InterruptedException {
    Path cert = dir.resolve("other-ca.crt");
    var process = new ProcessBuilder("openssl", "req", "-x509", "-new", "-newkey", "rsa:2048", "-nodes", "-days", "1",
        "-keyout", dir.resolve("other-ca.key").toString(), "-out", cert.toString(), "-subj", "/CN=Some other CA")
        .redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes());
    assertThat(process.waitFor()).as(output).isZero();
    return Files.readString(cert);
  }

  private String unit(String name, String host, TestDatabase db, String mode, String caSecret) {
    String ca = caSecret == null ? "" : ", caSecret: {name: " + caSecret + ", key: ca.crt}";
    return operator.units().unitYaml(name, "db", host, db.port(), db.name(), "mode: " + mode + ca);
  }
}
