package dev.databaseunit.operator.testing;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.jdkhttp.JdkHttpClientFactory;
import java.util.UUID;

/** A real kube-apiserver (with etcd) with this project's CRDs installed. */
public record KubeCluster(String kubeconfigYaml) {

  public KubernetesClient newClient() {
    // The JDK client, as the operator uses; kube-api-test brings a second factory onto the test classpath.
    return new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(kubeconfigYaml))
        .withHttpClientFactory(new JdkHttpClientFactory()).build();
  }

  /** A client that authenticates with a bearer token (a ServiceAccount's) instead of the admin certificate. */
  public KubernetesClient newClientWithToken(String token) {
    Config config = Config.fromKubeconfig(kubeconfigYaml);
    config.setClientCertData(null);
    config.setClientKeyData(null);
    config.setClientCertFile(null);
    config.setClientKeyFile(null);
    config.setOauthToken(token);
    return new KubernetesClientBuilder().withConfig(config).withHttpClientFactory(new JdkHttpClientFactory()).build();
  }

  /** Creates a namespace of a test's own, so tests sharing the API server do not see each other's objects. */
  public String createNamespace(KubernetesClient client, String prefix) {
    String name = prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(name).endMetadata().build()).create();
    return name;
  }
}
