package dev.databaseunit.operator.cache;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.LettuceFutures;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.SslOptions;
import io.lettuce.core.SslVerifyMode;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.resource.ClientResources;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/** {@link CacheServer} over one Lettuce connection, which reconnects by itself after a drop or a restart. */
public final class LettuceCacheServer implements CacheServer, AutoCloseable {
  static final Duration TIMEOUT = Duration.ofSeconds(5);
  private static final int SCAN_PAGE = 500;

  private final RedisClient client;
  private final StatefulRedisConnection<String, String> connection;

  private LettuceCacheServer(RedisClient client, StatefulRedisConnection<String, String> connection) {
    this.client = client;
    this.connection = connection;
  }

  /** Connects now, so a wrong address or password is reported at once; throws Lettuce's exceptions. */
  public static LettuceCacheServer connect(ClientResources resources, RedisEndpoint endpoint) {
    var uri = RedisURI.builder().withHost(endpoint.host()).withPort(endpoint.port()).withTimeout(TIMEOUT)
        .withClientName("databaseunit-operator");
    if (endpoint.password() != null) {
      uri.withAuthentication(endpoint.username() != null ? endpoint.username() : "default", endpoint.password().toCharArray());
    }
    var options = ClientOptions.builder()
        .socketOptions(SocketOptions.builder().connectTimeout(TIMEOUT).build())
        // Fail a command while disconnected instead of queueing it: a reconcile reports the outage and retries.
        .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS);
    if (endpoint.tls()) {
      uri.withSsl(true).withVerifyPeer(SslVerifyMode.FULL);
      var ssl = SslOptions.builder().jdkSslProvider().protocols("TLSv1.3", "TLSv1.2");
      if (endpoint.caCertificatePem() != null) {
        byte[] pem = endpoint.caCertificatePem().getBytes(StandardCharsets.US_ASCII);
        ssl.trustManager(() -> new ByteArrayInputStream(pem));
      }
      options.sslOptions(ssl.build());
    }
    RedisClient client = RedisClient.create(resources, uri.build());
    client.setOptions(options.build());
    try {
      return new LettuceCacheServer(client, client.connect());
    } catch (RuntimeException e) {
      client.shutdown(Duration.ZERO, TIMEOUT);
      throw e;
    }
  }

  @Override
  public RedisInfo info() {
    var sync = connection.sync();
    return RedisInfo.parse(sync.info("server") + "\n" + sync.info("stats") + "\n" + sync.info("memory"));
  }

  @Override
  public Map<String, String> memoryConfig() {
    return connection.sync().configGet("maxmemory", "maxmemory-policy");
  }

  @Override
  public void setMemoryConfig(long maxMemoryBytes, String evictionPolicy) {
    connection.sync().configSet(Map.of("maxmemory", Long.toString(maxMemoryBytes), "maxmemory-policy", evictionPolicy));
  }

  @Override
  public void scan(String pattern, Consumer<List<String>> page) {
    var args = ScanArgs.Builder.matches(pattern).limit(SCAN_PAGE);
    ScanCursor cursor = ScanCursor.INITIAL;
    do {
      KeyScanCursor<String> result = connection.sync().scan(cursor, args);
      if (!result.getKeys().isEmpty()) {
        page.accept(result.getKeys());
      }
      cursor = result;
    } while (!cursor.isFinished());
  }

  @Override
  public long unlink(List<String> keys) {
    return keys.isEmpty() ? 0 : connection.sync().unlink(keys.toArray(String[]::new));
  }

  @Override
  public List<Long> ttls(List<String> keys) {
    var async = connection.async();
    List<RedisFuture<Long>> futures = new ArrayList<>(keys.size());
    keys.forEach(key -> futures.add(async.ttl(key)));
    awaitAll(futures);
    return futures.stream().map(f -> f.toCompletableFuture().join()).toList();
  }

  @Override
  public void expire(List<String> keys, long seconds) {
    var async = connection.async();
    List<RedisFuture<Boolean>> futures = new ArrayList<>(keys.size());
    keys.forEach(key -> futures.add(async.expire(key, seconds)));
    awaitAll(futures);
  }

  @Override
  public void publish(String channel, String message) {
    connection.sync().publish(channel, message);
  }

  private static void awaitAll(List<? extends RedisFuture<?>> futures) {
    LettuceFutures.awaitAll(TIMEOUT, futures.toArray(RedisFuture[]::new));
  }

  @Override
  public void close() {
    connection.close();
    client.shutdown(Duration.ZERO, TIMEOUT);
  }
}
