package dev.databaseunit.operator.gitops;

import static dev.databaseunit.operator.gitops.KubectlWaitIT.kubectl;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.databaseunit.operator.status.Conditions;
import dev.databaseunit.operator.testing.Commands;
import dev.databaseunit.operator.testing.KubeCluster;
import dev.databaseunit.operator.testing.LocalServices;
import dev.databaseunit.operator.testing.OperatorInNamespace;
import dev.databaseunit.operator.testing.TestBucket;
import dev.databaseunit.operator.testing.TestDatabase;
import dev.databaseunit.operator.testing.WithLocalServices;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What Flux, kpt and `kubectl apply --wait` conclude about our resources: the verdict of cli-utils' kstatus (built from
 * its Go module into kstatus-check, see tools/kstatus) on each kind read back with `kubectl get -o json`, against the
 * real API server with the operator running. Healthy resources are Current; one the operator is still working on, or
 * whose spec change it has not seen yet, is InProgress; one that waits for a person (a missing reference) is Failed,
 * rather than InProgress forever.
 */
@WithLocalServices
class KstatusIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration SETTLE = Duration.ofSeconds(120);

  private record Verdict(String status, String message) {}

  @Test
  void kstatusSeesEveryKindCurrentInProgressAndFailed(KubeCluster cluster, TestDatabase db, TestBucket bucket, @TempDir Path dir)
      throws Exception {
    Path kubeconfig = dir.resolve("kubeconfig");
    Files.writeString(kubeconfig, cluster.kubeconfigYaml());
    try (var operator = OperatorInNamespace.start(cluster, "kstatus")) {
      String namespace = operator.namespace();
      operator.apply(Files.readString(Path.of("samples", "recipe-schema.yaml")));
      operator.apply(KubectlWaitIT.shop(db, bucket));
      // Nothing listens on port 1: the operator retries the connection with backoff, which is work in progress.
      operator.apply("""
          apiVersion: databaseunit.dev/v1alpha1
          kind: DatabaseUnit
          metadata: {name: unreachable}
          spec:
            postgres:
              external: {host: 127.0.0.1, port: 1, database: app, credentials: {secretName: db}, tls: {mode: disable}}
          ---
          apiVersion: databaseunit.dev/v1alpha1
          kind: BackupPolicy
          metadata:
            name: unreachable-backups
            annotations: {databaseunit.dev/backup-now: "1"}
          spec:
            databaseUnit: unreachable
            schedules: [{tier: daily, cron: "0 3 * * *", retention: 30d}]
            storage: {bucket: %s, endpoint: "%s", credentials: {secretName: s3}}
            encryption: {keyEncryptionKey: {name: kek, key: kek}}
          ---
          apiVersion: databaseunit.dev/v1alpha1
          kind: GdprRequest
          metadata: {name: erase-unreachable}
          spec: {databaseUnit: unreachable, type: Erase, subjectId: "7", dryRun: true, requestedBy: dpo@example.com}
          ---
          apiVersion: databaseunit.dev/v1alpha1
          kind: DatabaseUnit
          metadata: {name: no-secret}
          spec:
            postgres:
              external: {host: 127.0.0.1, port: 5432, database: app, credentials: {secretName: missing}}
          ---
          apiVersion: databaseunit.dev/v1alpha1
          kind: BackupPolicy
          metadata: {name: no-unit-backups}
          spec:
            databaseUnit: missing
            schedules: [{tier: daily, cron: "0 3 * * *", retention: 30d}]
            storage: {bucket: %s, endpoint: "%s", credentials: {secretName: s3}}
            encryption: {keyEncryptionKey: {name: kek, key: kek}}
          ---
          apiVersion: databaseunit.dev/v1alpha1
          kind: MaintenanceWindow
          metadata: {name: no-unit-weekly}
          spec: {databaseUnit: missing, schedule: "0 2 * * 0"}
          ---
          apiVersion: databaseunit.dev/v1alpha1
          kind: GdprRequest
          metadata: {name: erase-no-unit}
          spec: {databaseUnit: missing, type: Erase, subjectId: "7", requestedBy: dpo@example.com}
          """.formatted(bucket.name(), bucket.endpoint(), bucket.name(), bucket.endpoint()));

      Map<String, String> expected = new LinkedHashMap<>();
      expected.put("databaseunit/shop", "Current");
      expected.put("backuppolicy/shop-backups", "Current");
      expected.put("maintenancewindow/shop-weekly", "Current");
      expected.put("gdprrequest/erase-dry-run", "Current");
      expected.put("databaseunit/unreachable", "InProgress");
      expected.put("backuppolicy/unreachable-backups", "InProgress");
      expected.put("gdprrequest/erase-unreachable", "InProgress");
      expected.put("databaseunit/no-secret", "Failed");
      expected.put("backuppolicy/no-unit-backups", "Failed");
      expected.put("maintenancewindow/no-unit-weekly", "Failed");
      expected.put("gdprrequest/erase-no-unit", "Failed");
      expected.forEach((object, status) -> await().atMost(SETTLE).untilAsserted(
          () -> assertThat(kstatus(kubeconfig, namespace, object).status()).as(object).isEqualTo(status)));

      // Read from our conditions, not guessed: InProgress says what is being retried, Failed carries the Degraded message.
      for (String object : List.of("databaseunit/unreachable", "backuppolicy/unreachable-backups", "gdprrequest/erase-unreachable")) {
        assertThat(condition(kubeconfig, namespace, object, Conditions.RECONCILING)).as(object).containsEntry("status", "True");
      }
      for (String object : List.of("databaseunit/no-secret", "backuppolicy/no-unit-backups", "maintenancewindow/no-unit-weekly",
          "gdprrequest/erase-no-unit")) {
        var degraded = condition(kubeconfig, namespace, object, Conditions.DEGRADED);
        assertThat(kstatus(kubeconfig, namespace, object).message()).as(object).isEqualTo(degraded.get("message"));
        assertThat(condition(kubeconfig, namespace, object, Conditions.RECONCILING)).as(object).containsEntry("status", "False");
      }

      // A spec change the operator has not seen yet is InProgress whatever the conditions say (observedGeneration), and
      // Current again once it has. GdprRequest specs are immutable.
      operator.stopOperator();
      kubectl(kubeconfig, "patch", "-n", namespace, "databaseunit/shop", "--type=merge", "-p", "{\"spec\":{\"extensions\":[\"vector\",\"pg_trgm\"]}}");
      kubectl(kubeconfig, "patch", "-n", namespace, "backuppolicy/shop-backups", "--type=merge", "-p", "{\"spec\":{\"suspend\":true}}");
      kubectl(kubeconfig, "patch", "-n", namespace, "maintenancewindow/shop-weekly", "--type=merge", "-p", "{\"spec\":{\"duration\":\"3h\"}}");
      for (String object : List.of("databaseunit/shop", "backuppolicy/shop-backups", "maintenancewindow/shop-weekly")) {
        assertThat(kstatus(kubeconfig, namespace, object)).as(object)
            .satisfies(v -> assertThat(v.status()).isEqualTo("InProgress"))
            .satisfies(v -> assertThat(v.message()).contains("generation is 2, but latest observed generation is 1"));
      }
      operator.startOperator(new io.micrometer.core.instrument.simple.SimpleMeterRegistry());
      for (String object : List.of("databaseunit/shop", "backuppolicy/shop-backups", "maintenancewindow/shop-weekly")) {
        await().atMost(SETTLE).untilAsserted(() -> assertThat(kstatus(kubeconfig, namespace, object).status()).as(object)
            .isEqualTo("Current"));
      }
    }
  }

  /** kubectl get -o json | kstatus-check */
  private static Verdict kstatus(Path kubeconfig, String namespace, String object) throws Exception {
    String json = kubectl(kubeconfig, "get", "-n", namespace, object, "-o", "json");
    return JSON.readValue(Commands.run(List.of(LocalServices.kstatusCheck().toString()), json), Verdict.class);
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> condition(Path kubeconfig, String namespace, String object, String type) throws Exception {
    var resource = JSON.readValue(kubectl(kubeconfig, "get", "-n", namespace, object, "-o", "json"), GenericKubernetesResource.class);
    var status = (Map<String, Object>) resource.getAdditionalProperties().get("status");
    return ((List<Map<String, Object>>) status.get("conditions")).stream().filter(c -> type.equals(c.get("type"))).findFirst()
        .orElseThrow(() -> new AssertionError(object + " has no " + type + " condition: " + status));
  }
}
