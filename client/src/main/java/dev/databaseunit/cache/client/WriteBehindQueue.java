package dev.databaseunit.cache.client;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The bounded queue and single writer thread of one write-behind type. Room is reserved BEFORE the cache is set
 * ({@link #reserve()}), so a put that cannot be queued leaves no trace: back-pressure, never silent loss. One
 * thread writes batches in arrival order (the newest value per id wins inside a batch), retrying with backoff;
 * a batch that still fails is handed to {@code giveUp}, which removes its keys from the cache so no instance
 * serves values the database never got. A committed batch is handed to {@code committed}, which removes keys whose
 * cached value differs from what was committed (writes of one key from several threads or instances can commit in
 * another order than they were cached).
 *
 * <p>A crash (kill -9, OOM, power) loses what is queued or in flight: at most {@code capacity} writes. Those
 * values may remain visible in L2 until their TTL although the database never got them. close() drains.
 */
final class WriteBehindQueue<V> implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(WriteBehindQueue.class.getName());
  private static final Duration MAX_BACKOFF = Duration.ofSeconds(5);

  private record Pending<V>(String id, V value) {}

  private final String dataType;
  private final CacheBacking<V> backing;
  private final WriteBehindSettings settings;
  private final Consumer<Set<String>> giveUp;
  private final Consumer<Map<String, V>> committed;
  private final Semaphore room;
  private final LinkedBlockingQueue<Pending<V>> queue = new LinkedBlockingQueue<>();
  private final Thread writer;
  private final Counter written;
  private final Counter retried;
  private final Counter failed;
  private final Counter rejected;
  private volatile boolean closing;

  WriteBehindQueue(String dataType, CacheBacking<V> backing, WriteBehindSettings settings,
      Consumer<Map<String, V>> committed, Consumer<Set<String>> giveUp, MeterRegistry registry, Tags commonTags) {
    this.dataType = dataType;
    this.backing = backing;
    this.settings = settings;
    this.giveUp = giveUp;
    this.committed = committed;
    this.room = new Semaphore(settings.capacity());
    Tags tags = commonTags.and("type", dataType);
    this.written = counter(registry, tags, "written", "Writes that reached the database");
    this.retried = counter(registry, tags, "retries", "Database batch attempts that failed and were retried");
    this.failed = counter(registry, tags, "failed", "Writes given up after all attempts (keys removed from the cache)");
    this.rejected = counter(registry, tags, "rejected", "Puts refused because the queue stayed full (back-pressure)");
    Gauge.builder("databaseunit.client.cache.write.behind.pending", this, WriteBehindQueue::pending)
        .description("Accepted writes not yet in the database").tags(tags).register(registry);
    this.writer = Thread.ofPlatform().daemon().name("cache-write-behind-" + dataType).start(this::run);
  }

  /** Blocks up to the offer timeout for room for one write. */
  void reserve() {
    if (closing) {
      throw new IllegalStateException("cache is closed");
    }
    try {
      if (room.tryAcquire(settings.offerTimeout().toNanos(), TimeUnit.NANOSECONDS)) {
        return;
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    rejected.increment();
    throw new WriteBehindFullException("write-behind queue of " + dataType + " is full (" + settings.capacity()
        + " pending writes) for " + settings.offerTimeout() + "; the value was not accepted");
  }

  /** Queues a write for which {@link #reserve()} succeeded. */
  void enqueue(String id, V value) {
    queue.add(new Pending<>(id, value));
  }

  int pending() {
    return settings.capacity() - room.availablePermits();
  }

  /** Waits until every accepted write reached the database or was given up; false on timeout. */
  boolean flush(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (pending() > 0) {
      if (System.nanoTime() > deadline) {
        return false;
      }
      try {
        Thread.sleep(5);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }
    return true;
  }

  private void run() {
    List<Pending<V>> batch = new ArrayList<>(settings.batchSize());
    while (!(closing && queue.isEmpty())) {
      try {
        Pending<V> first = queue.poll(50, TimeUnit.MILLISECONDS);
        if (first == null) {
          continue;
        }
        batch.add(first);
        queue.drainTo(batch, settings.batchSize() - 1);
        Map<String, V> newest = new LinkedHashMap<>();
        batch.forEach(p -> newest.put(p.id(), p.value()));
        writeWithRetries(newest, batch.size());
      } catch (InterruptedException e) {
        return;
      } finally {
        room.release(batch.size());
        batch.clear();
      }
    }
  }

  private void writeWithRetries(Map<String, V> values, int accepted) throws InterruptedException {
    Duration backoff = settings.retryBackoff();
    for (int attempt = 1; ; attempt++) {
      try {
        backing.write(values);
        written.increment(accepted);
        committed.accept(values);
        return;
      } catch (Exception e) {
        if (attempt >= settings.maxAttempts()) {
          failed.increment(accepted);
          LOG.log(System.Logger.Level.ERROR, "write-behind of " + values.size() + " " + dataType + " value(s) failed "
              + attempt + " times; giving up and removing them from the cache", e);
          giveUp.accept(values.keySet());
          return;
        }
        retried.increment();
        Thread.sleep(backoff.toMillis());
        backoff = backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff.multipliedBy(2);
      }
    }
  }

  private static Counter counter(MeterRegistry registry, Tags tags, String name, String description) {
    return Counter.builder("databaseunit.client.cache.write.behind." + name).description(description).tags(tags)
        .register(registry);
  }

  /** Stops accepting, drains what was accepted (up to the close timeout), then stops the writer. */
  @Override
  public void close() {
    closing = true;
    if (!flush(settings.closeTimeout())) {
      LOG.log(System.Logger.Level.ERROR, pending() + " write-behind write(s) of " + dataType
          + " did not reach the database within " + settings.closeTimeout() + " and are lost");
    }
    writer.interrupt();
    try {
      writer.join(2_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
