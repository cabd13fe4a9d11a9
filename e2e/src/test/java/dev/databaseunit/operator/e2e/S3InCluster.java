package dev.databaseunit.operator.e2e;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

/**
 * S3 inside the cluster: the demo's s3proxy (deploy/s3proxy.yaml, namespace s3, the samples' buckets). The e2e uses it
 * as the demo left it, with its keys, or deploys it with keys of its own; its objects go under prefixes of its own.
 */
final class S3InCluster {
  static final String NAMESPACE = "s3";
  static final String ENDPOINT = "http://s3proxy." + NAMESPACE + ".svc:8080";
  private static final String CONFIG_SECRET = "s3proxy-config";
  private static final String DATA = "/data";

  /** The access keys the S3 server accepts. */
  record Keys(String accessKey, String secretKey) {}

  private S3InCluster() {}

  static Keys ensureDeployed(KubernetesClient client, String newAccessKey, String newSecretKey) throws Exception {
    Secret existing = client.secrets().inNamespace(NAMESPACE).withName(CONFIG_SECRET).get();
    if (existing == null) {
      try (InputStream in = Files.newInputStream(Path.of("deploy", "s3proxy.yaml"))) {
        List<HasMetadata> objects = client.load(in).items();
        objects.stream().filter(o -> o.getKind().equals("Namespace")).forEach(o -> client.resource(o).serverSideApply());
        client.resource(new SecretBuilder().withNewMetadata().withName(CONFIG_SECRET).withNamespace(NAMESPACE).endMetadata()
            .withStringData(Map.of("s3proxy.conf", String.join("\n", "s3proxy.endpoint=http://0.0.0.0:8080",
                "s3proxy.authorization=aws-v2-or-v4", "s3proxy.identity=" + newAccessKey, "s3proxy.credential=" + newSecretKey,
                "jclouds.provider=filesystem", "jclouds.filesystem.basedir=" + DATA, ""))).build()).create();
        objects.stream().filter(o -> !o.getKind().equals("Namespace")).forEach(o -> client.resource(o).serverSideApply());
      }
      existing = client.secrets().inNamespace(NAMESPACE).withName(CONFIG_SECRET).get();
    }
    client.apps().deployments().inNamespace(NAMESPACE).withName("s3proxy")
        .waitUntilCondition(d -> d != null && d.getStatus() != null && Integer.valueOf(1).equals(d.getStatus().getReadyReplicas()),
            5, TimeUnit.MINUTES);
    var config = new Properties();
    String text = existing.getData() != null && existing.getData().containsKey("s3proxy.conf")
        ? new String(Base64.getDecoder().decode(existing.getData().get("s3proxy.conf")), StandardCharsets.UTF_8)
        : existing.getStringData().get("s3proxy.conf");
    config.load(new java.io.StringReader(text));
    return new Keys(config.getProperty("s3proxy.identity"), config.getProperty("s3proxy.credential"));
  }

  /** The keys stored in a bucket under a prefix: the files below its directory. */
  static List<String> objectKeys(LocalCluster cluster, String bucket, String prefix) throws Exception {
    String root = DATA + "/" + bucket + "/";
    return cluster.kubectl("exec", "--namespace", NAMESPACE, "deploy/s3proxy", "--", "sh", "-c",
            "find " + root + prefix + " -type f 2>/dev/null || true").lines()
        .filter(l -> l.startsWith(root)).map(path -> path.substring(root.length())).toList();
  }
}
