package dev.databaseunit.operator.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.databaseunit.operator.api.v1alpha1.DatabaseUnit;
import dev.databaseunit.operator.testing.Conflicts;
import dev.databaseunit.operator.testing.KubeCluster;
import dev.databaseunit.operator.testing.OperatorInNamespace;
import dev.databaseunit.operator.testing.PrivatePgBouncer;
import dev.databaseunit.operator.testing.RestrictedPods;
import dev.databaseunit.operator.testing.TestDatabase;
import dev.databaseunit.operator.testing.WithLocalServices;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The managed pooler's objects on a real API server (no pods run there): created owned by the unit, updated in
 * place on a spec change with a stable admin password, a PodDisruptionBudget while there are two replicas or more, and
 * the loop starting once the Service's EndpointSlice lists a ready pod (here unreachable, since no pod exists).
 */
@WithLocalServices
class ManagedPoolerIT {
  private static final Duration TIMEOUT = Duration.ofSeconds(30);
  private OperatorInNamespace running;
  private KubernetesClient client;
  private String namespace;
  private PoolerTestUnits units;
  private String restrictedNamespace;

  @BeforeEach
  void start(KubeCluster cluster) {
    running = OperatorInNamespace.start(cluster, "du-managed-pooler");
    client = running.client();
    namespace = running.namespace();
    restrictedNamespace = RestrictedPods.restrictedNamespace(cluster, client);
    units = new PoolerTestUnits(running.units(TIMEOUT));
  }

  @AfterEach
  void stop() {
    client.namespaces().withName(restrictedNamespace).delete();
    running.close();
  }

