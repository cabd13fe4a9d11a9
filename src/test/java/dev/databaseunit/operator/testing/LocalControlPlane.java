package dev.databaseunit.operator.testing;

import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubeapitest.KubeAPIServer;
import io.fabric8.kubeapitest.KubeAPIServerConfigBuilder;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real kube-apiserver + etcd on loopback (binaries built by scripts/build-kube-binaries.sh; kube-api-test runs
 * them offline, never downloading), with the CRDs from {@code crds/} installed and Established.
 */
public record LocalControlPlane(KubeAPIServer server, KubeCluster cluster) implements AutoCloseable {

  public static LocalControlPlane start() {
    var server = new KubeAPIServer(KubeAPIServerConfigBuilder.anAPIServerConfig()
        .withOfflineMode(true)
        .withApiServerVersion(LocalServices.get().kubeVersion())
        .withStartupTimeout(120_000)
        .build());
    server.start();
    var cluster = new KubeCluster(server.getKubeConfigYaml());
    installCrds(cluster);
    return new LocalControlPlane(server, cluster);
  }

  @Override
  public void close() {
    server.stop();
  }

  static Path crdDirectory() {
    return Path.of(System.getProperty("user.dir"), "crds");
  }

  private static void installCrds(KubeCluster cluster) {
    try (var client = cluster.newClient(); Stream<Path> files = Files.list(crdDirectory())) {
      List<Path> crdFiles = files.filter(p -> p.toString().endsWith(".yml")).sorted().toList();
      if (crdFiles.isEmpty()) {
        throw new IllegalStateException("No CRDs in " + crdDirectory());
      }
      for (Path file : crdFiles) {
        try (InputStream in = Files.newInputStream(file)) {
          CustomResourceDefinition crd = client.getKubernetesSerialization().unmarshal(in, CustomResourceDefinition.class);
          client.resource(crd).serverSideApply();
          client.apiextensions().v1().customResourceDefinitions().withName(crd.getMetadata().getName())
              .waitUntilCondition(c -> c.getStatus() != null && c.getStatus().getConditions() != null
                  && c.getStatus().getConditions().stream()
                  .anyMatch(cond -> "Established".equals(cond.getType()) && "True".equals(cond.getStatus())),
                  60, TimeUnit.SECONDS);
        }
      }
    } catch (IOException e) {
      throw new IllegalStateException("Cannot install CRDs from " + crdDirectory(), e);
    }
  }
}
