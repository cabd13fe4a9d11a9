package dev.databaseunit.operator.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodSpecBuilder;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Checks a pod spec against the restricted Pod Security Standard twice: by the API server's own PodSecurity
 * admission (a server-side dry-run in a namespace that enforces "restricted") and field by field.
 */
public final class RestrictedPods {
  private RestrictedPods() {}

  /** A namespace whose pods the API server admits only if they meet the restricted profile. */
  public static String restrictedNamespace(KubeCluster cluster, KubernetesClient client) {
    String namespace = cluster.createNamespace(client, "restricted");
    client.namespaces().withName(namespace).edit(ns -> {
      ns.getMetadata().setLabels(Map.of("pod-security.kubernetes.io/enforce", "restricted"));
      return ns;
    });
    return namespace;
  }

  /** The pod a StatefulSet's controller would create: its template plus a claim volume per volumeClaimTemplate. */
  public static PodSpec podOf(StatefulSet statefulSet) {
    PodSpec spec = new PodSpecBuilder(statefulSet.getSpec().getTemplate().getSpec()).build();
    for (var claim : statefulSet.getSpec().getVolumeClaimTemplates()) {
      spec.getVolumes().add(new VolumeBuilder().withName(claim.getMetadata().getName()).withNewPersistentVolumeClaim()
          .withClaimName(claim.getMetadata().getName() + "-" + statefulSet.getMetadata().getName() + "-0").endPersistentVolumeClaim()
          .build());
    }
    return spec;
  }

  public static void assertRestricted(KubernetesClient client, String restrictedNamespace, String name, PodSpec spec) {
    var pod = new PodBuilder().withMetadata(new ObjectMeta()).editMetadata().withName(name)
        .withNamespace(restrictedNamespace).endMetadata().withSpec(spec).build();
    client.resource(pod).dryRun().create();
    var podContext = spec.getSecurityContext();
    assertThat(podContext.getRunAsNonRoot()).as(name).isTrue();
    assertThat(podContext.getSeccompProfile().getType()).as(name).isEqualTo("RuntimeDefault");
    for (Container container : Stream.concat(spec.getContainers().stream(),
        spec.getInitContainers() == null ? Stream.empty() : spec.getInitContainers().stream()).toList()) {
      var sc = container.getSecurityContext();
      assertThat(sc.getAllowPrivilegeEscalation()).as(name + "/" + container.getName()).isFalse();
      assertThat(sc.getReadOnlyRootFilesystem()).as(name + "/" + container.getName()).isTrue();
      assertThat(sc.getCapabilities().getDrop()).as(name + "/" + container.getName()).containsExactly("ALL");
      assertThat(sc.getPrivileged()).as(name + "/" + container.getName()).isNotEqualTo(Boolean.TRUE);
    }
  }
}