  @Test
  void rendersOwnedObjectsUpdatesThemInPlaceAndStartsTheLoopWhenReady(TestDatabase db) throws Exception {
    units.createDatabaseSecret(db);
    client.resource(unit(db, 10)).create();

    // the Service is applied last
    await().atMost(TIMEOUT).until(() -> get(Service.class, "orders-pooler"), s -> s != null);
    var config = get(ConfigMap.class, "orders-pooler");
    String uid = units.get().getMetadata().getUid();
    assertThat(config.getData().get("pgbouncer.ini"))
        .contains(db.name() + " = host='" + db.host() + "' port='" + db.port() + "' dbname='" + db.name() + "'")
        .contains("default_pool_size = 10\n", "pool_mode = transaction\n", "server_tls_sslmode = disable\n",
            "client_tls_sslmode = require\n");
    var auth = get(Secret.class, "orders-pooler-auth");
    var deployment = get(Deployment.class, "orders-pooler");
    var service = get(Service.class, "orders-pooler");
    // client TLS by default, with a certificate the operator issued once for the Service
    var tls = get(Secret.class, "orders-pooler-tls");
    assertThat(tls.getType()).isEqualTo("kubernetes.io/tls");
    assertThat(tls.getData()).containsKeys("ca.crt", "tls.crt", "tls.key");
    assertThat(deployment.getSpec().getTemplate().getSpec().getVolumes()).filteredOn(v -> v.getSecret() != null)
        .extracting(v -> v.getSecret().getSecretName()).contains("orders-pooler-tls");
    await().atMost(TIMEOUT).untilAsserted(() -> assertThat(decode(get(Secret.class, "orders-connection"), "sslmode"))
        .isEqualTo("verify-full"));
    assertThat(decode(get(Secret.class, "orders-connection"), "ca.crt")).isEqualTo(decode(tls, "ca.crt"));
    // two replicas by default: a budget lets a drain take one of the Deployment's pods at a time
    var budget = get(PodDisruptionBudget.class, "orders-pooler");
    assertThat(budget.getSpec().getMaxUnavailable().getIntVal()).isEqualTo(1);
    assertThat(budget.getSpec().getUnhealthyPodEvictionPolicy()).isEqualTo("AlwaysAllow");
    assertThat(budget.getSpec().getSelector()).isEqualTo(deployment.getSpec().getSelector());
    assertThat(deployment.getSpec().getStrategy().getRollingUpdate().getMaxUnavailable().getIntVal()).isZero();
    for (var object : java.util.List.of(config, auth, deployment, service, tls, budget)) {
      assertThat(object.getMetadata().getOwnerReferences()).singleElement()
          .satisfies(r -> assertThat(r.getUid()).isEqualTo(uid));
    }
    assertThat(decode(auth, "userlist.txt")).contains("\"" + db.user() + "\" \"" + db.password() + "\"");
    String adminPassword = decode(auth, "admin-password");
    assertThat(adminPassword).hasSizeGreaterThan(20);
    assertThat(service.getSpec().getPorts().getFirst().getPort()).isEqualTo(6432);
    // the API server's PodSecurity admission accepts the pod the Deployment would create as "restricted"
    RestrictedPods.assertRestricted(client, restrictedNamespace, "orders-pooler",
        deployment.getSpec().getTemplate().getSpec());
    await().atMost(TIMEOUT).untilAsserted(() -> assertThat(condition("Progressing").getMessage())
        .contains("waiting for the PgBouncer Deployment orders-pooler to become ready"));
    String hash = deployment.getSpec().getTemplate().getMetadata().getAnnotations().get("databaseunit.dev/config-hash");

    // a spec change updates the same objects; the admin password stays
    editPooler(db, pooler(12));
    await().atMost(TIMEOUT).until(() -> get(ConfigMap.class, "orders-pooler").getData().get("pgbouncer.ini")
        .contains("default_pool_size = 12\n"));
    // the Deployment is applied after the ConfigMap: its new config hash rolls the pods
    await().atMost(TIMEOUT).untilAsserted(() -> assertThat(get(Deployment.class, "orders-pooler").getSpec().getTemplate()
        .getMetadata().getAnnotations()).doesNotContainEntry("databaseunit.dev/config-hash", hash));
    assertThat(get(ConfigMap.class, "orders-pooler").getMetadata().getUid()).isEqualTo(config.getMetadata().getUid());
    assertThat(decode(get(Secret.class, "orders-pooler-auth"), "admin-password")).isEqualTo(adminPassword);

    // one replica: no budget (it would protect nothing); two again: the budget is back
    editPooler(db, pooler(12) + "\n    managed: {replicas: 1}");
    await().atMost(TIMEOUT).until(() -> get(PodDisruptionBudget.class, "orders-pooler") == null);
    assertThat(get(Deployment.class, "orders-pooler").getSpec().getReplicas()).isEqualTo(1);
    editPooler(db, pooler(12) + "\n    managed: {replicas: 2}");
    await().atMost(TIMEOUT).until(() -> get(PodDisruptionBudget.class, "orders-pooler") != null);

    // a ready pod in the Service's EndpointSlice (written by hand: nothing runs pods here) starts the loop against
    // that pod's own address, not the Service; nothing listens there, so the unit is degraded naming it
    int closedPort = PrivatePgBouncer.freePort();
    client.resource(units.readyPod("orders-pooler-0", PrivatePgBouncer.podAddress(), closedPort)).create();
    await().atMost(TIMEOUT).untilAsserted(() -> {
      var degraded = condition("Degraded");
      assertThat(degraded.getStatus()).isEqualTo("True");
      assertThat(degraded.getReason()).isEqualTo("PoolerUnreachable");
      assertThat(degraded.getMessage()).contains(PrivatePgBouncer.podAddress() + ":" + closedPort);
    });

    // turning the pooler off removes its objects and its status
    editPooler(db, "enabled: false");
    await().atMost(TIMEOUT).untilAsserted(() -> {
      assertThat(get(Deployment.class, "orders-pooler")).isNull();
      assertThat(get(ConfigMap.class, "orders-pooler")).isNull();
      assertThat(get(Service.class, "orders-pooler")).isNull();
      assertThat(get(Secret.class, "orders-pooler-auth")).isNull();
      assertThat(get(Secret.class, "orders-pooler-tls")).isNull();
      assertThat(get(PodDisruptionBudget.class, "orders-pooler")).isNull();
      assertThat(condition("Degraded").getStatus()).isEqualTo("False");
    });
  }

  private void editPooler(TestDatabase db, String pooler) {
    Conflicts.retry(() -> client.resources(DatabaseUnit.class).inNamespace(namespace).withName("orders").edit(u -> {
      var edited = unit(db, pooler);
      edited.setMetadata(u.getMetadata());
      return edited;
    }));
  }

  private static String decode(Secret secret, String key) {
    return new String(Base64.getDecoder().decode(secret.getData().get(key)), StandardCharsets.UTF_8);
  }

  private <T extends io.fabric8.kubernetes.api.model.HasMetadata> T get(Class<T> type, String name) {
    return client.resources(type).inNamespace(namespace).withName(name).get();
  }

  private io.fabric8.kubernetes.api.model.Condition condition(String type) {
    return units.condition(type);
  }

  private static String pooler(int initialSize) {
    return "initialSize: " + initialSize + "\n    sampleInterval: 500ms";
  }

  private DatabaseUnit unit(TestDatabase db, int initialSize) {
    return units.unit(db, pooler(initialSize));
  }

  private DatabaseUnit unit(TestDatabase db, String pooler) {
    return units.unit(db, pooler);
  }
}
