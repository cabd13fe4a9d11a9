package dev.databaseunit.operator.common;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.databaseunit.operator.testing.MutableClock;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class JobsTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(10);
  private final Jobs jobs = new Jobs("test", new MutableClock(java.time.Instant.parse("2026-03-01T10:00:00Z")), 3);

  @AfterEach
  void close() {
    jobs.close();
  }

  @Test
  void aJobReportsItsPhaseAndIsCollectedOnce() throws Exception {
    var go = new CountDownLatch(1);
    var job = jobs.<String>submit("a", progress -> {
      progress.phase("Copying");
      go.await();
      return "done";
    });
    await().atMost(TIMEOUT).until(() -> job.phase().equals("Copying"));
    assertThat(job.running()).isTrue();
    assertThat(jobs.collect("a")).as("not while it runs").isEmpty();
    assertThat(job.submitted()).hasToString("2026-03-01T10:00:00Z");
    go.countDown();
    await().atMost(TIMEOUT).until(() -> !job.running());
    assertThat(jobs.<String>collect("a")).contains(new Jobs.Result.Done<>("done"));
    assertThat(jobs.collect("a")).as("collected once").isEmpty();
    assertThat(jobs.find("a")).isEmpty();
  }

  @Test
  void oneJobPerKeyWhileItRuns() throws Exception {
    var go = new CountDownLatch(1);
    var runs = new AtomicInteger();
    Jobs.Work<Integer> work = p -> {
      runs.incrementAndGet();
      go.await();
      return 1;
    };
    var first = jobs.submit("k", work);
    assertThat(jobs.submit("k", work)).isSameAs(first);
    go.countDown();
    await().atMost(TIMEOUT).until(() -> !first.running());
    assertThat(runs).hasValue(1);
    // Once ended, the key takes a new job.
    assertThat(jobs.submit("k", p -> 2)).isNotSameAs(first);
  }

  @Test
  void aFailureIsTyped() {
    var job = jobs.submit("f", p -> {
      throw new IllegalStateException("boom");
    });
    await().atMost(TIMEOUT).until(() -> !job.running());
    var result = jobs.collect("f").orElseThrow();
    assertThat(result).isInstanceOfSatisfying(Jobs.Result.Failed.class,
        f -> assertThat(f.error()).isInstanceOf(IllegalStateException.class).hasMessage("boom"));
  }

  @Test
  void cancelInterruptsTheWork() throws Exception {
    var started = new CountDownLatch(1);
    var interrupted = new CountDownLatch(1);
    var job = jobs.submit("unit/x", p -> {
      started.countDown();
      try {
        Thread.sleep(Duration.ofMinutes(5));
      } catch (InterruptedException e) {
        interrupted.countDown();
        throw e;
      }
      return null;
    });
    assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();
    jobs.cancelLane("unit");
    assertThat(interrupted.await(10, TimeUnit.SECONDS)).isTrue();
    assertThat(job.result()).containsInstanceOf(Jobs.Result.Cancelled.class);
    assertThat(jobs.find("unit/x")).isEmpty();
  }

  @Test
  void jobsOfOneLaneRunOneAtATime() throws Exception {
    var firstGo = new CountDownLatch(1);
    var secondStarted = new CountDownLatch(1);
    var first = jobs.submit("u/a", "u", p -> {
      firstGo.await();
      return 1;
    });
    var second = jobs.submit("u/b", "u", p -> {
      secondStarted.countDown();
      return 2;
    });
    var otherLane = jobs.submit("v/a", "v", p -> 3);
    await().atMost(TIMEOUT).until(() -> !otherLane.running());
    assertThat(secondStarted.await(300, TimeUnit.MILLISECONDS)).as("waits for the lane").isFalse();
    assertThat(second.phase()).isEqualTo("Queued");
    firstGo.countDown();
    await().atMost(TIMEOUT).until(() -> !second.running());
    assertThat(first.result()).contains(new Jobs.Result.Done<>(1));
    assertThat(second.result()).contains(new Jobs.Result.Done<>(2));
  }

  @Test
  void closeStopsRunningJobs() throws Exception {
    var started = new CountDownLatch(1);
    var job = jobs.submit("long", p -> {
      started.countDown();
      Thread.sleep(Duration.ofMinutes(5));
      return null;
    });
    assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();
    jobs.close();
    assertThat(job.result()).containsInstanceOf(Jobs.Result.Cancelled.class);
  }

  @Test
  void atMostParallelismJobsRunAtOnce() throws Exception {
    var go = new CountDownLatch(1);
    var running = new AtomicInteger();
    var most = new AtomicInteger();
    var all = new java.util.ArrayList<Jobs.Job<Integer>>();
    for (int i = 0; i < 6; i++) {
      all.add(jobs.submit("p" + i, p -> {
        most.accumulateAndGet(running.incrementAndGet(), Math::max);
        go.await();
        running.decrementAndGet();
        return 0;
      }));
    }
    await().atMost(TIMEOUT).until(() -> running.get() == 3);
    assertThat(all.stream().filter(j -> j.phase().equals("Queued"))).hasSize(3);
    go.countDown();
    await().atMost(TIMEOUT).until(() -> all.stream().noneMatch(Jobs.Job::running));
    assertThat(most).hasValue(3);
  }
}
