package dev.databaseunit.operator.cache;

import dev.databaseunit.operator.common.Backoff;
import dev.databaseunit.operator.postgres.CaCertificates;
import dev.databaseunit.operator.postgres.DatabaseFailures;
import dev.databaseunit.operator.postgres.PostgresTarget;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.LinkedHashSet;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.postgresql.PGConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Event-driven invalidation for one unit: a thread with its own PostgreSQL connection (outside the unit's pool,
 * because LISTEN ties a session) that LISTENs for {@link InvalidationTriggers#CHANNEL}, drains the queue table,
 * UNLINKs the keys and publishes them on the policy's invalidation channel. A drain runs right after every
 * (re)connect, so changes committed while the listener was away are swept up; queue rows are deleted in the
 * same transaction only after their keys were unlinked, so nothing is lost if Redis or PostgreSQL fails midway.
 */
final class InvalidationListener implements AutoCloseable {
  static final String APPLICATION_NAME = "databaseunit-cache-listener";
  private static final Logger log = LoggerFactory.getLogger(InvalidationListener.class);
  private static final int BATCH = 500;
  /** A drain also runs this often without a notification: a safety net that also notices a dead connection. */
  private static final Duration IDLE_SWEEP = Duration.ofSeconds(30);
  private static final Backoff RECONNECT = Backoff.exponential(Duration.ofMillis(200), Duration.ofSeconds(10));

  /**
   * What the listener reports.
   *
   * @param lag time from the row change (trigger clock_timestamp) to the UNLINK, the largest of one batch
   */
  interface Observer {
    void invalidated(int keys, Duration lag);

    void reconnected();
  }

  private final String unitKey;
  private final PostgresTarget target;
  private final CaCertificates caFiles;
  private final EffectiveCachePolicy policy;
  private final Supplier<Optional<CacheServer>> redis;
  private final Clock clock;
  private final Observer observer;
  private final Thread thread;
  private final AtomicLong connections = new AtomicLong();
  private volatile boolean running = true;
  private volatile Connection current;

  InvalidationListener(String unitKey, PostgresTarget target, CaCertificates caFiles, EffectiveCachePolicy policy,
      Supplier<Optional<CacheServer>> redis, Clock clock, Observer observer) {
    this.unitKey = unitKey;
    this.target = target;
    this.caFiles = caFiles;
    this.policy = policy;
    this.redis = redis;
    this.clock = clock;
    this.observer = observer;
    this.thread = Thread.ofPlatform().daemon().name("cache-invalidation-" + unitKey).unstarted(this::run);
  }

  void start() {
    thread.start();
  }

  /** Whether this listener serves the given database and policy (otherwise the capability replaces it). */
  boolean serves(PostgresTarget otherTarget, EffectiveCachePolicy otherPolicy) {
    return target.equals(otherTarget) && policy.equals(otherPolicy);
  }

  /** Number of times it connected, the first included. */
  long connections() {
    return connections.get();
  }

  private void run() {
    int failures = 0;
    while (running) {
      try (Connection connection = connect()) {
        current = connection;
        try (var s = connection.createStatement()) {
          s.execute("LISTEN " + InvalidationTriggers.CHANNEL);
        }
        if (connections.incrementAndGet() > 1) {
          observer.reconnected();
        }
        // Listening first, then the catch-up sweep: a change committed in between is seen by one or the other.
        drain(connection);
        failures = 0;
        listen(connection);
      } catch (SQLException | RuntimeException e) {
        if (!running) {
          return;
        }
        Duration retry = RECONNECT.delay(++failures);
        log.warn("Cache invalidation listener of {} lost its connection or Redis ({}); retrying in {} ms",
            unitKey, DatabaseFailures.redact(String.valueOf(e.getMessage()), target.password()), retry.toMillis());
        sleep(retry);
      } finally {
        current = null;
      }
    }
  }

  private void listen(Connection connection) throws SQLException {
    PGConnection pg = connection.unwrap(PGConnection.class);
    Instant lastDrain = clock.instant();
    while (running) {
      var notifications = pg.getNotifications((int) Duration.ofSeconds(1).toMillis());
      boolean idle = Duration.between(lastDrain, clock.instant()).compareTo(IDLE_SWEEP) >= 0;
      if ((notifications != null && notifications.length > 0) || idle) {
        drain(connection);
        lastDrain = clock.instant();
      }
    }
  }

  private Connection connect() throws SQLException {
    var props = target.jdbcProperties(caFiles);
    props.setProperty("ApplicationName", APPLICATION_NAME);
    props.setProperty("tcpKeepAlive", "true");
    Connection connection = DriverManager.getConnection(target.jdbcUrl(), props);
    connection.setAutoCommit(false);
    return connection;
  }

  /**
   * Empties the queue a batch at a time: delete, unlink (a flushed type by SCAN), publish, then commit; a
   * rollback if Redis failed, so the rows stay queued.
   */
  private void drain(Connection connection) throws SQLException {
    while (running) {
      List<String> keys = new ArrayList<>();
      Set<String> flushed = new LinkedHashSet<>();
      // The lag is measured on one clock: the database's from the change to this DELETE, then the elapsed time here,
      // so a skew between the database's clock and the operator's never enters it.
      double oldestAgeSeconds = -1;
      long taken;
      try (var s = connection.prepareStatement("""
          DELETE FROM databaseunit_cache.pending_invalidations WHERE id IN (
            SELECT id FROM databaseunit_cache.pending_invalidations ORDER BY id LIMIT ? FOR UPDATE SKIP LOCKED)
          RETURNING data_type, key, extract(epoch FROM clock_timestamp() - changed_at), flush""")) {
        s.setInt(1, BATCH);
        try (var rs = s.executeQuery()) {
          taken = System.nanoTime();
          while (rs.next()) {
            String dataType = rs.getString(1);
            // Rows of a type that is no longer event-driven are dropped with the rest of the batch.
            if (policy.type(dataType).isPresent()) {
              if (rs.getBoolean(4)) {
                flushed.add(dataType);
              } else {
                keys.add(policy.key(dataType, rs.getString(2)));
              }
            }
            oldestAgeSeconds = Math.max(oldestAgeSeconds, Math.max(0, rs.getDouble(3)));
          }
        }
      }
      if (oldestAgeSeconds < 0) {
        connection.commit();
        return;
      }
      int removed;
      try {
        removed = unlink(keys, flushed);
      } catch (RuntimeException e) {
        connection.rollback();
        throw e;
      }
      connection.commit();
      observer.invalidated(removed, Duration.ofNanos(Math.round(oldestAgeSeconds * 1e9) + System.nanoTime() - taken));
    }
  }

  private int unlink(List<String> keys, Set<String> flushed) {
    if (keys.isEmpty() && flushed.isEmpty()) {
      return 0;
    }
    CacheServer server = redis.get().orElseThrow(() -> new IllegalStateException("no Redis connection yet"));
    int removed = keys.size();
    if (!keys.isEmpty()) {
      server.unlink(keys);
    }
    for (String dataType : flushed) {
      var count = new AtomicLong();
      server.scan(policy.keyPattern(dataType), page -> count.addAndGet(server.unlink(page)));
      removed += (int) count.get();
      keys.add(policy.key(dataType, "*"));
    }
    server.publish(policy.invalidationChannel(), String.join("\n", keys));
    return removed;
  }

  private void sleep(Duration duration) {
    try {
      Thread.sleep(duration);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      running = false;
    }
  }

  @Override
  public void close() {
    running = false;
    thread.interrupt();
    Connection connection = current;
    if (connection != null) {
      try {
        // Closing from here unblocks getNotifications at once.
        connection.close();
      } catch (SQLException e) {
        log.debug("Closing the listener connection of {}: {}", unitKey, e.getMessage());
      }
    }
    try {
      thread.join(Duration.ofSeconds(10));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
