package dev.databaseunit.operator.postgres;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The Secrets of the watched namespaces for work that runs outside a DatabaseUnit reconcile (GDPR requests,
 * maintenance runs): one informer for all of them, so a lookup is a map read, not an API call. A Secret the cache
 * does not hold (not started yet, or created a moment ago) is read from the API: a miss is never taken for "does not
 * exist".
 */
public final class SecretCache implements PostgresTargets.SecretLookup, AutoCloseable {
  private final KubernetesClient client;
  private final Set<String> namespaces;
  private final List<SharedIndexInformer<Secret>> informers = new CopyOnWriteArrayList<>();

  /** @param namespaces the operator's watched namespaces; empty for all */
  public SecretCache(KubernetesClient client, Set<String> namespaces) {
    this.client = client;
    this.namespaces = namespaces;
  }

  /** Starts the informers and waits for their first list. */
  public SecretCache start() {
    if (namespaces.isEmpty()) {
      informers.add(client.secrets().inAnyNamespace().inform());
    } else {
      namespaces.forEach(namespace -> informers.add(client.secrets().inNamespace(namespace).inform()));
    }
    return this;
  }

  @Override
  public Optional<Secret> find(String namespace, String name) {
    String key = Cache.namespaceKeyFunc(namespace, name);
    for (SharedIndexInformer<Secret> informer : informers) {
      Secret cached = informer.getStore().getByKey(key);
      if (cached != null) {
        return Optional.of(cached);
      }
    }
    return Optional.ofNullable(client.secrets().inNamespace(namespace).withName(name).get());
  }

  @Override
  public void close() {
    informers.forEach(SharedIndexInformer::close);
  }
}
