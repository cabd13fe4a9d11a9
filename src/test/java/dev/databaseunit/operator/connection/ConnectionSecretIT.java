package dev.databaseunit.operator.connection;

import static dev.databaseunit.operator.testing.OperatorInNamespace.TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.databaseunit.operator.api.v1alpha1.DatabaseUnit;
import dev.databaseunit.operator.testing.CapturedLogs;
import dev.databaseunit.operator.testing.Conflicts;
import dev.databaseunit.operator.testing.KubeCluster;
import dev.databaseunit.operator.testing.OperatorInNamespace;
import dev.databaseunit.operator.testing.TestDatabase;
import dev.databaseunit.operator.testing.WithLocalServices;
import io.fabric8.kubernetes.api.model.Secret;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The application's connection Secret on the real API server, used to connect to the real PostgreSQL. */
@WithLocalServices
class ConnectionSecretIT {
  private OperatorInNamespace operator;

  @BeforeEach
  void start(KubeCluster cluster) {
    operator = OperatorInNamespace.start(cluster, "du-conn");
  }

  @AfterEach
  void stop() {
    operator.close();
  }

  /**
   * An application role's password is rotated: the unit follows the credentials Secret, and the connection
   * Secret is updated in place (same object) with the new password, with which the application connects.
   * Between changes, reconciles leave it untouched (same resourceVersion).
   */
  @Test
  void anApplicationConnectsWithTheSecretOverVerifiedTlsAndARotatedPasswordReachesIt(TestDatabase db, @TempDir Path dir)
      throws Exception {
    String role = "app_" + HexFormat.of().formatHex(randomBytes());
    admin(db, "CREATE ROLE " + role + " LOGIN PASSWORD 'first-Pass-1'");
    try (var logs = new CapturedLogs()) {
      operator.secret("db", Map.of("username", role, "password", "first-Pass-1"));
      operator.secret("pg-ca", Map.of("ca.crt", Files.readString(db.caFile())));
      operator.apply(unit("shop", db, "mode: verify-full, caSecret: {name: pg-ca, key: ca.crt}", ""));
      operator.awaitCondition("shop", "Ready", "True", "Reconciled");
      assertThat(operator.unit("shop").getStatus().connectionSecret()).isEqualTo("shop-connection");

      Secret secret = connectionSecret("shop");
      DatabaseUnit unit = operator.unit("shop");
      assertThat(secret.getMetadata().getOwnerReferences()).singleElement().satisfies(owner -> {
        assertThat(owner.getUid()).isEqualTo(unit.getMetadata().getUid());
        assertThat(owner.getController()).isTrue();
      });
      assertThat(connectAs(secret, dir)).isEqualTo(role + " on " + db.name() + " tls=true");

      // Reconciles that change nothing (a label on the unit) do not write the Secret.
      String version = secret.getMetadata().getResourceVersion();
      for (int i = 0; i < 3; i++) {
        int n = i;
        Conflicts.retry(() -> operator.client().resources(DatabaseUnit.class).inNamespace(operator.namespace()).withName("shop")
            .edit(u -> {
              u.getMetadata().setLabels(Map.of("touch", "t" + n));
              return u;
            }));
      }
      await().pollDelay(Duration.ofSeconds(2)).atMost(TIMEOUT).untilAsserted(() ->
          assertThat(connectionSecret("shop").getMetadata().getResourceVersion()).isEqualTo(version));

      admin(db, "ALTER ROLE " + role + " PASSWORD 'second-Pass-2'");
      operator.secret("db", Map.of("username", role, "password", "second-Pass-2"));
      await().atMost(TIMEOUT).untilAsserted(() -> assertThat(value(connectionSecret("shop"), "password")).isEqualTo("second-Pass-2"));
      assertThat(connectionSecret("shop").getMetadata().getUid()).isEqualTo(secret.getMetadata().getUid());
      assertThat(connectAs(connectionSecret("shop"), dir)).isEqualTo(role + " on " + db.name() + " tls=true");
      operator.awaitCondition("shop", "Ready", "True", "Reconciled");

      for (String password : new String[] {"first-Pass-1", "second-Pass-2"}) {
        assertThat(logs.lines()).noneMatch(line -> line.contains(password));
        assertThat(operator.client().getKubernetesSerialization().asJson(operator.unit("shop").getStatus())).doesNotContain(password);
      }
    } finally {
      operator.close();
      admin(db, "DROP ROLE IF EXISTS " + role);
    }
  }

  @Test
  void addingAnExternalPoolerPointsTheSecretAtIt(TestDatabase db) {
    operator.secret("db", Map.of("username", db.user(), "password", db.password()));
    operator.secret("bouncer-admin", Map.of("username", "admin", "password", "not-used"));
    operator.apply(unit("pooled", db, "mode: disable", ""));
    await().atMost(TIMEOUT).until(() -> operator.client().secrets().inNamespace(operator.namespace()).withName("pooled-connection").get() != null);
    assertThat(value(connectionSecret("pooled"), "host")).isEqualTo("localhost");

    // Port 1 is closed: the pooler capability degrades the unit, but the Secret already points at the pooler.
    operator.apply(unit("pooled", db, "mode: disable", """
          pooler:
            external: {host: pgbouncer.example.internal, port: 1, adminCredentials: {secretName: bouncer-admin}}
        """));
    await().atMost(TIMEOUT).untilAsserted(() -> {
      Secret secret = connectionSecret("pooled");
      assertThat(value(secret, "host")).isEqualTo("pgbouncer.example.internal");
      assertThat(value(secret, "port")).isEqualTo("1");
      assertThat(value(secret, "jdbc-url")).isEqualTo("jdbc:postgresql://pgbouncer.example.internal:1/" + db.name()
          + "?sslmode=prefer&prepareThreshold=0");
    });
  }

  /** What an application does with the Secret: the JDBC URL, the user, the password and, if present, the CA. */
  private static String connectAs(Secret secret, Path dir) throws Exception {
    var props = new Properties();
    props.setProperty("user", value(secret, "username"));
    props.setProperty("password", value(secret, "password"));
    if (secret.getData().containsKey("ca.crt")) {
      Path ca = Files.writeString(dir.resolve("ca.crt"), value(secret, "ca.crt"));
      props.setProperty("sslrootcert", ca.toString());
    }
    try (var c = DriverManager.getConnection(value(secret, "jdbc-url"), props); var s = c.createStatement();
        var rs = s.executeQuery("SELECT current_user || ' on ' || current_database() || ' tls=' || ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")) {
      rs.next();
      return rs.getString(1);
    }
  }

  private Secret connectionSecret(String unit) {
    return operator.client().secrets().inNamespace(operator.namespace()).withName(unit + "-connection").get();
  }

  private static String value(Secret secret, String key) {
    return new String(Base64.getDecoder().decode(secret.getData().get(key)), StandardCharsets.UTF_8);
  }

  private static void admin(TestDatabase db, String sql) throws Exception {
    try (var c = db.connect(); var s = c.createStatement()) {
      s.execute(sql);
    }
  }

  private static byte[] randomBytes() {
    byte[] bytes = new byte[4];
    ThreadLocalRandom.current().nextBytes(bytes);
    return bytes;
  }

  private String unit(String name, TestDatabase db, String tls, String extra) {
    return operator.units().unitYaml(name, "db", "localhost", db.port(), db.name(), tls) + "  extensions: []\n" + extra;
  }
}
