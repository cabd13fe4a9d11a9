package dev.databaseunit.operator.managed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.databaseunit.operator.api.v1alpha1.DatabaseUnit;
import dev.databaseunit.operator.status.Conditions;
import dev.databaseunit.operator.testing.Conflicts;
import dev.databaseunit.operator.testing.KubeCluster;
import dev.databaseunit.operator.testing.OperatorInNamespace;
import dev.databaseunit.operator.testing.RestrictedPods;
import dev.databaseunit.operator.testing.WithLocalServices;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A managed PostgreSQL at the object level on the real API server (no kubelet runs pods here; the e2e test on
 * k3s runs them): Secrets created once, TLS for the Service's name, a restricted StatefulSet owned by the unit,
 * updated in place on a spec change, and the unit Progressing until the instance is ready.
 */
@WithLocalServices
class ManagedPostgresIT {

  @Test
  void rendersARestrictedInstanceAndUpdatesItInPlace(KubeCluster cluster) throws Exception {
    try (var operator = OperatorInNamespace.start(cluster, "managed")) {
      KubernetesClient client = operator.client();
      String namespace = operator.namespace();
      client.resource(unit(client, namespace, "pgvector/pgvector:0.8.0-pg17")).create();
      StatefulSet sts = await().atMost(Duration.ofSeconds(30)).until(
          () -> client.apps().statefulSets().inNamespace(namespace).withName("shop-postgres").get(), s -> s != null);
      var unit = client.resources(DatabaseUnit.class).inNamespace(namespace).withName("shop").get();
      assertThat(sts.getMetadata().getOwnerReferences()).singleElement()
          .satisfies(ref -> assertThat(ref.getUid()).isEqualTo(unit.getMetadata().getUid()));
      assertThat(sts.getSpec().getTemplate().getSpec().getContainers().getFirst().getArgs())
          .contains("ssl=on", "ssl_min_protocol_version=TLSv1.2");
      assertThat(client.services().inNamespace(namespace).withName("shop-postgres").get().getSpec().getPorts())
          .extracting(p -> p.getPort()).containsExactly(5432);
      RestrictedPods.assertRestricted(client, RestrictedPods.restrictedNamespace(cluster, client), "shop-postgres",
          RestrictedPods.podOf(sts));

      Secret superuser = client.secrets().inNamespace(namespace).withName("shop-postgres-superuser").get();
      String password = decode(superuser, "password");
      assertThat(password).hasSizeGreaterThanOrEqualTo(32);
      Secret tls = client.secrets().inNamespace(namespace).withName("shop-postgres-tls").get();
      var factory = CertificateFactory.getInstance("X.509");
      var ca = (X509Certificate) factory.generateCertificate(new ByteArrayInputStream(decode(tls, "ca.crt").getBytes(StandardCharsets.US_ASCII)));
      var server = (X509Certificate) factory.generateCertificate(new ByteArrayInputStream(decode(tls, "tls.crt").getBytes(StandardCharsets.US_ASCII)));
      server.verify(ca.getPublicKey());
      assertThat(server.getSubjectAlternativeNames()).extracting(n -> (Object) n.get(1))
          .contains("shop-postgres." + namespace + ".svc");

      await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
        var conditions = client.resources(DatabaseUnit.class).inNamespace(namespace).withName("shop").get().getStatus().conditions();
        assertThat(Conditions.find(conditions, Conditions.PROGRESSING).getMessage()).contains("waiting for the managed PostgreSQL shop-postgres");
        assertThat(Conditions.isTrue(conditions, Conditions.READY)).isFalse();
        assertThat(Conditions.isTrue(conditions, Conditions.DEGRADED)).isFalse();
      });

      Conflicts.retry(() -> client.resources(DatabaseUnit.class).inNamespace(namespace).withName("shop").edit(u -> {
        var changed = unit(client, namespace, "pgvector/pgvector:0.8.1-pg17");
        changed.setMetadata(u.getMetadata());
        return changed;
      }));
      await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(client.apps().statefulSets().inNamespace(namespace)
          .withName("shop-postgres").get().getSpec().getTemplate().getSpec().getContainers().getFirst().getImage())
          .isEqualTo("pgvector/pgvector:0.8.1-pg17"));
      assertThat(decode(client.secrets().inNamespace(namespace).withName("shop-postgres-superuser").get(), "password"))
          .as("the password is created once, never rotated by a spec change").isEqualTo(password);
      for (var role : Map.of("shop-postgres-operator", "databaseunit_operator", "shop-postgres-app", "app").entrySet()) {
        Secret secret = client.secrets().inNamespace(namespace).withName(role.getKey()).get();
        assertThat(decode(secret, "username")).isEqualTo(role.getValue());
        assertThat(decode(secret, "password")).hasSizeGreaterThanOrEqualTo(32).isNotEqualTo(password);
        assertThat(secret.getMetadata().getOwnerReferences()).singleElement()
            .satisfies(ref -> assertThat(ref.getUid()).isEqualTo(unit.getMetadata().getUid()));
      }
    }
  }

  private static String decode(Secret secret, String key) {
    return new String(Base64.getDecoder().decode(secret.getData().get(key)), StandardCharsets.UTF_8);
  }

  private static DatabaseUnit unit(KubernetesClient client, String namespace, String image) {
    return client.getKubernetesSerialization().unmarshal("""
        apiVersion: databaseunit.dev/v1alpha1
        kind: DatabaseUnit
        metadata: {name: shop, namespace: %s}
        spec:
          postgres:
            managed: {database: shop, image: "%s", storageSize: 5Gi}
        """.formatted(namespace, image), DatabaseUnit.class);
  }
}
