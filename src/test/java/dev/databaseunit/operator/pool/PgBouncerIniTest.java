package dev.databaseunit.operator.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.databaseunit.operator.api.v1alpha1.DatabaseUnit;
import dev.databaseunit.operator.api.v1alpha1.PoolerSpec;
import dev.databaseunit.operator.api.v1alpha1.PostgresTls;
import dev.databaseunit.operator.postgres.PostgresTarget;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PgBouncerIniTest {

  private static DatabaseUnit unit() {
    var unit = new DatabaseUnit();
    unit.setMetadata(new ObjectMetaBuilder().withName("orders").withNamespace("shop").withUid("u-1").build());
    return unit;
  }

  private static PoolerSpec spec() {
    return new PoolerSpec(true, PoolerSpec.PoolMode.TRANSACTION, 5, 50, 10, 0.8, 0.3, 5, 2, "10s", "60s", "120s", "10s", "60s", 1000, null,
        new PoolerSpec.ManagedPooler(2, "pgbouncer:test"));
  }

  private static PostgresTarget target(String host, String database, String user, String password) {
    return new PostgresTarget(host, 5432, database, user, password, PostgresTls.Mode.VERIFY_FULL, "-----BEGIN CERTIFICATE-----\n");
  }

  @Test
  void rendersTheSeedDefaultsAndTheDatabaseEntry() {
    var desired = PgBouncerResources.desired(unit(), spec(), target("db.example.com", "orders", "app", "pw"), "adminpw");
    String ini = desired.config().getData().get("pgbouncer.ini");
    assertThat(ini).startsWith("[databases]\norders = host='db.example.com' port='5432' dbname='orders'\n")
        .contains("\ndefault_pool_size = 10\n", "\nserver_idle_timeout = 60\n", "\npool_mode = transaction\n", "\nmax_client_conn = 1000\n",
            "\nauth_type = scram-sha-256\n", "\nadmin_users = databaseunit_admin\n", "\nserver_tls_sslmode = verify-full\n",
            "\nserver_tls_ca_file = /etc/pgbouncer/auth/ca.crt\n");
    assertThat(desired.auth().getStringData()).containsEntry("userlist.txt",
        "\"app\" \"pw\"\n\"databaseunit_admin\" \"adminpw\"\n").containsEntry("admin-password", "adminpw");
    assertThat(desired.deployment().getSpec().getReplicas()).isEqualTo(2);
    // the root filesystem is read-only: nothing may be written (no unix socket, pidfile or logfile)
    assertThat(ini).contains("\nunix_socket_dir = \n").doesNotContain("pidfile", "logfile");
    var pod = desired.deployment().getSpec().getTemplate().getSpec();
    assertThat(pod.getSecurityContext().getRunAsUser()).isEqualTo(998L);
    assertThat(pod.getContainers()).singleElement().satisfies(c -> {
      assertThat(c.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
      assertThat(c.getCommand()).containsExactly("/usr/bin/pgbouncer");
      assertThat(c.getArgs()).containsExactly("/etc/pgbouncer/config/pgbouncer.ini");
    });
    assertThat(desired.all()).allSatisfy(o -> {
      assertThat(o.getMetadata().getOwnerReferences()).singleElement().satisfies(r -> {
        assertThat(r.getUid()).isEqualTo("u-1");
        assertThat(r.getController()).isTrue();
      });
      assertThat(o.getMetadata().getNamespace()).isEqualTo("shop");
    });
  }

  @Test
  void everyLineOfTheIniIsASectionOrAKeyWhateverTheValues() {
    Map<String, String> params = new LinkedHashMap<>();
    params.put("host", "h");
    params.put("dbname", "x' host='evil.example.com");
    String ini = PgBouncerIni.render(Map.of("orders", params), Map.of("pool_mode", "transaction"));
    assertThat(ini).contains("dbname='x'' host=''evil.example.com'");
    assertThat(ini.lines().filter(l -> !l.isBlank()))
        .allMatch(l -> l.matches("\\[(databases|pgbouncer)]") || l.matches("[A-Za-z0-9_.-]+ = .*"));
  }

  @Test
  void hostileValuesAreRefusedNotRendered() {
    var hostile = List.of("a\nadmin_users = app", "a\rb", "a\u0000b");
    for (String value : hostile) {
      assertThatThrownBy(() -> PgBouncerIni.userlistLine("app", value)).isInstanceOf(IllegalArgumentException.class)
          .hasMessageNotContaining(value);
      assertThatThrownBy(() -> PgBouncerIni.userlistLine(value, "pw")).isInstanceOf(IllegalArgumentException.class);
      assertThatThrownBy(() -> PgBouncerIni.render(Map.of("db", Map.of("dbname", value)), Map.of()))
          .isInstanceOf(IllegalArgumentException.class);
      assertThatThrownBy(() -> PgBouncerIni.render(Map.of(), Map.of("pool_mode", value)))
          .isInstanceOf(IllegalArgumentException.class);
    }
    assertThatThrownBy(() -> PgBouncerIni.render(Map.of("db = host=evil", Map.of()), Map.of()))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> PgBouncerIni.render(Map.of("[pgbouncer]", Map.of()), Map.of()))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> PgBouncerIni.render(Map.of(), Map.of("admin_users = x\nauth_type", "trust")))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> PgBouncerIni.render(Map.of(), Map.of("pool_mode", "session ; comment")))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> PgBouncerIni.requireHost("db.example.com port=1")).isInstanceOf(IllegalArgumentException.class);
    // through the resource builder: a password with a line break from a Secret
    assertThatThrownBy(() -> PgBouncerResources.desired(unit(), spec(), target("db", "orders", "app", "pw\n\"x\" \"y\""), "a"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("password");
  }

  @Test
  void quotesInUserlistValuesAreDoubled() {
    assertThat(PgBouncerIni.userlistLine("ap\"p", "p\"w'd")).isEqualTo("\"ap\"\"p\" \"p\"\"w'd\"\n");
  }

  @Test
  void randomisedValuesNeverAddALine() {
    var random = new java.util.Random(7);
    String alphabet = "abc'\"=;# []\\\n\r\t";
    for (int i = 0; i < 2000; i++) {
      var sb = new StringBuilder();
      for (int j = random.nextInt(12); j >= 0; j--) {
        sb.append(alphabet.charAt(random.nextInt(alphabet.length())));
      }
      String value = sb.toString();
      try {
        String ini = PgBouncerIni.render(Map.of("db", Map.of("dbname", value)), Map.of("pool_mode", "x"));
        assertThat(ini.lines().count()).isEqualTo(5);
        String line = PgBouncerIni.userlistLine("u", value);
        assertThat(line.lines().count()).isEqualTo(1);
      } catch (IllegalArgumentException refused) {
        assertThat(value).matches("(?s).*[\\n\\r\\t].*");
      }
    }
  }
}
