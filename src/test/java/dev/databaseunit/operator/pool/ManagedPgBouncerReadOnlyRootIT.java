package dev.databaseunit.operator.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.databaseunit.operator.api.v1alpha1.DatabaseUnit;
import dev.databaseunit.operator.api.v1alpha1.PoolerSpec;
import dev.databaseunit.operator.api.v1alpha1.PostgresTls;
import dev.databaseunit.operator.managed.ServerCertificates;
import dev.databaseunit.operator.postgres.PostgresTarget;
import dev.databaseunit.operator.testing.TestDatabase;
import dev.databaseunit.operator.testing.WithLocalServices;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.DriverManager;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Properties;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The managed PgBouncer's rendered configuration runs on a read-only root filesystem, as the restricted pod runs
 * it: the real pgbouncer binary in a private mount namespace where / is remounted read-only and only the two
 * mounted directories of the pod (ini, userlist) exist. A pidfile or logfile would stop it from starting here, a
 * unix socket would log a failed bind. Needs root (a mount namespace); listen address and port are the one change.
 * Client TLS is on (require, the default), with a certificate for localhost from the operator's certificate code:
 * applications verify it (verify-full), a plain connection is refused, and the operator's admin console client
 * verifies chain and host name.
 */
@WithLocalServices
class ManagedPgBouncerReadOnlyRootIT {

  @Test
  void theRenderedPgBouncerServesTlsClientsWithAReadOnlyRoot(TestDatabase db, @TempDir Path temp) throws Exception {
    Assumptions.assumeTrue("root".equals(System.getProperty("user.name")),
        "Skipped: a private read-only mount namespace needs root (unshare -m)");
    var unit = new DatabaseUnit();
    unit.setMetadata(new ObjectMetaBuilder().withName("orders").withNamespace("shop").withUid("u-1").build());
    var spec = new PoolerSpec(true, PoolerSpec.PoolMode.TRANSACTION, 2, 10, 5, 0.8, 0.3, 5, 2, "10s", "60s", "120s", "10s", "60s",
        100, null, null);
    var target = new PostgresTarget(db.host(), db.port(), db.name(), db.user(), db.password(), PostgresTls.Mode.DISABLE, null);
    // A second login, as a managed instance's application role is beside the operator's: both must get through.
    String appRole = "du_app_" + Long.toHexString(System.nanoTime());
    String appPassword = java.util.UUID.randomUUID().toString();
    try (var c = db.connect(); var s = c.createStatement()) {
      s.execute("CREATE ROLE " + appRole + " LOGIN PASSWORD '" + appPassword + "'");
    }
    try {
      servesTlsClients(db, temp, unit, spec, target,
          new PostgresTarget(db.host(), db.port(), db.name(), appRole, appPassword, PostgresTls.Mode.DISABLE, null));
    } finally {
      try (var c = db.connect(); var s = c.createStatement()) {
        s.execute("DROP ROLE " + appRole);
      }
    }
  }

