package dev.databaseunit.operator.monitoring;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code databaseunit_resource_ready} and {@code databaseunit_resource_degraded} (1 or 0) per custom resource, so
 * alerts and dashboards see the same Ready/Degraded conditions that kubectl and Argo CD see.
 */
public final class ResourceHealthGauges {
  private record Key(String kind, String namespace, String name) {}

  private record Values(AtomicInteger ready, AtomicInteger degraded) {}

  private final MeterRegistry registry;
  private final Map<Key, Values> values = new ConcurrentHashMap<>();

  public ResourceHealthGauges(MeterRegistry registry) {
    this.registry = registry;
  }

  public void set(String kind, String namespace, String name, boolean ready, boolean degraded) {
    Values v = values.computeIfAbsent(new Key(kind, namespace, name), key -> {
      Tags tags = Tags.of("kind", kind, "namespace", namespace, "name", name);
      var created = new Values(new AtomicInteger(), new AtomicInteger());
      Gauge.builder("databaseunit.resource.ready", created.ready(), AtomicInteger::get)
          .description("1 when the resource's Ready condition is True").tags(tags).register(registry);
      Gauge.builder("databaseunit.resource.degraded", created.degraded(), AtomicInteger::get)
          .description("1 when the resource's Degraded condition is True").tags(tags).register(registry);
      return created;
    });
    v.ready().set(ready ? 1 : 0);
    v.degraded().set(degraded ? 1 : 0);
  }

  public void remove(String kind, String namespace, String name) {
    if (values.remove(new Key(kind, namespace, name)) != null) {
      Tags tags = Tags.of("kind", kind, "namespace", namespace, "name", name);
      registry.find("databaseunit.resource.ready").tags(tags).meters().forEach(registry::remove);
      registry.find("databaseunit.resource.degraded").tags(tags).meters().forEach(registry::remove);
    }
  }
}
