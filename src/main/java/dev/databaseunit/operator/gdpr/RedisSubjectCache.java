package dev.databaseunit.operator.gdpr;

import dev.databaseunit.operator.cache.LettuceCacheServer;
import dev.databaseunit.operator.cache.RedisEndpoint;
import io.lettuce.core.resource.ClientResources;
import java.util.List;

/** {@link SubjectCache} on the unit's real Redis (the cache capability's client): SCAN MATCH in pages, UNLINK. */
public final class RedisSubjectCache implements SubjectCache {
  private static final int BATCH = 1000;
  private final LettuceCacheServer server;

  public RedisSubjectCache(LettuceCacheServer server) {
    this.server = server;
  }

  /** Connects now; a wrong address or password throws (Lettuce's exceptions). */
  public static RedisSubjectCache connect(ClientResources resources, RedisEndpoint endpoint) {
    return new RedisSubjectCache(LettuceCacheServer.connect(resources, endpoint));
  }

  @Override
  public long invalidate(SubjectCacheKeys.Keys keys) {
    long[] removed = {0};
    for (String pattern : keys.patterns()) {
      server.scan(pattern, page -> removed[0] += server.unlink(page));
    }
    List<String> exact = keys.exact();
    for (int from = 0; from < exact.size(); from += BATCH) {
      removed[0] += server.unlink(exact.subList(from, Math.min(from + BATCH, exact.size())));
    }
    return removed[0];
  }

  @Override
  public void close() {
    server.close();
  }
}
