package dev.databaseunit.operator.common;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The pool loop's and the metrics sampler's ticks on one scheduler thread, as the operator runs them. */
class IsolatedTickTest {

  @Test
  void aTickThatHangsDelaysOnlyItsOwnUnitAndIsNotStartedTwice() throws Exception {
    var scheduler = Executors.newSingleThreadScheduledExecutor();
    var release = new CountDownLatch(1);
    var hungStarts = new AtomicInteger();
    var healthyTicks = new AtomicInteger();
    try {
      scheduler.scheduleWithFixedDelay(new IsolatedTick("pool-loop ns/hung", () -> {
        hungStarts.incrementAndGet();
        try {
          release.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }), 0, 20, TimeUnit.MILLISECONDS);
      scheduler.scheduleWithFixedDelay(new IsolatedTick("pool-loop ns/healthy", healthyTicks::incrementAndGet), 0, 20,
          TimeUnit.MILLISECONDS);

      await().atMost(Duration.ofSeconds(5)).until(() -> healthyTicks.get() >= 20);
      assertThat(hungStarts.get()).as("skipped while the previous tick still runs").isEqualTo(1);
      release.countDown();
      await().atMost(Duration.ofSeconds(5)).until(() -> hungStarts.get() >= 2);
    } finally {
      release.countDown();
      scheduler.shutdownNow();
    }
  }
}
