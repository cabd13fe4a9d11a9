package dev.databaseunit.operator.gitops;

import static org.assertj.core.api.Assertions.assertThat;

import dev.databaseunit.operator.runtime.DatabaseUnitOperator;
import dev.databaseunit.operator.runtime.OperatorSettings;
import dev.databaseunit.operator.testing.Commands;
import dev.databaseunit.operator.testing.KubeCluster;
import dev.databaseunit.operator.testing.LocalServices;
import dev.databaseunit.operator.testing.TestDatabase;
import dev.databaseunit.operator.testing.WithLocalServices;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * `kubectl wait --for=condition=Ready`, the check GitOps pipelines and kstatus rely on, succeeds on the kinds
 * the operator reconciles, against the real API server with the operator running.
 */
@WithLocalServices
class KubectlWaitIT {

  @Test
  void kubectlWaitForReadySucceeds(KubeCluster cluster, TestDatabase db, @TempDir Path dir) throws Exception {
    Path kubeconfig = dir.resolve("kubeconfig");
    Files.writeString(kubeconfig, cluster.kubeconfigYaml());
    try (KubernetesClient client = cluster.newClient()) {
      String namespace = cluster.createNamespace(client, "wait");
      client.resource(new SecretBuilder().withNewMetadata().withName("db").withNamespace(namespace).endMetadata()
          .withStringData(Map.of("username", db.user(), "password", db.password())).build()).create();
      var operator = DatabaseUnitOperator.create(client, new SimpleMeterRegistry(),
          new OperatorSettings(Set.of(namespace), false, namespace, 0, false), Clock.systemUTC());
      operator.start();
      try {
        Path manifest = dir.resolve("unit.yaml");
        Files.writeString(manifest, """
            apiVersion: databaseunit.dev/v1alpha1
            kind: DatabaseUnit
            metadata: {name: shop}
            spec:
              postgres:
                external: {host: %s, port: %d, database: %s, credentials: {secretName: db}, tls: {mode: disable}}
            """.formatted(db.host(), db.port(), db.name()));
        kubectl(kubeconfig, "apply", "-n", namespace, "-f", manifest.toString());
        String out = kubectl(kubeconfig, "wait", "-n", namespace, "--for=condition=Ready", "--timeout=90s", "databaseunit/shop");
        assertThat(out).contains("databaseunit.databaseunit.dev/shop condition met");
        assertThat(kubectl(kubeconfig, "get", "-n", namespace, "du")).contains("READY", "REASON", "True", "Reconciled");
      } finally {
        operator.stop();
      }
    }
  }

  private static String kubectl(Path kubeconfig, String... args) throws Exception {
    Path kubectl = Path.of(System.getProperty("user.home"), ".kubeapitest", "k8s",
        LocalServices.get().kubeVersion() + "-linux-amd64", "kubectl");
    List<String> command = new ArrayList<>(List.of(kubectl.toString(), "--kubeconfig", kubeconfig.toString()));
    command.addAll(List.of(args));
    return Commands.run(command);
  }
}