  private void servesTlsClients(TestDatabase db, Path temp, DatabaseUnit unit, PoolerSpec spec, PostgresTarget target,
      PostgresTarget application) throws Exception {
    var certificate = ServerCertificates.issue("localhost", List.of("localhost"), Duration.ofDays(1), Instant.now());
    var tls = new PgBouncerResources.ClientTls(PgBouncerResources.clientTlsMode(spec), "orders-pooler-tls", "hash input");
    var desired = PgBouncerResources.desired(unit, spec, target, application, "admin-secret", tls);
    int port = freePort();
    // the pod's mounts: the ConfigMap at /etc/pgbouncer/config, the Secret at /etc/pgbouncer/auth
    Path mounts = Files.createTempDirectory(Path.of("/var/tmp"), "du-ro-pgbouncer-");
    Files.setPosixFilePermissions(mounts, PosixFilePermissions.fromString("rwxr-xr-x"));
    Files.writeString(mounts.resolve("pgbouncer.ini"), desired.config().getData().get("pgbouncer.ini")
        .replace("listen_addr = 0.0.0.0\n", "listen_addr = 127.0.0.1\n")
        .replace("listen_port = " + PgBouncerResources.PORT + "\n", "listen_port = " + port + "\n"));
    Files.writeString(mounts.resolve("userlist.txt"), desired.auth().getStringData().get("userlist.txt"));
    Files.writeString(mounts.resolve("tls.crt"), certificate.serverCertificate());
    Files.writeString(mounts.resolve("tls.key"), certificate.serverKey());
    Path ca = temp.resolve("ca.crt");
    Files.writeString(ca, certificate.caCertificate());
    String script = """
        set -e
        mkdir -p /etc/pgbouncer
        mount -t tmpfs -o mode=0755 tmpfs /etc/pgbouncer
        mkdir /etc/pgbouncer/config /etc/pgbouncer/auth /etc/pgbouncer/tls
        cp "$1/pgbouncer.ini" /etc/pgbouncer/config/
        install -o postgres -m 0400 "$1/userlist.txt" /etc/pgbouncer/auth/userlist.txt
        install -o postgres -m 0400 "$1/tls.crt" "$1/tls.key" /etc/pgbouncer/tls/
        rm -rf "$1"
        mount -o remount,bind,ro /
        if touch /tmp/du-ro-probe 2>/dev/null; then echo "root is still writable"; exit 3; fi
        exec setpriv --reuid=postgres --regid=postgres --init-groups /usr/sbin/pgbouncer /etc/pgbouncer/config/pgbouncer.ini
        """;
    Path log = temp.resolve("pgbouncer.log");
    var process = new ProcessBuilder("unshare", "-m", "--propagation", "private", "sh", "-c", script, "sh", mounts.toString())
        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    try {
      var props = new Properties();
      props.setProperty("user", db.user());
      props.setProperty("password", db.password());
      props.setProperty("preferQueryMode", "simple");
      props.setProperty("sslmode", "verify-full");
      props.setProperty("sslrootcert", ca.toString());
      Instant deadline = Instant.now().plus(Duration.ofSeconds(20));
      while (true) {
        assertThat(process.isAlive()).as("pgbouncer running; output:%n%s", read(log)).isTrue();
        try (var connection = DriverManager.getConnection("jdbc:postgresql://localhost:" + port + "/" + db.name(), props);
             var result = connection.createStatement().executeQuery("select current_database()")) {
          assertThat(result.next()).isTrue();
          assertThat(result.getString(1)).isEqualTo(db.name());
          // a failed unix socket bind is only a warning: no write may even have been tried
          assertThat(read(log)).doesNotContain("Read-only file system");
          assertThat(connection.unwrap(org.postgresql.PGConnection.class).getParameterStatus("server_version")).isNotNull();
          break;
        } catch (java.sql.SQLException e) {
          if (Instant.now().isAfter(deadline)) {
            throw new AssertionError("no query through the read-only-root PgBouncer; output:\n" + read(log), e);
          }
          Thread.sleep(100);
        }
      }
      var asApplication = new Properties();
      asApplication.putAll(props);
      asApplication.setProperty("user", application.username());
      asApplication.setProperty("password", application.password());
      try (var connection = DriverManager.getConnection("jdbc:postgresql://localhost:" + port + "/" + db.name(), asApplication);
           var result = connection.createStatement().executeQuery("select current_user")) {
        assertThat(result.next()).isTrue();
        assertThat(result.getString(1)).as("the application's role through the pooler").isEqualTo(application.username());
      }
      var plain = new Properties();
      plain.putAll(props);
      plain.setProperty("sslmode", "disable");
      assertThatThrownBy(() -> DriverManager.getConnection("jdbc:postgresql://localhost:" + port + "/" + db.name(), plain).close())
          .as("client_tls_sslmode require refuses a plain connection").hasMessageContaining("SSL required");

      var console = new AdminEndpoint("localhost", port, PgBouncerResources.ADMIN_USER, "admin-secret",
          new AdminEndpoint.Tls(certificate.caCertificate()));
      try (var admin = console.connect(Duration.ofSeconds(5))) {
        assertThat(admin.showDatabases()).extracting(PgBouncerAdmin.DatabaseRow::name).contains(db.name());
      }
      var byAddress = new AdminEndpoint("127.0.0.1", port, PgBouncerResources.ADMIN_USER, "admin-secret",
          new AdminEndpoint.Tls(certificate.caCertificate()));
      try (var admin = byAddress.connect(Duration.ofSeconds(5))) {
        assertThatThrownBy(admin::showDatabases).as("the certificate does not name 127.0.0.1").isInstanceOf(PgBouncerAdminException.class);
      }
    } finally {
      process.destroy();
      process.waitFor();
    }
  }

  private static String read(Path log) throws Exception {
    return Files.exists(log) ? Files.readString(log) : "";
  }

  private static int freePort() throws Exception {
    try (var socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
