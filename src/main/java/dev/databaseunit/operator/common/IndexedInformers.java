package dev.databaseunit.operator.common;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import java.util.stream.Collectors;

/**
 * Watching the objects a kind refers to by name (a unit's Secrets, a policy's unit): the primaries are indexed by the
 * namespace/name of what they reference, so an event on one object finds its primaries in the cache without a scan.
 */
public final class IndexedInformers {
  private IndexedInformers() {}

  /** The key of every such index: namespace/name of the referenced object. */
  public static String key(String namespace, String name) {
    return namespace + "/" + name;
  }

  /**
   * An informer on {@code type} in the controller's namespaces whose events go to the primaries that the primary cache's
   * index {@code index} (registered by the caller, with {@link #key} values) lists for the object.
   */
  public static <R extends HasMetadata, P extends HasMetadata> InformerEventSource<R, P> watch(
      EventSourceContext<P> context, Class<R> type, String index) {
    var config = InformerEventSourceConfiguration.from(type, context.getPrimaryResourceClass())
        .withNamespacesInheritedFromController()
        .withSecondaryToPrimaryMapper(object -> context.getPrimaryCache()
            .byIndex(index, key(object.getMetadata().getNamespace(), object.getMetadata().getName()))
            .stream().map(ResourceID::fromResource).collect(Collectors.toSet()))
        .build();
    return new InformerEventSource<>(config, context);
  }
}
