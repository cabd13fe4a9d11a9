package dev.databaseunit.operator.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.databaseunit.operator.testing.Commands;
import dev.databaseunit.operator.testing.LocalServices;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.jdkhttp.JdkHttpClientFactory;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.k3s.K3sContainer;
import org.testcontainers.utility.DockerImageName;
import org.testcontainers.utility.MountableFile;

/**
 * A k3s cluster in Docker with the tools an e2e test drives it with: images loaded from the local Docker engine
 * (k3s runs containerd, which cannot see Docker's images), Helm on this machine with the cluster's kubeconfig,
 * kubectl inside the k3s container (k3s ships it).
 */
final class K3sCluster implements AutoCloseable {
  private static final DockerImageName K3S = DockerImageName.parse("rancher/k3s:v1.34.1-k3s1");
  private final K3sContainer container = new K3sContainer(K3S);
  private final Path workDir;
  private final Path kubeconfig;

  K3sCluster(Path workDir) throws Exception {
    this.workDir = workDir;
    container.start();
    kubeconfig = workDir.resolve("kubeconfig");
    Files.writeString(kubeconfig, container.getKubeConfigYaml());
  }

  KubernetesClient newClient() {
    return new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(container.getKubeConfigYaml()))
        .withHttpClientFactory(new JdkHttpClientFactory()).build();
  }

  /** docker save → copy into the k3s container → ctr import into the namespace the kubelet uses. */
  void loadImage(String image) throws Exception {
    Path tar = workDir.resolve("image.tar");
    try (InputStream saved = DockerClientFactory.instance().client().saveImageCmd(image).exec()) {
      Files.copy(saved, tar, StandardCopyOption.REPLACE_EXISTING);
    }
    container.copyFileToContainer(MountableFile.forHostPath(tar), "/tmp/image.tar");
    exec("ctr", "-n", "k8s.io", "images", "import", "/tmp/image.tar");
    Files.delete(tar);
  }

  String helm(Duration timeout, String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of(LocalServices.helm().toString(), "--kubeconfig", kubeconfig.toString()));
    command.addAll(List.of(args));
    return Commands.run(command, null, timeout);
  }

  String kubectl(String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of("kubectl"));
    command.addAll(List.of(args));
    return exec(command.toArray(String[]::new));
  }

  private String exec(String... command) throws Exception {
    var result = container.execInContainer(command);
    assertThat(result.getExitCode()).as("%s failed:%n%s%s", String.join(" ", command), result.getStdout(), result.getStderr())
        .isZero();
    return result.getStdout();
  }

  @Override
  public void close() {
    container.stop();
  }
}
