package dev.databaseunit.operator.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.databaseunit.operator.testing.KubeCluster;
import dev.databaseunit.operator.testing.WithLocalServices;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The shared Secret cache against the real API server: reads come from the informer once it runs (the same stored
 * object each time, where every GET builds a new one), follow edits and deletes, and fall back to the API for what
 * it does not hold.
 */
@WithLocalServices
class SecretCacheIT {
  @Test
  void readsFromTheInformerAndFallsBackToTheApiForWhatItDoesNotHold(KubeCluster cluster) {
    try (var client = cluster.newClient()) {
      String namespace = cluster.createNamespace(client, "du-secrets");
      client.resource(secret(namespace, "first", "one")).create();
      try (var cache = new SecretCache(client, Set.of(namespace))) {
        // Not started: every read is a GET, a new object each time.
        Secret fetched = cache.find(namespace, "first").orElseThrow();
        assertThat(cache.find(namespace, "first").orElseThrow()).isNotSameAs(fetched).isEqualTo(fetched);

        cache.start();
        Secret cached = cache.find(namespace, "first").orElseThrow();
        assertThat(cache.find(namespace, "first").orElseThrow()).isSameAs(cached);
        assertThat(cached.getData()).containsEntry("value", "b25l");

        Secret edited = client.secrets().inNamespace(namespace).withName("first").get();
        edited.setData(Map.of("value", "dHdv"));
        client.resource(edited).update();
        await().until(() -> "dHdv".equals(cache.find(namespace, "first").orElseThrow().getData().get("value")));

        // Created now: found at once, from the API if the informer has not seen it yet.
        client.resource(secret(namespace, "second", "three")).create();
        assertThat(cache.find(namespace, "second")).isPresent();

        client.secrets().inNamespace(namespace).withName("first").delete();
        await().until(() -> cache.find(namespace, "first").isEmpty());
        assertThat(cache.find(namespace, "missing")).isEmpty();
      }
    }
  }

  private static Secret secret(String namespace, String name, String value) {
    return new SecretBuilder().withNewMetadata().withName(name).withNamespace(namespace).endMetadata()
        .withStringData(Map.of("value", value)).build();
  }
}
