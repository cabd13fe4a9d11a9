package dev.databaseunit.operator.common;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Secrets the operator generates once (passwords, keys, certificates) and never replaces: a new value would lock out
 * whoever holds the old one. The informer cache answers first, so a reconcile costs no API call; a Secret it has not
 * seen is created, and if it exists after all (made moments ago, not yet in the cache) the API server's conflict hands
 * back the one that exists.
 */
public final class GeneratedSecrets {
  private static final int CONFLICT = 409;

  private GeneratedSecrets() {}

  /**
   * @param known the Secret as the caller already sees it (the informer cache), if it does
   * @param render the Secret to create, called only when it is not known
   * @return the Secret that exists now
   */
  public static Secret createOnce(KubernetesClient client, Optional<Secret> known, Supplier<Secret> render) {
    if (known.isPresent()) {
      return known.get();
    }
    Secret desired = render.get();
    try {
      return client.resource(desired).create();
    } catch (KubernetesClientException e) {
      if (e.getCode() != CONFLICT) {
        throw e;
      }
      return client.secrets().inNamespace(desired.getMetadata().getNamespace()).withName(desired.getMetadata().getName()).get();
    }
  }
}
