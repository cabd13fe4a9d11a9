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
    return spec(new PoolerSpec.ManagedPooler(2, "pgbouncer:test", null));
  }

  private static PoolerSpec spec(PoolerSpec.ManagedPooler managed) {
    return new PoolerSpec(true, PoolerSpec.PoolMode.TRANSACTION, 5, 50, 10, 0.8, 0.3, 5, 2, "10s", "60s", "120s", "10s", "60s", 1000, null,
        managed);
  }

  private static final PgBouncerResources.ClientTls TLS =
      new PgBouncerResources.ClientTls(PoolerSpec.ClientTlsMode.REQUIRE, "orders-pooler-tls", "Y2VydA==");

  private static PostgresTarget target(String host, String database, String user, String password) {
    return new PostgresTarget(host, 5432, database, user, password, PostgresTls.Mode.VERIFY_FULL, "-----BEGIN CERTIFICATE-----\n");
  }

  @Test
  void rendersTheSeedDefaultsAndTheDatabaseEntry() {
    var desired = PgBouncerResources.desired(unit(), spec(), target("db.example.com", "orders", "databaseunit_operator", "opw"),
        target("db.example.com", "orders", "app", "pw"), "adminpw", TLS);
    String ini = desired.config().getData().get("pgbouncer.ini");
    assertThat(ini).startsWith("[databases]\norders = host='db.example.com' port='5432' dbname='orders'\n")
        .contains("\ndefault_pool_size = 10\n", "\nserver_idle_timeout = 60\n", "\npool_mode = transaction\n", "\nmax_client_conn = 1000\n",
            "\nauth_type = scram-sha-256\n", "\nadmin_users = databaseunit_admin\n", "\nserver_tls_sslmode = verify-full\n",
            "\nserver_tls_ca_file = /etc/pgbouncer/auth/ca.crt\n", "\nserver_tls_protocols = secure\n",
            "\nclient_tls_sslmode = require\n", "\nclient_tls_cert_file = /etc/pgbouncer/tls/tls.crt\n",
            "\nclient_tls_key_file = /etc/pgbouncer/tls/tls.key\n", "\nclient_tls_protocols = secure\n");
    assertThat(desired.auth().getStringData()).containsEntry("userlist.txt",
        "\"databaseunit_operator\" \"opw\"\n\"app\" \"pw\"\n\"databaseunit_admin\" \"adminpw\"\n").containsEntry("admin-password", "adminpw");
    assertThat(desired.deployment().getSpec().getReplicas()).isEqualTo(2);
    // the root filesystem is read-only: nothing may be written (no unix socket, pidfile or logfile)
    assertThat(ini).contains("\nunix_socket_dir = \n").doesNotContain("pidfile", "logfile");
    var pod = desired.deployment().getSpec().getTemplate().getSpec();
    assertThat(pod.getSecurityContext().getRunAsUser()).isEqualTo(998L);
    assertThat(pod.getContainers()).singleElement().satisfies(c -> {
      assertThat(c.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
      assertThat(c.getCommand()).containsExactly("/bin/sh", "-c", PgBouncerResources.SHUTDOWN_WRAPPER, "pgbouncer", "/usr/bin/pgbouncer");
      assertThat(c.getArgs()).containsExactly("/etc/pgbouncer/config/pgbouncer.ini");
      assertThat(c.getVolumeMounts()).anySatisfy(m -> {
        assertThat(m.getMountPath()).isEqualTo("/etc/pgbouncer/tls");
        assertThat(m.getReadOnly()).isTrue();
      });
    });
    assertThat(pod.getVolumes()).filteredOn(v -> v.getSecret() != null).extracting(v -> v.getSecret().getSecretName())
        .contains("orders-pooler-tls");
    assertThat(desired.all()).allSatisfy(o -> {
      assertThat(o.getMetadata().getOwnerReferences()).singleElement().satisfies(r -> {
        assertThat(r.getUid()).isEqualTo("u-1");
        assertThat(r.getController()).isTrue();
      });
      assertThat(o.getMetadata().getNamespace()).isEqualTo("shop");
    });
  }

  @Test
  void disabledClientTlsMountsNoCertificateAndARenewedCertificateRollsThePods() {
    var target = target("db", "orders", "app", "pw");
    var plain = PgBouncerResources.desired(unit(), spec(), target, target, "a", null);
    assertThat(plain.config().getData().get("pgbouncer.ini")).contains("\nclient_tls_sslmode = disable\n")
        .doesNotContain("client_tls_cert_file");
    assertThat(plain.deployment().getSpec().getTemplate().getSpec().getVolumes()).extracting("name").containsExactly("config", "auth");

    var renewed = new PgBouncerResources.ClientTls(PoolerSpec.ClientTlsMode.REQUIRE, "orders-pooler-tls", "bmV3");
    assertThat(hash(PgBouncerResources.desired(unit(), spec(), target, target, "a", renewed)))
        .isNotEqualTo(hash(PgBouncerResources.desired(unit(), spec(), target, target, "a", TLS)))
        .isNotEqualTo(hash(plain));
  }

  @Test
  void aDisruptionBudgetFromTwoReplicasOnTheDeploymentsPods() {
    var target = target("db", "orders", "app", "pw");
    var single = PgBouncerResources.desired(unit(), spec(new PoolerSpec.ManagedPooler(1, null, null)), target, target, "a", TLS);
    assertThat(single.disruptionBudget()).isNull();
    assertThat(single.all()).extracting(o -> o.getKind()).containsExactly("ConfigMap", "Secret", "Deployment", "Service");
    for (var managed : java.util.Arrays.asList(null, new PoolerSpec.ManagedPooler(null, null, null),
        new PoolerSpec.ManagedPooler(2, null, null), new PoolerSpec.ManagedPooler(5, null, null))) {
      var desired = PgBouncerResources.desired(unit(), spec(managed), target, target, "a", TLS);
      var budget = desired.disruptionBudget();
      assertThat(budget).as("replicas %s", managed).isNotNull();
      assertThat(budget.getSpec().getMaxUnavailable().getIntVal()).isEqualTo(1);
      assertThat(budget.getSpec().getMinAvailable()).isNull();
      assertThat(budget.getSpec().getUnhealthyPodEvictionPolicy()).isEqualTo("AlwaysAllow");
      var deployment = desired.deployment().getSpec();
      assertThat(budget.getSpec().getSelector()).isEqualTo(deployment.getSelector());
      assertThat(deployment.getTemplate().getMetadata().getLabels()).containsAllEntriesOf(budget.getSpec().getSelector().getMatchLabels());
      assertThat(budget.getMetadata().getOwnerReferences()).singleElement().satisfies(r -> assertThat(r.getUid()).isEqualTo("u-1"));
      assertThat(desired.all()).extracting(o -> o.getKind())
          .containsExactly("ConfigMap", "Secret", "PodDisruptionBudget", "Deployment", "Service");
    }
  }

  @Test
  void podsPreferDifferentNodesRollWithoutLosingCapacityAndLeaveTheServiceBeforeTheyStop() {
    var target = target("db", "orders", "app", "pw");
    var deployment = PgBouncerResources.desired(unit(), spec(), target, target, "a", TLS).deployment().getSpec();
    assertThat(deployment.getStrategy().getType()).isEqualTo("RollingUpdate");
    assertThat(deployment.getStrategy().getRollingUpdate().getMaxUnavailable().getIntVal()).isZero();
    assertThat(deployment.getStrategy().getRollingUpdate().getMaxSurge().getIntVal()).isEqualTo(1);
    var pod = deployment.getTemplate().getSpec();
    var antiAffinity = pod.getAffinity().getPodAntiAffinity();
    assertThat(antiAffinity.getRequiredDuringSchedulingIgnoredDuringExecution()).as("a single node still runs every pod").isEmpty();
    assertThat(antiAffinity.getPreferredDuringSchedulingIgnoredDuringExecution()).singleElement().satisfies(term -> {
      assertThat(term.getWeight()).isEqualTo(100);
      assertThat(term.getPodAffinityTerm().getTopologyKey()).isEqualTo("kubernetes.io/hostname");
      assertThat(term.getPodAffinityTerm().getLabelSelector().getMatchLabels())
          .isEqualTo(deployment.getTemplate().getMetadata().getLabels()).isEqualTo(deployment.getSelector().getMatchLabels());
    });
    var preStop = pod.getContainers().getFirst().getLifecycle().getPreStop();
    assertThat(preStop.getExec().getCommand()).containsExactly("/bin/sleep", "5");
    // the grace period covers the preStop sleep and a minute of transactions finishing
    assertThat(pod.getTerminationGracePeriodSeconds()).isEqualTo(65L);
  }

  private static String hash(PgBouncerResources.Desired desired) {
    return desired.deployment().getSpec().getTemplate().getMetadata().getAnnotations().get("databaseunit.dev/config-hash");
  }

  @Test
  void theIssuedCertificateNamesTheServiceAndTheAdminConsoleTrustsItsCa() throws Exception {
    var secret = PgBouncerResources.issuedTlsSecret(unit(), java.time.Instant.parse("2026-11-25T00:00:00Z"));
    assertThat(secret.getMetadata().getName()).isEqualTo("orders-pooler-tls");
    assertThat(secret.getType()).isEqualTo("kubernetes.io/tls");
    assertThat(secret.getMetadata().getOwnerReferences()).singleElement().extracting("uid").isEqualTo("u-1");
    var certificate = (java.security.cert.X509Certificate) java.security.cert.CertificateFactory.getInstance("X.509")
        .generateCertificate(new java.io.ByteArrayInputStream(secret.getStringData().get("tls.crt").getBytes()));
    assertThat(certificate.getSubjectAlternativeNames()).extracting(n -> (Object) n.get(1))
        .contains((Object) "orders-pooler", "orders-pooler.shop.svc", "orders-pooler.shop.svc.cluster.local");

    var stored = new io.fabric8.kubernetes.api.model.SecretBuilder(secret).withStringData(null)
        .withData(encoded(secret.getStringData())).build();
    var endpoint = PgBouncerResources.adminEndpoint(unit(), spec(), "pw",
        (ns, name) -> java.util.Optional.of(stored).filter(s -> name.equals("orders-pooler-tls") && ns.equals("shop")));
    assertThat(endpoint.host()).isEqualTo("orders-pooler.shop.svc");
    assertThat(endpoint.tls().caCertificatePem()).isEqualTo(secret.getStringData().get("ca.crt"));
    assertThat(endpoint.toString()).doesNotContain("pw").contains("TLS");

    var disabled = new PoolerSpec(true, PoolerSpec.PoolMode.TRANSACTION, 5, 50, 10, 0.8, 0.3, 5, 2, "10s", "60s", "120s", "10s", "60s", 1000,
        null, new PoolerSpec.ManagedPooler(1, null, new PoolerSpec.ClientTls(PoolerSpec.ClientTlsMode.DISABLE, null)));
    assertThat(PgBouncerResources.adminEndpoint(unit(), disabled, "pw", (ns, name) -> java.util.Optional.of(stored)).tls()).isNull();
  }

  private static Map<String, String> encoded(Map<String, String> values) {
    var result = new LinkedHashMap<String, String>();
    values.forEach((k, v) -> result.put(k, java.util.Base64.getEncoder().encodeToString(v.getBytes())));
    return result;
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
    assertThatThrownBy(() -> PgBouncerResources.desired(unit(), spec(), target("db", "orders", "app", "pw"),
        target("db", "orders", "app2", "pw\n\"x\" \"y\""), "a", TLS))
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
