package dev.databaseunit.operator.common;

import static org.assertj.core.api.Assertions.assertThat;

import dev.databaseunit.operator.testing.KubeCluster;
import dev.databaseunit.operator.testing.WithLocalServices;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** A generated Secret is made once, against the real API server: never replaced, whatever the cache has seen. */
@WithLocalServices
class GeneratedSecretsIT {
  @Test
  void aSecretIsCreatedOnceAndAnExistingOneIsHandedBackUnchanged(KubeCluster cluster) {
    try (var client = cluster.newClient()) {
      String namespace = cluster.createNamespace(client, "du-generated");
      Secret first = GeneratedSecrets.createOnce(client, Optional.empty(), () -> password(namespace, "first"));
      assertThat(first.getData()).containsKey("password");

      // Not in the cache yet (created moments ago): the conflict hands back the existing Secret, not a new password.
      Secret again = GeneratedSecrets.createOnce(client, Optional.empty(), () -> password(namespace, "second"));
      assertThat(again.getData()).isEqualTo(first.getData());
      assertThat(client.secrets().inNamespace(namespace).withName("generated").get().getData()).isEqualTo(first.getData());

      // Known to the cache: nothing is rendered or sent.
      Secret known = GeneratedSecrets.createOnce(client, Optional.of(first), () -> {
        throw new AssertionError("rendered although the Secret is known");
      });
      assertThat(known).isSameAs(first);
    }
  }

  private static Secret password(String namespace, String value) {
    return new SecretBuilder().withNewMetadata().withName("generated").withNamespace(namespace).endMetadata()
        .withStringData(Map.of("password", value)).build();
  }
}
