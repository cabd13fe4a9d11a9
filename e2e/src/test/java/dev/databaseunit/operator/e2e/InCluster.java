package dev.databaseunit.operator.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.awaitility.Awaitility;

/**
 * What the e2e does inside the cluster, in the vocabulary of a platform engineer: namespaces under the restricted
 * Pod Security Standard, manifests, one-shot pods (psql, pgbench) that run as an application would, with only the
 * credentials an application gets, and reads of the operator's resources.
 */
final class InCluster {
  /** The image every client pod runs: psql and pgbench are in the PostgreSQL image the cluster already has. */
  static final String CLIENT_IMAGE = "pgvector/pgvector:0.8.0-pg17";

  private final KubernetesClient client;
  private final String namespace;

  InCluster(KubernetesClient client, String namespace) {
    this.client = client;
    this.namespace = namespace;
  }

  KubernetesClient client() {
    return client;
  }

  String namespace() {
    return namespace;
  }

  static void createRestrictedNamespace(KubernetesClient client, String name) {
    client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(name)
        .addToLabels("pod-security.kubernetes.io/enforce", "restricted")
        .addToLabels("pod-security.kubernetes.io/enforce-version", "latest").endMetadata().build()).create();
  }

  /**
   * Deletes a namespace of an earlier run and waits until it is gone. That run may have uninstalled the operator, whose
   * finalizers would then hold the namespace for ever: they are removed first, as a person cleaning up would.
   */
  static void deleteNamespace(KubernetesClient client, String name) {
    if (client.namespaces().withName(name).get() == null) {
      return;
    }
    for (String kind : List.of("DatabaseUnit", "BackupPolicy", "MaintenanceWindow", "GdprRequest")) {
      var resources = client.genericKubernetesResources("databaseunit.dev/v1alpha1", kind).inNamespace(name);
      for (var r : resources.list().getItems()) {
        if (r.getMetadata().getFinalizers() != null && !r.getMetadata().getFinalizers().isEmpty()) {
          resources.withName(r.getMetadata().getName()).edit(e -> {
            e.getMetadata().setFinalizers(List.of());
            return e;
          });
        }
      }
    }
    client.namespaces().withName(name).delete();
    client.namespaces().withName(name).waitUntilCondition(Objects::isNull, 5, TimeUnit.MINUTES);
  }

  void apply(String yaml) {
    for (HasMetadata object : client.load(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8))).items()) {
      client.resource(object).inNamespace(namespace).forceConflicts().serverSideApply();
    }
  }

  void applyFile(Path file) throws Exception {
    apply(Files.readString(file));
  }

  /** One of the operator's resources, generically: the e2e reads them as kubectl does. */
  GenericKubernetesResource get(String kind, String name) {
    return client.genericKubernetesResources("databaseunit.dev/v1alpha1", kind).inNamespace(namespace).withName(name).get();
  }

  @SuppressWarnings("unchecked")
  static Object path(GenericKubernetesResource resource, String... keys) {
    Object at = resource == null ? null : resource.getAdditionalProperties();
    for (String key : keys) {
      if (!(at instanceof Map<?, ?> map)) {
        return null;
      }
      at = ((Map<String, Object>) map).get(key);
    }
    return at;
  }

  /** The status of condition {@code type}: "True", "False" or null. */
  @SuppressWarnings("unchecked")
  static String condition(GenericKubernetesResource resource, String type) {
    return conditionField(resource, type, "status");
  }

  @SuppressWarnings("unchecked")
  static String conditionField(GenericKubernetesResource resource, String type, String field) {
    if (!(path(resource, "status", "conditions") instanceof List<?> conditions)) {
      return null;
    }
    return conditions.stream().map(c -> (Map<String, Object>) c).filter(c -> type.equals(c.get("type")))
        .map(c -> (String) c.get(field)).findFirst().orElse(null);
  }

  GenericKubernetesResource await(String kind, String name, Duration timeout, Predicate<GenericKubernetesResource> until) {
    return Awaitility.await().atMost(timeout).pollInterval(Duration.ofSeconds(1))
        .alias(kind + "/" + name + " in " + namespace).until(() -> get(kind, name), r -> r != null && until.test(r));
  }

  GenericKubernetesResource awaitReady(String kind, String name, Duration timeout) {
    return await(kind, name, timeout, r -> "True".equals(condition(r, "Ready")));
  }

  String secretValue(String secret, String key) {
    Secret s = client.secrets().inNamespace(namespace).withName(secret).get();
    assertThat(s).as("Secret %s/%s", namespace, secret).isNotNull();
    String value = s.getData() != null ? s.getData().get(key) : null;
    return value != null ? new String(Base64.getDecoder().decode(value), StandardCharsets.UTF_8)
        : s.getStringData() != null ? s.getStringData().get(key) : null;
  }

  /**
   * Runs {@code script} with sh in a fresh pod of the client image, under the restricted profile, with the given Secret's
   * keys as environment variables and its files under /secret, and returns its output once it has ended.
   *
   * @param secret a Secret of this namespace, or null
   */
  String runPod(String name, String secret, Duration timeout, String script) {
    createPod(name, secret, script);
    return awaitPod(name, timeout);
  }

  /** Starts a client pod without waiting for it to end (a load that runs across what the test does next). */
  void startPod(String name, String secret, String script) {
    createPod(name, secret, script);
    client.pods().inNamespace(namespace).withName(name).waitUntilCondition(p -> p != null && p.getStatus() != null
        && List.of("Running", "Succeeded", "Failed").contains(p.getStatus().getPhase()), 2, TimeUnit.MINUTES);
  }

  private void createPod(String name, String secret, String script) {
    client.pods().inNamespace(namespace).withName(name).withGracePeriod(0).delete();
    client.pods().inNamespace(namespace).withName(name).waitUntilCondition(Objects::isNull, 1, TimeUnit.MINUTES);
    var pod = new PodBuilder().withNewMetadata().withName(name).withNamespace(namespace).addToLabels("e2e", "client").endMetadata()
        .withNewSpec().withRestartPolicy("Never").withAutomountServiceAccountToken(false)
        .withNewSecurityContext().withRunAsNonRoot(true).withRunAsUser(70000L).withRunAsGroup(70000L)
        .withNewSeccompProfile().withType("RuntimeDefault").endSeccompProfile().endSecurityContext()
        .addNewContainer().withName("client").withImage(CLIENT_IMAGE).withImagePullPolicy("IfNotPresent")
        .withCommand("sh", "-c", script)
        .addNewEnv().withName("HOME").withValue("/tmp").endEnv()
        .withNewSecurityContext().withAllowPrivilegeEscalation(false).withReadOnlyRootFilesystem(true)
        .withNewCapabilities().withDrop("ALL").endCapabilities().endSecurityContext()
        .addNewVolumeMount().withName("tmp").withMountPath("/tmp").endVolumeMount()
        .endContainer()
        .addNewVolume().withName("tmp").withNewEmptyDir().endEmptyDir().endVolume()
        .endSpec().build();
    if (secret != null) {
      var container = pod.getSpec().getContainers().getFirst();
      container.setEnvFrom(List.of(new io.fabric8.kubernetes.api.model.EnvFromSourceBuilder().withNewSecretRef(secret, false).build()));
      container.getVolumeMounts().add(new io.fabric8.kubernetes.api.model.VolumeMountBuilder().withName("secret").withMountPath("/secret")
          .withReadOnly(true).build());
      pod.getSpec().getVolumes().add(new io.fabric8.kubernetes.api.model.VolumeBuilder().withName("secret").withNewSecret()
          .withSecretName(secret).endSecret().build());
    }
    client.resource(pod).create();
  }

  /** Waits for a client pod to end and returns its output; it must have succeeded. */
  String awaitPod(String name, Duration timeout) {
    Pod ended = client.pods().inNamespace(namespace).withName(name).waitUntilCondition(p -> p != null && p.getStatus() != null
        && ("Succeeded".equals(p.getStatus().getPhase()) || "Failed".equals(p.getStatus().getPhase())), timeout.toSeconds(), TimeUnit.SECONDS);
    String log = client.pods().inNamespace(namespace).withName(name).getLog();
    assertThat(ended.getStatus().getPhase()).as("pod %s ended; its output:%n%s", name, log).isEqualTo("Succeeded");
    return log;
  }
}
