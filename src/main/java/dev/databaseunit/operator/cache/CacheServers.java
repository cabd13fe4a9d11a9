package dev.databaseunit.operator.cache;

import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** One Redis connection per unit inside the operator; a changed endpoint replaces it, deleting the unit closes it. */
final class CacheServers implements AutoCloseable {
  private record Entry(RedisEndpoint endpoint, LettuceCacheServer server) {}

  private final ClientResources resources = DefaultClientResources.builder().ioThreadPoolSize(2).computationThreadPoolSize(2).build();
  private final Map<String, Entry> servers = new ConcurrentHashMap<>();

  /** The unit's connection, made on first use or when the endpoint changed; throws Lettuce's exceptions. */
  CacheServer server(String unitKey, RedisEndpoint endpoint) {
    return servers.compute(unitKey, (key, existing) -> {
      if (existing != null && existing.endpoint().equals(endpoint)) {
        return existing;
      }
      if (existing != null) {
        existing.server().close();
      }
      return new Entry(endpoint, LettuceCacheServer.connect(resources, endpoint));
    }).server();
  }

  /** The unit's connection if it has one (for the invalidation listener, which must not connect by itself). */
  java.util.Optional<CacheServer> existing(String unitKey) {
    return java.util.Optional.ofNullable(servers.get(unitKey)).map(Entry::server);
  }

  void close(String unitKey) {
    Entry entry = servers.remove(unitKey);
    if (entry != null) {
      entry.server().close();
    }
  }

  @Override
  public void close() {
    servers.keySet().forEach(this::close);
    resources.shutdown();
  }
}
