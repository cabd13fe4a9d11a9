package dev.databaseunit.operator.common;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * Objects of one kind read from an informer's cache, for work that runs off the reconcile thread (a maintenance run):
 * a read is a map lookup, never an API call, however often a wait loop looks.
 */
public interface CachedObjects<T extends HasMetadata> {
  Optional<T> get(String namespace, String name);

  /** Those of the namespace that pass the filter, sorted by name. */
  List<T> list(String namespace, Predicate<T> filter);

  /** The cache of a controller's event source, which exists once the controller has prepared its event sources. */
  static <T extends HasMetadata> CachedObjects<T> of(Supplier<InformerEventSource<T, ?>> source) {
    return new CachedObjects<>() {
      @Override
      public Optional<T> get(String namespace, String name) {
        return source.get().get(new ResourceID(name, namespace));
      }

      @Override
      public List<T> list(String namespace, Predicate<T> filter) {
        return source.get().list(namespace, filter)
            .sorted(Comparator.comparing(o -> o.getMetadata().getName())).toList();
      }
    };
  }
}
