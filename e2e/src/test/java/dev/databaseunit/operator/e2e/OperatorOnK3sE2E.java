package dev.databaseunit.operator.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.databaseunit.operator.api.v1alpha1.DatabaseUnit;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shipped artefacts on a real cluster (k3s in Docker): the operator image built from the Dockerfile, loaded
 * into k3s and installed with the Helm chart; `helm test` runs the image's HealthProbe against /readyz. Then the
 * sample DatabaseUnit in managed mode (PostgreSQL with pgvector, PgBouncer and Redis run by the operator) reaches
 * Ready in a namespace that enforces the restricted Pod Security Standard, so every pod the operator creates has
 * passed the API server's PodSecurity admission, and an application connection through the managed PgBouncer sees
 * the migrated schema and the HNSW index.
 *
 * <p>Backup + restore test, maintenance window and GDPR erase are not in this test yet: their controllers were not
 * on main when it was written (issue 10 item 5).
 */
@DockerAvailable
class OperatorOnK3sE2E {
  private static final String CHART = "helm/databaseunit-operator";
  private static final String IMAGE_REPOSITORY = "databaseunit-operator";
  private static final String IMAGE_TAG = "e2e";
  private static final String RELEASE = "du";
  private static final String OPERATOR_NAMESPACE = "databaseunit-system";
  private static final String APP_NAMESPACE = "recipes";

  @Test
  void theChartInstallsTheOperatorWhichRunsAManagedUnitToReady(@TempDir Path work) throws Exception {
    String image = OperatorImage.build(IMAGE_REPOSITORY + ":" + IMAGE_TAG);
    try (var cluster = new K3sCluster(work); KubernetesClient client = cluster.newClient()) {
      cluster.loadImage(image);
      createRestrictedNamespace(client, OPERATOR_NAMESPACE);
      createRestrictedNamespace(client, APP_NAMESPACE);
      cluster.helm(Duration.ofMinutes(6), "install", RELEASE, CHART, "--namespace", OPERATOR_NAMESPACE,
          "--set", "image.repository=" + IMAGE_REPOSITORY, "--set", "image.tag=" + IMAGE_TAG,
          // the image exists only in the cluster's containerd: never try to pull it
          "--set", "image.pullPolicy=Never", "--set", "replicaCount=1",
          "--set", "watchNamespaces={" + APP_NAMESPACE + "}", "--wait", "--timeout", "5m");
      assertThat(cluster.helm(Duration.ofMinutes(4), "test", RELEASE, "--namespace", OPERATOR_NAMESPACE, "--timeout", "3m"))
          .containsPattern("Phase:\\s+Succeeded");

      applyFile(client, Path.of("samples", "recipe-schema.yaml"));
      client.resource(managedSampleUnit(client)).inNamespace(APP_NAMESPACE).create();
      cluster.kubectl("wait", "--for=condition=Ready", "databaseunit/recipes", "--namespace", APP_NAMESPACE, "--timeout=900s");

      var units = client.resources(DatabaseUnit.class).inNamespace(APP_NAMESPACE).withName("recipes");
      DatabaseUnit unit = units.get();
      assertThat(unit.getStatus().observedGeneration()).isEqualTo(unit.getMetadata().getGeneration());
      // the adaptive loop samples the managed PgBouncer through its Service: the sample's initial size
      await().atMost(Duration.ofMinutes(2)).untilAsserted(() ->
          assertThat(units.get().getStatus().pooler()).isNotNull().extracting(p -> p.currentSize()).isEqualTo(10));
      var pods = client.pods().inNamespace(APP_NAMESPACE).list().getItems();
      assertThat(pods).flatExtracting(p -> p.getSpec().getContainers()).extracting(Container::getName)
          .contains("postgres", "pgbouncer", "redis");
      assertThat(pods).allSatisfy(p -> assertThat(isReady(p)).as(p.getMetadata().getName() + " ready").isTrue());

      // The application's path: through the managed PgBouncer (TLS to PostgreSQL) to the migrated database.
      String indexes = cluster.kubectl("exec", "--namespace", APP_NAMESPACE, "recipes-postgres-0", "--", "sh", "-c",
          "PGPASSWORD=\"$POSTGRES_PASSWORD\" psql -h recipes-pooler -p 6432 -U \"$POSTGRES_USER\" -d recipes -tA"
              + " -c \"select indexname from pg_indexes where indexname = 'idx_recipe_embeddings_hnsw'\"");
      assertThat(indexes.strip()).isEqualTo("idx_recipe_embeddings_hnsw");
    }
  }

  private static void createRestrictedNamespace(KubernetesClient client, String name) {
    client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(name)
        .addToLabels("pod-security.kubernetes.io/enforce", "restricted").endMetadata().build()).create();
  }

  private static void applyFile(KubernetesClient client, Path file) throws Exception {
    try (InputStream in = Files.newInputStream(file)) {
      for (HasMetadata object : client.load(in).items()) {
        client.resource(object).inNamespace(APP_NAMESPACE).create();
      }
    }
  }

  /** samples/databaseunit.yaml with its external PostgreSQL (the local stack) replaced by a managed one. */
  @SuppressWarnings("unchecked")
  private static DatabaseUnit managedSampleUnit(KubernetesClient client) throws Exception {
    var serialization = client.getKubernetesSerialization();
    var sample = serialization.unmarshal(Files.readString(Path.of("samples", "databaseunit.yaml")),
        GenericKubernetesResource.class);
    var spec = new LinkedHashMap<>((Map<String, Object>) sample.getAdditionalProperties().get("spec"));
    spec.put("postgres", Map.of("managed", Map.of("database", "recipes", "storageSize", "1Gi")));
    sample.getAdditionalProperties().put("spec", spec);
    return serialization.convertValue(sample, DatabaseUnit.class);
  }

  private static boolean isReady(Pod pod) {
    return pod.getStatus().getConditions().stream().anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
  }
}
