package dev.databaseunit.operator.gitops;

import static org.assertj.core.api.Assertions.assertThat;

import dev.databaseunit.operator.testing.Commands;
import dev.databaseunit.operator.testing.KubeCluster;
import dev.databaseunit.operator.testing.LocalServices;
import dev.databaseunit.operator.testing.OperatorInNamespace;
import dev.databaseunit.operator.testing.TestBucket;
import dev.databaseunit.operator.testing.TestDatabase;
import dev.databaseunit.operator.testing.UnitFixtures;
import dev.databaseunit.operator.testing.WithLocalServices;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * `kubectl wait --for=condition=Ready`, the check GitOps pipelines and kstatus rely on, succeeds on a resource of
 * each kind applied with kubectl, against the real API server with the operator running.
 */
@WithLocalServices
class KubectlWaitIT {

  @Test
  void kubectlWaitForReadySucceedsOnEveryKind(KubeCluster cluster, TestDatabase db, TestBucket bucket, @TempDir Path dir)
      throws Exception {
    Path kubeconfig = dir.resolve("kubeconfig");
    Files.writeString(kubeconfig, cluster.kubeconfigYaml());
    try (var operator = OperatorInNamespace.start(cluster, "wait")) {
      KubernetesClient client = operator.client();
      String namespace = operator.namespace();
      Path manifests = dir.resolve("shop.yaml");
      Files.writeString(manifests, shop(db, bucket));
      kubectl(kubeconfig, "apply", "-n", namespace, "-f", Path.of("samples", "recipe-schema.yaml").toString());
      kubectl(kubeconfig, "apply", "-n", namespace, "-f", manifests.toString());
      for (String object : List.of("databaseunit/shop", "backuppolicy/shop-backups", "maintenancewindow/shop-weekly",
          "gdprrequest/erase-dry-run")) {
        String out = kubectl(kubeconfig, "wait", "-n", namespace, "--for=condition=Ready", "--timeout=120s", object);
        assertThat(out).contains("condition met");
      }
      assertThat(kubectl(kubeconfig, "get", "-n", namespace, "du,bp,mw,gdpr")).contains("shop", "shop-backups", "shop-weekly",
          "erase-dry-run");
    }
  }

  /** A Secret-backed unit "shop" on the test database with a policy, a window and a GdprRequest of its own, all Ready. */
  static String shop(TestDatabase db, TestBucket bucket) {
    return UnitFixtures.backupSecretsYaml(db, bucket) + """
        ---
        apiVersion: databaseunit.dev/v1alpha1
        kind: DatabaseUnit
        metadata: {name: shop}
        spec:
          postgres:
            external: {host: %s, port: %d, database: %s, credentials: {secretName: db}, tls: {mode: disable}}
          migrations: {configMaps: [recipes-schema]}
        ---
        apiVersion: databaseunit.dev/v1alpha1
        kind: BackupPolicy
        metadata: {name: shop-backups}
        spec:
          databaseUnit: shop
          schedules: [{tier: daily, cron: "0 0 3 * * ?", retention: 30d}]
          storage: {bucket: %s, endpoint: "%s", credentials: {secretName: s3}}
          encryption: {keyEncryptionKey: {name: kek, key: kek}}
        ---
        apiVersion: databaseunit.dev/v1alpha1
        kind: MaintenanceWindow
        metadata: {name: shop-weekly}
        spec:
          databaseUnit: shop
          schedule: "0 0 2 ? * SUN"
          duration: 2h
        ---
        apiVersion: databaseunit.dev/v1alpha1
        kind: GdprRequest
        metadata: {name: erase-dry-run}
        spec: {databaseUnit: shop, type: Erase, subjectId: "42", dryRun: true, requestedBy: dpo@example.com}
        """.formatted(db.host(), db.port(), db.name(), bucket.name(), bucket.endpoint());
  }

  static String kubectl(Path kubeconfig, String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of(LocalServices.get().kubectl().toString(), "--kubeconfig", kubeconfig.toString()));
    command.addAll(List.of(args));
    return Commands.run(command);
  }
}
