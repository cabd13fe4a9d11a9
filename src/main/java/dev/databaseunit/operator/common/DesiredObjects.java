package dev.databaseunit.operator.common;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The one way the operator writes the Kubernetes objects it owns: server-side apply under one field manager, and
 * only when there is something to write. An object is applied again when what the operator wants changed (a digest
 * of the desired object) or when the live object changed since the operator last wrote it (its resourceVersion, read
 * from an informer cache: someone edited or deleted it, or its controller updated its status). A reconcile of an
 * unchanged unit therefore costs no API call, and drift is still corrected at the next reconcile, which the owned
 * objects' informers trigger.
 */
public final class DesiredObjects {
  public static final String FIELD_MANAGER = OwnedObjects.MANAGED_BY;

  /** The live object as an informer cache holds it; empty when the cache has none (or there is no cache). */
  public interface Live {
    Live NONE = new Live() {
      @Override
      public <R extends HasMetadata> Optional<R> find(Class<R> type, String namespace, String name) {
        return Optional.empty();
      }
    };

    <R extends HasMetadata> Optional<R> find(Class<R> type, String namespace, String name);
  }

  private record Written(String digest, String resourceVersion) {}

  private final KubernetesClient client;
  /** owner key → (kind/namespace/name → what was written last). */
  private final Map<String, Map<String, Written>> written = new ConcurrentHashMap<>();

  public DesiredObjects(KubernetesClient client) {
    this.client = client;
  }

  /**
   * @param owner the key the written state is kept under ({@link #forget} drops it)
   * @return the object as it is now: the live one when nothing was written, else the API server's answer
   */
  @SuppressWarnings("unchecked")
  public <R extends HasMetadata> R apply(String owner, R desired, Live live) {
    String key = desired.getKind() + "/" + desired.getMetadata().getNamespace() + "/" + desired.getMetadata().getName();
    String digest = digest(desired);
    Optional<R> current = live.find((Class<R>) desired.getClass(), desired.getMetadata().getNamespace(),
        desired.getMetadata().getName());
    Written last = written.getOrDefault(owner, Map.of()).get(key);
    if (last != null && last.digest().equals(digest) && current.isPresent()
        && last.resourceVersion().equals(current.get().getMetadata().getResourceVersion())) {
      return current.get();
    }
    R applied = client.resource(desired).fieldManager(FIELD_MANAGER).forceConflicts().serverSideApply();
    written.computeIfAbsent(owner, o -> new ConcurrentHashMap<>())
        .put(key, new Written(digest, applied.getMetadata().getResourceVersion()));
    return applied;
  }

  /** The owner is gone, or no longer wants these objects: the next apply writes again. */
  public void forget(String owner) {
    written.remove(owner);
  }

  private String digest(HasMetadata desired) {
    try {
      byte[] json = client.getKubernetesSerialization().asJson(desired).getBytes(StandardCharsets.UTF_8);
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(json));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }
}
