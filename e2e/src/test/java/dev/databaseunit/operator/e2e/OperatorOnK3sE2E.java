package dev.databaseunit.operator.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.databaseunit.operator.api.v1alpha1.DatabaseUnit;
import dev.databaseunit.operator.runtime.DatabaseUnitOperator;
import dev.databaseunit.operator.runtime.OperatorSettings;
import dev.databaseunit.operator.status.Conditions;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.jdkhttp.JdkHttpClientFactory;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.testcontainers.k3s.K3sContainer;
import org.testcontainers.utility.DockerImageName;

/**
 * The operator against a real cluster (k3s in Docker): CRDs installed from crds/, a DatabaseUnit reconciled to
 * Ready once its Secret exists. The operator runs in this JVM against the cluster's API; installing it in-cluster
 * from the Helm chart and image is added with the chart.
 */
@DockerAvailable
class OperatorOnK3sE2E {
  private static final DockerImageName K3S = DockerImageName.parse("rancher/k3s:v1.34.1-k3s1");

  @Test
  void reconcilesADatabaseUnitInACluster() throws IOException {
    try (var k3s = new K3sContainer(K3S)) {
      k3s.start();
      try (KubernetesClient client = new KubernetesClientBuilder()
          .withConfig(Config.fromKubeconfig(k3s.getKubeConfigYaml()))
          .withHttpClientFactory(new JdkHttpClientFactory()).build()) {
        installCrds(client);
        var settings = new OperatorSettings(Set.of("default"), true, "default", 0, false);
        var operator = DatabaseUnitOperator.create(client, new SimpleMeterRegistry(), settings, Clock.systemUTC());
        operator.start();
        try {
          client.resource(new SecretBuilder().withNewMetadata().withName("recipes-db-credentials").endMetadata()
              .withStringData(Map.of("username", "app", "password", "e2e")).build()).inNamespace("default").create();
          try (InputStream in = Files.newInputStream(Path.of("samples", "databaseunit.yaml"))) {
            client.load(in).inNamespace("default").create();
          }
          DatabaseUnit unit = client.resources(DatabaseUnit.class).inNamespace("default").withName("recipes")
              .waitUntilCondition(u -> u.getStatus() != null && Conditions.isTrue(u.getStatus().conditions(), "Ready"),
                  120, TimeUnit.SECONDS);
          assertThat(unit.getStatus().observedGeneration()).isEqualTo(unit.getMetadata().getGeneration());
        } finally {
          operator.stop();
        }
      }
    }
  }

  private static void installCrds(KubernetesClient client) throws IOException {
    try (Stream<Path> files = Files.list(Path.of("crds"))) {
      for (Path file : files.filter(p -> p.toString().endsWith(".yml")).sorted().toList()) {
        try (InputStream in = Files.newInputStream(file)) {
          for (HasMetadata crd : client.load(in).items()) {
            client.resource(crd).serverSideApply();
          }
        }
      }
    }
  }
}
