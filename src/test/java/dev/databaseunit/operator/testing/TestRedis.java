package dev.databaseunit.operator.testing;

import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import java.util.UUID;

/** The local Redis, with a key prefix of this test's own; its keys are removed when the test ends. */
public final class TestRedis implements AutoCloseable {
  private final RedisURI uri;
  private final String keyPrefix;
  private final RedisClient client;

  TestRedis(LocalServices services) {
    this.uri = RedisURI.create("127.0.0.1", services.redisPort());
    this.keyPrefix = "t" + UUID.randomUUID().toString().substring(0, 8);
    this.client = RedisClient.create(uri);
  }

  public RedisURI uri() {
    return uri;
  }

  /** A unique prefix for this test's keys, e.g. a DatabaseUnit's cache key prefix. */
  public String keyPrefix() {
    return keyPrefix;
  }

  public RedisClient client() {
    return client;
  }

  @Override
  public void close() {
    try (var connection = client.connect()) {
      var commands = connection.sync();
      ScanCursor cursor = ScanCursor.INITIAL;
      do {
        KeyScanCursor<String> page = commands.scan(cursor, ScanArgs.Builder.matches(keyPrefix + "*").limit(500));
        if (!page.getKeys().isEmpty()) {
          commands.unlink(page.getKeys().toArray(String[]::new));
        }
        cursor = page;
      } while (!cursor.isFinished());
    } finally {
      client.shutdown();
    }
  }
}
