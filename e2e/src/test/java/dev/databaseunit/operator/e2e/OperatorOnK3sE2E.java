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
import java.nio.charset.StandardCharsets;
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
 * passed the API server's PodSecurity admission; an application query through the managed PgBouncer sees the
 * migrated schema and the HNSW index. On that unit: an encrypted backup to S3 in the cluster and a restore test of
 * it, a maintenance window run now, and a GDPR erasure of a seeded user.
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
      assertThat(sql(cluster, "recipes-pooler", "select indexname from pg_indexes where indexname = 'idx_recipe_embeddings_hnsw'"))
          .isEqualTo("idx_recipe_embeddings_hnsw");
      String userId = sql(cluster, "localhost", "insert into users (email, display_name) values ('ada@example.com', 'Ada')"
          + " returning id");
      sql(cluster, "localhost", "insert into recipes (user_id, title) values (" + userId + ", 'Soup'), (" + userId + ", 'Bread')");

      backupAndRestoreTest(client, cluster);
      maintenanceWindow(client, cluster);
      gdprErase(client, cluster, userId);
    }
  }

  /** A backup to S3 (s3proxy in the cluster), then a restore test of it into a scratch database: Passed. */
  private static void backupAndRestoreTest(KubernetesClient client, K3sCluster cluster) throws Exception {
    S3InCluster.deploy(client, "recipes-backups");
    // The Secrets samples/README.md asks for: the in-cluster s3proxy's keys and a fresh key-encryption key.
    byte[] kek = new byte[32];
    new java.security.SecureRandom().nextBytes(kek);
    create(client, """
        apiVersion: v1
        kind: Secret
        metadata: {name: recipes-backup-s3}
        stringData: {accessKeyId: %s, secretAccessKey: %s}
        ---
        apiVersion: v1
        kind: Secret
        metadata: {name: recipes-backup-kek}
        stringData: {kek: %s}
        """.formatted(S3InCluster.ACCESS_KEY, S3InCluster.SECRET_KEY, java.util.Base64.getEncoder().encodeToString(kek)));
    // samples/backuppolicy.yaml with schedules that fire within a minute, and the S3 endpoint in the cluster
    create(client, """
        apiVersion: databaseunit.dev/v1alpha1
        kind: BackupPolicy
        metadata: {name: recipes-backups}
        spec:
          databaseUnit: recipes
          schedules:
            - {tier: daily, cron: "0 * * * * ?", timeZone: UTC, window: 1h, retention: 30d}
          storage:
            bucket: recipes-backups
            prefix: recipes/
            endpoint: %s
            region: eu-west-1
            credentials: {secretName: recipes-backup-s3}
          encryption:
            keyEncryptionKey: {name: recipes-backup-kek, key: kek}
            keyId: kek-2026-11
          restoreTest:
            cron: "30 * * * * ?"
            checks: [restore_validation, data_integrity_check, recovery_time_measurement]
            rto: 4h
            rpo: 24h
        """.formatted(S3InCluster.ENDPOINT));
    cluster.kubectl("wait", "--for=jsonpath={.status.lastRestoreTest.outcome}=Passed", "backuppolicy/recipes-backups",
        "--namespace", APP_NAMESPACE, "--timeout=600s");
    String objectKey = cluster.kubectl("get", "backuppolicy/recipes-backups", "--namespace", APP_NAMESPACE,
        "-o", "jsonpath={.status.lastBackup.objectKey}");
    assertThat(objectKey).startsWith("recipes/");
    assertThat(S3InCluster.objectKeys(cluster, "recipes-backups")).contains(objectKey);
  }

  /** A window run now: drain through the managed PgBouncer, the tasks, resume: Succeeded. */
  private static void maintenanceWindow(KubernetesClient client, K3sCluster cluster) throws Exception {
    create(client, """
        apiVersion: databaseunit.dev/v1alpha1
        kind: MaintenanceWindow
        metadata: {name: recipes-now}
        spec:
          databaseUnit: recipes
          runNow: true
          duration: 30m
          drainTimeout: 60s
          tasks: [SchemaUpdate, OptimizeIndexes, UpdateStatistics, ValidateIntegrity]
          prechecks: {requireReady: true, requireBackupWithin: 24h}
        """);
    cluster.kubectl("wait", "--for=jsonpath={.status.lastRun.outcome}=Succeeded", "maintenancewindow/recipes-now",
        "--namespace", APP_NAMESPACE, "--timeout=600s");
    // traffic flows through the pooler again
    assertThat(sql(cluster, "recipes-pooler", "select count(*) from recipes")).isEqualTo("2");
  }

  /** An erase request for the seeded user: Completed, and no row of theirs is left. */
  private static void gdprErase(KubernetesClient client, K3sCluster cluster, String userId) throws Exception {
    create(client, """
        apiVersion: databaseunit.dev/v1alpha1
        kind: GdprRequest
        metadata: {name: erase-ada}
        spec:
          databaseUnit: recipes
          type: Erase
          subjectId: "%s"
          requestedBy: dpo@example.com
          reason: "Art. 17 erasure request, e2e"
        """.formatted(userId));
    cluster.kubectl("wait", "--for=jsonpath={.status.phase}=Completed", "gdprrequest/erase-ada",
        "--namespace", APP_NAMESPACE, "--timeout=300s");
    assertThat(cluster.kubectl("get", "gdprrequest/erase-ada", "--namespace", APP_NAMESPACE,
        "-o", "jsonpath={.status.erasure.deletedRows.recipes}")).isEqualTo("2");
    assertThat(sql(cluster, "localhost", "select (select count(*) from users where id = " + userId + ")"
        + " + (select count(*) from recipes where user_id = " + userId + ")")).isEqualTo("0");
  }

  /** psql in the PostgreSQL pod as the managed superuser; host "localhost" is the server itself. */
  private static String sql(K3sCluster cluster, String host, String statement) throws Exception {
    return cluster.kubectl("exec", "--namespace", APP_NAMESPACE, "recipes-postgres-0", "--", "sh", "-c",
        "PGPASSWORD=\"$POSTGRES_PASSWORD\" exec psql -U \"$POSTGRES_USER\" \"$@\"", "sh",
        "-h", host, "-p", host.equals("localhost") ? "5432" : "6432", "-d", "recipes", "-tAq", "-v", "ON_ERROR_STOP=1",
        "-c", statement).strip();
  }

  private static void create(KubernetesClient client, String yaml) {
    for (HasMetadata object : client.load(new java.io.ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8))).items()) {
      client.resource(object).inNamespace(APP_NAMESPACE).create();
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

  /** samples/databaseunit.yaml with a smaller volume for its managed PostgreSQL. */
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
