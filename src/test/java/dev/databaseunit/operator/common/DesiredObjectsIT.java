package dev.databaseunit.operator.common;

import static org.assertj.core.api.Assertions.assertThat;

import dev.databaseunit.operator.testing.KubeCluster;
import dev.databaseunit.operator.testing.WithLocalServices;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The applier against the real API server: it writes when the desired object or the live one changed, and not
 * otherwise. The live side is read with a GET here, standing in for the informer cache the operator passes.
 */
@WithLocalServices
class DesiredObjectsIT {
  @Test
  void writesOnlyWhenTheDesiredOrTheLiveObjectChanged(KubeCluster cluster) {
    try (var client = cluster.newClient()) {
      String namespace = cluster.createNamespace(client, "du-desired");
      var objects = new DesiredObjects(client);
      var live = new GetLive(client);

      ConfigMap first = objects.apply("unit", configMap(namespace, "one"), live);
      assertThat(first.getData()).containsEntry("value", "one");
      assertThat(client.configMaps().inNamespace(namespace).withName("desired").get().getMetadata().getManagedFields())
          .anyMatch(f -> DesiredObjects.FIELD_MANAGER.equals(f.getManager()));

      // Unchanged on both sides: the live object is handed back and nothing is written.
      ConfigMap again = objects.apply("unit", configMap(namespace, "one"), live);
      assertThat(again).isSameAs(live.lastFound);
      assertThat(again.getMetadata().getResourceVersion()).isEqualTo(first.getMetadata().getResourceVersion());

      // Someone edits it: the next apply puts the operator's value back.
      ConfigMap edited = client.configMaps().inNamespace(namespace).withName("desired").get();
      edited.getData().put("value", "edited");
      client.resource(edited).update();
      ConfigMap restored = objects.apply("unit", configMap(namespace, "one"), live);
      assertThat(restored).isNotSameAs(live.lastFound);
      assertThat(client.configMaps().inNamespace(namespace).withName("desired").get().getData()).containsEntry("value", "one");

      // Someone deletes it: it comes back.
      client.configMaps().inNamespace(namespace).withName("desired").delete();
      org.awaitility.Awaitility.await().until(() -> client.configMaps().inNamespace(namespace).withName("desired").get() == null);
      objects.apply("unit", configMap(namespace, "one"), live);
      assertThat(client.configMaps().inNamespace(namespace).withName("desired").get()).isNotNull();

      // The operator wants something else: written.
      objects.apply("unit", configMap(namespace, "two"), live);
      assertThat(client.configMaps().inNamespace(namespace).withName("desired").get().getData()).containsEntry("value", "two");

      // Forgotten (the owner went away and came back): written again although nothing changed.
      objects.forget("unit");
      ConfigMap rewritten = objects.apply("unit", configMap(namespace, "two"), live);
      assertThat(rewritten).isNotSameAs(live.lastFound);

      // Without a cache there is nothing to compare with: every apply writes.
      assertThat(objects.apply("unit", configMap(namespace, "two"), DesiredObjects.Live.NONE)).isNotSameAs(live.lastFound);
    }
  }

  private static ConfigMap configMap(String namespace, String value) {
    return new ConfigMapBuilder().withNewMetadata().withName("desired").withNamespace(namespace).endMetadata()
        .withData(Map.of("value", value)).build();
  }

  /** Reads the live object from the API server and remembers the instance it handed out. */
  private static final class GetLive implements DesiredObjects.Live {
    private final KubernetesClient client;
    HasMetadata lastFound;

    GetLive(KubernetesClient client) {
      this.client = client;
    }

    @Override
    public <R extends HasMetadata> Optional<R> find(Class<R> type, String namespace, String name) {
      R found = client.resources(type).inNamespace(namespace).withName(name).get();
      lastFound = found;
      return Optional.ofNullable(found);
    }
  }
}
