package dev.databaseunit.cache.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.databaseunit.cache.client.testing.KeyValueTable;
import dev.databaseunit.cache.client.testing.LocalServices;
import dev.databaseunit.cache.client.testing.PrivateRedis;
import dev.databaseunit.cache.client.testing.ScratchDatabase;
import io.lettuce.core.RedisClient;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Failure of L2: a private redis-server (never the shared one) is killed and restarted under a live cache, and
 * keys are removed by someone who does not publish (keyspace notifications).
 */
class RedisOutageIT {
  private static final String PREFIX = "outage";
  private static ScratchDatabase database;
  private static KeyValueTable table;

  @BeforeAll
  static void startDatabase() throws Exception {
    database = new ScratchDatabase(LocalServices.load(), "cacheclient_outage");
    table = new KeyValueTable(database);
  }

  @AfterAll
  static void dropDatabase() throws Exception {
    table.close();
    database.close();
  }

  private static TwoLevelCache cacheOn(PrivateRedis redis) {
    return TwoLevelCache.builder(redis.uri(), CachePolicies.seedDefaults(PREFIX))
        .redisTimeout(Duration.ofMillis(200))
        .build();
  }

  @Test
  void anL2ReadStillHitsWhenTheServerHasForgottenItsScript() throws Exception {
    try (PrivateRedis redis = new PrivateRedis();
        TwoLevelCache cache = TwoLevelCache.builder(redis.uri(), CachePolicies.seedDefaults(PREFIX)).l1MaximumSize(0).build()) {
      CachedType<String> users = cache.type("user_profiles", ValueCodec.STRING, table);
      users.put("s", "v1");
      assertThat(users.get("s")).contains("v1");
      RedisClient raw = RedisClient.create(redis.uri());
      try (var connection = raw.connect()) {
        connection.sync().scriptFlush();  // as after a restart: EVALSHA now answers NOSCRIPT
      } finally {
        raw.shutdown();
      }

      assertThat(users.get("s")).contains("v1");
      assertThat(users.stats()).isEqualTo(new CacheStats(0, 2, 2, 0, 0));
    }
  }

  @Test
  void withRedisDownReadsFallThroughToTheDatabaseAndWritesStillReachIt() throws Exception {
    try (PrivateRedis redis = new PrivateRedis(); TwoLevelCache cache = cacheOn(redis)) {
      CachedType<String> users = cache.type("user_profiles", ValueCodec.STRING, table);
      users.put("o", "v1");
      await().atMost(Duration.ofSeconds(2)).until(() -> {
        users.get("o");
        return users.stats().l1Hits() > 0;
      });

      redis.kill();
      await().atMost(Duration.ofSeconds(2)).until(() -> !cache.l1Active());

      long start = System.nanoTime();
      assertThat(users.get("o")).contains("v1");
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(1));
      users.put("o", "v2");  // write-through: the database gets it although the cache cannot
      assertThat(table.read("o")).contains("v2");
      assertThat(users.get("o")).contains("v2");
      table.update("o", "v3");  // L1 is bypassed while invalidations cannot arrive: no stale read
      assertThat(users.get("o")).contains("v3");
      assertThat(users.stats().redisErrors()).isPositive();

      // Redis returns WITH its old data (append-only file): "o" is still v1 there until the library removes it.
      redis.start();
      await().atMost(Duration.ofSeconds(10)).until(cache::l1Active);
      RedisClient raw = RedisClient.create(redis.uri());
      try (var connection = raw.connect()) {
        await().atMost(Duration.ofSeconds(10)).until(() -> connection.sync().get(users.key("o")) == null);
      } finally {
        raw.shutdown();
      }
      assertThat(cache.staleKeyCount()).isZero();
      assertThat(users.get("o")).contains("v3");
      assertThat(users.get("o")).contains("v3");
    }
  }

  @Test
  void anUnlinkWithoutPublishReachesL1ThroughKeyspaceNotifications() throws Exception {
    try (PrivateRedis redis = new PrivateRedis("--notify-keyspace-events", "Kg");
        TwoLevelCache cache = cacheOn(redis)) {
      CachedType<String> users = cache.type("user_profiles", ValueCodec.STRING, table);
      users.put("k", "v1");
      await().atMost(Duration.ofSeconds(2)).until(() -> {
        users.get("k");
        return users.stats().l1Hits() > 0;
      });
      table.update("k", "v2");
      assertThat(users.get("k")).contains("v1");  // L1 still holds v1: nothing told it

      // What the operator's event-driven invalidation does: UNLINK, no PUBLISH.
      RedisClient operator = RedisClient.create(redis.uri());
      try (var connection = operator.connect()) {
        connection.sync().unlink(users.key("k"));
      } finally {
        operator.shutdown();
      }
      await().atMost(Duration.ofSeconds(1)).until(() -> users.get("k").orElseThrow().equals("v2"));
    }
  }
}
