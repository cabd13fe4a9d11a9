package dev.databaseunit.cache.client;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisChannelHandler;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisConnectionStateListener;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SetArgs;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.SslOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.metrics.CommandLatencyRecorder;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.Delay;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * L2: the Redis commands the cache needs, each failing fast with {@link RedisUnavailableException} instead of
 * queueing while Redis is away, plus the invalidation subscription that keeps every instance's L1 honest.
 *
 * <p>Every change of a key is followed by a PUBLISH of the key on the unit's invalidation channel (the operator
 * publishes its removals there too, one key per line, docs/cache-policy-format.md); every instance drops its L1
 * copy on receipt. Keyspace notifications ({@code __keyspace@<db>__:<prefix>*}) are subscribed to as
 * well, so an UNLINK by someone who does not publish (the operator's event-driven invalidation, redis-cli) also
 * reaches L1 where the server has {@code notify-keyspace-events} with {@code K} and {@code g} set; the library
 * never changes server config itself (managed Redis often forbids CONFIG SET).
 *
 * <p>Pub/sub is at-most-once: a message sent while the subscriber is disconnected is gone. So while the
 * subscription is down, L1 is not trusted ({@link #invalidationsLive()} is false) and is cleared again on
 * resubscription.
 */
final class RedisLayer implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(RedisLayer.class.getName());
  /** Keys whose removal failed; retried while Redis is back. Bounded so an outage cannot exhaust memory. */
  private static final int MAX_STALE_KEYS = 100_000;

  record Entry(String value, Duration remainingTtl) {}

  /** Callbacks into the L1s of all types. */
  interface InvalidationListener {
    void keyChanged(String key);

    void everythingMayHaveChanged();
  }

  private final ClientResources resources;
  private final RedisClient client;
  private final StatefulRedisConnection<String, String> connection;
  private final RedisAsyncCommands<String, String> commands;
  private final String getWithTtlDigest;
  private final StatefulRedisPubSubConnection<String, String> subscription;
  private final String channel;
  private final String keyspacePattern;
  private final Duration timeout;
  private final AtomicBoolean live = new AtomicBoolean();
  private volatile boolean closing;
  private final Set<String> staleKeys = ConcurrentHashMap.newKeySet();
  private final ScheduledExecutorService retrier;

  /** {@code trustedCertificates}: a PEM file of CA certificates for TLS, or null for the JVM's trust store. */
  RedisLayer(RedisURI uri, String keyNamespace, String channel, Duration timeout, Path trustedCertificates,
      InvalidationListener listener) {
    this.timeout = timeout;
    this.channel = channel;
    this.keyspacePattern = "__keyspace@" + uri.getDatabase() + "__:" + keyNamespace + "*";
    // Reconnect quickly (≤ 1 s apart) so the fall-through to the database after an outage is short. No command
    // latency recorder: the cache's own timers measure gets, and the recorder's per-command work is on the hot path.
    this.resources = ClientResources.builder()
        .reconnectDelay(Delay.exponential(Duration.ofMillis(20), Duration.ofSeconds(1), 2, TimeUnit.MILLISECONDS))
        .commandLatencyRecorder(CommandLatencyRecorder.disabled())
        .build();
    this.client = RedisClient.create(resources, uri);
    ClientOptions.Builder options = ClientOptions.builder();
    if (trustedCertificates != null) {
      options.sslOptions(SslOptions.builder().jdkSslProvider().trustManager(trustedCertificates.toFile()).build());
    }
    client.setOptions(options
        .autoReconnect(true)
        // Fail at once while disconnected: a cache that queues commands during an outage turns every read
        // into a timeout instead of a database read.
        .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
        .timeoutOptions(TimeoutOptions.enabled(timeout))
        .socketOptions(SocketOptions.builder().connectTimeout(Duration.ofSeconds(2)).keepAlive(true).build())
        .build());
    client.addListener(new RedisConnectionStateListener() {
      @Override
      public void onRedisDisconnected(RedisChannelHandler<?, ?> handler) {
        if (handler == subscription && live.getAndSet(false) && !closing) {
          LOG.log(System.Logger.Level.WARNING, "cache invalidation subscription lost; L1 bypassed until it is back");
          listener.everythingMayHaveChanged();
        }
      }
    });
    try {
      this.connection = client.connect();
      this.subscription = client.connectPubSub();
    } catch (RuntimeException unreachable) {
      client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
      resources.shutdown(0, 2, TimeUnit.SECONDS);
      throw unreachable;
    }
    this.commands = connection.async();
    this.getWithTtlDigest = commands.digest(GET_WITH_TTL);
    subscription.addListener(new RedisPubSubAdapter<>() {
      @Override
      public void message(String from, String keys) {
        // One key per line (the operator batches its removals); a line "<prefix>:<type>:*" means the whole type.
        keys.lines().forEach(listener::keyChanged);
      }

      @Override
      public void message(String pattern, String from, String event) {
        listener.keyChanged(from.substring(from.indexOf("__:") + 3));
      }

      @Override
      public void subscribed(String from, long count) {
        // Also fires on Lettuce's resubscription after a reconnect: what was missed meanwhile is unknown.
        listener.everythingMayHaveChanged();
        live.set(true);
      }
    });
    subscription.sync().psubscribe(keyspacePattern);
    subscription.sync().subscribe(channel);
    this.retrier = Executors.newSingleThreadScheduledExecutor(runnable -> {
      Thread thread = new Thread(runnable, "cache-stale-key-retrier");
      thread.setDaemon(true);
      return thread;
    });
    retrier.scheduleWithFixedDelay(this::removeStaleKeys, 1, 1, TimeUnit.SECONDS);
  }

  /** True while invalidation messages are being received, i.e. while L1 may serve. */
  boolean invalidationsLive() {
    return live.get() && subscription.isOpen();
  }

  /** GET and PTTL of one key as one command: a reply without a value is {@code false}, i.e. null. */
  private static final String GET_WITH_TTL = """
      local value = redis.call('GET', KEYS[1])
      if not value then return false end
      return {value, redis.call('PTTL', KEYS[1])}""";

  /**
   * The value and its remaining TTL in one command (EVALSHA of {@link #GET_WITH_TTL}; EVAL, which also loads it,
   * when the server does not know the script, e.g. after a restart or SCRIPT FLUSH). The hot path of an L1 miss:
   * one reply to decode and one future to wait for, instead of a pipelined GET and PTTL.
   */
  Optional<Entry> get(String key) {
    String[] keys = {key};
    List<Object> reply;
    try {
      reply = await(commands.evalsha(getWithTtlDigest, ScriptOutputType.MULTI, keys), "EVALSHA");
    } catch (RedisUnavailableException e) {
      if (!(e.getCause() instanceof RedisNoScriptException)) {
        throw e;
      }
      reply = await(commands.eval(GET_WITH_TTL, ScriptOutputType.MULTI, keys), "EVAL");
    }
    if (reply == null || reply.isEmpty() || reply.getFirst() == null) {
      return Optional.empty();
    }
    long ttlMillis = (Long) reply.get(1);
    // -1: no TTL (someone else's SET).
    Duration remaining = ttlMillis == -1 ? null : Duration.ofMillis(Math.max(0, ttlMillis));
    return Optional.of(new Entry((String) reply.getFirst(), remaining));
  }

  /** SET with TTL, then tell every instance to drop its L1 copy. */
  void set(String key, String value, Duration ttl) {
    RedisFuture<String> set = commands.set(key, value, SetArgs.Builder.px(ttl));
    RedisFuture<Long> publish = commands.publish(channel, key);
    await(set, "SET");
    await(publish, "PUBLISH");
  }

  /**
   * SET only if absent: a value loaded from the database must not overwrite a newer one a concurrent write-through
   * just set. No publish: an absent key has no L1 copies anywhere (its removal was published).
   */
  void setIfAbsent(String key, String value, Duration ttl) {
    await(commands.set(key, value, SetArgs.Builder.nx().px(ttl)), "SET NX");
  }

  /** Removes (and publishes) a key unless it holds the given value; atomically, in Redis. */
  private static final String REMOVE_IF_DIFFERENT = """
      local current = redis.call('GET', KEYS[1])
      if current and current ~= ARGV[1] then
        redis.call('UNLINK', KEYS[1])
        redis.call('PUBLISH', ARGV[2], KEYS[1])
        return 1
      end
      return 0""";

  /**
   * After a write-behind batch committed: a key whose cached value is not the committed one (another thread or
   * instance cached a different value whose write is queued elsewhere or committed earlier) is removed, so the
   * cache converges on the database instead of keeping whichever value was cached last. Pipelined.
   */
  void removeIfDifferent(Map<String, String> committed) {
    List<RedisFuture<Long>> replies = new ArrayList<>();
    committed.forEach((key, value) -> replies.add(
        commands.eval(REMOVE_IF_DIFFERENT, ScriptOutputType.INTEGER, new String[] {key}, value, channel)));
    for (RedisFuture<Long> reply : replies) {
      await(reply, "EVAL");
    }
  }

  /** UNLINK and publish; if Redis cannot be reached, the key is remembered and removed once it can. */
  void remove(String key) {
    try {
      RedisFuture<Long> unlink = commands.unlink(key);
      RedisFuture<Long> publish = commands.publish(channel, key);
      await(unlink, "UNLINK");
      await(publish, "PUBLISH");
      staleKeys.remove(key);
    } catch (RedisUnavailableException e) {
      rememberStale(key);
      throw e;
    }
  }

  /** A key whose L2 value may be older than the database and could not be removed now. */
  void rememberStale(String key) {
    if (staleKeys.size() < MAX_STALE_KEYS) {
      staleKeys.add(key);
    } else {
      LOG.log(System.Logger.Level.ERROR, "more than " + MAX_STALE_KEYS
          + " cache keys could not be removed during a Redis outage; some may serve old values until their TTL");
    }
  }

  int staleKeyCount() {
    return staleKeys.size();
  }

  private void removeStaleKeys() {
    if (staleKeys.isEmpty() || !connection.isOpen()) {
      return;
    }
    for (String key : List.copyOf(staleKeys)) {
      try {
        remove(key);
      } catch (RedisUnavailableException e) {
        return;
      }
    }
  }

  private <T> T await(RedisFuture<T> future, String operation) {
    try {
      return future.toCompletableFuture().get(timeout.toMillis() + 50, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new RedisUnavailableException(operation, e);
    } catch (Exception e) {
      throw new RedisUnavailableException(operation, e.getCause() == null ? e : e.getCause());
    }
  }

  @Override
  public void close() {
    closing = true;
    retrier.shutdownNow();
    subscription.close();
    connection.close();
    client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
    resources.shutdown(0, 2, TimeUnit.SECONDS);
  }
}
