package dev.databaseunit.operator.e2e;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * An S3 endpoint inside the cluster for backups: s3proxy (the server the local test stack uses, same version) on
 * its filesystem backend, where a bucket is a directory. Its own namespace, since the image runs as root; the
 * access keys are the test's own.
 */
final class S3InCluster {
  static final String NAMESPACE = "s3";
  static final String ENDPOINT = "http://s3." + NAMESPACE + ".svc:8080";
  private static final String IMAGE = "andrewgaul/s3proxy:2.6.0";
  private static final String DATA = "/data";
  /** Keys of this throw-away server (the test's Secret recipes-backup-s3 carries them). */
  static final String ACCESS_KEY = "e2e-access";
  static final String SECRET_KEY = "e2e-secret";

  private S3InCluster() {}

  static void deploy(KubernetesClient client, String... buckets) {
    client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(NAMESPACE).endMetadata().build()).create();
    Map<String, String> labels = Map.of("app", "s3");
    StringBuilder mkdirs = new StringBuilder("mkdir -p");
    for (String bucket : buckets) {
      mkdirs.append(' ').append(DATA).append('/').append(bucket);
    }
    client.resource(new DeploymentBuilder().withNewMetadata().withName("s3").withNamespace(NAMESPACE).endMetadata()
        .withNewSpec().withNewSelector().withMatchLabels(labels).endSelector()
        .withNewTemplate().withNewMetadata().withLabels(labels).endMetadata()
        .withNewSpec().addNewContainer().withName("s3proxy").withImage(IMAGE)
        .withCommand("sh", "-c", mkdirs + " && exec /opt/s3proxy/run-docker-container.sh")
        .addNewEnv().withName("S3PROXY_ENDPOINT").withValue("http://0.0.0.0:8080").endEnv()
        .addNewEnv().withName("S3PROXY_AUTHORIZATION").withValue("aws-v2-or-v4").endEnv()
        .addNewEnv().withName("S3PROXY_IDENTITY").withValue(ACCESS_KEY).endEnv()
        .addNewEnv().withName("S3PROXY_CREDENTIAL").withValue(SECRET_KEY).endEnv()
        .addNewEnv().withName("JCLOUDS_PROVIDER").withValue("filesystem").endEnv()
        .addNewEnv().withName("JCLOUDS_FILESYSTEM_BASEDIR").withValue(DATA).endEnv()
        .addNewPort().withContainerPort(8080).endPort()
        .withNewReadinessProbe().withNewTcpSocket().withPort(new IntOrString(8080)).endTcpSocket().endReadinessProbe()
        .endContainer().endSpec().endTemplate().endSpec().build()).create();
    client.resource(new ServiceBuilder().withNewMetadata().withName("s3").withNamespace(NAMESPACE).endMetadata()
        .withNewSpec().withSelector(labels).addNewPort().withPort(8080).withTargetPort(new IntOrString(8080)).endPort()
        .endSpec().build()).create();
    client.apps().deployments().inNamespace(NAMESPACE).withName("s3")
        .waitUntilCondition(d -> d.getStatus() != null && Integer.valueOf(1).equals(d.getStatus().getReadyReplicas()),
            5, TimeUnit.MINUTES);
  }

  /** The keys stored in a bucket: the files below its directory. */
  static List<String> objectKeys(K3sCluster cluster, String bucket) throws Exception {
    String root = DATA + "/" + bucket + "/";
    return cluster.kubectl("exec", "--namespace", NAMESPACE, "deploy/s3", "--", "find", root, "-type", "f").lines()
        .map(path -> path.substring(root.length())).toList();
  }
}
