package dev.databaseunit.operator.e2e;

import dev.databaseunit.operator.testing.Commands;
import dev.databaseunit.operator.testing.LocalServices;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.jdkhttp.JdkHttpClientFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The project's local single-node cluster (scripts/cluster, docs/local-cluster.md): real kubelet, containerd and
 * kube-proxy on this machine, images built from the repository and imported without a registry. {@link #ensureUp}
 * brings it up (idempotent, seconds when it runs already) and builds the operator image from the jar this build
 * packaged, under the chart's default image name, so `helm install` needs no overrides.
 */
final class LocalCluster {
  private final Path kubeconfig;

  private LocalCluster(Path kubeconfig) {
    this.kubeconfig = kubeconfig;
  }

  static LocalCluster ensureUp() throws Exception {
    String printed = Commands.run(List.of("bash", "scripts/cluster/up.sh"), null, Duration.ofMinutes(30));
    Path kubeconfig = Path.of(printed.strip().lines().reduce((a, b) -> b).orElseThrow().strip());
    if (!Files.isRegularFile(kubeconfig)) {
      throw new IllegalStateException("scripts/cluster/up.sh printed no kubeconfig path:\n" + printed);
    }
    // Inside `mvn verify` the jar is packaged already; a nested package would rewrite it under the running tests.
    Commands.run(List.of("bash", "scripts/build-image.sh", "--stage-only", "--no-package"), null, Duration.ofMinutes(10));
    Commands.run(List.of("bash", "scripts/cluster/images.sh"), null, Duration.ofMinutes(30));
    return new LocalCluster(kubeconfig);
  }

  KubernetesClient newClient() throws Exception {
    return new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(Files.readString(kubeconfig)))
        .withHttpClientFactory(new JdkHttpClientFactory()).build();
  }

  String kubectl(String... args) throws Exception {
    return kubectl(Duration.ofMinutes(5), args);
  }

  String kubectl(Duration timeout, String... args) throws Exception {
    Path binary = Path.of(System.getProperty("user.home"), ".kubeapitest", "k8s", LocalServices.get().kubeVersion() + "-linux-amd64",
        "kubectl");
    List<String> command = new ArrayList<>(List.of(binary.toString(), "--kubeconfig", kubeconfig.toString()));
    command.addAll(List.of(args));
    return Commands.run(command, null, timeout);
  }

  String helm(Duration timeout, String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of(LocalServices.helm().toString(), "--kubeconfig", kubeconfig.toString()));
    command.addAll(List.of(args));
    return Commands.run(command, null, timeout);
  }

  /** SIGKILLs a pod's containers through containerd (scripts/cluster/kill.sh): no SIGTERM, no shutdown hook. */
  void sigkill(String namespace, String pod) throws Exception {
    Commands.run(List.of("bash", "scripts/cluster/kill.sh", namespace, pod), null, Duration.ofMinutes(1));
  }

  /** The cluster's own check: restricted pods, PVCs, Service DNS, and no route or NAT rule beyond the node. */
  String check() throws Exception {
    return Commands.run(List.of("bash", "scripts/cluster/check.sh"), null, Duration.ofMinutes(5));
  }
}
