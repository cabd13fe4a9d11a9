package dev.databaseunit.operator.gdpr;

import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.api.StatefulRedisConnection;
import java.time.Duration;
import java.util.List;

/** {@link SubjectCache} on a real Redis through Lettuce: SCAN MATCH in pages, UNLINK (non-blocking delete). */
public final class RedisSubjectCache implements SubjectCache {
  private final RedisClient client;
  private final StatefulRedisConnection<String, String> connection;

  public RedisSubjectCache(RedisURI uri) {
    uri.setTimeout(Duration.ofSeconds(10));
    this.client = RedisClient.create(uri);
    try {
      this.connection = client.connect();
    } catch (RuntimeException e) {
      client.shutdown();
      throw e;
    }
  }

  @Override
  public long invalidate(SubjectCacheKeys.Keys keys) {
    var commands = connection.sync();
    long removed = 0;
    for (String pattern : keys.patterns()) {
      ScanCursor cursor = ScanCursor.INITIAL;
      do {
        KeyScanCursor<String> page = commands.scan(cursor, ScanArgs.Builder.matches(pattern).limit(1000));
        if (!page.getKeys().isEmpty()) {
          removed += commands.unlink(page.getKeys().toArray(String[]::new));
        }
        cursor = page;
      } while (!cursor.isFinished());
    }
    List<String> exact = keys.exact();
    for (int from = 0; from < exact.size(); from += 1000) {
      removed += commands.unlink(exact.subList(from, Math.min(from + 1000, exact.size())).toArray(String[]::new));
    }
    return removed;
  }

  @Override
  public void close() {
    connection.close();
    client.shutdown();
  }
}
